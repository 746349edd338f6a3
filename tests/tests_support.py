"""Helpers importable by tests (``from tests_support import …``): PostgreSQL schemas for subprocess tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

from conftest import drop_pg_schema, make_pg_schema_url, require_pg


@contextmanager
def require_pg_url() -> Iterator[str]:
    """A migrated PostgreSQL schema URL (skips, or fails in CI, when PostgreSQL is unreachable)."""
    from encaisse.adapters.store.db import upgrade

    require_pg()
    url, schema = make_pg_schema_url()
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_schema(schema)


def issue_many(url: str, company_id: int, customer_id: int, count: int, queue: Any) -> None:
    from encaisse.adapters.store.db import make_engine
    from encaisse.adapters.store.sql_repository import SqlUnitOfWork
    from encaisse.domain.documents import Invoice, Line
    from encaisse.services import invoicing

    engine = make_engine(url)
    uow = SqlUnitOfWork(engine)
    got = []
    with uow.read() as repo:
        customer = repo.get_party(company_id, customer_id)
    for i in range(count):
        draft = Invoice(
            company_id=company_id,
            customer=customer,
            issue_date=date(2026, 12, 4),
            lines=(Line(f"Prestation {i}", Decimal(1), Decimal("100.00")),),
        )
        created = invoicing.create_draft(uow, draft)
        got.append(invoicing.issue(uow, company_id, created.id or 0).number)
    engine.dispose()
    queue.put(got)
