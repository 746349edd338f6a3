"""The 13-week cash forecast: week-by-week (and day-by-day for 30 days) balances with a range.

Closing balance = today's position + known flows (payables, recurring flows, VAT) + uncertain
flows simulated by Monte Carlo: open receivables collected after delays drawn from each
customer's distribution (conditioned on "not paid yet"), expected quotes, and new business at the
recent run-rate. ``expected`` is the median path value, ``low``/``high`` the 10th/90th percentiles.
Amounts are computed in floats inside the simulation and rounded once at the end (round_money).

>>> from datetime import date
>>> from decimal import Decimal
>>> pos = CashPosition(date(2026, 3, 4), total=Decimal("1000"))
>>> fc = forecast(pos, [], [], [], [], [], today=date(2026, 3, 4), weeks=2)
>>> [(str(w.start), str(w.expected)) for w in fc.weeks]
[('2026-03-02', '1000.00'), ('2026-03-09', '1000.00')]
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from encaisse.domain.forecast.delays import DelayModel, default_prior
from encaisse.domain.forecast.items import CashFlow, ExpectedQuote, Payable, Receivable
from encaisse.domain.forecast.position import CashPosition
from encaisse.domain.forecast.recurrence import RecurringFlow
from encaisse.domain.forecast.run_rate import SalesRunRate
from encaisse.domain.forecast.simulate import (
    FloatArray,
    sampling_tables,
    simulate_collections,
    simulate_replayed_sales,
)
from encaisse.domain.forecast.vat_calendar import due_date, period_end
from encaisse.domain.money import format_amount, round_money
from encaisse.domain.parties import VatFiling

MIN_CONFIDENCE = 0.4  # detected recurring flows below this are left out (confirmed ones always count)


@dataclass(frozen=True)
class ForecastRow:
    start: date  # Monday of the week (weekly rows) or the day itself (daily rows)
    expected: Decimal  # projected closing balance (median)
    low: Decimal  # 10th percentile
    high: Decimal  # 90th percentile


@dataclass(frozen=True)
class Forecast:
    as_of: date
    opening: Decimal
    weeks: tuple[ForecastRow, ...]
    days: tuple[ForecastRow, ...]
    currency: str = "EUR"
    simulations: int = 0


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.upper()).encode("ascii", "ignore").decode()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


def _replaced_by_payable(flow: RecurringFlow, day: date, payables: Sequence[Payable]) -> bool:
    """A projected supplier flow gives way to a known bill of the same supplier near that date."""
    name = _norm(flow.counterparty or flow.label)
    if not name:
        return False
    half = flow.period.days // 2
    return any(
        abs((p.due_date - day).days) <= half
        and (_norm(p.counterparty) in name or name in _norm(p.counterparty))
        for p in payables
        if p.counterparty
    )


def forecast(
    position: CashPosition,
    open_receivables: Sequence[Receivable],
    open_payables: Sequence[Payable],
    quotes_expected: Sequence[ExpectedQuote],
    recurring: Sequence[RecurringFlow],
    vat: Sequence[tuple[date, Decimal]] | None,
    *,
    today: date,
    weeks: int = 13,
    simulations: int = 500,
    seed: int = 0,
    delays: DelayModel | None = None,
    new_business: SalesRunRate | None = None,
    one_offs: Sequence[CashFlow] = (),
    correlation: float = 0.5,
    vat_filing: VatFiling = VatFiling.MONTHLY,
    vat_due_day: int = 20,
) -> Forecast:
    """Weekly closing balances for ``weeks`` weeks from the Monday of ``today``'s week.

    ``vat`` lists the VAT payments already known (see vat_calendar.vat_payments); when given,
    detected recurring flows of category "vat" are dropped in its favour. ``new_business`` adds
    the collections (and, with ``vat_share``, the VAT) of invoices not issued yet.
    """
    rng = np.random.default_rng(seed)
    sims = max(1, simulations)
    monday = today - timedelta(days=today.weekday())
    end = monday + timedelta(days=7 * max(1, weeks) - 1)
    horizon = max((end - today).days, 30)
    model = delays or DelayModel(prior=default_prior())

    det = np.zeros(horizon + 1)

    def offset(day: date) -> int:
        return max(1, (day - today).days)

    for p in open_payables:
        t = offset(p.due_date)
        if t <= horizon:
            det[t] -= float(p.amount)
    for cf in one_offs:
        t = offset(cf.day)
        if t <= horizon:
            det[t] += float(cf.amount)
    for day, amount in vat or ():
        t = (day - today).days
        if 1 <= t <= horizon:
            det[t] -= float(amount)
    noisy: list[tuple[int, float, float]] = []
    for flow in recurring:
        if vat is not None and flow.category == "vat" and not flow.confirmed:
            continue
        if not flow.confirmed and flow.confidence < MIN_CONFIDENCE:
            continue
        for day in flow.occurrences(today + timedelta(days=1), today + timedelta(days=horizon)):
            if not flow.confirmed and _replaced_by_payable(flow, day, open_payables):
                continue
            noisy.append(((day - today).days, float(flow.amount), float(flow.spread)))
    for t, value, _ in noisy:
        det[t] += value

    stoch = np.zeros((sims, horizon + 1))
    if noisy:
        spread = np.array([s for _, _, s in noisy])
        cells = np.array([t for t, _, _ in noisy])
        noise = rng.standard_normal((sims, len(noisy))) * spread
        for j, t in enumerate(cells):
            stoch[:, t] += noise[:, j]
    stoch += _simulate_items(open_receivables, quotes_expected, model, today, horizon, sims, rng, correlation)
    if new_business is not None and new_business.sales:
        stoch += _simulate_new_business(new_business, today, horizon, sims, rng, vat_filing, vat_due_day)

    opening = float(position.total)
    paths = opening + np.cumsum(det[None, :] + stoch, axis=1)
    paths[:, 0] = opening
    week_rows = tuple(
        _row(monday + timedelta(weeks=k), paths[:, (monday + timedelta(weeks=k, days=6) - today).days])
        for k in range(max(1, weeks))
    )
    day_rows = tuple(_row(today + timedelta(days=t), paths[:, t]) for t in range(1, 31))
    return Forecast(today, round_money(position.total), week_rows, day_rows, simulations=sims)


def _row(start: date, values: FloatArray) -> ForecastRow:
    low, mid, high = np.percentile(values, [10, 50, 90])
    return ForecastRow(start, _money(mid), _money(low), _money(high))


def _money(value: float) -> Decimal:
    return round_money(Decimal(f"{value:.6f}"))


def _simulate_items(
    receivables: Sequence[Receivable],
    quotes: Sequence[ExpectedQuote],
    model: DelayModel,
    today: date,
    horizon: int,
    sims: int,
    rng: np.random.Generator,
    correlation: float,
) -> FloatArray:
    customers: dict[str, int] = {}
    rows: list[tuple[int, int, int, float, float]] = []  # dist, lateness, due offset, amount, probability
    for r in receivables:
        k = customers.setdefault(r.customer, len(customers))
        rows.append((k, (today - r.due_date).days, (r.due_date - today).days, float(r.amount), 1.0))
    for q in quotes:
        k = customers.setdefault(q.customer, len(customers))
        due = max(q.invoice_date, today) + timedelta(days=q.terms_days)
        rows.append((k, (today - due).days, (due - today).days, float(q.amount), q.probability))
    if not rows:
        return np.zeros((sims, horizon + 1))
    tables = sampling_tables([model.for_customer(c) for c in customers])
    arr = np.array(rows, dtype=np.float64)
    prob = arr[:, 4] if (arr[:, 4] < 1).any() else None
    return simulate_collections(
        tables,
        arr[:, 0].astype(np.int64),
        arr[:, 1].astype(np.int64),
        arr[:, 2].astype(np.int64),
        arr[:, 3],
        horizon=horizon,
        simulations=sims,
        rng=rng,
        correlation=correlation,
        probability=prob,
    )


def _simulate_new_business(
    rate: SalesRunRate,
    today: date,
    horizon: int,
    sims: int,
    rng: np.random.Generator,
    filing: VatFiling,
    due_day: int,
) -> FloatArray:
    """Collections (minus VAT on debits) of invoices issued from tomorrow, replaying recent weeks."""
    days = np.array([(d - rate.first_monday).days for d, _ in rate.sales], dtype=np.int64)
    amounts = np.array([float(a) for _, a in rate.sales])
    issued, flows = simulate_replayed_sales(
        sampling_tables([rate.lag]),
        days,
        amounts,
        window_days=7 * rate.weeks,
        shift=today.weekday(),
        horizon=horizon,
        simulations=sims,
        rng=rng,
    )
    if rate.vat_share > 0:
        pay_at = np.zeros((horizon + 1, horizon + 1))
        for t in range(1, horizon + 1):
            pay = (due_date(period_end(today + timedelta(days=t), filing), filing, due_day) - today).days
            if pay <= horizon:
                pay_at[t, pay] = 1.0
        flows = flows - float(rate.vat_share) * (issued @ pay_at)
    return flows


def forecast_to_json_dict(fc: Forecast) -> dict[str, Any]:
    """The CLI/API shape: ISO dates and amounts as strings with a dot decimal (DESIGN.md)."""
    return {
        "as_of": fc.as_of.isoformat(),
        "currency": fc.currency,
        "weeks": [
            {
                "start": w.start.isoformat(),
                "expected": format_amount(w.expected),
                "low": format_amount(w.low),
                "high": format_amount(w.high),
            }
            for w in fc.weeks
        ],
    }
