"""French business days: Monday to Friday, except public holidays (``holidays.France``).

Used to move a dunning step that falls on a weekend or a public holiday to the next business day
(CHECKLIST DUN-RELANCE-PRACTICE: reminders go out when the customer's accounts office works).
``subdiv`` selects a regional calendar of ``holidays.France`` (``"57"`` Moselle, ``"6AE"`` Alsace: Good
Friday and 26 December). Holiday names are not needed here, so no ``language`` is passed.

>>> is_business_day(date(2026, 12, 25))
False
>>> next_business_day(date(2026, 12, 25))
datetime.date(2026, 12, 28)
>>> add_business_days(date(2026, 12, 24), 1)
datetime.date(2026, 12, 28)
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

_DAY = timedelta(days=1)


@lru_cache(maxsize=256)
def public_holidays(year: int, subdiv: str | None = None) -> frozenset[date]:
    """French public holidays of one year (metropolitan calendar unless ``subdiv`` is given)."""
    return frozenset(holidays.country_holidays("FR", years=year, subdiv=subdiv).keys())


@lru_cache(maxsize=65536)
def is_business_day(day: date, subdiv: str | None = None) -> bool:
    """True from Monday to Friday when ``day`` is not a French public holiday."""
    return day.weekday() < 5 and day not in public_holidays(day.year, subdiv)


def next_business_day(day: date, *, strict: bool = False, subdiv: str | None = None) -> date:
    """The first business day on or after ``day`` (strictly after it when ``strict``).

    >>> next_business_day(date(2026, 5, 1))  # Friday 1 May, Labour Day
    datetime.date(2026, 5, 4)
    >>> next_business_day(date(2026, 5, 4), strict=True)
    datetime.date(2026, 5, 5)
    """
    current = day + _DAY if strict else day
    while not is_business_day(current, subdiv):
        current += _DAY
    return current


def add_business_days(day: date, count: int, *, subdiv: str | None = None) -> date:
    """``day`` moved by ``count`` business days (backwards when negative; ``0`` rolls forward).

    >>> add_business_days(date(2026, 1, 2), -1)  # Friday → Wednesday 31 December (1 January off)
    datetime.date(2025, 12, 31)
    """
    if count == 0:
        return next_business_day(day, subdiv=subdiv)
    step = _DAY if count > 0 else -_DAY
    current = day
    remaining = abs(count)
    while remaining:
        current += step
        if is_business_day(current, subdiv):
            remaining -= 1
    return current


def business_days_between(start: date, end: date, *, subdiv: str | None = None) -> int:
    """Business days in ``(start, end]`` (0 when ``end <= start``).

    >>> business_days_between(date(2026, 12, 24), date(2026, 12, 31))
    4
    """
    count = 0
    current = start
    while current < end:
        current += _DAY
        if is_business_day(current, subdiv):
            count += 1
    return count
