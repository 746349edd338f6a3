"""Recurring-flow detection on synthetic bank histories (noise, weekend shifts, missing months)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import holidays

from encaisse.domain.bank import BankTransaction
from encaisse.domain.forecast.recurrence import Period, detect_recurring, normalize_label, user_flow

TODAY = date(2026, 11, 20)
FR_HOLIDAYS = holidays.country_holidays("FR", years=range(2025, 2027))


def business(day: date) -> date:
    while day.weekday() >= 5 or day in FR_HOLIDAYS:
        day += timedelta(days=1)
    return day


def monthly(
    day_of_month: int,
    amount: str,
    text: str,
    *,
    skip: tuple[int, ...] = (),
    noise: float = 0.0,
    seed: int = 0,
) -> list[BankTransaction]:
    rng = random.Random(seed)
    out = []
    for i in range(14):
        month = (9 + i) % 12 + 1
        year = 2025 + (9 + i) // 12
        if i in skip or date(year, month, 1) > TODAY:
            continue
        day = business(date(year, month, day_of_month))
        if day > TODAY:
            continue
        value = Decimal(amount) * Decimal(str(1 + rng.uniform(-noise, noise)))
        out.append(
            BankTransaction(day, value.quantize(Decimal("0.01")), remittance=f"{text} {month:02d}/{year}")
        )
    return out


def test_monthly_rent_with_weekend_and_holiday_shifts() -> None:
    txs = monthly(1, "-1850", "PRLV SEPA SCI LES ACACIAS /MOTIF LOYER")  # 1 Nov, 1 Jan, 1 May: holidays
    (flow,) = detect_recurring(txs, today=TODAY)
    assert flow.period is Period.MONTHLY
    assert flow.amount == Decimal("-1850.00")
    assert flow.category == "rent"
    assert flow.confidence > 0.9
    assert flow.next_dates[0] == date(2026, 12, 1)


def test_missing_month_and_amount_noise_still_detected() -> None:
    txs = monthly(15, "-4500", "PRLV SEPA URSSAF /MOTIF COTISATIONS", skip=(3, 8), noise=0.05, seed=3)
    (flow,) = detect_recurring(txs, today=TODAY)
    assert flow.period is Period.MONTHLY
    assert abs(flow.amount + 4500) < 250
    assert flow.spread > 0
    assert flow.category == "social"
    assert flow.next_dates[0] == date(2026, 12, 15)


def test_month_end_salaries_land_on_the_last_business_day() -> None:
    txs = monthly(28, "-2300", "VIR SEPA EMIS /A M. MARC LEFEBVRE /MOTIF SALAIRE")
    txs = [BankTransaction(business_last(t.booking_date), t.amount, remittance=t.remittance) for t in txs]
    (flow,) = detect_recurring(txs, today=TODAY)
    assert flow.category == "salary"
    assert flow.next_dates[0] == date(2026, 11, 30)
    assert flow.next_dates[1] == date(2026, 12, 31)


def business_last(day: date) -> date:
    nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1) - timedelta(days=1)
    while nxt.weekday() >= 5:
        nxt -= timedelta(days=1)
    return nxt


def test_weekly_and_quarterly_rhythms() -> None:
    weekly = [
        BankTransaction(
            date(2026, 8, 3) + timedelta(weeks=k), Decimal("-120"), remittance="CB TOTAL CARBURANT"
        )
        for k in range(15)
    ]
    quarterly = [
        BankTransaction(
            business(date(2025, m, 15) if m <= 12 else date(2026, m - 12, 15)),
            Decimal("-2600"),
            remittance="PRLV SEPA DGFIP IS ACOMPTE",
        )
        for m in (12, 15, 18, 21)
    ]
    flows = {f.category: f for f in detect_recurring(weekly + quarterly, today=TODAY)}
    assert flows["other"].period is Period.WEEKLY
    assert flows["other"].next_dates[0] == date(2026, 11, 23)
    assert flows["tax"].period is Period.QUARTERLY
    assert flows["tax"].next_dates[0] == date(2026, 12, 15)


def test_two_contracts_with_the_same_lessor_are_two_flows_and_irregular_debits_none() -> None:
    a = monthly(2, "-489.00", "PRLV SEPA DIAC LOCATION /MOTIF LOYER VEHICULE CONTRAT 123456")
    b = monthly(2, "-512.40", "PRLV SEPA DIAC LOCATION /MOTIF LOYER VEHICULE CONTRAT 654321")
    rng = random.Random(1)
    noise = [
        BankTransaction(
            date(2026, 1, 1) + timedelta(days=rng.randint(0, 300)),
            Decimal(-rng.randint(20, 300)),
            remittance="CB LEROY MERLIN",
        )
        for _ in range(6)
    ]
    flows = detect_recurring(a + b + noise, today=TODAY)
    assert sorted(f.amount for f in flows) == [Decimal("-512.40"), Decimal("-489.00")]


def test_stopped_flow_and_credits_are_ignored() -> None:
    old = monthly(10, "-300", "ECHEANCE PRET 0001")[:5]  # last one in early 2026
    credits = monthly(12, "5000", "VIR SEPA RECU /DE CLIENT FIDELE")
    assert detect_recurring(old + credits, today=TODAY) == []
    assert len(detect_recurring(credits, today=TODAY, include_credits=True)) == 1


def test_normalized_labels_drop_dates_and_references() -> None:
    t1 = BankTransaction(
        date(2026, 1, 5), Decimal(-1), remittance="PRLV SEPA ORANGE SA /MOTIF FACTURE 01/2026 REF 778"
    )
    t2 = BankTransaction(
        date(2026, 2, 5), Decimal(-1), remittance="PRLV SEPA ORANGE SA /MOTIF FACTURE 02/2026 REF 912"
    )
    assert normalize_label(t1) == normalize_label(t2) == "ORANGE SA FACTURE REF"


def test_user_flow_is_confirmed_and_projects_forward() -> None:
    flow = user_flow("Nouveau crédit-bail", Decimal("-700"), Period.MONTHLY, date(2026, 12, 10))
    assert flow.confirmed
    assert flow.occurrences(date(2026, 12, 1), date(2027, 2, 28)) == [
        date(2026, 12, 10),
        date(2027, 1, 11),
        date(2027, 2, 10),
    ]
