"""Receivables financing use cases (SCENARIOS §7): assign invoices to a bank by Dailly — the bordereau
and one notification per debtor — or remit them to a factor (CSV with the subrogation mention); and the
forecast effect of a Dailly ("the cash arrives now instead of in 45 days").

Only open, undisputed invoices that are not yet financed can be assigned; Dailly also excludes consumer
receivables (DAILLY-PARTIES). The bordereau is checked for its four mandatory mentions before anything is
produced (DAILLY-BORDEREAU-*), each notification for DAILLY-NOTIFY, the factor for FACT-INVOICE-MENTION.
PDFs are rendered by the ``render`` callable the adapter passes (``adapters.pdf.render.render_letter_pdf``),
outside the write transaction; the write re-checks that no invoice was financed meanwhile.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from encaisse.domain.documents import Invoice
from encaisse.domain.errors import NotFoundError, Problem, Severity, ValidationError, errors_only
from encaisse.domain.financing import (
    FACTORING_HEADER,
    DaillyBordereau,
    DaillyNotification,
    Factor,
    FactoringRow,
    FinancingKind,
    Letter,
    bordereau,
    bordereau_letter,
    factoring_row,
    financing_problems,
    notification_letter,
    notifications,
    receivable_of,
    validate_bordereau,
    validate_factor,
    validate_notification,
)
from encaisse.domain.forecast.scenarios import Difference, compare, dailly
from encaisse.domain.forecast.snapshot import inputs_as_of, run
from encaisse.domain.parties import Address, Company, Party
from encaisse.services import audit
from encaisse.services.forecast import load_history
from encaisse.services.ports import UnitOfWork
from encaisse.services.ports_financing import FinancingRepository, FinancingUnitOfWork

#: Renders a letter (sender, recipient, content) to PDF: ``render_letter_pdf`` in the adapters.
LetterRenderer = Callable[[Company, Party, Letter], bytes]


@dataclass(frozen=True)
class DaillyResult:
    assignment_id: int
    bordereau: DaillyBordereau
    bordereau_pdf: bytes
    notifications: tuple[tuple[DaillyNotification, bytes], ...]
    warnings: tuple[Problem, ...]


@dataclass(frozen=True)
class FactoringExport:
    assignment_id: int
    data: bytes
    rows: tuple[FactoringRow, ...]
    warnings: tuple[Problem, ...]


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _load(
    repo: FinancingRepository, company_id: int, numbers: Sequence[str], kind: FinancingKind
) -> tuple[list[Invoice], list[Problem]]:
    """The invoices named, in order, each once, and every reason one of them cannot be financed."""
    financed = frozenset(repo.financed_invoice_ids(company_id))
    invoices: list[Invoice] = []
    problems: list[Problem] = []
    for number in dict.fromkeys(numbers):
        invoice = repo.invoice_by_number(company_id, number)
        if invoice is None:
            problems.append(Problem("INVOICE-NOT-FOUND", f"no invoice {number}", field=number))
            continue
        invoices.append(invoice)
        problems += financing_problems(invoice, kind, already_assigned=financed)
    if not numbers:
        problems.append(Problem("FIN-NO-INVOICE", "name at least one invoice"))
    return invoices, problems


def _refuse(problems: list[Problem], what: str) -> None:
    errors = errors_only(problems)
    if errors:
        raise ValidationError(f"{what}: nothing produced", code=errors[0].code, problems=errors)


def dailly_candidates(uow: FinancingUnitOfWork, company_id: int) -> list[Invoice]:
    """Invoices that can be assigned now: open, to a professional, undisputed, not yet financed."""
    with uow() as repo:
        financed = frozenset(repo.financed_invoice_ids(company_id))
        invoices = repo.load_invoices(company_id)
    return [
        inv
        for inv in invoices
        if inv.number and not financing_problems(inv, FinancingKind.DAILLY, already_assigned=financed)
    ]


def _bank_party(name: str, address: str) -> Party:
    return Party(name=name, address=Address(line1=address, country=""))


def _record(
    uow: FinancingUnitOfWork,
    company_id: int,
    kind: FinancingKind,
    name: str,
    invoices: list[Invoice],
    items: list[tuple[int, Decimal]],
    *,
    at: datetime,
    pdf: bytes | None,
    actor: str,
    payload: dict[str, object],
) -> int:
    """Store the assignment in one transaction, refusing it if an invoice was financed meanwhile."""
    total = sum((a for _, a in items), Decimal("0.00"))
    with uow() as repo:
        taken = repo.financed_invoice_ids(company_id) & {iid for iid, _ in items}
        if taken:
            numbers = sorted(inv.number for inv in invoices if inv.id in taken)
            raise ValidationError(
                f"invoices {', '.join(numbers)} were financed meanwhile: nothing stored",
                code="FIN-ALREADY-ASSIGNED",
            )
        assignment_id = repo.add_financing_assignment(
            company_id,
            kind=kind.value,
            bank_name=name,
            created_at=at,
            total=total,
            bordereau_pdf=pdf,
            items=items,
        )
        audit.record(
            repo,
            company_id,
            f"financing.{kind.value}",
            "financing_assignment",
            assignment_id,
            {**payload, "invoices": [inv.number for inv in invoices], "total": str(total)},
            actor=actor,
            at=at,
        )
    return assignment_id


def assign_dailly(
    uow: FinancingUnitOfWork,
    company_id: int,
    numbers: Sequence[str],
    *,
    bank_name: str,
    today: date,
    render: LetterRenderer,
    bank_iban: str = "",
    bank_bic: str = "",
    bank_address: str = "",
    now: datetime | None = None,
    actor: str = "",
) -> DaillyResult:
    """Assign the invoices ``numbers`` to ``bank_name``: the bordereau PDF, one notification PDF per
    debtor, and the invoices marked as assigned. Raises ``ValidationError`` and stores nothing when
    an invoice is not eligible or a mandatory mention is missing."""
    with uow() as repo:
        company = repo.get_company(company_id)
        invoices, problems = _load(repo, company_id, numbers, FinancingKind.DAILLY)
    _refuse(problems, "these invoices cannot be assigned by Dailly")
    slip = bordereau(company, bank_name, tuple(receivable_of(inv) for inv in invoices), day=today)
    problems = validate_bordereau(slip)
    _refuse(problems, "the bordereau would not be a valid Dailly act")
    notices = notifications(slip, bank_iban=bank_iban, bank_bic=bank_bic, bank_address=bank_address)
    warnings: dict[tuple[str, str], Problem] = {}
    for notice in notices:
        notice_problems = validate_notification(notice)
        _refuse(notice_problems, f"the notification to {notice.debtor.name} would be incomplete")
        warnings.update(((p.code, p.message), p) for p in notice_problems)
    bordereau_pdf = render(company, _bank_party(bank_name, bank_address), bordereau_letter(slip))
    customers = {inv.customer.name: inv.customer for inv in invoices}
    rendered = tuple(
        (
            notice,
            render(
                company,
                customers.get(notice.debtor.name) or Party(name=notice.debtor.name),
                notification_letter(notice),
            ),
        )
        for notice in notices
    )
    assignment_id = _record(
        uow,
        company_id,
        FinancingKind.DAILLY,
        slip.bank_name,
        invoices,
        [(r.invoice_id, r.amount) for r in slip.receivables if r.invoice_id is not None],
        at=_now(now),
        pdf=bordereau_pdf,
        actor=actor,
        payload={"bank": slip.bank_name, "debtors": len(notices)},
    )
    return DaillyResult(assignment_id, slip, bordereau_pdf, rendered, tuple(warnings.values()))


def factoring_csv(rows: Sequence[FactoringRow]) -> bytes:
    """The remittance file: header :data:`FACTORING_HEADER`, UTF-8, comma separated, one row per document."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(FACTORING_HEADER)
    writer.writerows(row.as_record() for row in rows)
    return buf.getvalue().encode("utf-8")


