"""HTTP load on the web app with many invoices in PostgreSQL (issue "Web app and REST API").

    .venv/bin/python bench/http_load.py [--invoices 100000] [--clients 20] [--requests 300]

Creates a dedicated database (``encaisse_bench`` on the server of ``ENCAISSE_TEST_PG_URL``,
default postgresql://postgres@127.0.0.1:5432/test; the ``test`` database itself is not touched),
seeds one company with ``--invoices`` invoices (most as imported receivables without lines, bulk
inserted; ``--with-lines`` of them written with lines through the repository), starts
``encaisse serve`` on a free loopback port in a subprocess, logs in, then runs a bounded asyncio
load (``--clients`` concurrent clients, ``--requests`` requests per page) on the invoice list, an
invoice page and the dashboard. Prints p50/p95/max per page (target p95 < 150 ms) with the CPU
time per request of the server process and of this load client, then the same one client at a
time, and drops the database at the end (``--keep`` keeps it; ``--reuse`` then skips seeding when
that database already holds the bench company, to iterate on the server quickly).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

from encaisse.adapters.store.db import make_engine, upgrade
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.adapters.web.account_use_cases import sign_up
from encaisse.domain.documents import DocumentKind, Invoice, InvoiceStatus, Line
from encaisse.domain.parties import Address, Company, Party

BENCH_DB = "encaisse_bench"
PASSWORD = "bench-password-123"
EMAIL = "bench@encaisse.local"
ROOT = Path(__file__).resolve().parents[1]


def admin_url() -> str:
    return os.environ.get("ENCAISSE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def bench_url() -> str:
    base = admin_url().rsplit("/", 1)[0]
    return f"{base}/{BENCH_DB}"


def recreate_db() -> None:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))


def seeded_ids() -> list[int] | None:
    """Ids of the invoices with lines of a kept bench database; None when there is none to reuse."""
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)).fetchone()
    if not exists:
        return None
    try:
        with psycopg.connect(bench_url()) as conn:
            ids = [int(r[0]) for r in conn.execute("SELECT id FROM invoice WHERE NOT imported ORDER BY id")]
            n = conn.execute("SELECT count(*) FROM invoice").fetchone()
    except psycopg.Error:
        return None
    if not ids or n is None:
        return None
    print(f"reusing {BENCH_DB}: {n[0]} invoices, {len(ids)} with lines")
    return ids


def drop_db() -> None:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))


def seed(n_invoices: int, with_lines: int, seed_value: int = 7) -> list[int]:
    """One company, 300 customers, ``n_invoices`` invoices; returns ids of invoices with lines."""
    rng = random.Random(seed_value)
    url = bench_url()
    upgrade(url)
    engine = make_engine(url)
    uow = SqlUnitOfWork(engine)
    company = Company(
        name="Bench SARL",
        siren="732829320",
        legal_form="SARL",
        share_capital=Decimal(10000),
        rcs_city="Lyon",
        address=Address("1 rue de la Bourse", "", "69002", "Lyon"),
    )
    _, stored = sign_up(uow, company, email=EMAIL, name="Bench", password=PASSWORD)
    cid = stored.id or 0
    with uow() as repo:
        customers = [
            repo.add_party(
                cid,
                Party(
                    name=f"Client {i:03d} SAS",
                    siren="552100554",
                    address=Address(f"{i} avenue Foch", "", "75016", "Paris"),
                ),
            )
            for i in range(300)
        ]
    today = date.today()
    start = today - timedelta(days=3 * 365)
    t0 = time.perf_counter()
    imported = n_invoices - with_lines
    batch: list[Invoice] = []
    for i in range(imported):
        issue = start + timedelta(days=rng.randrange(3 * 365))
        total = Decimal(rng.randrange(5_000, 500_000)) / 100
        paid_share = rng.random()
        status = InvoiceStatus.PAID if paid_share < 0.8 else InvoiceStatus.ISSUED
        batch.append(
            Invoice(
                company_id=cid,
                customer=rng.choice(customers),
                issue_date=issue,
                due_date=issue + timedelta(days=30),
                number=f"IMP-{i + 1:07d}",
                status=status,
                total_incl_tax_override=total,
                amount_paid=total if status is InvoiceStatus.PAID else Decimal("0.00"),
            )
        )
        if len(batch) == 10_000:
            with uow() as repo:
                repo.add_imported_invoices(batch)
            batch = []
    if batch:
        with uow() as repo:
            repo.add_imported_invoices(batch)
    t1 = time.perf_counter()
    full: list[Invoice] = []
    for i in range(with_lines):
        issue = today - timedelta(days=rng.randrange(120))
        lines = tuple(
            Line(
                f"Prestation {k}", Decimal(rng.randrange(1, 10)), Decimal(rng.randrange(2_000, 90_000)) / 100
            )
            for k in range(rng.randrange(1, 6))
        )
        full.append(
            Invoice(
                company_id=cid,
                customer=rng.choice(customers),
                issue_date=issue,
                supply_date=issue,
                due_date=issue + timedelta(days=30),
                lines=lines,
                kind=DocumentKind.INVOICE,
                status=InvoiceStatus.ISSUED,
                number=f"F{issue.year}-{i + 1:05d}",
            )
        )
    with uow() as repo:
        repo.add_invoices_bulk(full)
    with engine.begin() as conn:
        ids = [int(r[0]) for r in conn.exec_driver_sql("SELECT id FROM invoice WHERE NOT imported")]
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(
        f"seeded {imported} imported invoices in {t1 - t0:.1f} s, {with_lines} with lines in {time.perf_counter() - t1:.1f} s"
    )
    return ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, cache_ttl: float, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ENCAISSE_WEB_CACHE_TTL": str(cache_ttl),
        "ENCAISSE_DATABASE_URL": bench_url(),
        "ENCAISSE_SECRET_KEY": "bench-secret-" + "x" * 40,
        "ENCAISSE_BASE_URL": f"http://127.0.0.1:{port}",
    }
    if workers <= 1:  # exactly what `encaisse serve` runs
        command = [
            str(Path(sys.executable).with_name("encaisse")),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
    else:  # several stateless web processes (DESIGN "Runtime and scale")
        command = [sys.executable, "-m", "uvicorn", "--factory", "encaisse.adapters.web.app:create_app"]
        command += [
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ]
    proc = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/connexion", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not start")


async def login(client: httpx.AsyncClient) -> None:
    page = await client.get("/connexion")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert token is not None
    r = await client.post(
        "/connexion", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert r.status_code == 303, r.status_code


async def load(
    base: str, paths: list[str], clients: int, on_start: Callable[[], object] = lambda: None
) -> list[float]:
    """Run ``paths`` (a shared queue) with ``clients`` concurrent sessions; latencies in ms.

    Every client logs in first (argon2 is deliberately slow): only page requests are timed.
    """
    queue: asyncio.Queue[str] = asyncio.Queue()
    for p in paths:
        queue.put_nowait(p)
    latencies: list[float] = []
    errors = 0
    sessions = [httpx.AsyncClient(base_url=base, timeout=30) for _ in range(clients)]
    for client in sessions:
        await login(client)
    on_start()

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while True:
            try:
                path = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            t = time.perf_counter()
            r = await client.get(path)
            latencies.append((time.perf_counter() - t) * 1000)
            if r.status_code != 200:
                errors += 1

    try:
        await asyncio.gather(*(worker(c) for c in sessions))
    finally:
        for client in sessions:
            await client.aclose()
    if errors:
        print(f"  {errors} non-200 responses")
    return latencies


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(name: str, ms: list[float], server_cpu_s: float = 0.0, client_cpu_s: float = 0.0) -> None:
    q = statistics.quantiles(ms, n=100)
    cpu = ""
    if server_cpu_s:
        cpu += f"  CPU/request: server {1000 * server_cpu_s / len(ms):5.2f} ms"
    if client_cpu_s:
        cpu += f", load client {1000 * client_cpu_s / len(ms):5.2f} ms"
    print(f"{name:<16} n={len(ms):<5} p50={q[49]:7.1f} ms  p95={q[94]:7.1f} ms  max={max(ms):7.1f} ms{cpu}")


def measured(base: str, paths: list[str], clients: int, pid: int) -> tuple[list[float], float, float]:
    """Latencies of ``paths``, the server CPU and this load client's CPU they took (logins excluded)."""
    latencies: list[float] = []
    start: list[tuple[float, float]] = []

    async def run() -> None:
        def started() -> None:
            start.append((cpu_seconds(pid), time.process_time()))

        latencies.extend(await load(base, paths, clients, on_start=started))

    asyncio.run(run())
    return latencies, cpu_seconds(pid) - start[0][0], time.process_time() - start[0][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--with-lines", type=int, default=2_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=300, help="requests per page")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse a kept bench database when it exists (no seeding; implies --keep)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (1 = `encaisse serve`)"
    )
    parser.add_argument(
        "--cache-ttl",
        type=float,
        default=15.0,
        help="read-model cache of the server (0 = every request hits the database)",
    )
    args = parser.parse_args()
    ids = seeded_ids() if args.reuse else None
    keep = args.keep or args.reuse
    if ids is None:
        recreate_db()
    proc = None
    try:
        if ids is None:
            ids = seed(args.invoices, min(args.with_lines, args.invoices))
        port = free_port()
        proc = start_server(port, args.cache_ttl, args.workers)
        base = f"http://127.0.0.1:{port}"
        rng = random.Random(1)
        asyncio.run(load(base, ["/", "/factures", f"/factures/{ids[0]}"] * 5, 5))  # warm-up
        pages = {
            "invoice list": ["/factures"] * args.requests,
            "invoice page": [f"/factures/{rng.choice(ids)}" for _ in range(args.requests)],
            "dashboard": ["/"] * args.requests,
        }
        print(
            f"{args.invoices} invoices, {args.clients} concurrent clients, {args.requests} requests per page, "
            f"{args.workers} server process(es), read cache {'off' if args.cache_ttl <= 0 else f'{args.cache_ttl:g} s'}"
        )
        for name, paths in pages.items():
            report(name, *measured(base, paths, args.clients, proc.pid))
        print("one client at a time (service time without queueing):")
        alone = {**pages, "invoice page": [f"/factures/{rng.choice(ids)}" for _ in range(50)]}
        for name, paths in alone.items():  # invoices mostly not shown yet (not in the read cache)
            report(name, *measured(base, paths[:50], 1, proc.pid))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
        if not keep:
            drop_db()


if __name__ == "__main__":
    main()
