"""Alerts on a forecast: a shortfall to close, or a surplus that could be placed (SCENARIOS.md §5).

- Shortfall: the first week whose expected balance falls below the threshold; the alert lists the
  open invoices whose early collection would close the gap — those not expected before that week,
  biggest and most overdue first — until their total covers it (candidates for Dailly/factoring).
- Surplus: the balance stays above the threshold for at least ``min_weeks`` weeks in a row; the
  amount that can be placed without risk is the lowest *low* balance of that stretch minus the
  threshold and a safety buffer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from encaisse.domain.forecast.delays import DelayItem, DelayModel, expected_collection_date
from encaisse.domain.forecast.engine import Forecast
from encaisse.domain.forecast.items import Receivable
from encaisse.domain.money import ZERO, round_money


@dataclass(frozen=True)
class ShortfallAlert:
    week_start: date
    expected_balance: Decimal
    gap: Decimal  # threshold − expected balance
    invoices: tuple[str, ...]  # keys of the receivables to collect early
    covered: Decimal  # their total


@dataclass(frozen=True)
class SurplusAlert:
    start: date
    weeks: int
    suggested: Decimal  # amount that can be placed for the stretch


def shortfall(
    fc: Forecast,
    receivables: Sequence[Receivable],
    delays: DelayModel,
    *,
    today: date,
    threshold: Decimal = ZERO,
) -> ShortfallAlert | None:
    """The first week below ``threshold`` and the invoices that would close the gap."""
    week = next((w for w in fc.weeks if w.expected < threshold), None)
    if week is None:
        return None
    gap = threshold - week.expected
    week_end = week.start + timedelta(days=6)

    def late_enough(r: Receivable) -> bool:
        expected = expected_collection_date(
            DelayItem(r.key, r.customer, r.due_date), delays.for_customer(r.customer), today
        )
        return expected is None or expected > week_end

    candidates = sorted(
        (r for r in receivables if r.amount > 0 and late_enough(r)),
        key=lambda r: (-r.amount, r.due_date, r.key),
    )
    chosen: list[str] = []
    covered = ZERO
    for r in candidates:
        if covered >= gap:
            break
        chosen.append(r.key)
        covered += r.amount
    return ShortfallAlert(week.start, week.expected, round_money(gap), tuple(chosen), round_money(covered))


def surplus(
    fc: Forecast, *, threshold: Decimal, min_weeks: int = 8, buffer: Decimal = ZERO
) -> SurplusAlert | None:
    """The first stretch of ``min_weeks``+ weeks with a low balance above ``threshold``."""
    run: list[int] = []
    best: list[int] = []
    for i, w in enumerate(fc.weeks):
        if w.low > threshold:
            run.append(i)
            if len(run) >= min_weeks and len(run) > len(best):
                best = list(run)
        else:
            if len(best) >= min_weeks:
                break
            run = []
    if len(best) < min_weeks:
        return None
    lowest = min(fc.weeks[i].low for i in best)
    amount = round_money(max(ZERO, lowest - threshold - buffer))
    if amount <= 0:
        return None
    return SurplusAlert(fc.weeks[best[0]].start, len(best), amount)
