"""Cash position and forecast from the store (``encaisse forecast``, the forecast page, the API).

Builds the forecast's ``History`` (invoices, payments, supplier invoices, bank history) from what
is stored, then lets the pure engine (``domain/forecast``) answer: what will the balance be each
week, with a low/expected/high range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from encaisse.domain.bank import BankTransaction
from encaisse.domain.documents import Invoice
from encaisse.domain.forecast.engine import Forecast
from encaisse.domain.forecast.snapshot import inputs_as_of, run
from encaisse.domain.money import ZERO
from encaisse.services.ports import UnitOfWork


@dataclass(frozen=True)
class StoredPayment:
    invoice_number: str
    date: date
    amount: Decimal


@dataclass(frozen=True)
class StoredSupplierInvoice:
    supplier_name: str
    number: str
    issue_date: date
    due_date: date
    total_vat: Decimal
    total_incl_tax: Decimal
    paid_on: date | None


@dataclass(frozen=True)
class StoreHistory:
    invoices: Sequence[Invoice]
    payments: Sequence[StoredPayment]
    supplier_invoices: Sequence[StoredSupplierInvoice]
    transactions: Sequence[BankTransaction]
    opening_balance: Decimal
    opening_date: date
    account_iban: str


def load_history(uow: UnitOfWork, company_id: int, today: date) -> StoreHistory:
    with uow() as repo:
        company = repo.get_company(company_id)
        invoices = repo.load_invoices(company_id)
        payments = [StoredPayment(n, d, a) for n, d, a in repo.all_payments(company_id)]
        received: list[dict[str, Any]] = repo.list_received(company_id)
        accounts = repo.list_accounts(company_id)
        txs = [s.tx for s in repo.list_transactions(company_id)]
    balance = sum((a.balance or ZERO for a in accounts), ZERO)
    known = [a.balance_date for a in accounts if a.balance_date]
    # opening balance = known balance minus every transaction booked up to the balance date
    as_of = max(known) if known else today
    opening = balance - sum((t.amount for t in txs if t.booking_date <= as_of), ZERO)
    first = min((t.booking_date for t in txs), default=today)
    suppliers = [
        StoredSupplierInvoice(
            r["supplier_name"],
            r["number"],
            r["issue_date"],
            r["due_date"] or r["issue_date"],
            r["total_vat"],
            r["total_incl_tax"],
            None if r["amount_paid"] < r["amount_due"] else r["due_date"],
        )
        for r in received
    ]
    iban = accounts[0].iban if accounts else company.iban
    return StoreHistory(invoices, payments, suppliers, txs, opening, first, iban)


def forecast_for(
    uow: UnitOfWork, company_id: int, today: date, *, weeks: int = 13, simulations: int = 500
) -> Forecast:
    history = load_history(uow, company_id, today)
    with uow() as repo:
        filing = repo.get_company(company_id).vat_filing
    inputs = inputs_as_of(history, today, filing=filing)
    return run(inputs, today=today, weeks=weeks, simulations=simulations)
