"""Late-payment interest, split by half-year because the reference rate changes each half-year.

Business customers (C. com. L441-10 II): penalties run from the day after the due date without any
reminder (PAY-PENALTY-AUTO), at the contractual rate, or ECB main refinancing rate + 10 points when
none is agreed (PAY-PENALTY-DEFAULT; rate of 1 January for the first half-year, of 1 July for the
second), and never below 3 × the legal interest rate (PAY-PENALTY-FLOOR).
Consumers (PAY-B2C): interest at the legal rate, from the formal notice (C. civ. 1231-6, 1344-1).
Simple interest, 365-day year; each period is rounded to the cent and the total is their sum, so
the printed breakdown adds up. Rates (per cent a year) come from :mod:`encaisse.domain.terms`.

>>> b = late_interest(Decimal("1000.00"), date(2025, 12, 1), date(2026, 1, 30))
>>> [(p.start.isoformat(), p.days, str(p.rate), str(p.amount)) for p in b.periods]
[('2025-12-02', 30, '12.15', '9.99'), ('2026-01-01', 30, '12.15', '9.99')]
>>> b.total
Decimal('19.98')
>>> applicable_rate(date(2026, 3, 1), Decimal("5.00"))  # below 3 × 2.62: the floor applies
Decimal('7.86')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from encaisse.domain.money import HUNDRED, ZERO, round_money
from encaisse.domain.terms import (
    default_penalty_rate,
    half_year_start,
    is_confirmed_rate,
    legal_rate_for,
    penalty_floor,
)

DAYS_IN_YEAR = Decimal(365)


@dataclass(frozen=True)
class InterestPeriod:
    """Interest of one half-year slice: ``start`` to ``end`` inclusive."""

    start: date
    end: date
    days: int
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InterestBreakdown:
    periods: tuple[InterestPeriod, ...]
    total: Decimal
    basis: str  # "penalty" (B2B, C. com. L441-10) | "legal" (consumer, C. civ. 1231-6)
    confirmed: bool = True  # False when a rate used is carried forward, not yet published


def half_year_end(day: date) -> date:
    """30 June or 31 December: the last day of ``day``'s half-year."""
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)


def applicable_rate(day: date, contractual: Decimal | None) -> Decimal:
    """Penalty rate (% a year) for a day: the contractual rate raised to 3 × the legal rate if lower
    (PAY-PENALTY-FLOOR), or ECB + 10 points without one (PAY-PENALTY-DEFAULT).

    >>> applicable_rate(date(2025, 3, 1), None), applicable_rate(date(2025, 9, 1), None)
    (Decimal('13.15'), Decimal('12.15'))
    >>> applicable_rate(date(2025, 9, 1), Decimal("15"))
    Decimal('15')
    """
    if contractual is None:
        return default_penalty_rate(day)
    return max(contractual, penalty_floor(day))


def half_years(first: date, last: date) -> list[tuple[date, date]]:
    """``[first, last]`` cut at each 1 January and 1 July (empty when ``last < first``).

    >>> [(a.isoformat(), b.isoformat()) for a, b in half_years(date(2026, 6, 20), date(2026, 7, 5))]
    [('2026-06-20', '2026-06-30'), ('2026-07-01', '2026-07-05')]
    """
    slices: list[tuple[date, date]] = []
    start = first
    while start <= last:
        end = min(half_year_end(start), last)
        slices.append((start, end))
        start = end + timedelta(days=1)
    return slices


def _breakdown(
    amount: Decimal, first: date, last: date, rate_for: Callable[[date], Decimal], basis: str
) -> InterestBreakdown:
    if amount <= 0:
        return InterestBreakdown((), ZERO, basis)
    periods = []
    for start, end in half_years(first, last):
        days = (end - start).days + 1
        rate = rate_for(start)
        periods.append(
            InterestPeriod(start, end, days, rate, round_money(amount * rate / HUNDRED * days / DAYS_IN_YEAR))
        )
    confirmed = all(is_confirmed_rate(p.start) for p in periods)
    return InterestBreakdown(tuple(periods), sum((p.amount for p in periods), ZERO), basis, confirmed)


def late_interest(
    amount: Decimal, due_date: date, until: date, contractual: Decimal | None = None
) -> InterestBreakdown:
    """B2B late-payment penalties on ``amount`` from the day after ``due_date`` to ``until``
    inclusive (the payment date, or today), split by half-year (C. com. L441-10 II)."""
    return _breakdown(
        amount,
        due_date + timedelta(days=1),
        until,
        lambda day: applicable_rate(half_year_start(day), contractual),
        "penalty",
    )


def consumer_interest(amount: Decimal, formal_notice_date: date, until: date) -> InterestBreakdown:
    """Consumer variant (PAY-B2C): legal-rate interest from the day after the formal notice
    (C. civ. 1231-6, 1344-1), at the "other cases" rate since the creditor is a professional.

    >>> consumer_interest(Decimal("1000.00"), date(2026, 2, 1), date(2026, 3, 3)).total
    Decimal('2.15')
    """
    return _breakdown(amount, formal_notice_date + timedelta(days=1), until, legal_rate_for, "legal")
