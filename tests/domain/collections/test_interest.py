"""Late-payment interest by half-year (CHECKLIST PAY-PENALTY-DEFAULT, PAY-PENALTY-FLOOR, PAY-B2C)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encaisse.domain.errors import EncaisseError
from encaisse.domain.interest import (
    applicable_rate,
    consumer_interest,
    half_years,
    late_interest,
)
from encaisse.domain.terms import late_penalty


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 6, 30), Decimal("14.50")),  # ECB 4.50 on 1 January 2024
        (date(2024, 7, 1), Decimal("14.25")),  # ECB 4.25 on 1 July 2024
        (date(2025, 1, 1), Decimal("13.15")),
        (date(2025, 12, 31), Decimal("12.15")),
        (date(2026, 2, 10), Decimal("12.15")),
    ],
)
def test_default_rate_is_ecb_of_the_half_year_plus_ten_points(day: date, expected: Decimal) -> None:
    assert applicable_rate(day, None) == expected


def test_contractual_rate_never_below_three_times_the_legal_rate() -> None:
    assert applicable_rate(date(2024, 3, 1), Decimal("10.00")) == Decimal("15.21")  # 3 × 5.07
    assert applicable_rate(date(2026, 3, 1), Decimal("10.00")) == Decimal("10.00")  # above 3 × 2.62
    assert applicable_rate(date(2026, 3, 1), Decimal("0")) == Decimal("7.86")


def test_late_interest_is_split_at_each_half_year() -> None:
    breakdown = late_interest(Decimal("10000.00"), date(2024, 5, 31), date(2025, 2, 14))
    rows = [(p.start, p.end, p.days, p.rate, p.amount) for p in breakdown.periods]
    assert rows == [
        (date(2024, 6, 1), date(2024, 6, 30), 30, Decimal("14.50"), Decimal("119.18")),
        (date(2024, 7, 1), date(2024, 12, 31), 184, Decimal("14.25"), Decimal("718.36")),
        (date(2025, 1, 1), date(2025, 2, 14), 45, Decimal("13.15"), Decimal("162.12")),
    ]
    assert breakdown.total == Decimal("999.66")
    assert breakdown.basis == "penalty"
    assert breakdown.confirmed


def test_nothing_before_the_day_after_the_due_date() -> None:
    assert late_interest(Decimal("500.00"), date(2026, 3, 1), date(2026, 3, 1)).total == Decimal("0.00")
    assert late_interest(Decimal("500.00"), date(2026, 3, 1), date(2026, 2, 1)).periods == ()
    one_day = late_interest(Decimal("500.00"), date(2026, 3, 1), date(2026, 3, 2))
    assert [(p.start, p.days) for p in one_day.periods] == [(date(2026, 3, 2), 1)]
    assert late_interest(Decimal("0.00"), date(2026, 3, 1), date(2026, 9, 2)).total == Decimal("0.00")


def test_carried_forward_rates_are_flagged() -> None:
    assert not late_interest(Decimal("100.00"), date(2026, 6, 1), date(2026, 8, 1)).confirmed


def test_consumer_variant_runs_at_the_legal_rate_from_the_formal_notice() -> None:
    breakdown = consumer_interest(Decimal("2000.00"), date(2025, 6, 15), date(2025, 7, 14))
    rows = [(p.start, p.days, p.rate, p.amount) for p in breakdown.periods]
    assert rows == [
        (date(2025, 6, 16), 15, Decimal("3.71"), Decimal("3.05")),
        (date(2025, 7, 1), 14, Decimal("2.76"), Decimal("2.12")),
    ]
    assert breakdown.total == Decimal("5.17")
    assert breakdown.basis == "legal"


def test_known_reference_rates_are_needed() -> None:
    with pytest.raises(EncaisseError) as error:
        late_interest(Decimal("100.00"), date(2019, 1, 1), date(2019, 3, 1))
    assert error.value.code == "TERMS-RATE-UNKNOWN"


days = st.dates(min_value=date(2022, 1, 1), max_value=date(2026, 12, 31))


@given(
    start=days,
    length=st.integers(min_value=0, max_value=900),
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2),
)
def test_periods_tile_the_late_days_and_match_the_single_rate_penalty(
    start: date, length: int, amount: Decimal
) -> None:
    until = start + timedelta(days=length)
    breakdown = late_interest(amount, start, until, Decimal("16.00"))
    assert sum(p.days for p in breakdown.periods) == length
    assert all(p.start.month in (1, 7) and p.start.day == 1 for p in breakdown.periods[1:])
    assert [(a, b) for a, b in half_years(start + timedelta(days=1), until)] == [
        (p.start, p.end) for p in breakdown.periods
    ]
    assert breakdown.total == sum((p.amount for p in breakdown.periods), Decimal("0.00"))
    # 16 % is above every floor of 2022-2026 (at most 3 × 5.07): one cent of rounding per period.
    single = late_penalty(amount, Decimal("16.00"), start, until)
    assert abs(breakdown.total - single) <= Decimal("0.01") * len(breakdown.periods)
