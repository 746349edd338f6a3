"""Issue N three-line invoices through the real use case and print invoices/second and peak memory.

    .venv/bin/python bench/issue_invoices.py [--count 10000] [--batch 500] [--db sqlite|postgresql|both]

Each invoice goes through the full issue path: compliance check (every mandatory mention),
gap-free number under the store's lock, totals, VAT lines, RF reference and an audit event.
Invoices are issued in transactions of ``--batch`` invoices (``services.invoicing.create_and_issue``).
PostgreSQL: ENCAISSE_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test), in a scratch schema.
Targets (issue #2): >= 1,000 invoices/s on SQLite, >= 500/s on PostgreSQL, peak memory < 300 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import uuid
from datetime import date
from decimal import Decimal

import psycopg

from encaisse.adapters.store.db import make_engine, upgrade
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.domain.documents import Invoice, Line, LineNature
from encaisse.domain.parties import Address, Company, Party, SizeCategory
from encaisse.services import invoicing
from encaisse.services.companies import create_company, save_party

PG_URL = os.environ.get("ENCAISSE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def run(url: str, count: int, batch: int) -> tuple[float, int]:
    upgrade(url)
    engine = make_engine(url)
    uow = SqlUnitOfWork(engine)
    company = create_company(
        uow,
        Company(
            name="Électricité Martin",
            siren="732829320",
            share_capital=Decimal(10000),
            rcs_city="Lyon",
            address=Address("12 rue de la République", "", "69002", "Lyon"),
            size_category=SizeCategory.PME,
            iban="FR7630006000011234567890189",
            penalty_rate=Decimal("12.15"),
        ),
    )
    customer = save_party(
        uow,
        company.id or 0,
        Party(
            name="Boulangerie Dupont",
            siren="552100554",
            address=Address("3 place Bellecour", "", "69002", "Lyon"),
        ),
    )
    lines = (
        Line("Main d'œuvre électricien", Decimal(3), Decimal("52.00"), unit="HUR"),
        Line("Disjoncteur 40 A", Decimal(2), Decimal("86.50"), nature=LineNature.GOODS),
        Line("Déplacement", Decimal(1), Decimal("35.00")),
    )
    drafts = [
        Invoice(
            company_id=company.id or 0,
            customer=customer,
            issue_date=date(2026, 12, 4),
            supply_date=date(2026, 12, 2),
            lines=lines,
        )
        for _ in range(count)
    ]
    start = time.perf_counter()
    for i in range(0, count, batch):
        invoicing.create_and_issue(uow, drafts[i : i + batch])
    elapsed = time.perf_counter() - start
    with uow() as repo:
        last = repo.invoice_by_number(company.id or 0, f"F2026-{count:05d}")
    assert last is not None, "last number missing"
    engine.dispose()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return count / elapsed, peak_kb


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            rate, peak = run(f"sqlite:///{tmp}/bench.db", args.count, args.batch)
        print(f"sqlite      {args.count} invoices: {rate:,.0f} invoices/s, peak RSS {peak / 1024:.0f} MB")
    if args.db in ("postgresql", "both"):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            sep = "&" if "?" in PG_URL else "?"
            rate, peak = run(f"{PG_URL}{sep}options=-csearch_path%3D{schema}", args.count, args.batch)
            print(f"postgresql  {args.count} invoices: {rate:,.0f} invoices/s, peak RSS {peak / 1024:.0f} MB")
        finally:
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
