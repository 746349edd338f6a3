"""Unit tests of the middle stages: candidates, signals, allocation, explanation."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encaisse.domain.matching.allocation import spread, subset_sums
from encaisse.domain.matching.candidates import (
    CREDIT_KINDS,
    DEBIT_KINDS,
    build_index,
    name_similarity,
    parties_by_name,
    reference_hits,
)
from encaisse.domain.matching.explain import NNBSP, amount_reason, explanation, format_eur
from encaisse.domain.matching.model import ItemKind, MatchConfig, OpenItem, Reason
from encaisse.domain.matching.normalize import normalize_name, text_windows
from encaisse.domain.matching.signals import AmountRelation, classify_amount

MakeItem = Callable[..., OpenItem]


# --- candidates ---------------------------------------------------------------------------


@pytest.fixture
def items(make_item: MakeItem) -> list[OpenItem]:
    return [
        make_item("F2026-00123", "1200.00", "P1", "Boulangerie Dupont SARL"),
        make_item("F2026-00124", "350.00", "P1", "Boulangerie Dupont SARL"),
        make_item("F2026-00200", "99.00", "P2", "Garage de l'Étoile SAS"),
        make_item("AV2026-0007", "50.00", "P2", "Garage de l'Étoile SAS", kind=ItemKind.CREDIT_NOTE),
        make_item("FF-889", "640.00", "S1", "Imprimerie Martin", kind=ItemKind.SUPPLIER_INVOICE),
    ]


def test_sides_are_indexed_apart(items: list[OpenItem]) -> None:
    credit, debit = build_index(items, CREDIT_KINDS), build_index(items, DEBIT_KINDS)
    assert set(credit.items) == {"F2026-00123", "F2026-00124", "F2026-00200", "AV2026-0007"}
    assert set(debit.items) == {"FF-889"}
    assert credit.remaining["AV2026-0007"] == -5000  # credit notes are negative
    assert set(credit.by_amount[35000]) == {"F2026-00124"}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("VIR /MOTIF F2026-00123", "full"),
        ("REGLEMENT F2026 00123", "full"),
        ("F2O26-OOI23", "full"),  # OCR confusions fold onto the same key
        ("2026-00123", "digits"),
        ("FA202600123", "digits"),
        ("FACT 2026.123", "groups"),
    ],
)
def test_reference_hits_find_the_number_in_its_written_forms(
    items: list[OpenItem], text: str, kind: str
) -> None:
    index = build_index(items, CREDIT_KINDS)
    hits = reference_hits(index, text_windows(text))
    assert list(hits) == ["F2026-00123"]
    assert hits["F2026-00123"].kind == kind


def test_reference_hits_ignore_a_one_edit_typo_that_names_nothing(items: list[OpenItem]) -> None:
    index = build_index(items, CREDIT_KINDS)
    assert reference_hits(index, text_windows("F2026-00132")) == {}  # fuzzy matching is per candidate


def test_parties_by_name_survive_bank_renderings(items: list[OpenItem]) -> None:
    index = build_index(items, CREDIT_KINDS)
    for written in ("SARL BOULANGERIE DUPONT", "BOULANGERIE DUPO", "STE BOULANGERIE DUPONT"):
        best, similarity = parties_by_name(index, written)[0]
        assert best == "P1"
        assert similarity >= 90, written
    best, similarity = parties_by_name(index, "GARAGE DE L ETOILE")[0]
    assert (best, similarity) == ("P2", 100.0)
    assert parties_by_name(index, "TRANSPORTS LEGRAND") == []


def test_name_similarity_caps_a_mere_subset_of_words() -> None:
    assert name_similarity("DUPONT", "DUPONT BATIMENT SERVICES") <= 88
    assert name_similarity(normalize_name("M. ET MME DURAND JEAN"), normalize_name("Jean Durand")) == 100


# --- signals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paid", "due", "relation"),
    [
        (100000, 100000, AmountRelation.EXACT),
        (99999, 100000, AmountRelation.ROUNDING),
        (100001, 100000, AmountRelation.ROUNDING),
        (99250, 100000, AmountRelation.FEES),  # 7,50 € of fees
        (97000, 100000, AmountRelation.DISCOUNT),  # 3 %
        (98500, 100000, AmountRelation.DISCOUNT),  # 1,5 %
        (62720, 64000, AmountRelation.DISCOUNT),  # 2 % of 640,00
        (50000, 100000, AmountRelation.PARTIAL),
        (8000, 12000, AmountRelation.PARTIAL),  # 40 € is above the fee bound
        (2000, 5000, AmountRelation.PARTIAL),  # 30 € of fees on a 50 € invoice is no fee
        (105000, 100000, AmountRelation.OVER),
    ],
)
def test_classify_amount(paid: int, due: int, relation: AmountRelation) -> None:
    assert classify_amount(paid, due, MatchConfig()) is relation


# --- allocation ---------------------------------------------------------------------------


def test_spread_partial_over_and_credit_note() -> None:
    assert spread(40000, [("A", 100000)]) == ([("A", 40000)], 0)  # partial payment
    assert spread(105000, [("A", 100000)]) == ([("A", 100000)], 5000)  # over-payment → excess
    assert spread(95000, [("A", 100000), ("CN", -5000)]) == ([("CN", -5000), ("A", 100000)], 0)
    assert spread(150000, [("A", 100000), ("B", 80000)]) == ([("A", 100000), ("B", 50000)], 0)


def test_subset_sums_prefers_oldest_and_reports_ambiguity() -> None:
    items = [("A", 1000), ("B", 2000), ("C", 3000), ("D", 500)]
    assert subset_sums(3000, items, max_size=3, limit=1) == [("A", "B")]
    assert subset_sums(3000, items, max_size=3) == [("A", "B")]  # C alone is not a group
    both = subset_sums(3500, items, max_size=3)
    assert both == [("A", "B", "D"), ("C", "D")]
    assert subset_sums(99999, items, max_size=4) == []
    assert subset_sums(3000, items, max_size=1) == []  # a single item is not a group


@given(
    paid=st.integers(min_value=1, max_value=10**7),
    amounts=st.lists(st.integers(min_value=-50000, max_value=10**6).filter(bool), max_size=8),
)
def test_spread_never_exceeds_payment_nor_item(paid: int, amounts: list[int]) -> None:
    items = [(str(n), a) for n, a in enumerate(amounts)]
    out, excess = spread(paid, items)
    remaining = dict(items)
    assert excess >= 0
    assert sum(c for _, c in out) + excess == paid
    for item_id, cents in out:
        assert abs(cents) <= abs(remaining[item_id])
        assert (cents > 0) == (remaining[item_id] > 0)


@given(
    target=st.integers(min_value=1, max_value=50000),
    amounts=st.lists(st.integers(min_value=1, max_value=20000), min_size=2, max_size=10),
)
def test_subset_sums_are_exact(target: int, amounts: list[int]) -> None:
    items = [(n, a) for n, a in enumerate(amounts)]
    for combo in subset_sums(target, items, max_size=6):
        assert 2 <= len(combo) <= 6
        assert sum(amounts[i] for i in combo) == target
        assert list(combo) == sorted(combo)


# --- explanation --------------------------------------------------------------------------


def test_format_eur_french_typography() -> None:
    assert format_eur(Decimal("1234567.891")) == "1\u202f234\u202f567,89\u00a0€"
    assert format_eur(Decimal("-7.5")) == "-7,50\u00a0€"
    assert format_eur(Decimal("0")) == "0,00\u00a0€"


def test_amount_reasons_in_french() -> None:
    fees = amount_reason(AmountRelation.FEES, paid=99250, due=100000, count=1, rate=Decimal(0))
    assert fees == Reason("AMOUNT-FEES", "écart de 7,50\u00a0€ expliqué par des frais bancaires")
    discount = amount_reason(AmountRelation.DISCOUNT, paid=98500, due=100000, count=1, rate=Decimal("1.5"))
    assert "escompte de 1,5\u00a0%" in discount.text_fr
    partial = amount_reason(AmountRelation.PARTIAL, paid=40000, due=100000, count=1, rate=Decimal(0))
    assert partial.text_fr == f"paiement partiel{NNBSP}: 400,00\u00a0€ sur 1\u202f000,00\u00a0€ restant dus"
    group = amount_reason(AmountRelation.EXACT, paid=1, due=1, count=3, rate=Decimal(0))
    assert group.code == "AMOUNT-GROUP"


def test_explanation_joins_reasons_as_one_sentence() -> None:
    text = explanation([Reason("A", "référence F2026-00123 trouvée"), Reason("B", "montant identique")])
    assert text == f"Référence F2026-00123 trouvée{NNBSP}; montant identique."
    assert explanation([]) == ""
