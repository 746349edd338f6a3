"""Measure camt.053 parsing speed on a synthetic 110,000-transaction statement.

Usage: ``.venv/bin/python bench/parse_bank.py [--transactions N]``. Target: ≥ 20,000 transactions/s.
The file is written by ``camt053.export`` (one ``Ntry`` with ``TxDtls`` per transaction: counterparty,
IBAN, end-to-end id, remittance, bank reference), then parsed as an import would.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta
from decimal import Decimal

from encaisse.adapters.parallel import forked_map, usable_cores
from encaisse.domain.bank import BankTransaction, Statement
from encaisse.formats import bank_registry, camt053


def synthetic_statement(count: int) -> Statement:
    start = date(2026, 1, 1)
    txs = tuple(
        BankTransaction(
            booking_date=start + timedelta(days=i % 365),
            value_date=start + timedelta(days=i % 365 + 1),
            amount=Decimal(i % 50_000 - 20_000).scaleb(-2),
            counterparty_name=f"CLIENT {i % 977} SARL",
            counterparty_iban="FR7630006000011234567890189",
            remittance=f"VIR SEPA FACTURE F-2026-{i:06d} MERCI",
            end_to_end_id=f"E2E-{i:08d}",
            bank_ref=f"REF{i:010d}",
            bank_code="PMNT/RCDT/ESCT",
        )
        for i in range(count)
    )
    return Statement("FR7630006000011234567890189", transactions=txs, opening_balance=Decimal("0.00"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transactions", type=int, default=110_000)
    args = parser.parse_args()
    data = camt053.export([synthetic_statement(args.transactions)])
    print(f"file: {len(data) / 1e6:.1f} MB, {args.transactions:,} transactions")
    best = cpu = float("inf")
    for _ in range(3):
        started, started_cpu = time.perf_counter(), time.process_time()
        parsed = camt053.parse(data, max_bytes=len(data))
        best = min(best, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)
    count = sum(len(s.transactions) for s in parsed.statements)
    assert count == args.transactions
    print(
        f"camt053.parse: {best:.2f} s wall, {count / best:,.0f} transactions/s (best of 3); "
        f"{cpu:.2f} s CPU, {count / cpu:,.0f} transactions/s of CPU time"
    )
    started = time.perf_counter()
    bank_registry.parse_statement_file(data, max_bytes=len(data))
    elapsed = time.perf_counter() - started
    print(f"bank_registry.parse_statement_file: {elapsed:.2f} s, {count / elapsed:,.0f} transactions/s")
    parts = min(usable_cores(), 4)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        in_parts = bank_registry.parse_statement_file(
            data, max_bytes=len(data), map_parts=forked_map, parts=parts
        )
        best = min(best, time.perf_counter() - started)
    assert in_parts == parsed
    print(
        f"read in {parts} parts on {usable_cores()} cores (what `encaisse bank import` does): "
        f"{best:.2f} s wall, {count / best:,.0f} transactions/s (best of 3; same result)"
    )


if __name__ == "__main__":
    main()
