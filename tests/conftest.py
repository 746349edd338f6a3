"""Shared fixtures: where ``../shared`` lives, and the database URLs under test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_path() -> Path:
    """The workplace's shared folder (corpora, legal checklist); ENCAISSE_SHARED_DIR overrides."""
    return Path(os.environ.get("ENCAISSE_SHARED_DIR", ROOT.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    path = shared_path()
    if not (path / "corpora").is_dir():
        pytest.fail(f"shared corpora not found at {path} (set ENCAISSE_SHARED_DIR)")
    return path


@pytest.fixture(scope="session")
def corpora(shared_dir: Path) -> Path:
    return shared_dir / "corpora"


# ---- databases under test: SQLite always, PostgreSQL when reachable (required in CI) ---------------------------
PG_URL = os.environ.get("ENCAISSE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
_pg_state: dict[str, str | None] = {}


def pg_unavailable_reason() -> str | None:
    """None when PostgreSQL answers, else why not (cached per process)."""
    if "reason" not in _pg_state:
        try:
            import psycopg

            with psycopg.connect(PG_URL, connect_timeout=3) as conn:
                conn.execute("select 1")
            _pg_state["reason"] = None
        except Exception as exc:
            _pg_state["reason"] = f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}"
    return _pg_state["reason"]


def require_pg() -> None:
    reason = pg_unavailable_reason()
    if reason is None:
        return
    if os.environ.get("ENCAISSE_REQUIRE_PG") == "1":
        pytest.fail(f"{reason} (ENCAISSE_REQUIRE_PG=1: PostgreSQL tests may not be skipped)")
    pytest.skip(reason)


def make_pg_schema_url() -> tuple[str, str]:
    """A fresh schema in the PostgreSQL test database; returns (url with search_path, schema)."""
    import uuid

    import psycopg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}", schema


def drop_pg_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: once on SQLite, once on PostgreSQL."""
    from encaisse.adapters.store.db import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'encaisse.db'}"
        upgrade(url)
        yield url
        return
    require_pg()
    url, schema = make_pg_schema_url()
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_schema(schema)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    from encaisse.adapters.store.db import upgrade

    url = f"sqlite:///{tmp_path / 'encaisse.db'}"
    upgrade(url)
    return url


@pytest.fixture
def uow(db_url: str) -> Iterator[Any]:
    from encaisse.adapters.store.db import make_engine
    from encaisse.adapters.store.sql_repository import SqlUnitOfWork

    engine = make_engine(db_url)
    yield SqlUnitOfWork(engine)
    engine.dispose()
