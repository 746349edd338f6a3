"""French display formatting (babel fr_FR; U+202F thousands separator, decimal comma)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encaisse.adapters.pdf.fr_format import (
    fr_amount,
    fr_date,
    fr_iban,
    fr_percent,
    fr_quantity,
    fr_siren,
    fr_unit,
    fr_unit_price,
)
from encaisse.domain.money import parse_amount, round_money


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("1234.56", "EUR", "1\u202f234,56\u00a0€"),
        ("0.005", "EUR", "0,01\u00a0€"),  # half-up, not babel's half-even
        ("0.125", "EUR", "0,13\u00a0€"),
        ("-1234567.8", "EUR", "-1\u202f234\u202f567,80\u00a0€"),
        ("99.9", "USD", "99,90\u00a0$US"),
        ("15", "CHF", "15,00\u00a0CHF"),
    ],
)
def test_fr_amount(value: str, currency: str, expected: str) -> None:
    assert fr_amount(Decimal(value), currency) == expected


def test_whole_amounts_without_cents() -> None:
    assert fr_amount(Decimal("10000"), cents=False) == "10\u202f000\u00a0€"
    assert fr_amount(Decimal("10000.5"), cents=False) == "10\u202f000,50\u00a0€"


@given(st.decimals(min_value=Decimal(-(10**9)), max_value=Decimal(10**9), places=3, allow_nan=False))
def test_fr_amount_reads_back_as_the_rounded_amount(value: Decimal) -> None:
    assert parse_amount(fr_amount(value)) == round_money(value)


def test_other_formats() -> None:
    assert fr_date(date(2026, 1, 4)) == "04/01/2026"
    assert fr_percent(Decimal("20.00")) == "20\u00a0%"
    assert fr_percent(Decimal("5.5")) == "5,5\u00a0%"
    assert fr_quantity(Decimal("2.50")) == "2,5"
    assert fr_quantity(Decimal("1500")) == "1\u202f500"
    assert fr_unit_price(Decimal("12.3")) == "12,30\u00a0€"
    assert fr_unit_price(Decimal("0.123456")) == "0,1235\u00a0€"
    assert fr_unit("HUR") == "h"
    assert fr_unit("XYZ") == "XYZ"
    assert fr_siren("732829320") == "732 829 320"
    assert fr_iban("fr7630006000011234567890189") == "FR76 3000 6000 0112 3456 7890 189"
