"""The state-transition TABLE of documents (CHECKLIST INV-IMMUTABLE).

An issued invoice is never edited: it is corrected by a credit note. Only drafts are deleted.

>>> next_status(InvoiceStatus.DRAFT, Action.ISSUE)
<InvoiceStatus.ISSUED: 'issued'>
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from encaisse.domain.documents import InvoiceStatus, QuoteStatus
from encaisse.domain.errors import TransitionError


class Action(StrEnum):
    EDIT = "edit"
    DELETE = "delete"
    ISSUE = "issue"
    PAY_PART = "pay_part"
    PAY_FULL = "pay_full"
    UNPAY_PART = "unpay_part"
    UNPAY_ALL = "unpay_all"
    CANCEL = "cancel"  # fully credited by a credit note


S = InvoiceStatus
_DELETED = None

#: (status, action) -> new status; ``None`` means the document disappears (drafts only).
INVOICE_TRANSITIONS: dict[tuple[InvoiceStatus, Action], InvoiceStatus | None] = {
    (S.DRAFT, Action.EDIT): S.DRAFT,
    (S.DRAFT, Action.DELETE): _DELETED,
    (S.DRAFT, Action.ISSUE): S.ISSUED,
    (S.ISSUED, Action.PAY_PART): S.PARTIALLY_PAID,
    (S.ISSUED, Action.PAY_FULL): S.PAID,
    (S.ISSUED, Action.CANCEL): S.CANCELLED,
    (S.PARTIALLY_PAID, Action.PAY_PART): S.PARTIALLY_PAID,
    (S.PARTIALLY_PAID, Action.PAY_FULL): S.PAID,
    (S.PARTIALLY_PAID, Action.UNPAY_PART): S.PARTIALLY_PAID,
    (S.PARTIALLY_PAID, Action.UNPAY_ALL): S.ISSUED,
    (S.PARTIALLY_PAID, Action.CANCEL): S.CANCELLED,
    (S.PAID, Action.UNPAY_PART): S.PARTIALLY_PAID,
    (S.PAID, Action.UNPAY_ALL): S.ISSUED,
    (S.PAID, Action.PAY_FULL): S.PAID,
    (S.PAID, Action.CANCEL): S.CANCELLED,
}

Q = QuoteStatus
QUOTE_TRANSITIONS: dict[tuple[QuoteStatus, str], QuoteStatus] = {
    (Q.DRAFT, "edit"): Q.DRAFT,
    (Q.DRAFT, "send"): Q.SENT,
    (Q.DRAFT, "accept"): Q.ACCEPTED,
    (Q.SENT, "accept"): Q.ACCEPTED,
    (Q.SENT, "refuse"): Q.REFUSED,
    (Q.SENT, "expire"): Q.EXPIRED,
    (Q.DRAFT, "expire"): Q.EXPIRED,
    (Q.ACCEPTED, "invoice"): Q.INVOICED,
    (Q.ACCEPTED, "deposit"): Q.ACCEPTED,
}


def next_status(status: InvoiceStatus, action: Action) -> InvoiceStatus | None:
    """Apply the table; raise ``TransitionError`` (code LIFECYCLE-FORBIDDEN) when not allowed."""
    key = (status, action)
    if key not in INVOICE_TRANSITIONS:
        raise TransitionError(
            f"cannot {action.value} an invoice in status {status.value}"
            + (
                " (correct an issued invoice with a credit note, INV-IMMUTABLE)"
                if action is Action.EDIT
                else ""
            ),
            code="LIFECYCLE-FORBIDDEN",
        )
    return INVOICE_TRANSITIONS[key]


def next_quote_status(status: QuoteStatus, action: str) -> QuoteStatus:
    key = (status, action)
    if key not in QUOTE_TRANSITIONS:
        raise TransitionError(f"cannot {action} a quote in status {status.value}", code="LIFECYCLE-FORBIDDEN")
    return QUOTE_TRANSITIONS[key]


def status_after_payments(status: InvoiceStatus, owed: Decimal, paid: Decimal) -> InvoiceStatus:
    """The status of an issued invoice given what it still owes after credit notes and what was paid.

    ``owed`` is the total minus the credit notes imputed on it; credit notes alone never make an
    invoice "partially paid" (a fully credited invoice is cancelled by the credit-note use case).
    """
    if status in (S.DRAFT, S.CANCELLED):
        return status
    if paid <= 0:
        return S.ISSUED
    if paid >= owed:
        return S.PAID
    return S.PARTIALLY_PAID
