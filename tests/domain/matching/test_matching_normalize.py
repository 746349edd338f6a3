"""Normalization of names, libellés and references (the first stage of the pipeline)."""

from __future__ import annotations

import pytest

from encaisse.domain.matching.normalize import (
    normalize_name,
    parse_libelle,
    reference_keys,
    sequence_key,
    text_windows,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Boulangerie Dupont SARL", "BOULANGERIE DUPONT"),
        ("SARL BOULANGERIE DUPONT", "BOULANGERIE DUPONT"),
        ("S.A.R.L. Boulangerie Dupont", "BOULANGERIE DUPONT"),
        ("Établissements Lefèvre", "LEFEVRE"),
        ("ETS. LEFEVRE", "LEFEVRE"),
        ("Sté Garage de l'Étoile", "GARAGE ETOILE"),
        ("SOCIETE GARAGE DE L ETOILE SAS", "GARAGE ETOILE"),
        ("M. ET MME DURAND JEAN", "DURAND JEAN"),
        ("Mme Hélène Mézières", "HELENE MEZIERES"),
        ("Dupont & Fils EURL", "DUPONT FILS"),
        ("SCI Les Tilleuls", "TILLEULS"),
        ("Œuvres Cœur SASU", "OEUVRES COEUR"),
    ],
)
def test_normalize_name_drops_forms_titles_accents_and_punctuation(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


def test_parse_libelle_of_a_french_sepa_credit() -> None:
    lib = parse_libelle(
        "VIR SEPA RECU /DE STE DUPONT ET FILS /MOTIF FACT F2026-00123 F2026-00124 /REF 000991"
    )
    assert lib.name == "STE DUPONT ET FILS"
    assert lib.motif == "FACT F2026-00123 F2026-00124"
    assert lib.reference == "000991"


def test_parse_libelle_colon_style_and_plain_text() -> None:
    lib = parse_libelle("VIREMENT DE: M. ET MME DURAND MOTIF: SOLDE FACTURE")
    assert (lib.name, lib.motif) == ("M. ET MME DURAND", "SOLDE FACTURE")
    assert parse_libelle("F2026-00123") == parse_libelle("")


def test_reference_keys() -> None:
    assert reference_keys("F2026-00123") == ("F202600123", "202600123", "2026.123")
    assert reference_keys("FA-17") == ("FA17", "", "")  # too short to stand alone
    assert sequence_key("F2026-00123") == "123"


@pytest.mark.parametrize(
    "written",
    ["F2026-00123", "F2026 00123", "f2026/00123", "F 2026 00123", "F2O26-OO123", "F2026-OOI23"],
)
def test_written_forms_of_a_number_share_its_full_key(written: str) -> None:
    full, _, _ = reference_keys("F2026-00123")
    assert full in {w.key for w in text_windows(f"REGLEMENT {written} MERCI")}


@pytest.mark.parametrize("written", ["2026-00123", "FA202600123", "FACT 2026 00123", "N°2O26OO123"])
def test_number_without_or_with_another_prefix_shares_the_digits_key(written: str) -> None:
    _, digits, _ = reference_keys("F2026-00123")
    assert digits in {w.digits for w in text_windows(written)}


def test_groups_key_matches_a_counter_written_without_zeros_only() -> None:
    _, _, groups = reference_keys("F2026-00123")
    assert groups in {w.groups for w in text_windows("FACT.2026.123")}
    # "F2026-0123" is a typo of another padded number, not F2026-00123 with zeros dropped
    assert groups not in {w.groups for w in text_windows("F2026-0123")}


def test_windows_ignore_words_without_digits_and_lone_years() -> None:
    windows = text_windows("REGLEMENT FACTURE 2026")
    assert all(any(c.isdigit() for c in w.key) for w in windows)
    assert all(not w.digits for w in windows if w.key == "2026")
