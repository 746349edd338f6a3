"""Forecast inputs as they were known on a given day, rebuilt from a company's history.

Only what was known on ``day`` is used: invoices issued and credit notes dated by then, payments
received by then, bank movements booked by then, supplier invoices received by then. This is what
the forecast page uses for "today" and what the backtest replays for every past week.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from encaisse.domain.bank import BankTransaction
from encaisse.domain.documents import DocumentKind, Invoice, compute_totals
from encaisse.domain.forecast.delays import DelayModel, PaymentRecord, estimate_delay_model
from encaisse.domain.forecast.engine import Forecast, forecast
from encaisse.domain.forecast.items import CashFlow, ExpectedQuote, Payable, Receivable
from encaisse.domain.forecast.position import AccountBalance, CashPosition
from encaisse.domain.forecast.recurrence import (
    Period,
    RecurringFlow,
    detect_recurring,
    normalize_label,
    user_flow,
)
from encaisse.domain.forecast.run_rate import SalesRunRate, estimate_run_rate
from encaisse.domain.forecast.vat_calendar import VatBase, period_end, vat_payments
from encaisse.domain.money import ZERO, round_money
from encaisse.domain.parties import VatFiling

HISTORY_DAYS = 365  # invoices older than this do not shape payment behaviour


class PaymentLike(Protocol):
    @property
    def invoice_number(self) -> str: ...
    @property
    def date(self) -> date: ...
    @property
    def amount(self) -> Decimal: ...


class SupplierInvoiceLike(Protocol):
    @property
    def supplier_name(self) -> str: ...
    @property
    def number(self) -> str: ...
    @property
    def issue_date(self) -> date: ...
    @property
    def due_date(self) -> date: ...
    @property
    def total_vat(self) -> Decimal: ...
    @property
    def total_incl_tax(self) -> Decimal: ...
    @property
    def paid_on(self) -> date | None: ...


class History(Protocol):
    """A company's history (the demo dataset has this shape; the store can build one)."""

    @property
    def invoices(self) -> Sequence[Invoice]: ...
    @property
    def payments(self) -> Sequence[PaymentLike]: ...
    @property
    def supplier_invoices(self) -> Sequence[SupplierInvoiceLike]: ...
    @property
    def transactions(self) -> Sequence[BankTransaction]: ...
    @property
    def opening_balance(self) -> Decimal: ...
    @property
    def opening_date(self) -> date: ...
    @property
    def account_iban(self) -> str: ...


@dataclass(frozen=True)
class ForecastInputs:
    position: CashPosition
    receivables: tuple[Receivable, ...] = ()
    payables: tuple[Payable, ...] = ()
    quotes: tuple[ExpectedQuote, ...] = ()
    recurring: tuple[RecurringFlow, ...] = ()
    vat: tuple[tuple[date, Decimal], ...] = ()
    delays: DelayModel | None = None
    new_business: SalesRunRate | None = None
    one_offs: tuple[CashFlow, ...] = ()
    customer_history: dict[str, tuple[int, ...]] = field(default_factory=dict)  # paid delays per customer


def run(
    inputs: ForecastInputs, *, today: date, weeks: int = 13, simulations: int = 500, seed: int = 0
) -> Forecast:
    return forecast(
        inputs.position,
        inputs.receivables,
        inputs.payables,
        inputs.quotes,
        inputs.recurring,
        inputs.vat,
        today=today,
        weeks=weeks,
        simulations=simulations,
        seed=seed,
        delays=inputs.delays,
        new_business=inputs.new_business,
        one_offs=inputs.one_offs,
    )


