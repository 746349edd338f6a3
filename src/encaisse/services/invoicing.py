"""Use cases for invoices, deposit invoices and credit notes: one function = one user action.

Issuing checks every mandatory mention first (compliance checker), assigns the next gap-free
number of the series (INV-NUMBER), sets the due date, the penalty rate and the RF reference,
and records a tamper-evident audit event. Issued invoices are immutable (INV-IMMUTABLE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from encaisse.domain import lifecycle
from encaisse.domain.documents import (
    DocumentKind,
    Invoice,
    InvoiceStatus,
    Line,
    compute_totals,
    credit_note_for,
)
from encaisse.domain.errors import EncaisseError, Problem, Severity, ValidationError
from encaisse.domain.lifecycle import Action
from encaisse.domain.money import ZERO, round_money
from encaisse.domain.numbering import fiscal_year_of, format_number, series_key
from encaisse.domain.parties import Company
from encaisse.services import audit
from encaisse.services.ports import Repository, UnitOfWork


def check_draft(invoice: Invoice) -> list[Problem]:
    """Structural problems that even a draft may not have (drafts may be incomplete otherwise)."""
    problems: list[Problem] = []
    for i, ln in enumerate(invoice.lines):
        is_deduction = bool(ln.deposit_invoice_number)
        if ln.quantity < 0 and not is_deduction:
            problems.append(
                Problem(
                    "LINE-NEGATIVE-QUANTITY", "quantity must not be negative", field=f"lines[{i}].quantity"
                )
            )
        if ln.unit_price < 0 and not is_deduction:
            problems.append(
                Problem(
                    "LINE-NEGATIVE-PRICE",
                    "unit price must not be negative (use a credit note)",
                    field=f"lines[{i}].unit_price",
                )
            )
        if not (ZERO <= ln.discount_percent <= Decimal(100)):
            problems.append(
                Problem(
                    "LINE-DISCOUNT-RANGE",
                    "line discount must be between 0 and 100 %",
                    field=f"lines[{i}].discount_percent",
                )
            )
        if ln.vat_rate < 0 or ln.vat_rate > 100:
            problems.append(
                Problem("LINE-VAT-RANGE", "VAT rate must be between 0 and 100", field=f"lines[{i}].vat_rate")
            )
        if len(ln.description) > 5000:
            problems.append(
                Problem(
                    "LINE-DESC-TOO-LONG",
                    "description is longer than 5000 characters",
                    field=f"lines[{i}].description",
                )
            )
    if not (ZERO <= invoice.document_discount_percent <= Decimal(100)):
        problems.append(
            Problem(
                "DOC-DISCOUNT-RANGE",
                "discount must be between 0 and 100 %",
                field="document_discount_percent",
            )
        )
    if invoice.currency != "EUR" and invoice.eur_rate <= 0:
        problems.append(Problem("DOC-EUR-RATE", "exchange rate to EUR must be positive", field="eur_rate"))
    return problems


def _raise_if(problems: list[Problem], message: str, code: str) -> None:
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        raise ValidationError(
            message + ": " + "; ".join(p.describe() for p in errors), code=code, problems=problems
        )


def create_draft(uow: UnitOfWork, invoice: Invoice, *, actor: str = "") -> Invoice:
    _raise_if(check_draft(invoice), "invalid invoice", "INVOICE-INVALID")
    with uow() as repo:
        stored = repo.add_invoice(replace(invoice, status=InvoiceStatus.DRAFT, number=""))
        audit.record(
            repo,
            invoice.company_id,
            "invoice.draft_created",
            "invoice",
            stored.id,
            {"kind": invoice.kind.value},
            actor=actor,
        )
        return stored


def update_draft(uow: UnitOfWork, invoice: Invoice, *, actor: str = "") -> Invoice:
    assert invoice.id is not None
    _raise_if(check_draft(invoice), "invalid invoice", "INVOICE-INVALID")
    with uow() as repo:
        current = repo.get_invoice(invoice.company_id, invoice.id)
        lifecycle.next_status(current.status, Action.EDIT)
        return repo.update_invoice(replace(invoice, status=InvoiceStatus.DRAFT, number=""))


def delete_draft(uow: UnitOfWork, company_id: int, invoice_id: int, *, actor: str = "") -> None:
    with uow() as repo:
        current = repo.get_invoice(company_id, invoice_id)
        lifecycle.next_status(current.status, Action.DELETE)
        repo.delete_invoice(company_id, invoice_id)
        audit.record(repo, company_id, "invoice.draft_deleted", "invoice", invoice_id, {}, actor=actor)


def compliance_problems(repo: Repository, company: Company, invoice: Invoice) -> list[Problem]:
    from encaisse.domain.compliance import check_invoice

    deposits = [d for n in invoice.deposit_numbers if (d := repo.invoice_by_number(company.id or 0, n))]
    corrected = None
    credited = ZERO
    if invoice.kind is DocumentKind.CREDIT_NOTE and invoice.corrects_id is not None:
        corrected = repo.get_invoice(invoice.company_id, invoice.corrects_id)
        credited = corrected.amount_credited
    return check_invoice(invoice, company, deposits=deposits, corrected=corrected, already_credited=credited)


def _prepare_for_issue(company: Company, invoice: Invoice) -> Invoice:
    """Fill what issuing fixes: due date default, penalty rate, VAT-on-debits flag (from the company)."""
    from encaisse.domain import terms
    from encaisse.domain.parties import VatRegime

    due = invoice.due_date
    if due is None and invoice.kind is not DocumentKind.CREDIT_NOTE:
        days = invoice.customer.payment_terms_days or company.default_payment_days
        due = terms.due_date_for(invoice.issue_date, days)
    rate = invoice.penalty_rate if invoice.penalty_rate is not None else company.penalty_rate
    b2b = invoice.customer.is_business
    return replace(
        invoice,
        due_date=due,
        penalty_rate=rate,
        recovery_indemnity=b2b,
        vat_on_debits=company.vat_regime is VatRegime.DEBITS,
        early_payment_discount=invoice.early_payment_discount or company.early_payment_discount,
    )


def _assign_number(repo: Repository, company: Company, invoice: Invoice) -> Invoice:
    pattern = (
        company.credit_note_pattern if invoice.kind is DocumentKind.CREDIT_NOTE else company.invoice_pattern
    )
    series = series_key(invoice.kind.value, pattern)
    year = fiscal_year_of(invoice.issue_date, company.fiscal_year_end_month)
    seq = repo.next_number(company.id or 0, series, year)
    number = format_number(pattern, year, seq, month=invoice.issue_date.month)
    return replace(invoice, number=number, series=series)


def _payment_reference(number: str) -> str:
    """ISO 11649 RF creditor reference derived from the number ("" when the number is too long for one)."""
    from encaisse.domain.payment_reference import rf_reference

    try:
        return rf_reference(number)
    except EncaisseError:
        return ""


def issue_in(
    repo: Repository, company: Company, invoice: Invoice, *, actor: str = "", check: bool = True
) -> Invoice:
    """Issue ``invoice`` inside an open transaction (shared by single and batch issuing)."""
    lifecycle.next_status(invoice.status, Action.ISSUE)
    prepared = _prepare_for_issue(company, invoice)
    if check:
        _raise_if(check_draft(prepared), "invalid invoice", "INVOICE-INVALID")
        problems = compliance_problems(repo, company, prepared)
        _raise_if(problems, "invoice cannot be issued", "INVOICE-NOT-COMPLIANT")
    numbered = _assign_number(repo, company, prepared)
    issued = replace(
        numbered, status=InvoiceStatus.ISSUED, payment_reference=_payment_reference(numbered.number)
    )
    issued = repo.add_invoice(issued) if issued.id is None else repo.update_invoice(issued)
    totals = compute_totals(issued)
    audit.record(
        repo,
        company.id or 0,
        "invoice.issued",
        "invoice",
        issued.id,
        {
            "number": issued.number,
            "kind": issued.kind.value,
            "issue_date": issued.issue_date.isoformat(),
            "customer": issued.customer.name,
            "total_incl_tax": str(totals.total_incl_tax),
        },
        actor=actor,
    )
    if issued.kind is DocumentKind.CREDIT_NOTE and issued.corrects_id is not None:
        _apply_credit(repo, issued, totals.total_incl_tax)
    return issued


def issue(uow: UnitOfWork, company_id: int, invoice_id: int, *, actor: str = "") -> Invoice:
    with uow() as repo:
        company = repo.get_company(company_id)
        invoice = repo.get_invoice(company_id, invoice_id)
        return issue_in(repo, company, invoice, actor=actor)


def create_and_issue(uow: UnitOfWork, invoices: Sequence[Invoice], *, actor: str = "") -> list[Invoice]:
    """Issue several new invoices in one transaction (scripting, benchmarks): all or nothing."""
    if not invoices:
        return []
    with uow() as repo:
        company = repo.get_company(invoices[0].company_id)
        return [issue_in(repo, company, inv, actor=actor) for inv in invoices]


def _apply_credit(repo: Repository, credit_note: Invoice, amount: Decimal) -> None:
    """A credit note reduces what its invoice still owes; a full credit cancels it (CN-REFERENCE)."""
    assert credit_note.corrects_id is not None
    original = repo.get_invoice(credit_note.company_id, credit_note.corrects_id)
    credited = original.amount_credited + amount
    total = original.total_incl_tax
    if credited > total:
        raise ValidationError(
            f"credit notes would exceed invoice {original.number} ({credited} > {total})",
            code="CN-REFERENCE",
        )
    if credited == total and original.amount_paid == ZERO:
        status = InvoiceStatus.CANCELLED
    else:
        status = lifecycle.status_after_payments(original.status, total - credited, original.amount_paid)
    repo.set_invoice_settlement(
        original.company_id,
        original.id or 0,
        amount_paid=original.amount_paid,
        amount_credited=credited,
        status=status.value,
        paid_on=None,
    )


def create_credit_note(
    uow: UnitOfWork,
    company_id: int,
    invoice_id: int,
    today: date,
    *,
    lines: tuple[Line, ...] | None = None,
    actor: str = "",
) -> Invoice:
    """Write and issue a credit note correcting an issued invoice (in full when ``lines`` is None)."""
    with uow() as repo:
        company = repo.get_company(company_id)
        original = repo.get_invoice(company_id, invoice_id)
        if (
            original.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED)
            or original.kind is DocumentKind.CREDIT_NOTE
        ):
            raise ValidationError(
                f"invoice {original.number or original.id} cannot be credited in status {original.status.value}",
                code="CN-REFERENCE",
            )
        note = credit_note_for(original, today, lines)
        return issue_in(repo, company, note, actor=actor)


def record_payment(
    uow: UnitOfWork,
    company_id: int,
    invoice_id: int,
    amount: Decimal,
    day: date,
    *,
    method: str = "transfer",
    actor: str = "",
) -> Invoice:
    if amount <= 0:
        raise ValidationError(
            "payment amount must be positive",
            code="PAYMENT-AMOUNT",
            problems=[Problem("PAYMENT-AMOUNT", "must be positive", field="amount")],
        )
    with uow() as repo:
        inv = repo.get_invoice(company_id, invoice_id)
        apply_payment_in(repo, inv, round_money(amount), day, method=method)
        audit.record(
            repo,
            company_id,
            "payment.recorded",
            "invoice",
            invoice_id,
            {"amount": str(amount), "date": day.isoformat(), "method": method},
            actor=actor,
        )
        return repo.get_invoice(company_id, invoice_id)


def apply_payment_in(
    repo: Repository,
    inv: Invoice,
    amount: Decimal,
    day: date,
    *,
    method: str = "transfer",
    allocation_id: int | None = None,
) -> None:
    if inv.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID):
        raise EncaisseError(
            f"cannot record a payment on a {inv.status.value} invoice", code="LIFECYCLE-FORBIDDEN"
        )
    repo.add_payment(inv.company_id, inv.id or 0, day, amount, method=method, allocation_id=allocation_id)
    paid = inv.amount_paid + amount
    total = inv.total_incl_tax
    status = lifecycle.status_after_payments(inv.status, total - inv.amount_credited, paid)
    repo.set_invoice_settlement(
        inv.company_id,
        inv.id or 0,
        amount_paid=paid,
        amount_credited=inv.amount_credited,
        status=status.value,
        paid_on=day if status is InvoiceStatus.PAID else None,
    )


def remove_payment_in(repo: Repository, inv: Invoice, amount: Decimal) -> None:
    paid = max(ZERO, inv.amount_paid - amount)
    status = lifecycle.status_after_payments(inv.status, inv.total_incl_tax - inv.amount_credited, paid)
    repo.set_invoice_settlement(
        inv.company_id,
        inv.id or 0,
        amount_paid=paid,
        amount_credited=inv.amount_credited,
        status=status.value,
        paid_on=None,
    )
