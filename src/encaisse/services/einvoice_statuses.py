"""Lifecycle statuses of the e-invoicing reform, stored with their history (EINV-STATUS-*).

Each change is checked against the transition table (``domain/einvoice_status``) and appended to
``einvoice_status_event`` (by official code, e.g. "207"); the invoice keeps its current code. Statuses drive collections:
disputed / suspended / refused / factored stop automatic reminders (DUN-RELANCE-PRACTICE), and a
rejected invoice goes to "fix and resend" instead of being reminded.
"""

from __future__ import annotations

from datetime import datetime

from encaisse.domain.einvoice_status import (
    Direction,
    EInvoiceStatus,
    StatusChange,
    StatusHistory,
    apply_status,
    history_blocks_dunning,
)
from encaisse.services import audit
from encaisse.services.ports import Repository, UnitOfWork


def history_of(repo: Repository, company_id: int, invoice_id: int) -> StatusHistory:
    changes = tuple(
        StatusChange(EInvoiceStatus.from_code(int(code)), at, reason)
        for code, at, reason in repo.status_events(company_id, invoice_id=invoice_id)
    )
    return StatusHistory(Direction.ISSUED, changes)


def record_status(
    uow: UnitOfWork,
    company_id: int,
    invoice_id: int,
    status: EInvoiceStatus,
    at: datetime,
    *,
    reason: str = "",
    actor: str = "",
) -> StatusHistory:
    """Append a status to an issued invoice's history (from a platform, the buyer or the user)."""
    with uow() as repo:
        invoice = repo.get_invoice(company_id, invoice_id)
        history = apply_status(history_of(repo, company_id, invoice_id), status, at, reason)
        repo.add_status_event(
            company_id, invoice_id=invoice.id or 0, status=str(status.code), at=at, reason=reason
        )
        flags: dict[str, object] = {"einvoice_status": str(status.code)}
        flags["disputed"] = history_blocks_dunning(history)
        if status is EInvoiceStatus.REJECTED:
            flags["delivery_failed"] = True
        repo.set_invoice_flags(company_id, invoice_id, **flags)
        audit.record(
            repo,
            company_id,
            "einvoice.status",
            "invoice",
            invoice_id,
            {"status": status.value, "code": status.code, "reason": reason},
            actor=actor,
        )
        return history
