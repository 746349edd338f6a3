"""What flows into a forecast: open receivables, payables, expected quotes and one-off flows (EUR).

Foreign-currency invoices are converted with their ``eur_rate`` (EUR for one unit, INV-LANG-CUR).

>>> from datetime import date
>>> from decimal import Decimal
>>> from encaisse.domain.documents import Invoice, InvoiceStatus, Line
>>> from encaisse.domain.parties import Party
>>> inv = Invoice(1, Party("Acme Inc"), date(2026, 1, 5), (Line("Audit", Decimal(1), Decimal(1000)),),
...               status=InvoiceStatus.ISSUED, number="F2026-00001", due_date=date(2026, 2, 4),
...               currency="USD", eur_rate=Decimal("0.9"))
>>> receivable_from_invoice(inv).amount
Decimal('1080.00')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from encaisse.domain.documents import DocumentKind, Invoice, InvoiceStatus, compute_totals
from encaisse.domain.money import ZERO, round_money


@dataclass(frozen=True)
class Receivable:
    """An amount a customer still owes, in EUR."""

    key: str  # invoice number
    customer: str
    amount: Decimal
    due_date: date
    issue_date: date | None = None
    vat: Decimal = ZERO  # VAT contained in ``amount`` (collection regime)


@dataclass(frozen=True)
class Payable:
    """An amount to pay a supplier on its due date, in EUR (positive)."""

    key: str
    counterparty: str
    amount: Decimal
    due_date: date


@dataclass(frozen=True)
class ExpectedQuote:
    """An accepted or likely quote: invoiced on ``invoice_date`` with ``probability``, due after ``terms_days``."""

    key: str
    customer: str
    amount: Decimal
    invoice_date: date
    probability: float = 1.0
    terms_days: int = 30


@dataclass(frozen=True)
class CashFlow:
    """A one-off signed flow (credits positive): a purchase, a financing, a grant."""

    day: date
    amount: Decimal
    label: str = ""


def receivable_from_invoice(invoice: Invoice, *, default_terms_days: int = 30) -> Receivable:
    """The open part of an issued invoice, converted to EUR."""
    due = invoice.amount_due
    total = invoice.total_incl_tax
    vat = compute_totals(invoice).total_vat if invoice.total_incl_tax_override is None else ZERO
    share = due / total if total else Decimal(0)
    return Receivable(
        key=invoice.number,
        customer=invoice.customer.name,
        amount=round_money(due * invoice.eur_rate),
        due_date=invoice.due_date or invoice.issue_date + timedelta(days=default_terms_days),
        issue_date=invoice.issue_date,
        vat=round_money(vat * share * invoice.eur_rate),
    )


def open_receivables(invoices: Iterable[Invoice]) -> list[Receivable]:
    """Receivables of issued, unpaid (or partly paid) invoices and deposits; credit notes excluded."""
    return [
        receivable_from_invoice(i)
        for i in invoices
        if i.kind is not DocumentKind.CREDIT_NOTE
        and i.status in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)
        and i.amount_due > 0
    ]
