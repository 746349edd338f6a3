"""On PostgreSQL, 20 concurrent processes issuing invoices get numbers 1..N: no gap, no duplicate (INV-NUMBER)."""

from __future__ import annotations

import multiprocessing as mp
from decimal import Decimal
from typing import Any

import pytest

from tests_support import issue_many, require_pg_url

PROCESSES = 20
PER_PROCESS = 5


@pytest.mark.pg
@pytest.mark.slow
def test_twenty_processes_no_gap_no_duplicate(tmp_path: Any) -> None:
    from encaisse.adapters.store.db import make_engine
    from encaisse.adapters.store.sql_repository import SqlUnitOfWork
    from encaisse.domain.parties import Address, Company, Party, SizeCategory
    from encaisse.services.companies import create_company, save_party

    with require_pg_url() as url:
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
        engine.dispose()
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        procs = [
            ctx.Process(target=issue_many, args=(url, company.id, customer.id, PER_PROCESS, queue))
            for _ in range(PROCESSES)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=240)
        assert [p.exitcode for p in procs] == [0] * PROCESSES
        results = [queue.get(timeout=10) for _ in procs]
        numbers = sorted(n for chunk in results for n in chunk)
        expected = [f"F2026-{i:05d}" for i in range(1, PROCESSES * PER_PROCESS + 1)]
        assert numbers == expected
