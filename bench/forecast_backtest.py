"""Backtest of the cash forecast on the demo company (seed 7, 18 months, as of 2026-12-04).

Run: ``.venv/bin/python bench/forecast_backtest.py [--simulations N] [--seed S]``.
Prints MAE and WAPE per horizon for Encaisse and the three baselines, and the coverage of the
[low, high] band (target ≈ 80 %).
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

from encaisse.domain.forecast.backtest import ABLATIONS, METHODS, backtest
from encaisse.services.demo_data import generate

TODAY = date(2026, 12, 4)
WARM_UP_WEEKS = 16


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--simulations", type=int, default=300)
    args = parser.parse_args()
    started = time.perf_counter()
    ds = generate(args.seed, today=TODAY, months=args.months)
    start = ds.opening_date + timedelta(weeks=WARM_UP_WEEKS)
    scores = backtest(ds, start=start, end=TODAY, simulations=args.simulations, include_ablations=True)
    print(f"demo seed={args.seed} months={args.months}: origins from {start} to {TODAY} (weekly, Sundays)")
    head = "  ".join(f"{m:>13}" for m in METHODS)
    print(f"{'h':>3} {'n':>3}  MAE (EUR): {head}   | WAPE: {head}  | coverage")
    for s in scores:
        maes = "  ".join(f"{s.mae[m]:>13,.0f}" for m in METHODS)
        wapes = "  ".join(f"{s.wape[m]:>13.3f}" for m in METHODS)
        print(
            f"{s.horizon:>3} {s.n:>3}             {maes}   |       {wapes}  | {s.coverage:6.1%}  bias {s.bias:>8,.0f}"
        )
    for h in (4, 13):
        s = next(x for x in scores if x.horizon == h)
        others = {m: s.mae[m] for m in METHODS if m != "encaisse"}
        gain = 1 - s.mae["encaisse"] / s.mae["due_date"]
        beats = all(s.mae["encaisse"] < v for v in others.values())
        print(
            f"h={h}: Encaisse MAE {s.mae['encaisse']:,.0f} — {gain:.0%} below due-date baseline; beats all: {beats}"
        )
    print("ablations (MAE, EUR): h  " + "  ".join(f"{m:>30}" for m in ABLATIONS))
    for s in scores:
        print(f"                     {s.horizon:>2}  " + "  ".join(f"{s.mae[m]:>30,.0f}" for m in ABLATIONS))
    total = sum(s.coverage * s.n for s in scores) / sum(s.n for s in scores)
    print(f"overall coverage of [low, high]: {total:.1%}   ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
