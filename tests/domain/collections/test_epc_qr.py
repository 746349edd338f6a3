"""EPC069-12 QR payloads (CHECKLIST EPC-QR-PAYLOAD, EPC-QR-TECH)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encaisse.domain.errors import FormatError
from encaisse.formats import epc_qr

IBAN = "FR7630006000011234567890189"
BIC = "BNPAFRPPXXX"
REF = "RF18539007547034"

GOLDEN = (
    "BCD\n002\n1\nSCT\nBNPAFRPPXXX\nÉlec Durand SARL\nFR7630006000011234567890189\nEUR1234.50\n"
    "\nRF18539007547034\n\nFacture F2026-00042"
)


def make(**overrides: Any) -> str:
    fields: dict[str, Any] = {"name": "Élec Durand SARL", "iban": IBAN, "amount": Decimal("1234.5")}
    fields.update(overrides)
    return epc_qr.payload(**fields)


def test_golden_payload_with_every_field_kind() -> None:
    text = make(bic=BIC.lower(), reference="RF18 5390 0754 7034", info="Facture F2026-00042")
    assert text == GOLDEN
    assert epc_qr.validate(text) == []


def test_minimal_payload_has_no_trailing_separator() -> None:
    text = make(amount=None, iban="FR76 3000 6000 0112 3456 7890 189")
    assert text == "BCD\n002\n1\nSCT\n\nÉlec Durand SARL\nFR7630006000011234567890189"
    assert not text.endswith("\n")
    text = make(text="Facture F2026-00042 merci")
    assert text.split("\n")[9:] == ["", "Facture F2026-00042 merci"]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"iban": "FR7630006000011234567890188"}, "EPC-QR-IBAN"),
        ({"iban": ""}, "EPC-QR-IBAN"),
        ({"amount": Decimal("0")}, "EPC-QR-AMOUNT"),
        ({"amount": Decimal("-5.00")}, "EPC-QR-AMOUNT"),
        ({"amount": Decimal("0.001")}, "EPC-QR-AMOUNT"),
        ({"amount": Decimal("12.345")}, "EPC-QR-AMOUNT"),
        ({"amount": Decimal("1000000000.00")}, "EPC-QR-AMOUNT"),
        ({"name": ""}, "EPC-QR-NAME"),
        ({"name": "N" * 71}, "EPC-QR-NAME"),
        ({"reference": REF, "text": "Facture 42"}, "EPC-QR-REFERENCE"),
        ({"reference": "RF17539007547034"}, "EPC-QR-REFERENCE"),
        ({"reference": "F2026-00042"}, "EPC-QR-REFERENCE"),
        ({"text": "t" * 141}, "EPC-QR-REFERENCE"),
        ({"bic": "NOTABIC"}, "EPC-QR-BIC"),
        ({"version": "001"}, "EPC-QR-BIC"),
        ({"version": "003"}, "EPC-QR-VERSION"),
        ({"purpose": "GDSVX"}, "EPC-QR-PURPOSE"),
        ({"info": "i" * 71}, "EPC-QR-INFO"),
        ({"name": "é" * 70, "text": "ü" * 140, "info": "x" * 70}, "EPC-QR-TOO-LONG"),
    ],
)
def test_each_rule_violation_raises_its_code(overrides: dict[str, Any], code: str) -> None:
    with pytest.raises(FormatError) as error:
        make(**overrides)
    assert error.value.code == code
    assert code in {p.code for p in error.value.problems}


@pytest.mark.parametrize(
    ("amount", "line"),
    [
        (Decimal("0.01"), "EUR0.01"),
        (Decimal("999999999.99"), "EUR999999999.99"),
        (Decimal("12.3"), "EUR12.30"),
        (Decimal("12.300"), "EUR12.30"),
        (Decimal("7"), "EUR7.00"),
    ],
)
def test_amount_bounds_and_format(amount: Decimal, line: str) -> None:
    text = make(amount=amount)
    assert text.split("\n")[7] == line
    assert epc_qr.parse(text)["amount"] == amount


def test_version_001_with_bic_is_accepted() -> None:
    text = make(version="001", bic=BIC)
    assert text.split("\n")[1] == "001"
    assert epc_qr.validate(text) == []


def test_largest_payload_fits_331_bytes_qr_version_13_level_m() -> None:
    # Every optional field filled, multi-byte characters: exactly at the 331-byte limit.
    base = make(bic=BIC, name="é" * 35, amount=Decimal("999999999.99"), purpose="GDDS", info="i" * 70)
    room = epc_qr.MAX_BYTES - len(base.encode())  # the text line is already there, empty
    text = make(
        bic=BIC, name="é" * 35, amount=Decimal("999999999.99"), purpose="GDDS", info="i" * 70, text="t" * room
    )
    assert len(text.encode("utf-8")) == 331
    assert epc_qr.validate(text) == []
    qr = epc_qr.make_qr(text)
    assert qr.version == 13  # segno picked the largest version allowed
    assert qr.error == "M"
    with pytest.raises(FormatError) as error:
        make(
            bic=BIC,
            name="é" * 35,
            amount=Decimal("999999999.99"),
            purpose="GDDS",
            info="i" * 70,
            text="t" * (room + 1),
        )
    assert error.value.code == "EPC-QR-TOO-LONG"


def test_qr_of_a_usual_payload_is_small_and_level_m() -> None:
    qr = epc_qr.make_qr(GOLDEN)
    assert qr.version <= 13
    assert qr.error == "M"
    image = epc_qr.png(GOLDEN, scale=3, border=4)
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(image[16:20], "big"), int.from_bytes(image[20:24], "big")
    assert (width, height) == qr.symbol_size(scale=3, border=4) == ((17 + 4 * qr.version + 8) * 3,) * 2
    svg = epc_qr.svg(GOLDEN)
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")


def test_qr_refuses_a_payload_beyond_version_13() -> None:
    with pytest.raises(FormatError) as error:
        epc_qr.make_qr(GOLDEN + "x" * 300)
    assert error.value.code == "EPC-QR-TOO-LONG"


def test_validate_reports_every_problem_of_a_foreign_payload() -> None:
    bad = "BCD\n003\n9\nSCT\nXX\n\nFR7630006000011234567890188\nEUR0.00\nTOOLONG\nRF00\nboth\n"
    codes = [p.code for p in epc_qr.validate(bad.encode())]
    assert codes == [
        "EPC-QR-STRUCTURE",  # trailing separator
        "EPC-QR-VERSION",
        "EPC-QR-STRUCTURE",  # character set 9
        "EPC-QR-BIC",
        "EPC-QR-NAME",
        "EPC-QR-IBAN",
        "EPC-QR-AMOUNT",
        "EPC-QR-PURPOSE",
        "EPC-QR-REFERENCE",  # both kinds of remittance
        "EPC-QR-REFERENCE",  # invalid RF
    ]
    short = [p.code for p in epc_qr.validate("BCD\n002\n1")]
    assert short == ["EPC-QR-STRUCTURE", "EPC-QR-STRUCTURE", "EPC-QR-NAME", "EPC-QR-IBAN"]


def test_crlf_payload_parses_and_detects() -> None:
    crlf = GOLDEN.replace("\n", "\r\n").encode()
    assert epc_qr.detect(crlf)
    assert epc_qr.validate(crlf) == []
    fields = epc_qr.parse(crlf)
    assert fields["reference"] == REF
    assert fields["info"] == "Facture F2026-00042"
    assert fields["name"] == "Élec Durand SARL"
    assert not epc_qr.detect(b"<?xml version='1.0'?>")
    with pytest.raises(FormatError) as error:
        epc_qr.parse("hello")
    assert error.value.code == "EPC-QR-STRUCTURE"


names = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "Zs")), min_size=1, max_size=70)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999.99"), places=2)


@given(name=names, amount=st.one_of(st.none(), amounts), remittance=st.sampled_from(["", "ref", "text"]))
def test_any_valid_input_round_trips(name: str, amount: Decimal | None, remittance: str) -> None:
    name = name.strip() or "X"
    extra = (
        {"reference": REF} if remittance == "ref" else {"text": "Facture 1"} if remittance == "text" else {}
    )
    text = epc_qr.payload(name=name, iban=IBAN, amount=amount, **extra)
    assert epc_qr.validate(text) == []
    parsed = epc_qr.parse(text)
    assert parsed["name"] == name
    assert parsed["amount"] == amount
    assert len(text.encode()) <= 331
