"""Fixtures of the payables and financing tests: a store with the financing mixin (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from encaisse.domain.parties import Company


@pytest.fixture
def fuow(db_url: str) -> Iterator[Any]:
    """A unit of work whose repository has the payables/financing methods, on a migrated database."""
    from encaisse.adapters.store.db import make_engine
    from encaisse.adapters.store.sql_repository import SqlUnitOfWork

    engine = make_engine(db_url)
    yield SqlUnitOfWork(engine)
    engine.dispose()


@pytest.fixture
def company(fuow: Any) -> Company:
    from tests_support import new_company

    return new_company(fuow)
