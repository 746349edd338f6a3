"""Supplier payments (SCENARIOS §7): approve a received invoice, confirm a changed supplier IBAN,
pay what is due in one SEPA credit-transfer batch (pain.001), list the batches.

A batch is built only from approved invoices, never one whose supplier IBAN changed without being
confirmed, never one already in a batch (domain ``payables``); its XML is checked against the ISO XSD,
IBAN check digits, counts and sums (``formats.pain001.validate``) before it is stored: a file with a
problem is never produced. Paid-by-batch invoices get the status ``payment_transmitted``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from encaisse.domain.errors import NotFoundError, Problem, Severity, ValidationError
from encaisse.domain.parties import Party, compact_digits
from encaisse.domain.payables import (
    PayableInvoice,
    PayableStatus,
    PaymentBatch,
    Selection,
    build_batch,
    execution_date,
    is_valid_iban,
    select_payables,
    validate_batch,
)
from encaisse.formats import pain001
from encaisse.services import audit
from encaisse.services.ports_financing import FinancingRepository, FinancingUnitOfWork, PaymentBatchRecord


@dataclass(frozen=True)
class BatchResult:
    batch_id: int
    batch: PaymentBatch
    xml: bytes
    version: str
    excluded: tuple[tuple[PayableInvoice, Problem], ...]

    @property
    def blocked(self) -> list[Problem]:
        """Invoices due but held back for a reason someone must act on (changed IBAN, bad IBAN …)."""
        return [p for _, p in self.excluded if p.severity is not Severity.INFO]


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _supplier(repo: FinancingRepository, company_id: int, siren: str) -> Party:
    supplier = repo.find_party(company_id, siren=compact_digits(siren), kind="supplier")
    if supplier is None or supplier.id is None:
        raise NotFoundError(f"no supplier with SIREN {siren}", code="SUPPLIER-NOT-FOUND")
    return supplier


def approve(
    uow: FinancingUnitOfWork,
    company_id: int,
    number: str,
    supplier_siren: str,
    *,
    now: datetime | None = None,
    actor: str = "",
) -> PayableInvoice:
    """Approve supplier invoice ``number`` for payment (idempotent: the first approval time stays)."""
    at = _now(now)
    with uow() as repo:
        supplier = _supplier(repo, company_id, supplier_siren)
        assert supplier.id is not None
        payable = repo.payable_by_number(company_id, supplier.id, number)
        if payable is None:
            raise NotFoundError(
                f"no invoice {number} received from {supplier.name}", code="RECEIVED-NOT-FOUND"
            )
        if payable.approved_at is not None:
            return payable
        repo.set_received_approved(company_id, payable.id, at)
        audit.record(
            repo,
            company_id,
            "payables.approved",
            "received_invoice",
            payable.id,
            {"supplier": supplier.name, "number": number, "amount": str(payable.outstanding)},
            actor=actor,
            at=at,
        )
        return replace(payable, approved_at=at)


def confirm_iban(
    uow: FinancingUnitOfWork,
    company_id: int,
    supplier_siren: str,
    iban: str,
    *,
    bic: str = "",
    actor: str = "",
    now: datetime | None = None,
) -> int:
    """Confirm a supplier's new IBAN (checked with the supplier by a known channel); returns how many
    flagged invoices carrying that IBAN become payable. The IBAN on file is replaced (SCENARIOS §7), and
    its BIC with ``bic`` (cleared by default: the old bank's BIC would misroute a transfer; SEPA needs
    only the IBAN, SEPA-SCT)."""
    new_iban = compact_digits(iban)
    if not is_valid_iban(new_iban):
        raise ValidationError(f"IBAN {iban} is not valid (check digits)", code="PAY-IBAN-INVALID")
    with uow() as repo:
        supplier = _supplier(repo, company_id, supplier_siren)
        assert supplier.id is not None
        old_iban = supplier.iban
        repo.update_party(company_id, replace(supplier, iban=new_iban, bic=bic.strip().upper()[:11]))
        released = repo.confirm_received_iban(company_id, supplier.id, new_iban)
        audit.record(
            repo,
            company_id,
            "payables.iban_confirmed",
            "party",
            supplier.id,
            {"supplier": supplier.name, "old_iban": old_iban, "new_iban": new_iban, "invoices": released},
            actor=actor,
            at=_now(now),
        )
        return released


def preview(uow: FinancingUnitOfWork, company_id: int, *, until: date) -> Selection:
    """What a batch up to ``until`` would pay now, and what it leaves out (and why)."""
    with uow() as repo:
        return select_payables(
            repo.list_payables(company_id),
            until=until,
            already_batched=frozenset(repo.batched_received_ids(company_id)),
        )


def create_batch(
    uow: FinancingUnitOfWork,
    company_id: int,
    *,
    until: date,
    today: date,
    execution_day: date | None = None,
    version: str = "03",
    now: datetime | None = None,
    actor: str = "",
) -> BatchResult:
    """Pay every approved invoice due up to ``until`` in one pain.001 batch executed on a business day.

    Raises ``ValidationError`` (``PAY-NOTHING-TO-PAY``, ``PAY-*``, ``PAIN001-*``) and stores nothing when
    there is nothing to pay or when the file would not pass its checks.
    """
    created = _now(now).replace(microsecond=0)
    pain001.namespace(version)  # refuses an unknown version before any work
    with uow() as repo:
        company = repo.get_company(company_id)
        selection = select_payables(
            repo.list_payables(company_id),
            until=until,
            already_batched=frozenset(repo.batched_received_ids(company_id)),
        )
        if not selection.selected:
            blocked = [p for _, p in selection.excluded if p.severity is not Severity.INFO]
            raise ValidationError(
                f"no approved supplier invoice can be paid up to {until.isoformat()}",
                code="PAY-NOTHING-TO-PAY",
                problems=blocked,
            )
        batch = build_batch(
            selection,
            message_id=f"ENC{company_id}-{created:%Y%m%d%H%M%S}-{secrets.token_hex(3)}",
            created_at=created,
            execution_day=execution_date(execution_day or today, today=today),
            debtor_name=company.account_holder or company.name,
            debtor_iban=company.iban,
            debtor_bic=company.bic,
        )
        problems = validate_batch(batch)
        xml = pain001.export(batch, version=version)
        if not problems:
            problems = [p for p in pain001.validate(xml) if p.severity is Severity.ERROR]
        if problems:
            raise ValidationError(
                "the payment file would be refused: nothing produced",
                code=problems[0].code,
                problems=problems,
            )
        batch_id = repo.add_payment_batch(company_id, batch, xml=xml, version=version)
        paid_ids = [i.invoice_id for i in batch.instructions if i.invoice_id is not None]
        repo.set_received_status(company_id, paid_ids, PayableStatus.PAYMENT_TRANSMITTED)
        audit.record(
            repo,
            company_id,
            "payables.batch_created",
            "payment_batch",
            batch_id,
            {
                "message_id": batch.message_id,
                "execution_date": batch.execution_date.isoformat(),
                "count": batch.count,
                "total": str(batch.total),
                "received_invoice_ids": paid_ids,
            },
            actor=actor,
            at=created,
        )
        return BatchResult(batch_id, batch, xml, version, selection.excluded)


def list_batches(uow: FinancingUnitOfWork, company_id: int) -> list[PaymentBatchRecord]:
    with uow() as repo:
        return repo.list_payment_batches(company_id)


def batch_xml(uow: FinancingUnitOfWork, company_id: int, batch_id: int) -> bytes:
    with uow() as repo:
        xml = repo.payment_batch_xml(company_id, batch_id)
    if xml is None:
        raise NotFoundError(f"no payment batch {batch_id}", code="PAYMENT-BATCH-NOT-FOUND")
    return xml
