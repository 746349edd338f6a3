"""The transition tables (INV-IMMUTABLE) and the numbering rule (INV-NUMBER, CN-NUMBER)."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest

from encaisse.domain.documents import InvoiceStatus, QuoteStatus
from encaisse.domain.errors import TransitionError, ValidationError
from encaisse.domain.lifecycle import (
    INVOICE_TRANSITIONS,
    QUOTE_TRANSITIONS,
    Action,
    next_quote_status,
    next_status,
    status_after_payments,
)
from encaisse.domain.numbering import fiscal_year_of, format_number, series_key, validate_pattern

S = InvoiceStatus
ALL_PAIRS = list(itertools.product(InvoiceStatus, Action))
FORBIDDEN = [pair for pair in ALL_PAIRS if pair not in INVOICE_TRANSITIONS]
QUOTE_ACTIONS = sorted({action for _, action in QUOTE_TRANSITIONS})
QUOTE_FORBIDDEN = [
    pair for pair in itertools.product(QuoteStatus, QUOTE_ACTIONS) if pair not in QUOTE_TRANSITIONS
]


def pair_id(pair: tuple[object, object]) -> str:
    return f"{pair[0]}-{pair[1]}"


@pytest.mark.parametrize("pair", FORBIDDEN, ids=[pair_id(p) for p in FORBIDDEN])
def test_every_pair_outside_the_table_raises(pair: tuple[InvoiceStatus, Action]) -> None:
    status, action = pair
    with pytest.raises(TransitionError) as exc:
        next_status(status, action)
    assert exc.value.code == "LIFECYCLE-FORBIDDEN"
    assert status.value in exc.value.message


@pytest.mark.parametrize("pair", list(INVOICE_TRANSITIONS), ids=[pair_id(p) for p in INVOICE_TRANSITIONS])
def test_every_pair_in_the_table_applies(pair: tuple[InvoiceStatus, Action]) -> None:
    assert next_status(*pair) == INVOICE_TRANSITIONS[pair]


def test_table_size_is_what_we_reviewed() -> None:
    assert len(FORBIDDEN) + len(INVOICE_TRANSITIONS) == len(InvoiceStatus) * len(Action)
    assert len(FORBIDDEN) > 0


def test_only_drafts_can_be_deleted() -> None:
    assert next_status(S.DRAFT, Action.DELETE) is None
    for status in InvoiceStatus:
        if status is not S.DRAFT:
            with pytest.raises(TransitionError):
                next_status(status, Action.DELETE)
    assert [pair for pair, new in INVOICE_TRANSITIONS.items() if new is None] == [(S.DRAFT, Action.DELETE)]


@pytest.mark.parametrize("status", [s for s in InvoiceStatus if s is not S.DRAFT])
def test_issued_documents_cannot_be_edited(status: InvoiceStatus) -> None:
    with pytest.raises(TransitionError) as exc:
        next_status(status, Action.EDIT)
    assert "credit note" in exc.value.message  # the way out (INV-IMMUTABLE)


def test_drafts_are_edited_and_issued() -> None:
    assert next_status(S.DRAFT, Action.EDIT) is S.DRAFT
    assert next_status(S.DRAFT, Action.ISSUE) is S.ISSUED
    for status in InvoiceStatus:
        if status is not S.DRAFT:
            with pytest.raises(TransitionError):
                next_status(status, Action.ISSUE)  # a number is given once


def test_cancelled_is_final() -> None:
    assert [pair for pair in INVOICE_TRANSITIONS if pair[0] is S.CANCELLED] == []


@pytest.mark.parametrize("pair", QUOTE_FORBIDDEN, ids=[pair_id(p) for p in QUOTE_FORBIDDEN])
def test_every_quote_pair_outside_the_table_raises(pair: tuple[QuoteStatus, str]) -> None:
    with pytest.raises(TransitionError) as exc:
        next_quote_status(*pair)
    assert exc.value.code == "LIFECYCLE-FORBIDDEN"


def test_quote_transitions_and_unknown_actions() -> None:
    for pair, new in QUOTE_TRANSITIONS.items():
        assert next_quote_status(*pair) is new
    with pytest.raises(TransitionError):
        next_quote_status(QuoteStatus.DRAFT, "sign")


@pytest.mark.parametrize(
    ("status", "settled", "expected"),
    [
        (S.ISSUED, Decimal("0"), S.ISSUED),
        (S.ISSUED, Decimal("10"), S.PARTIALLY_PAID),
        (S.PARTIALLY_PAID, Decimal("100"), S.PAID),
        (S.PAID, Decimal("150"), S.PAID),
        (S.PAID, Decimal("-1"), S.ISSUED),
        (S.DRAFT, Decimal("100"), S.DRAFT),
        (S.CANCELLED, Decimal("0"), S.CANCELLED),
    ],
)
def test_status_after_payments(status: InvoiceStatus, settled: Decimal, expected: InvoiceStatus) -> None:
    assert status_after_payments(status, Decimal("100"), settled) is expected


@pytest.mark.parametrize(
    "pattern",
    ["F{YYYY}-{seq:05d}", "AV{YYYY}-{seq:05d}", "{YY}{MM}-{seq}", "FAC/{YYYY}/{seq:4d}", "{seq:06d}-{YY}"],
)
def test_valid_patterns(pattern: str) -> None:
    validate_pattern(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        "F{YYYY}-",  # no sequence
        "F{YYYY}-{seq}-{seq}",  # two sequences
        "F-{seq:05d}",  # no year: yearly restarts would collide
        "F{YYYY}-{seq}-{DD}",  # unknown placeholder
        "F{YYYY}-{seq:x}",  # unknown format
        "F{YYYY}-{seq}}",  # stray brace
    ],
)
def test_invalid_patterns(pattern: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_pattern(pattern)
    assert exc.value.code == "NUM-PATTERN"


def test_format_number_examples() -> None:
    assert format_number("F{YYYY}-{seq:05d}", 2026, 42) == "F2026-00042"
    assert format_number("{YY}{MM}-{seq}", 2026, 7, month=3) == "2603-7"
    assert format_number("F{YYYY}-{seq:05d}", 2026, 123456) == "F2026-123456"  # overflow stays unique


def test_fiscal_year_and_series() -> None:
    assert fiscal_year_of(date(2026, 12, 31)) == 2026
    assert fiscal_year_of(date(2026, 6, 30), year_end_month=6) == 2026
    assert fiscal_year_of(date(2026, 7, 1), year_end_month=6) == 2027
    assert series_key("deposit", "F{YYYY}-{seq}") == series_key("invoice", "F{YYYY}-{seq}")
    assert series_key("credit_note", "AV{YYYY}-{seq}") != series_key("invoice", "AV{YYYY}-{seq}")
