"""Payment-delay distributions: censoring, shrinkage and expected collection dates."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from encaisse.domain.forecast.delays import (
    DelayItem,
    PaymentRecord,
    distribution_from_delays,
    estimate_delay_model,
    expected_collection_date,
    kaplan_meier,
)

TODAY = date(2026, 6, 15)


def test_expected_date_of_an_invoice_not_yet_due_is_due_plus_median_delay() -> None:
    dist = distribution_from_delays([5, 10, 15, 20, 25])
    item = DelayItem("F1", "ACME", TODAY + timedelta(days=10))
    assert expected_collection_date(item, dist, TODAY) == item.due_date + timedelta(days=15)


def test_overdue_invoice_uses_the_delays_beyond_its_current_lateness() -> None:
    dist = distribution_from_delays([5, 10, 15, 20, 25, 40])
    item = DelayItem("F1", "ACME", TODAY - timedelta(days=18))  # 18 days late: delay is 20, 25 or 40
    assert expected_collection_date(item, dist, TODAY) == item.due_date + timedelta(days=25)
    assert expected_collection_date(item, dist.conditional(-100), TODAY) == item.due_date + timedelta(days=25)


def test_overdue_beyond_every_observed_delay_is_never_paid() -> None:
    dist = distribution_from_delays([1, 2, 3])
    item = DelayItem("F1", "ACME", TODAY - timedelta(days=60))
    assert expected_collection_date(item, dist, TODAY) is None


@given(
    delays=st.lists(st.integers(-30, 200), min_size=1, max_size=30),
    lateness=st.integers(-60, 300),
)
def test_expected_collection_date_is_never_in_the_past(delays: list[int], lateness: int) -> None:
    model = estimate_delay_model([PaymentRecord("C", d) for d in delays])
    item = DelayItem("F", "C", TODAY - timedelta(days=lateness))
    expected = expected_collection_date(item, model.for_customer("C"), TODAY)
    assert expected is None or expected > TODAY


def test_kaplan_meier_keeps_unpaid_invoices_as_never_paid_mass() -> None:
    records = [PaymentRecord("C", 10)] * 2 + [PaymentRecord("C", 90, paid=False)] * 2
    dist = kaplan_meier(records, bandwidth=0)
    assert abs(dist.cdf(10) - 0.5) < 1e-9
    assert abs(dist.never - 0.5) < 1e-9


def test_kaplan_meier_does_not_count_not_yet_due_invoices_as_late() -> None:
    # two paid early, two still open but only 5 days before due: they say nothing about lateness
    records = [PaymentRecord("C", -10)] * 2 + [PaymentRecord("C", -5, paid=False)] * 2
    dist = kaplan_meier(records, bandwidth=0)
    assert abs(dist.cdf(-10) - 0.5) < 1e-9
    assert abs(dist.never - 0.5) < 1e-9  # unknown beyond -5, not "paid at -10"


def test_customers_with_little_history_are_shrunk_toward_the_company_prior() -> None:
    records = [PaymentRecord(f"C{i}", d) for i in range(8) for d in (8 + i, 10 + i, 12 + i, 14 + i)]
    records += [PaymentRecord("NEW", 60)]  # one very late payment only
    records += [PaymentRecord("OLD", d) for d in [60] * 30]  # consistently very late
    model = estimate_delay_model(records)
    new_mean = model.for_customer("NEW").mean()
    old_mean = model.for_customer("OLD").mean()
    prior_mean = model.prior.mean()
    assert prior_mean < new_mean < 60  # pulled toward the prior
    assert abs(old_mean - 60) < abs(new_mean - 60)  # a long history speaks for itself
    assert model.for_customer("UNKNOWN") is model.prior
    assert 0.5 <= model.prior_strength <= 50
