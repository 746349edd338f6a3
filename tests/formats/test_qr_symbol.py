"""``formats.qr_symbol`` gives, module for module, the QR Code segno gives (ISO/IEC 18004:2015 §7.8).

Only the choice of the data mask is computed differently (numpy arrays instead of segno's loops);
any slip in a penalty rule changes the mask of some symbols, which these comparisons catch: they
cover every version from 1 to 40, the four error-correction levels, EPC payloads of every length
an invoice can produce, and texts built to hit the N1–N3 corner cases (long runs, finder-like
patterns at the edges).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from segno import consts

from encaisse.formats import epc_qr
from encaisse.formats.qr_symbol import QrSymbol, encode


def segno_rows(text: str, error: str = "M") -> tuple[bytes, ...]:
    code = segno.make(text, error=error, boost_error=False, micro=False, mode="byte", encoding="utf-8")
    return tuple(bytes(row) for row in code.matrix)


def assert_same(text: str, error: str = "M") -> QrSymbol:
    code = segno.make(text, error=error, boost_error=False, micro=False, mode="byte", encoding="utf-8")
    symbol = encode(text, error=error)
    assert (symbol.version, symbol.mask) == (code.version, code.mask)
    assert symbol.rows == tuple(bytes(row) for row in code.matrix)
    return symbol


@settings(max_examples=300, deadline=None)
@given(text=st.text(min_size=1, max_size=330), error=st.sampled_from("LMQH"))
def test_any_short_text_gives_segnos_symbol(text: str, error: str) -> None:
    assert_same(text, error)


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(alphabet="01 \n", min_size=1, max_size=2900) | st.text(min_size=300, max_size=1200),
    error=st.sampled_from("LMQH"),
)
def test_long_and_repetitive_texts_give_segnos_symbol(text: str, error: str) -> None:
    try:
        segno_rows(text, error)
    except segno.DataOverflowError:
        with pytest.raises(segno.DataOverflowError):
            encode(text, error=error)
        return
    assert_same(text, error)


def test_every_version_from_1_to_40() -> None:
    for version in range(1, 41):
        bits = consts.SYMBOL_CAPACITY[version][consts.ERROR_LEVEL_L]
        count_bits = 8 if version < 10 else 16  # byte mode character count indicator
        length = (bits - 4 - count_bits) // 8  # the most bytes that fit: exactly this version
        text = "".join(chr(0x21 + (length * 7 + k * k) % 90) for k in range(length))
        assert assert_same(text, "L").version == version


@settings(max_examples=200, deadline=None)
@given(
    cents=st.integers(min_value=1, max_value=99_999_999_999),
    number=st.integers(min_value=1, max_value=99_999),
    with_bic=st.booleans(),
)
def test_epc_payloads_of_invoices(cents: int, number: int, with_bic: bool) -> None:
    payload = epc_qr.payload(
        name="Atelier Dupont SAS",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP" if with_bic else "",
        amount=Decimal(cents) / 100,
        text=f"Facture F2026-{number:05d}",
    )
    symbol = epc_qr.symbol(payload)
    assert symbol.rows == segno_rows(payload)
    assert symbol.version <= epc_qr.MAX_QR_VERSION


def test_symbol_refuses_a_payload_beyond_version_13() -> None:
    with pytest.raises(epc_qr.FormatError) as caught:
        epc_qr.symbol("x" * 500)
    assert caught.value.code == "EPC-QR-TOO-LONG"
