"""How accurate the forecast was: replay past weeks with only what was known then.

At each past Sunday (after a warm-up), the forecast of the next 1-13 weeks is compared with the
balances that actually followed. Encaisse's method is measured against three baselines:
``due_date`` (open invoices collected on their due date), ``mean_delay`` (due date + the
customer's historical mean delay) and ``carry_forward`` (today's balance stays). The two invoice
baselines get the same known outflows as Encaisse (recurring flows, supplier bills, VAT) but no
new business, which is what a forecast built from open invoices alone shows.

Metrics per horizon: MAE (mean absolute error, EUR), WAPE (Σ|error| / Σ|actual|) and, for
Encaisse, coverage (share of actual balances inside [low, high], target ≈ 80 %).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from encaisse.domain.forecast.engine import forecast
from encaisse.domain.forecast.items import CashFlow
from encaisse.domain.forecast.snapshot import ForecastInputs, History, inputs_as_of, run
from encaisse.domain.money import ZERO, format_amount

METHODS = ("encaisse", "due_date", "mean_delay", "carry_forward")
ABLATIONS = ("encaisse_no_new_business", "mean_delay_with_new_business")


@dataclass(frozen=True)
class HorizonScore:
    horizon: int  # weeks ahead
    mae: dict[str, float]
    wape: dict[str, float]
    coverage: float  # Encaisse only
    n: int
    bias: float = 0.0  # Encaisse mean error (forecast − actual), EUR


def _deterministic(
    inputs: ForecastInputs, origin: date, weeks: int, mean_delay: bool, *, new_business: bool = False
) -> list[float]:
    tomorrow = origin + timedelta(days=1)
    flows = []
    prior = [d for v in inputs.customer_history.values() for d in v]
    company_mean = statistics.fmean(prior) if prior else 0.0
    for r in inputs.receivables:
        day = r.due_date
        if mean_delay:
            hist = inputs.customer_history.get(r.customer)
            day += timedelta(days=round(statistics.fmean(hist) if hist else company_mean))
        flows.append(CashFlow(max(day, tomorrow), r.amount, r.key))
    recurring = [replace(f, spread=ZERO) for f in inputs.recurring]
    fc = forecast(
        inputs.position,
        [],
        inputs.payables,
        [],
        recurring,
        inputs.vat,
        today=origin,
        weeks=weeks,
        simulations=1 if not new_business else 200,
        one_offs=flows,
        new_business=inputs.new_business if new_business else None,
        seed=origin.toordinal(),
    )
    return [float(w.expected) for w in fc.weeks]


def backtest(
    history: History,
    *,
    start: date,
    end: date,
    horizons: int = 13,
    simulations: int = 300,
    include_baselines: bool = True,
    include_ablations: bool = False,
) -> list[HorizonScore]:
    """Scores per horizon over the Sundays in ``[start, end]`` whose horizon ends by ``end``."""
    errors: dict[tuple[str, int], list[float]] = defaultdict(list)
    actuals: dict[int, list[float]] = defaultdict(list)
    inside: dict[int, list[bool]] = defaultdict(list)
    txs = sorted(history.transactions, key=lambda t: t.booking_date)
    origin = start + timedelta(days=(6 - start.weekday()) % 7)  # first Sunday
    while origin + timedelta(weeks=1) <= end:
        inputs = inputs_as_of(history, origin)
        fc = run(inputs, today=origin, weeks=horizons + 1, simulations=simulations, seed=origin.toordinal())
        preds: dict[str, list[float]] = {"encaisse": [float(w.expected) for w in fc.weeks]}
        if include_baselines:
            preds["due_date"] = _deterministic(inputs, origin, horizons + 1, mean_delay=False)
            preds["mean_delay"] = _deterministic(inputs, origin, horizons + 1, mean_delay=True)
            preds["carry_forward"] = [float(inputs.position.total)] * (horizons + 1)
        if include_ablations:
            bare = replace(inputs, new_business=None)
            preds["encaisse_no_new_business"] = [
                float(w.expected)
                for w in run(bare, today=origin, weeks=horizons + 1, simulations=simulations).weeks
            ]
            preds["mean_delay_with_new_business"] = _deterministic(
                inputs, origin, horizons + 1, mean_delay=True, new_business=True
            )
        for h in range(1, horizons + 1):
            target = origin + timedelta(weeks=h)
            if target > end:
                break
            actual = float(
                history.opening_balance + sum((t.amount for t in txs if t.booking_date <= target), ZERO)
            )
            actuals[h].append(actual)
            for method, values in preds.items():
                errors[(method, h)].append(values[h] - actual)
            row = fc.weeks[h]
            inside[h].append(float(row.low) <= actual <= float(row.high))
        origin += timedelta(weeks=1)
    scores = []
    for h in range(1, horizons + 1):
        if not actuals[h]:
            continue
        denom = sum(abs(a) for a in actuals[h]) or 1.0
        methods = [m for m in (*METHODS, *ABLATIONS) if (m, h) in errors]
        scores.append(
            HorizonScore(
                horizon=h,
                mae={m: statistics.fmean(abs(e) for e in errors[(m, h)]) for m in methods},
                wape={m: sum(abs(e) for e in errors[(m, h)]) / denom for m in methods},
                coverage=statistics.fmean(inside[h]),
                n=len(actuals[h]),
                bias=statistics.fmean(errors[("encaisse", h)]),
            )
        )
    return scores


def backtest_summary(
    dataset: History, today: date, *, months: int = 6, simulations: int = 200
) -> dict[str, Any]:
    """ "Précision sur les 6 derniers mois": 4- and 13-week errors of forecasts made in that period."""
    start = max(today - timedelta(days=30 * months), dataset.opening_date + timedelta(weeks=12))
    scores = backtest(dataset, start=start, end=today, simulations=simulations, include_baselines=True)
    by_h = {s.horizon: s for s in scores}
    out: dict[str, Any] = {"from": start.isoformat(), "to": today.isoformat(), "horizons": {}}
    for h in (1, 4, 8, 13):
        s = by_h.get(h)
        if s is None:
            continue
        out["horizons"][str(h)] = {
            "forecasts": s.n,
            "mae": format_amount(Decimal(f"{s.mae['encaisse']:.2f}")),
            "wape": round(s.wape["encaisse"], 3),
            "coverage": round(s.coverage, 3),
            "mae_due_date": format_amount(Decimal(f"{s.mae['due_date']:.2f}")),
        }
    return out