def export_factoring(
    uow: FinancingUnitOfWork,
    company_id: int,
    numbers: Sequence[str],
    factor: Factor,
    *,
    now: datetime | None = None,
    actor: str = "",
) -> FactoringExport:
    """Remit invoices to the factor: the CSV (with the subrogation mention of each, FACT-INVOICE-MENTION)
    and the invoices marked as factored. Raises ``ValidationError`` when one cannot be factored."""
    problems = validate_factor(factor)
    with uow() as repo:
        invoices, load_problems = _load(repo, company_id, numbers, FinancingKind.FACTORING)
    problems += load_problems
    _refuse(problems, "these invoices cannot be factored")
    rows = tuple(factoring_row(inv, factor) for inv in invoices)
    assignment_id = _record(
        uow,
        company_id,
        FinancingKind.FACTORING,
        factor.name,
        invoices,
        [(r.invoice_id, r.amount_due) for r in rows if r.invoice_id is not None],
        at=_now(now),
        pdf=None,
        actor=actor,
        payload={"factor": factor.name},
    )
    warnings = tuple(p for p in problems if p.severity is not Severity.ERROR)
    return FactoringExport(assignment_id, factoring_csv(rows), rows, warnings)


def dailly_effect(
    uow: UnitOfWork,
    company_id: int,
    numbers: Sequence[str],
    *,
    today: date,
    weeks: int = 13,
    simulations: int = 200,
) -> list[Difference]:
    """Week by week, the expected balance without and with a Dailly of ``numbers`` today: the cash
    (net of fee and interest) arrives now instead of on the due dates (``domain.forecast.scenarios``)."""
    history = load_history(uow, company_id, today)
    with uow() as repo:
        filing = repo.get_company(company_id).vat_filing
        known = repo.invoice_numbers(company_id, numbers)
    missing = [n for n in numbers if n not in known]
    if missing:
        raise NotFoundError(f"no invoice {', '.join(missing)}", code="INVOICE-NOT-FOUND")
    base = inputs_as_of(history, today, filing=filing)
    scenario = dailly(base, set(numbers), today)
    return compare(
        run(base, today=today, weeks=weeks, simulations=simulations),
        run(scenario, today=today, weeks=weeks, simulations=simulations),
    )
