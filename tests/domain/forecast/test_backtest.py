"""Backtest on the demo company: the forecast must beat naive baselines and be calibrated."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from encaisse.domain.forecast.backtest import backtest, backtest_summary
from encaisse.domain.forecast.snapshot import inputs_as_of
from encaisse.services.demo_data import generate

TODAY = date(2026, 12, 4)


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    return generate(11, today=TODAY, months=12)


def test_inputs_as_of_use_only_what_was_known(demo) -> None:  # type: ignore[no-untyped-def]
    day = date(2026, 6, 14)
    inputs = inputs_as_of(demo, day)
    assert inputs.position.total == demo.balance_at(day)
    known = {i.number for i in demo.invoices if i.number and i.issue_date <= day}
    assert {r.key for r in inputs.receivables} <= known
    for r in inputs.receivables:  # still open on that day, even if paid since
        paid_then = sum(p.amount for p in demo.payments if p.invoice_number == r.key and p.date <= day)
        assert paid_then < demo.invoice(r.key).total_incl_tax
    assert all(d > day for d, _ in inputs.vat)
    assert all(f.last_date is None or f.last_date <= day + timedelta(days=1) for f in inputs.recurring)


@pytest.mark.slow
def test_encaisse_beats_the_baselines_at_4_and_13_weeks(demo) -> None:  # type: ignore[no-untyped-def]
    scores = {s.horizon: s for s in backtest(demo, start=date(2026, 3, 1), end=TODAY, simulations=150)}
    for h in (4, 13):
        mae = scores[h].mae
        assert mae["encaisse"] < min(mae["due_date"], mae["mean_delay"], mae["carry_forward"])
        assert mae["encaisse"] <= 0.7 * mae["due_date"]
    coverage = sum(s.coverage * s.n for s in scores.values()) / sum(s.n for s in scores.values())
    assert 0.6 <= coverage <= 0.95


def test_backtest_summary_shape(demo) -> None:  # type: ignore[no-untyped-def]
    summary = backtest_summary(demo, TODAY, months=3, simulations=60)
    assert summary["to"] == "2026-12-04"
    four = summary["horizons"]["4"]
    assert set(four) == {"forecasts", "mae", "wape", "coverage", "mae_due_date"}
    assert four["forecasts"] >= 5
    assert float(four["mae"]) >= 0
    assert 0 <= four["coverage"] <= 1
