"""Payment terms, legal caps and penalty reference rates (CHECKLIST §3.1: PAY-TERM-*, PAY-PENALTY-*)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encaisse.domain.documents import DocumentKind, Invoice, Line
from encaisse.domain.errors import Severity
from encaisse.domain.parties import Address, Company, Party
from encaisse.domain.terms import (
    ECB_MAIN_RATE,
    LEGAL_INTEREST_RATE_PRO,
    RECOVERY_INDEMNITY,
    UNCONFIRMED_PERIODS,
    ReferenceRateUnknownError,
    check_payment_terms,
    default_penalty_rate,
    due_date_for,
    ecb_rate_for,
    is_confirmed_rate,
    late_penalty,
    latest_due_date,
    legal_rate_for,
    payment_terms_text,
    penalty_floor,
    vat_territory,
)

D = Decimal


@pytest.mark.parametrize(
    ("issue", "days", "eom", "due"),
    [
        (date(2026, 12, 5), 30, False, date(2027, 1, 4)),
        (date(2026, 1, 31), 30, False, date(2026, 3, 2)),
        (date(2028, 1, 31), 30, False, date(2028, 3, 1)),  # leap year
        (date(2026, 1, 20), 45, True, date(2026, 3, 31)),
        (date(2026, 12, 15), 30, True, date(2027, 1, 31)),
        (date(2026, 2, 1), 0, True, date(2026, 2, 28)),
    ],
)
def test_due_date_for(issue: date, days: int, eom: bool, due: date) -> None:
    assert due_date_for(issue, days, end_of_month=eom) == due


def test_default_term_is_30_days() -> None:
    assert due_date_for(date(2026, 6, 1)) == date(2026, 7, 1)


@pytest.mark.parametrize(
    ("issue", "eom", "periodic", "latest"),
    [
        (date(2026, 1, 1), False, False, date(2026, 3, 2)),
        (date(2026, 1, 20), True, False, date(2026, 3, 31)),  # issue + 45 d = 6/3 -> 31/3
        (date(2026, 2, 14), True, False, date(2026, 4, 14)),  # 28/2 + 45 d = 14/4 (later)
        (date(2026, 1, 20), False, True, date(2026, 3, 6)),
    ],
)
def test_latest_due_date(issue: date, eom: bool, periodic: bool, latest: date) -> None:
    assert latest_due_date(issue, end_of_month_stipulated=eom, periodic=periodic) == latest
    ok = check_payment_terms(issue, latest, b2b=True, end_of_month_stipulated=eom, periodic=periodic)
    assert ok == []
    late = check_payment_terms(
        issue, latest + timedelta(days=1), b2b=True, end_of_month_stipulated=eom, periodic=periodic
    )
    assert [(p.code, p.field, p.severity, p.args["latest"]) for p in late] == [
        ("PAY-TERM-MAX", "due_date", Severity.ERROR, latest.isoformat())
    ]


@given(st.dates(date(2022, 1, 1), date(2030, 12, 31)), st.integers(0, 200), st.booleans(), st.booleans())
def test_term_cap_properties(issue: date, days: int, eom: bool, periodic: bool) -> None:
    due = issue + timedelta(days=days)
    problems = check_payment_terms(issue, due, b2b=True, end_of_month_stipulated=eom, periodic=periodic)
    cap = latest_due_date(issue, end_of_month_stipulated=eom, periodic=periodic)
    assert bool(problems) is (due > cap)
    # every cap lies between 45 and 76 days after issue; consumers are never capped
    assert 45 <= (cap - issue).days <= 76
    assert check_payment_terms(issue, due, b2b=False, end_of_month_stipulated=eom, periodic=periodic) == []


@pytest.mark.parametrize(
    ("day", "ecb", "legal"),
    [
        (date(2024, 1, 1), "4.50", "5.07"),
        (date(2024, 6, 30), "4.50", "5.07"),
        (date(2024, 7, 1), "4.25", "4.92"),
        (date(2025, 3, 15), "3.15", "3.71"),
        (date(2025, 12, 31), "2.15", "2.76"),
        (date(2026, 1, 1), "2.15", "2.62"),
        (date(2026, 9, 1), "2.15", "2.62"),  # carried forward, see UNCONFIRMED_PERIODS
        (date(2031, 1, 1), "2.15", "2.62"),
    ],
)
def test_reference_rates_by_half_year(day: date, ecb: str, legal: str) -> None:
    assert ecb_rate_for(day) == D(ecb)
    assert legal_rate_for(day) == D(legal)
    assert default_penalty_rate(day) == D(ecb) + 10
    assert penalty_floor(day) == 3 * D(legal)


def test_known_penalty_figures() -> None:
    assert default_penalty_rate(date(2024, 2, 1)) == D("14.50")
    assert penalty_floor(date(2024, 2, 1)) == D("15.21")  # floor above the default rate in 2024H1
    assert penalty_floor(date(2026, 3, 1)) == D("7.86")
    assert default_penalty_rate(date(2026, 3, 1)) == Company(name="x", siren="x").penalty_rate


def test_rate_tables_are_half_yearly_and_flag_unknown_values() -> None:
    for table in (ECB_MAIN_RATE, LEGAL_INTEREST_RATE_PRO):
        assert all(d.day == 1 and d.month in (1, 7) for d in table)
        assert set(table) >= UNCONFIRMED_PERIODS
    assert is_confirmed_rate(date(2026, 6, 30))
    assert not is_confirmed_rate(date(2026, 7, 1))
    assert not is_confirmed_rate(date(2027, 3, 1))
    with pytest.raises(ReferenceRateUnknownError) as exc:
        legal_rate_for(date(2021, 12, 31))
    assert exc.value.code == "TERMS-RATE-UNKNOWN"


def test_late_penalty() -> None:
    amount = D("1000.00")
    assert late_penalty(amount, D("12.15"), date(2026, 1, 31), date(2026, 1, 31)) == D("0.00")
    assert late_penalty(amount, D("12.15"), date(2026, 1, 31), date(2026, 1, 20)) == D("0.00")
    assert late_penalty(amount, D("12.15"), date(2026, 1, 31), date(2026, 2, 1)) == D("0.33")
    assert late_penalty(amount, D("12.15"), date(2026, 1, 31), date(2027, 1, 31)) == D("121.50")
    assert str(RECOVERY_INDEMNITY) == "40.00"


@given(
    st.decimals(D("0.01"), D("1000000"), places=2),
    st.sampled_from([D("7.86"), D("12.15"), D("14.5"), D("15.21")]),
    st.integers(-30, 1000),
)
def test_late_penalty_is_simple_interest_rounded_once(amount: Decimal, rate: Decimal, days: int) -> None:
    due = date(2026, 3, 31)
    got = late_penalty(amount, rate, due, due + timedelta(days=days))
    expected = (amount * rate * max(days, 0) / D(36500)).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert got == expected
    assert got >= 0
    assert late_penalty(amount, rate, due, due + timedelta(days=days + 1)) >= got


SELLER = Company(name="Électricité Martin", siren="732829320", rcs_city="Lyon", share_capital=D(10000))


def invoice(**changes: object) -> Invoice:
    inv = Invoice(
        company_id=1,
        customer=Party(name="Boulangerie Dupont", siren="552100554"),
        issue_date=date(2026, 12, 5),
        lines=(Line("Pose", D(1), D(100)),),
        due_date=date(2027, 1, 4),
    )
    return replace(inv, **changes)  # type: ignore[arg-type]


def test_payment_terms_text_b2b() -> None:
    assert payment_terms_text(invoice(), SELLER).splitlines() == [
        "Date d'échéance : 04/01/2027",
        "En cas de retard de paiement, pénalités au taux annuel de 12,15\u00a0%, exigibles dès le lendemain "
        "de la date d'échéance sans rappel préalable (art. L441-10 du Code de commerce)",
        "Indemnité forfaitaire pour frais de recouvrement : 40\u00a0€",
        "Pas d'escompte pour paiement anticipé",
    ]


def test_payment_terms_text_variants() -> None:
    custom = invoice(
        payment_terms_text="Paiement par virement à 30 jours",
        penalty_rate=D("10"),
        early_payment_discount="Escompte de 1\u00a0% pour paiement sous 8 jours",
    )
    lines = payment_terms_text(custom, SELLER).splitlines()
    assert lines[0] == "Paiement par virement à 30 jours"
    assert "taux annuel de 10\u00a0%," in lines[2]
    assert lines[-1] == "Escompte de 1\u00a0% pour paiement sous 8 jours"
    consumer = invoice(customer=Party(name="M. Durand", is_business=False))
    assert payment_terms_text(consumer, SELLER).splitlines() == [
        "Date d'échéance : 04/01/2027",
        "Pas d'escompte pour paiement anticipé",
    ]
    no_indemnity = payment_terms_text(invoice(recovery_indemnity=False), SELLER)
    assert "40" not in no_indemnity
    assert payment_terms_text(invoice(kind=DocumentKind.CREDIT_NOTE), SELLER) == ""


@pytest.mark.parametrize(
    ("postcode", "territory"),
    [("69002", "FR"), ("97200", "DOM"), ("97100", "DOM"), ("97400", "DOM"), ("20000", "CORSICA"), ("", "FR")],
)
def test_vat_territory(postcode: str, territory: str) -> None:
    assert vat_territory(Address(postcode=postcode)) == territory
