"""Reconciliation benchmark without a database: generator → engine → precision / recall / F1.

    python bench/reconcile_inmemory.py --seed 1 --invoices 20000 [--threshold 0.97] [--errors 10]

The engine sees what ``encaisse import invoices`` would give it: the CSV columns only (parties
keyed by SIREN, no RF references, no IBAN history, no aliases). A *link* is
(transaction_id, invoice_number); only confident (auto-applied) proposals count. A naive
baseline (exact invoice number in the text, else a unique exact amount) is scored alongside.
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from encaisse.domain.bank import BankTransaction  # noqa: E402
from encaisse.domain.matching.engine import match  # noqa: E402
from encaisse.domain.matching.model import ItemKind, OpenItem  # noqa: E402
from gen_reconciliation import Dataset, generate  # noqa: E402

Link = tuple[str, str]


def open_items(ds: Dataset) -> list[OpenItem]:
    return [
        OpenItem(
            id=inv.number,
            number=inv.number,
            kind=ItemKind.INVOICE,
            party_id=inv.customer.siren,
            party_name=inv.customer.name,
            party_siren=inv.customer.siren,
            amount_due=inv.total,
            total=inv.total,
            issue_date=inv.issue,
            due_date=inv.due,
        )
        for inv in ds.invoices
    ]


def baseline(transactions: list[BankTransaction], items: list[OpenItem]) -> dict[Link, Decimal]:
    """Exact invoice number in the text, else the only open invoice of exactly that amount."""
    by_number = {i.number: i for i in items}
    by_amount: dict[Decimal, list[OpenItem]] = defaultdict(list)
    for i in items:
        by_amount[i.amount_due].append(i)
    pattern = re.compile(r"F\d{4}-\d{5}")
    links: dict[Link, Decimal] = {}
    for tx in transactions:
        if tx.amount <= 0:
            continue
        found = [
            by_number[n]
            for n in pattern.findall(f"{tx.remittance} {tx.structured_reference}")
            if n in by_number
        ]
        if not found and len(by_amount[tx.amount]) == 1:
            found = by_amount[tx.amount]
        left = tx.amount
        for item in found:
            take = min(left, item.amount_due)
            if take > 0:
                links[(tx.bank_ref, item.number)] = take
                left -= take
    return links


def scores(predicted: dict[Link, Decimal], truth: dict[Link, Decimal]) -> tuple[float, float, float, float]:
    """precision, recall, F1 of links, and the share of correct links whose amount is also right."""
    correct = set(predicted) & set(truth)
    precision = len(correct) / len(predicted) if predicted else 1.0
    recall = len(correct) / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    amounts_ok = (
        sum(1 for link in correct if predicted[link] == truth[link]) / len(correct) if correct else 1.0
    )
    return precision, recall, f1, amounts_ok


def run(
    seed: int, n_invoices: int, threshold: float | None, show_errors: int, memory: bool
) -> dict[str, float]:
    t0 = time.perf_counter()
    ds = generate(seed, n_invoices)
    t1 = time.perf_counter()
    items = open_items(ds)
    truth = {(t, n): v for t, n, v in ds.truth}
    today = ds.transactions[-1].booking_date + timedelta(days=1)
    if memory:
        tracemalloc.start()
    t2, c2 = time.perf_counter(), time.process_time()
    result = match(ds.transactions, items, today=today, threshold=threshold)
    t3, c3 = time.perf_counter(), time.process_time()
    peak = tracemalloc.get_traced_memory()[1] if memory else 0
    if memory:
        tracemalloc.stop()
    predicted = {
        (str(p.transaction_id), a.number): a.amount
        for p in result.proposals
        if p.confident
        for a in p.allocations
    }
    p, r, f1, amt = scores(predicted, truth)
    bp, br, bf1, bamt = scores(baseline(ds.transactions, items), truth)
    print(
        f"seed={seed} invoices={len(items)} transactions={len(ds.transactions)} links={len(truth)} "
        f"generate={t1 - t0:.1f}s match={t3 - t2:.1f}s (cpu {c3 - c2:.1f}s)"
        + (f" tracemalloc_peak={peak / 2**20:.0f}MiB" if memory else "")
        + f" maxrss={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}MiB"
    )
    print(f"  engine   precision={p:.4f} recall={r:.4f} f1={f1:.4f} amounts_ok={amt:.4f}")
    print(f"  baseline precision={bp:.4f} recall={br:.4f} f1={bf1:.4f} amounts_ok={bamt:.4f}")
    if show_errors:
        _show_errors(ds, result.proposals, predicted, truth, show_errors)
    return {"precision": p, "recall": r, "f1": f1, "seconds": t3 - t2, "cpu_seconds": c3 - c2}


def _show_errors(
    ds: Dataset,
    proposals: Iterable[object],
    predicted: dict[Link, Decimal],
    truth: dict[Link, Decimal],
    n: int,
) -> None:
    txs = {t.bank_ref: t for t in ds.transactions}
    by_tx = {str(getattr(p, "transaction_id", "")): p for p in proposals}
    truth_by_tx: dict[str, list[str]] = defaultdict(list)
    for t, inv in truth:
        truth_by_tx[t].append(inv)
    false_pos = sorted({t for t, i in predicted if (t, i) not in truth})
    missed = sorted({t for t, i in truth if (t, i) not in predicted})
    kinds = Counter(str(getattr(by_tx.get(t), "explanation_fr", "none"))[:30] for t in missed)
    print("  missed by first reason:", kinds.most_common(8))
    for label, ids in (("FALSE POSITIVE", false_pos), ("MISSED", missed)):
        for t in ids[:n]:
            tx = txs[t]
            p = by_tx.get(t)
            print(
                f"  {label} {t} {tx.amount} name={tx.counterparty_name!r} text={tx.remittance!r} ref={tx.structured_reference!r}"
            )
            print(
                f"      truth={truth_by_tx.get(t)} proposal={getattr(p, 'allocations', None)} score={getattr(p, 'score', None)}"
            )
            print(f"      {getattr(p, 'explanation_fr', '')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, action="append")
    parser.add_argument("--invoices", type=int, default=20000)
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--errors", type=int, default=0, help="print that many false positives and misses")
    parser.add_argument("--memory", action="store_true", help="measure the engine's peak memory (slower)")
    args = parser.parse_args()
    for seed in args.seed or [1]:
        run(seed, args.invoices, args.threshold, args.errors, args.memory)


if __name__ == "__main__":
    main()
