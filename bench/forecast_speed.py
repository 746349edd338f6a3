"""Speed of the 13-week forecast: 100,000 open items and 3 years of daily bank history.

Run: ``.venv/bin/python bench/forecast_speed.py``. Target: the forecast itself in ≤ 2 s.
Prints wall time and CPU time (the CPU time is what to compare on a busy machine).
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from decimal import Decimal

from encaisse.domain.bank import BankTransaction
from encaisse.domain.forecast.delays import PaymentRecord, estimate_delay_model
from encaisse.domain.forecast.engine import forecast
from encaisse.domain.forecast.items import Receivable
from encaisse.domain.forecast.position import CashPosition
from encaisse.domain.forecast.recurrence import detect_recurring

TODAY = date(2026, 12, 4)
ITEMS = 100_000
CUSTOMERS = 2_000


def bank_history(rng: random.Random) -> list[BankTransaction]:
    txs = []
    day = TODAY - timedelta(days=3 * 365)
    while day <= TODAY:
        if day.weekday() < 5:
            if day.day in (5, 6, 7) and not any(
                t.booking_date.month == day.month and "LOYER" in t.remittance for t in txs[-40:]
            ):
                txs.append(BankTransaction(day, Decimal("-1850.00"), remittance="PRLV SEPA SCI /MOTIF LOYER"))
            for _ in range(rng.randint(2, 6)):
                amount = Decimal(rng.randint(-3000, 5000))
                txs.append(BankTransaction(day, amount, remittance=f"VIR SEPA CLIENT {rng.randint(1, 500)}"))
        day += timedelta(days=1)
    return txs


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    print(f"{label:<40} wall {time.perf_counter() - wall:6.2f} s   cpu {time.process_time() - cpu:6.2f} s")
    return result


def main() -> None:
    rng = random.Random(0)
    items = [
        Receivable(
            f"F{i}",
            f"C{i % CUSTOMERS}",
            Decimal(rng.randint(100, 5000)),
            TODAY + timedelta(days=rng.randint(-90, 60)),
        )
        for i in range(ITEMS)
    ]
    history = [PaymentRecord(f"C{i % CUSTOMERS}", rng.randint(-5, 40)) for i in range(20 * CUSTOMERS)]
    txs = bank_history(rng)
    print(f"{ITEMS:,} open items, {CUSTOMERS:,} customers, {len(txs):,} bank transactions over 3 years")
    model = timed("delay model (40,000 payments)", lambda: estimate_delay_model(history))
    flows = timed("recurring-flow detection", lambda: detect_recurring(txs, today=TODAY))
    position = CashPosition(TODAY, total=Decimal("25000"))
    fc = timed(
        "13-week forecast, 500 simulations",
        lambda: forecast(position, items, [], [], flows, [], today=TODAY, delays=model, simulations=500),
    )
    print(f"week 13: expected {fc.weeks[-1].expected} (low {fc.weeks[-1].low}, high {fc.weeks[-1].high})")


if __name__ == "__main__":
    main()
