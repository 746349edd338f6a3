"""Categorisation rules learnt from one example, and aliases learnt from a confirmation."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from encaisse.domain.bank import BankTransaction
from encaisse.domain.matching.learning import NothingToLearnError, learn_alias, learn_iban
from encaisse.domain.matching.normalize import parse_libelle
from encaisse.domain.matching.rules import DEFAULT_RULES, categorize, rule_from_example, stable_tokens

MakeTx = Callable[..., BankTransaction]


def test_stable_tokens_drop_dates_numbers_months_and_filler() -> None:
    text = "PRLV SEPA DGFIP /MOTIF TVA MARS 2026 REF 0012345 DU 15/04/2026"
    assert stable_tokens(text) == frozenset({"PRLV", "SEPA", "DGFIP", "TVA"})


def test_rule_learnt_from_one_salary_matches_next_month_only_for_debits(make_tx: MakeTx) -> None:
    march = make_tx("A", "-2450.12", text="VIR SEPA EMIS /MOTIF SALAIRE 03/2026 /BEN DURAND JEAN")
    rule = rule_from_example(march, "salaries")
    assert rule.pcg_account == "421"
    assert rule.sign == -1
    april = make_tx("B", "-2610.40", text="VIR SEPA EMIS /MOTIF SALAIRE 04/2026 /BEN DURAND JEAN")
    assert categorize(april, [rule]) == rule
    other_employee = make_tx("C", "-2610.40", text="VIR SEPA EMIS /MOTIF SALAIRE 04/2026 /BEN MARTIN PAUL")
    assert categorize(other_employee, [rule]) is None
    refund = make_tx("D", "2450.12", text="VIR SEPA EMIS /MOTIF SALAIRE 03/2026 /BEN DURAND JEAN")
    assert categorize(refund, [rule]) is None  # a credit is not a salary paid


def test_rule_with_amount_tolerance_for_a_fixed_rent(make_tx: MakeTx) -> None:
    rent = make_tx("A", "-2400.00", text="PRLV SEPA SCI DES TILLEULS LOYER 01/2026")
    rule = rule_from_example(rent, "rent", amount_tolerance=Decimal("0.10"))
    assert rule.pcg_account == "613"
    assert (
        categorize(make_tx("B", "-2450.00", text="PRLV SEPA SCI DES TILLEULS LOYER 02/2026"), [rule]) == rule
    )
    assert (
        categorize(make_tx("C", "-9000.00", text="PRLV SEPA SCI DES TILLEULS LOYER 02/2026"), [rule]) is None
    )


def test_most_specific_rule_wins_and_defaults_cover_common_lines(make_tx: MakeTx) -> None:
    vat = make_tx("A", "-5120.00", text="PRLV SEPA DGFIP TVA 02/2026")
    assert categorize(vat, DEFAULT_RULES).category == "vat"  # type: ignore[union-attr]
    cfe = make_tx("B", "-820.00", text="PRLV SEPA DGFIP CFE 2026")
    assert categorize(cfe, DEFAULT_RULES).category == "taxes"  # type: ignore[union-attr]
    fees = make_tx("C", "-18.50", text="FRAIS TENUE DE COMPTE")
    assert categorize(fees, DEFAULT_RULES).pcg_account == "627"  # type: ignore[union-attr]
    assert categorize(make_tx("D", "120.00", text="F2026-00123"), DEFAULT_RULES) is None


def test_rule_needs_a_stable_word(make_tx: MakeTx) -> None:
    with pytest.raises(ValueError, match="no stable word"):
        rule_from_example(make_tx("A", "-10.00", text="12/03/2026 0001"), "other")


def test_learn_alias_from_name_or_libelle(make_tx: MakeTx) -> None:
    assert (
        learn_alias(make_tx("A", "10.00", name="SAS HOLDING DUPONT"), 7).text_normalized == "HOLDING DUPONT"
    )
    from_libelle = make_tx("B", "10.00", text="VIR SEPA RECU /DE M. ET MME DURAND /MOTIF X")
    assert learn_alias(from_libelle, 8).text_normalized == "DURAND"
    with pytest.raises(NothingToLearnError) as err:
        learn_alias(make_tx("C", "10.00", text="VIREMENT"), 9)
    assert err.value.code == "MATCH-NOTHING-TO-LEARN"


def test_learn_iban(make_tx: MakeTx) -> None:
    assert learn_iban(make_tx("A", "1.00", iban="fr76 3000 4000 0100 0000 0000 136"), 3) == (
        "FR7630004000010000000000136",
        3,
    )
    assert learn_iban(make_tx("B", "1.00"), 3) is None


def test_parse_libelle_beneficiary_of_a_debit() -> None:
    lib = parse_libelle("VIR SEPA EMIS /BEN IMPRIMERIE MARTIN /MOTIF FA-88213 /REFBEN 77")
    assert (lib.name, lib.motif, lib.reference) == ("IMPRIMERIE MARTIN", "FA-88213", "77")
