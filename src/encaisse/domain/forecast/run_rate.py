"""New business not yet invoiced: the sales run-rate and how fast invoices turn into cash.

A 13-week forecast that only counts open invoices forgets that the company keeps invoicing:
future weeks bring new invoices whose collections (and VAT) fall inside the horizon. The run-rate
is the list of recent weekly invoiced amounts (resampled in the simulation) and the distribution
of the lag from invoice date to collection, estimated with censoring like payment delays.

>>> from datetime import date
>>> from decimal import Decimal
>>> rr = estimate_run_rate([(date(2026, 3, 2), Decimal("1000")), (date(2026, 3, 9), Decimal("3000"))],
...                        [], today=date(2026, 3, 16), weeks=2)
>>> [str(w) for w in rr.weekly_sales]
['1000.00', '3000.00']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from encaisse.domain.forecast.delays import DelayDistribution, PaymentRecord, default_prior, kaplan_meier
from encaisse.domain.money import ZERO, round_money


@dataclass(frozen=True)
class SalesRunRate:
    """Invoices of the recent past (replayed in blocks by the simulation) and the invoice-to-cash lag."""

    first_monday: date  # start of the history window
    weeks: int  # length of the window
    sales: tuple[tuple[date, Decimal], ...]  # (issue date, EUR incl. VAT) inside the window
    lag: DelayDistribution  # days from invoice date to collection
    vat_share: Decimal = ZERO  # net VAT payable per euro invoiced (debits), paid after the period

    @property
    def weekly_sales(self) -> tuple[Decimal, ...]:
        totals = [ZERO] * self.weeks
        for day, amount in self.sales:
            totals[(day - self.first_monday).days // 7] += amount
        return tuple(round_money(t) for t in totals)

    @property
    def weekly_mean(self) -> Decimal:
        if not self.weeks:
            return ZERO
        return round_money(sum(self.weekly_sales, ZERO) / self.weeks)


def estimate_run_rate(
    sales: Iterable[tuple[date, Decimal]],
    lags: Sequence[PaymentRecord],
    *,
    today: date,
    weeks: int = 26,
    vat_share: Decimal = ZERO,
) -> SalesRunRate:
    """Sales of the ``weeks`` full weeks before ``today``'s week, and the lag distribution.

    ``sales`` are ``(issue date, amount incl. VAT in EUR)`` (credit notes negative); ``lags`` are
    payment records whose ``delay`` is counted from the invoice date instead of the due date.
    """
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=weeks)
    window = tuple(sorted((d, a) for d, a in sales if first <= d < monday))
    lag = kaplan_meier(lags, bandwidth=3.0) if lags else default_prior()
    if lag.observations <= 0:
        lag = default_prior()
    return SalesRunRate(first, weeks, window, lag, vat_share)