def inputs_as_of(
    history: History, day: date, *, filing: VatFiling = VatFiling.MONTHLY, vat_due_day: int = 20
) -> ForecastInputs:
    """Everything the forecast needs, from what was known at the end of ``day`` (VAT on debits)."""
    docs = [i for i in history.invoices if i.number and i.issue_date <= day]
    sales = [i for i in docs if i.kind is not DocumentKind.CREDIT_NOTE]
    credited: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for cn in (i for i in docs if i.kind is DocumentKind.CREDIT_NOTE):
        credited[cn.corrects_number] += cn.total_incl_tax
    paid: dict[str, list[PaymentLike]] = defaultdict(list)
    for p in history.payments:
        if p.date <= day:
            paid[p.invoice_number].append(p)

    receivables: list[Receivable] = []
    delay_records: list[PaymentRecord] = []
    lag_records: list[PaymentRecord] = []
    customer_history: dict[str, list[int]] = defaultdict(list)
    for inv in sales:
        total = inv.total_incl_tax
        if total <= 0 or inv.due_date is None:
            continue
        done = sum((p.amount for p in paid[inv.number]), ZERO)
        left = total - done - credited[inv.number]
        customer = inv.customer.name
        if left > Decimal("0.005"):
            vat = compute_totals(inv).total_vat * left / total
            receivables.append(
                Receivable(
                    inv.number,
                    customer,
                    round_money(left * inv.eur_rate),
                    inv.due_date,
                    inv.issue_date,
                    round_money(vat * inv.eur_rate),
                )
            )
        if (day - inv.issue_date).days > HISTORY_DAYS:
            continue
        for p in paid[inv.number]:
            share = float(p.amount / total)
            delay_records.append(PaymentRecord(customer, (p.date - inv.due_date).days, share))
            lag_records.append(PaymentRecord("", (p.date - inv.issue_date).days, share))
            customer_history[customer].append((p.date - inv.due_date).days)
        if left > Decimal("0.005"):
            share = float(left / total)
            delay_records.append(PaymentRecord(customer, (day - inv.due_date).days, share, paid=False))
            lag_records.append(PaymentRecord("", (day - inv.issue_date).days, share, paid=False))

    txs = [t for t in history.transactions if t.booking_date <= day]
    balance = history.opening_balance + sum((t.amount for t in txs), ZERO)
    position = CashPosition(day, (AccountBalance(history.account_iban, balance, day),), round_money(balance))
    payables = tuple(
        Payable(s.number, s.supplier_name, s.total_incl_tax, s.due_date)
        for s in history.supplier_invoices
        if s.issue_date <= day and (s.paid_on is None or s.paid_on > day)
    )
    vat_due, vat_share = _vat(docs, history.supplier_invoices, day, filing, vat_due_day)
    sale_amounts = [
        (i.issue_date, i.total_incl_tax * i.eur_rate * (-1 if i.kind is DocumentKind.CREDIT_NOTE else 1))
        for i in docs
    ]
    return ForecastInputs(
        position=position,
        receivables=tuple(receivables),
        payables=payables,
        recurring=_with_other_spending(detect_recurring(txs, today=day), txs, day),
        vat=tuple(vat_due),
        delays=estimate_delay_model(delay_records),
        new_business=estimate_run_rate(sale_amounts, lag_records, today=day, vat_share=vat_share),
        customer_history={c: tuple(v) for c, v in customer_history.items()},
    )


def _with_other_spending(
    flows: list[RecurringFlow], txs: Sequence[BankTransaction], day: date, weeks: int = 13
) -> tuple[RecurringFlow, ...]:
    """Add the weekly average of recent debits that belong to no recurring flow (card purchases…)."""
    labels = {f.label for f in flows}
    start = day - timedelta(weeks=weeks)
    weekly = [ZERO] * weeks
    for t in txs:
        if start < t.booking_date <= day and t.amount < 0 and normalize_label(t) not in labels:
            weekly[min(weeks - 1, (t.booking_date - start).days // 7)] += t.amount
    history_too_short = not txs or min(t.booking_date for t in txs) > start
    if history_too_short or not any(weekly):
        return tuple(flows)
    mean = sum(weekly, ZERO) / weeks
    spread = Decimal(f"{statistics.pstdev(float(w) for w in weekly):.2f}")
    other = replace(
        user_flow("Autres dépenses (moyenne)", round_money(mean), Period.WEEKLY, day + timedelta(days=1)),
        spread=spread,
        category="other",
    )
    return (*flows, other)


def _vat(
    docs: Sequence[Invoice],
    purchases: Sequence[SupplierInvoiceLike],
    day: date,
    filing: VatFiling,
    due_day: int,
) -> tuple[list[tuple[date, Decimal]], Decimal]:
    """Known VAT payments after ``day`` and the net VAT per euro invoiced (for new business).

    For the period still running, deductible VAT is not known yet: the known output VAT is scaled
    by the recent ratio net/output instead of subtracting nothing.
    """
    current = period_end(day, filing)
    recent = day - timedelta(days=92)
    out_recent = in_recent = sales_recent = ZERO
    bases: list[VatBase] = []
    for inv in docs:
        sign = -1 if inv.kind is DocumentKind.CREDIT_NOTE else 1
        vat = compute_totals(inv).total_vat_eur * sign
        bases.append(VatBase(inv.issue_date, vat))
        if recent < inv.issue_date <= day:
            out_recent += vat
            sales_recent += inv.total_incl_tax * inv.eur_rate * sign
    for s in purchases:
        if s.issue_date <= day:
            bases.append(VatBase(s.issue_date, ZERO, s.total_vat))
            if recent < s.issue_date <= day:
                in_recent += s.total_vat
    ratio = (out_recent - in_recent) / out_recent if out_recent > 0 else Decimal(1)
    ratio = min(max(ratio, ZERO), Decimal(1))
    bases = [
        VatBase(b.day, b.output_vat * ratio, ZERO) if period_end(b.day, filing) == current else b
        for b in bases
        if b.output_vat or period_end(b.day, filing) != current
    ]
    payments = vat_payments(bases, filing=filing, after=day, until=day + timedelta(days=200), due_day=due_day)
    share = (out_recent - in_recent) / sales_recent if sales_recent > 0 else ZERO
    return payments, max(share, ZERO)
