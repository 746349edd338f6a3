"""Benchmark: the day's reminders for 100,000 open invoices (target ≤ 5 s on the 2-core machine).

    .venv/bin/python bench/dunning.py [--count 100000] [--customers 20000]

Prints the time of ``due_today`` (cold: step-date cache empty; warm: second run) and of
``apply_run``, with the number of reminders, calls and held invoices.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta
from decimal import Decimal

from encaisse.domain.dunning import DunningItem, apply_run, due_today, step_date

TODAY = date(2027, 3, 15)
STEPS = [None, "courtesy", "reminder_1", "reminder_2", "formal_notice", "call"]


def make_items(count: int, customers: int, seed: int = 2026) -> list[DunningItem]:
    rng = random.Random(seed)
    items = []
    for i in range(count):
        cid = rng.randrange(customers)
        due = TODAY + timedelta(days=rng.randint(-120, 20))
        late = (TODAY - due).days
        # Roughly the state a daily run leaves: the step matching the lateness, sometimes behind.
        expected = (
            0
            if late < -3
            else 1
            if late < 7
            else 2
            if late < 15
            else 3
            if late < 30
            else 4
            if late < 37
            else 5
        )
        last = STEPS[max(0, expected - rng.choice((0, 0, 0, 1, 2)))]
        total = Decimal(rng.randint(5000, 500000)) / 100
        items.append(
            DunningItem(
                invoice_id=i,
                number=f"F2027-{i:06d}",
                customer_id=cid,
                customer_name=f"Client {cid:05d}",
                customer_is_business=rng.random() < 0.85,
                customer_email=f"c{cid}@example.fr",
                due_date=due,
                amount_due=total,
                total=total,
                penalty_rate=Decimal("12.15"),
                disputed=rng.random() < 0.01,
                delivery_failed=rng.random() < 0.005,
                last_step_sent=last,
                last_step_sent_on=TODAY - timedelta(days=rng.randint(3, 10)) if last else None,
            )
        )
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    args = parser.parse_args()
    items = make_items(args.count, args.customers)
    step_date.cache_clear()
    for label in ("cold", "warm"):
        start = time.perf_counter()
        run = due_today(items, {}, TODAY)
        elapsed = time.perf_counter() - start
        print(
            f"due_today ({label}) on {len(items):,} open invoices: {elapsed:.2f} s — "
            f"{len(run.reminders):,} reminders, {len(run.calls_today):,} calls, "
            f"{len(run.held):,} held, {len(run.fix_and_resend):,} to fix and resend"
        )
    start = time.perf_counter()
    after = apply_run(items, run)
    print(f"apply_run: {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    again = due_today(after, {}, TODAY)
    print(f"second run the same day: {time.perf_counter() - start:.2f} s — {len(again.reminders)} reminders")


if __name__ == "__main__":
    main()
