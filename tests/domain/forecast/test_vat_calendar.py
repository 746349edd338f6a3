"""VAT calendar: monthly and quarterly filing, debits vs collection, credits carried forward."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from encaisse.domain.forecast.vat_calendar import (
    VatBase,
    bases_from_documents,
    collected_vat,
    due_date,
    period_end,
    vat_payments,
)
from encaisse.domain.parties import VatFiling

D = Decimal


def test_periods_and_due_dates() -> None:
    assert period_end(date(2026, 2, 10), VatFiling.MONTHLY) == date(2026, 2, 28)
    assert period_end(date(2026, 2, 10), VatFiling.QUARTERLY) == date(2026, 3, 31)
    assert period_end(date(2026, 12, 10), VatFiling.QUARTERLY) == date(2026, 12, 31)
    assert due_date(date(2026, 2, 28), VatFiling.MONTHLY) == date(2026, 3, 20)
    assert due_date(date(2026, 5, 31), VatFiling.MONTHLY, due_day=20) == date(
        2026, 6, 22
    )  # Saturday → Monday
    assert due_date(date(2026, 3, 31), VatFiling.QUARTERLY, due_day=24) == date(2026, 4, 24)


def test_monthly_filing_on_debits_collected_minus_deductible_in_whole_euros() -> None:
    sales = [(date(2026, 3, 3), D("1000.40")), (date(2026, 3, 25), D("500.30")), (date(2026, 4, 2), D("800"))]
    purchases = [(date(2026, 3, 31), D("300.20"))]
    bases = bases_from_documents(sales, purchases)
    assert vat_payments(
        bases, filing=VatFiling.MONTHLY, after=date(2026, 3, 31), until=date(2026, 6, 30)
    ) == [
        (date(2026, 4, 20), D("1201.00")),
        (date(2026, 5, 20), D("800.00")),
    ]


def test_quarterly_filing_sums_the_quarter() -> None:
    bases = [VatBase(date(2026, m, 10), D("1000")) for m in (1, 2, 3, 4)]
    assert vat_payments(
        bases, filing=VatFiling.QUARTERLY, after=date(2026, 1, 1), until=date(2026, 12, 31)
    ) == [
        (date(2026, 4, 20), D("3000.00")),
        (date(2026, 7, 20), D("1000.00")),
    ]


def test_a_vat_credit_is_carried_to_the_next_period() -> None:
    bases = [VatBase(date(2026, 1, 10), D("100"), D("400")), VatBase(date(2026, 2, 10), D("1000"))]
    assert vat_payments(
        bases, filing=VatFiling.MONTHLY, after=date(2026, 1, 1), until=date(2026, 12, 31)
    ) == [(date(2026, 3, 20), D("700.00"))]


def test_collection_regime_vat_follows_payments_not_invoices() -> None:
    """Invoice of 1200 TTC (200 VAT) issued in March, paid half in April and half in June."""
    invoice_vat, total = D("200"), D("1200")
    on_debits = bases_from_documents([(date(2026, 3, 15), invoice_vat)])
    on_collection = bases_from_documents(
        [
            (date(2026, 4, 10), collected_vat(D("600"), invoice_vat, total)),
            (date(2026, 6, 5), collected_vat(D("600"), invoice_vat, total)),
        ]
    )
    window = {"filing": VatFiling.MONTHLY, "after": date(2026, 1, 1), "until": date(2026, 12, 31)}
    assert vat_payments(on_debits, **window) == [(date(2026, 4, 20), D("200.00"))]  # type: ignore[arg-type]
    assert vat_payments(on_collection, **window) == [  # type: ignore[arg-type]
        (date(2026, 5, 20), D("100.00")),
        (date(2026, 7, 20), D("100.00")),
    ]
