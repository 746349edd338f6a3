"""What-if scenarios: edits applied to the forecast inputs, never mutating them, then compared.

- ``customer_pays_late``: a customer's open invoices are due N days later.
- ``new_hire``: a monthly salary from a date, plus employer charges (~45 %) paid on the 15th.
- ``one_off_purchase``: a payment on a day.
- ``dailly``: selected invoices assigned to the bank (CMF L313-23, DAILLY-*): cash now minus the
  fee and the interest to their due date; the invoices leave the receivables.

>>> from datetime import date
>>> from decimal import Decimal
>>> from encaisse.domain.forecast.position import CashPosition
>>> base = ForecastInputs(CashPosition(date(2026, 3, 2), total=Decimal("1000")))
>>> later = one_off_purchase(base, date(2026, 3, 10), Decimal("400"), "Fourgon")
>>> [str(r.delta) for r in compare(run(base, today=date(2026, 3, 2), weeks=2),
...                                run(later, today=date(2026, 3, 2), weeks=2))]
['0.00', '-400.00']
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from encaisse.domain.forecast.engine import Forecast
from encaisse.domain.forecast.items import CashFlow
from encaisse.domain.forecast.recurrence import Period, user_flow
from encaisse.domain.forecast.snapshot import ForecastInputs, run
from encaisse.domain.money import ZERO, round_money

__all__ = ["ForecastInputs", "compare", "customer_pays_late", "dailly", "new_hire", "one_off_purchase", "run"]

EMPLOYER_CHARGES = Decimal("0.45")


@dataclass(frozen=True)
class Difference:
    start: date
    base: Decimal
    scenario: Decimal
    delta: Decimal


def customer_pays_late(inputs: ForecastInputs, customer: str, days: int) -> ForecastInputs:
    shifted = tuple(
        replace(r, due_date=r.due_date + timedelta(days=days)) if r.customer == customer else r
        for r in inputs.receivables
    )
    return replace(inputs, receivables=shifted)


def new_hire(
    inputs: ForecastInputs, start: date, monthly_salary: Decimal, *, charges: Decimal = EMPLOYER_CHARGES
) -> ForecastInputs:
    """Net salary paid at month end from ``start``; charges paid on the 15th of the next month."""
    first_pay = date(start.year + (start.month == 12), start.month % 12 + 1, 1) - timedelta(days=1)
    salary = user_flow(
        "Nouvelle embauche — salaire", -monthly_salary, Period.MONTHLY, first_pay, category="salary"
    )
    charges_day = first_pay + timedelta(days=15)
    social = user_flow(
        "Nouvelle embauche — charges",
        -round_money(monthly_salary * charges),
        Period.MONTHLY,
        charges_day,
        category="social",
    )
    return replace(inputs, recurring=(*inputs.recurring, salary, social))


def one_off_purchase(inputs: ForecastInputs, day: date, amount: Decimal, label: str = "") -> ForecastInputs:
    return replace(inputs, one_offs=(*inputs.one_offs, CashFlow(day, -amount, label)))


def dailly(
    inputs: ForecastInputs,
    invoice_keys: set[str],
    day: date,
    *,
    fee_rate: Decimal = Decimal("0.005"),
    annual_rate: Decimal = Decimal("0.055"),
) -> ForecastInputs:
    """Assign invoices by Dailly on ``day``: cash = amount − fee − interest to the due date (act/360)."""
    assigned = [r for r in inputs.receivables if r.key in invoice_keys]
    cash = ZERO
    for r in assigned:
        days = max(0, (r.due_date - day).days)
        cash += r.amount - r.amount * fee_rate - r.amount * annual_rate * days / 360
    kept = tuple(r for r in inputs.receivables if r.key not in invoice_keys)
    flow = CashFlow(day, round_money(cash), "Cession Dailly")
    return replace(inputs, receivables=kept, one_offs=(*inputs.one_offs, flow))


def compare(base: Forecast, scenario: Forecast) -> list[Difference]:
    """Week-by-week expected balances of both forecasts and their difference."""
    return [
        Difference(b.start, b.expected, s.expected, s.expected - b.expected)
        for b, s in zip(base.weeks, scenario.weeks, strict=True)
    ]
