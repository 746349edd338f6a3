"""French business days (public holidays from the ``holidays`` package)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encaisse.domain.calendar_fr import (
    add_business_days,
    business_days_between,
    is_business_day,
    next_business_day,
    public_holidays,
)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 1),
        date(2026, 5, 8),
        date(2026, 5, 14),  # Ascension
        date(2026, 5, 25),  # Whit Monday
        date(2026, 7, 14),
        date(2026, 11, 11),
        date(2026, 12, 25),
        date(2027, 1, 1),
        date(2026, 12, 26),  # Saturday
        date(2026, 12, 27),  # Sunday
    ],
)
def test_days_off(day: date) -> None:
    assert not is_business_day(day)


def test_regional_calendar_adds_good_friday_and_26_december() -> None:
    assert is_business_day(date(2026, 4, 3))
    assert not is_business_day(date(2026, 4, 3), "57")
    assert public_holidays(2027, "6AE") - public_holidays(2027) == {date(2027, 3, 26), date(2027, 12, 26)}


def test_next_business_day() -> None:
    assert next_business_day(date(2026, 12, 25)) == date(2026, 12, 28)
    assert next_business_day(date(2026, 12, 28)) == date(2026, 12, 28)
    assert next_business_day(date(2026, 12, 28), strict=True) == date(2026, 12, 29)
    assert next_business_day(date(2026, 12, 31), strict=True) == date(2027, 1, 4)


def test_add_business_days_skips_weekends_and_holidays() -> None:
    assert add_business_days(date(2026, 12, 23), 2) == date(2026, 12, 28)
    assert add_business_days(date(2026, 12, 28), -2) == date(2026, 12, 23)
    assert add_business_days(date(2026, 12, 26), 0) == date(2026, 12, 28)
    assert business_days_between(date(2026, 12, 23), date(2027, 1, 4)) == 6


days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


@given(day=days, count=st.integers(min_value=-30, max_value=30))
def test_add_business_days_lands_on_a_business_day_and_counts_them(day: date, count: int) -> None:
    moved = add_business_days(day, count)
    assert is_business_day(moved)
    if count > 0:
        assert business_days_between(day, moved) == count
    elif count < 0:  # the landing days [moved, day) hold exactly -count business days
        one = timedelta(days=1)
        assert business_days_between(moved - one, day - one) == -count


@given(day=days)
def test_next_business_day_is_the_first_one(day: date) -> None:
    found = next_business_day(day)
    assert is_business_day(found)
    assert found - day < timedelta(days=5)
    assert all(not is_business_day(day + timedelta(days=i)) for i in range((found - day).days))
