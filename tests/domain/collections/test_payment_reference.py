"""ISO 11649 RF creditor references (CHECKLIST EPC-QR-PAYLOAD: structured reference)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encaisse.domain.errors import FormatError
from encaisse.domain.payment_reference import (
    extract_rf,
    format_rf,
    is_valid_rf,
    rf_body,
    rf_check_digits,
    rf_reference,
)


@pytest.mark.parametrize(
    "ref",
    ["RF18539007547034", "RF712348231", "RF18 5390 0754 7034", "rf18539007547034", "RF45G72UUR"],
)
def test_known_valid_references(ref: str) -> None:
    assert is_valid_rf(ref)


@pytest.mark.parametrize(
    "ref",
    [
        "RF17539007547034",  # wrong check digits
        "RF18",  # no body
        "RF185390075470341234567890",  # body of 22 characters
        "XX18539007547034",
        "RFAB539007547034",
        "RF18_5390",
        "",
    ],
)
def test_invalid_references(ref: str) -> None:
    assert not is_valid_rf(ref)


def test_check_digits_of_the_standard_example() -> None:
    assert rf_check_digits("539007547034") == "18"
    assert rf_check_digits("2348231") == "71"


def test_reference_from_invoice_number() -> None:
    assert rf_reference("F2026-00042") == "RF93F202600042"
    assert rf_reference("2026-000123", prefix="AC") == "RF61AC2026000123"
    assert rf_reference("fa/é-12") == rf_reference("FAE12")


def test_reference_errors_have_codes() -> None:
    with pytest.raises(FormatError) as empty:
        rf_reference("--/--")
    assert empty.value.code == "RF-EMPTY"
    with pytest.raises(FormatError) as long:
        rf_reference("F2026-000000000000000001")  # 22 characters once compacted
    assert long.value.code == "RF-TOO-LONG"
    assert len(rf_reference("F2026-0000000000000001")) == 25  # 21: the longest body


def test_format_groups_of_four() -> None:
    assert format_rf("RF18539007547034") == "RF18 5390 0754 7034"
    assert format_rf("rf71 2348231") == "RF71 2348 231"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("VIR SEPA DURAND /RF18 5390 0754 7034/ MERCI", ["RF18539007547034"]),
        ("RF18 5390 0754 7034 facture de novembre", ["RF18539007547034"]),
        ("ref:rf712348231,ok", ["RF712348231"]),
        ("RF 71 2348 231", ["RF712348231"]),
        ("RF18-5390-0754-7034", ["RF18539007547034"]),
        ("SURF 12 RF18 5390 0754 7034", ["RF18539007547034"]),
        ("RF712348231 et RF18539007547034 et RF712348231", ["RF712348231", "RF18539007547034"]),
        ("RF17 5390 0754 7034", []),  # bad check digits
        ("REFERENCE RFB FACTURE 12", []),
        ("", []),
    ],
)
def test_extract_from_noisy_remittance(text: str, expected: list[str]) -> None:
    assert extract_rf(text) == expected


invoice_numbers = st.from_regex(r"[A-Za-z]{0,3}[-/ ]?20[0-9]{2}[-/]?[0-9]{1,8}", fullmatch=True)
noise = st.text(alphabet="abcdefghij /:;,.", max_size=20)


@given(number=invoice_numbers, before=noise, after=noise)
def test_round_trip_invoice_number_to_reference_and_back(number: str, before: str, after: str) -> None:
    ref = rf_reference(number)
    assert is_valid_rf(ref)
    assert ref[4:] == rf_body(number)
    assert ref == rf_reference(ref[4:])  # the body alone gives the same reference
    printed = format_rf(ref)
    assert is_valid_rf(printed)
    # Found back in remittance text, printed in groups or compact, among noise.
    assert extract_rf(f"{before}: {printed}; {after}") == [ref]
    assert ref in extract_rf(f"{before}/{ref}/{after}")
