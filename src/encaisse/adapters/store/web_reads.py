"""Read-only queries of the web pages' hot path: the data version and the signed-in user, at once.

Every page first needs (a) who is asking: the user, its password hash (the session fingerprint),
its memberships and the names of its companies, and (b) a *data version*: a value that changes
whenever any write is committed to the database, so read models and rendered pages can be cached
under it and never be served stale (:mod:`encaisse.adapters.web.read_cache`).

- PostgreSQL: the version is the current snapshot (``pg_current_snapshot()``, xmax and the list of
  transactions in progress). Two snapshots that are equal see exactly the same committed data, and
  a write transaction that commits always changes it. It is read in the same statement as the user,
  so the pages pay one round trip for both. It changes on any write in the cluster, so it is
  coarser than a per-company version, but it needs no schema change and is never stale.
- SQLite (embedded mode): ``PRAGMA data_version`` read on one dedicated connection that never
  writes; SQLite changes it whenever another connection, of this process or another, commits.
- Anything else (an in-memory SQLite database): no version (None); callers fall back to a short
  time-to-live cache.

On PostgreSQL the invoice page reads its invoice, lines and payments through psycopg directly
(:func:`invoice_with_payments`), converting each column with the result processor of its
SQLAlchemy type and building the domain objects with the store's own mapping functions, so the
result is the repository's (tests compare both), for a third of the CPU.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine

from encaisse.adapters.store import mapping as mp
from encaisse.adapters.store import tables as t
from encaisse.adapters.store.sql_repository import SqlRepository, SqlUnitOfWork
from encaisse.domain.documents import Invoice
from encaisse.domain.errors import NotFoundError
from encaisse.services.ports import UserRecord

_PRINCIPAL_COLUMNS = """
    u.email, u.name, u.password_hash, m.company_id, m.role, c.name AS company_name
    FROM app_user u
    LEFT JOIN membership m ON m.user_id = u.id
    LEFT JOIN company c ON c.id = m.company_id
    WHERE u.id = {uid}
    ORDER BY m.company_id
"""
#: PostgreSQL: run on the psycopg connection itself (no SQLAlchemy layers; psycopg prepares it).
_PRINCIPAL_PG = "SELECT pg_current_snapshot()::text AS version," + _PRINCIPAL_COLUMNS.format(uid="%(uid)s")
_PRINCIPAL = sa.text("SELECT NULL AS version," + _PRINCIPAL_COLUMNS.format(uid=":uid"))


@dataclass(frozen=True)
class Principal:
    """The user of a session with its memberships, and the data version read with them."""

    user: UserRecord
    company_names: dict[int, str]
    version: Hashable | None


class DataVersion:
    """Reads the database's data version (see the module docstring); None when unknown."""

    def __init__(self, engine: Engine) -> None:
        self.postgresql = engine.dialect.name == "postgresql"
        self._sqlite_path: str | None = None
        self._sqlite: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        if engine.dialect.name == "sqlite":
            path = engine.url.database or ""
            if path and path != ":memory:" and not path.startswith("file:"):
                self._sqlite_path = path

    def read(self, conn: Connection | None = None) -> Hashable | None:
        """The current version (PostgreSQL: through ``conn``, or a connection of the pool)."""
        if self.postgresql:
            if conn is None:
                raise ValueError("a PostgreSQL version is read through a connection")
            return str(conn.exec_driver_sql("SELECT pg_current_snapshot()::text").scalar_one())
        if self._sqlite_path is None:
            return None
        with self._lock:
            if self._sqlite is None:
                self._sqlite = sqlite3.connect(
                    self._sqlite_path, isolation_level=None, check_same_thread=False
                )
            row = self._sqlite.execute("PRAGMA data_version").fetchone()
        return ("sqlite", int(row[0]))

    def close(self) -> None:
        with self._lock:
            if self._sqlite is not None:
                self._sqlite.close()
                self._sqlite = None


class _Row:
    """What the store's mapping functions read from a row: ``row._mapping[column name]``."""

    __slots__ = ("_mapping",)

    def __init__(self, mapping: dict[str, Any]) -> None:
        self._mapping = mapping


class _TableReader:
    """``SELECT columns FROM table WHERE ...`` run by psycopg, values converted as SQLAlchemy would."""

    def __init__(self, dialect: Dialect, columns: list[sa.Column[Any]], where: str) -> None:
        table = columns[0].table
        assert isinstance(table, sa.Table)
        self.names = [c.name for c in columns]
        self.processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        quoted = ", ".join(f'"{n}"' for n in self.names)
        self.sql = f'SELECT {quoted} FROM "{table.name}" WHERE {where}'

    def rows(self, driver: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        out = []
        for raw in driver.execute(self.sql, params).fetchall():
            out.append(
                tuple(
                    v if v is None or proc is None else proc(v)
                    for v, proc in zip(raw, self.processors, strict=True)
                )
            )
        return out

    def mapped(self, driver: Any, params: dict[str, Any]) -> list[_Row]:
        return [_Row(dict(zip(self.names, r, strict=True))) for r in self.rows(driver, params)]


class _InvoiceReaders:
    def __init__(self, dialect: Dialect) -> None:
        p = t.payment.c
        self.invoice = _TableReader(dialect, list(t.invoice.columns), "id = %(i)s AND company_id = %(c)s")
        self.lines = _TableReader(
            dialect, list(t.invoice_line.columns), "invoice_id = %(i)s ORDER BY position"
        )
        self.payments = _TableReader(
            dialect,
            [p.id, p.date, p.amount, p.method],
            "company_id = %(c)s AND invoice_id = %(i)s ORDER BY date, id",
        )


_readers: dict[type[Dialect], _InvoiceReaders] = {}  # the result processors depend on the dialect
Payment = tuple[int, date, Decimal, str]


def invoice_with_payments(
    repo: SqlRepository, company_id: int, invoice_id: int
) -> tuple[Invoice, list[Payment]]:
    """``(repo.get_invoice(...), repo.payments_of(...))``; on PostgreSQL through psycopg directly."""
    conn = repo.conn
    if conn.dialect.name != "postgresql":
        return repo.get_invoice(company_id, invoice_id), repo.payments_of(company_id, invoice_id)
    readers = _readers.get(type(conn.dialect))
    if readers is None:
        readers = _readers.setdefault(type(conn.dialect), _InvoiceReaders(conn.dialect))
    driver = conn.connection.driver_connection
    params = {"i": invoice_id, "c": company_id}
    found = readers.invoice.mapped(driver, params)
    if not found:
        raise NotFoundError("invoice not found", code="INVOICE-NOT-FOUND")
    lines = tuple(mp.line_from(r) for r in readers.lines.mapped(driver, params))
    payments = [(r[0], r[1], r[2], r[3]) for r in readers.payments.rows(driver, params)]
    return mp.invoice_from(found[0], lines), payments


@contextmanager
def read_only(uow: SqlUnitOfWork) -> Iterator[SqlRepository]:
    """A repository for reading. On PostgreSQL its statements run in autocommit (no BEGIN and
    COMMIT round trips): each sees the data committed when it starts, exactly as in the READ
    COMMITTED transaction of ``uow.read()``. Elsewhere: ``uow.read()``."""
    if uow.engine.dialect.name != "postgresql":
        with uow.read() as repo:
            yield repo
        return
    with uow.engine.connect() as conn:
        yield SqlRepository(conn.execution_options(isolation_level="AUTOCOMMIT", encaisse_readonly=True))


def principal(conn: Connection, versions: DataVersion, user_id: int) -> Principal | None:
    """The user ``user_id`` with memberships (by company id) and the data version; None if unknown.

    On PostgreSQL one statement (run on the psycopg connection itself, which prepares it);
    elsewhere the version is read first, then the user, so whatever is cached under that version is
    at least as recent as it.
    """
    rows: list[tuple[Any, ...]]
    if versions.postgresql:
        # The query of every page: straight to psycopg (in the transaction, if any, SQLAlchemy began).
        driver = conn.connection.driver_connection
        assert driver is not None
        rows = [tuple(r) for r in driver.execute(_PRINCIPAL_PG, {"uid": user_id}).fetchall()]
        version: Hashable | None = rows[0][0] if rows else None
    else:
        version = versions.read()
        rows = [tuple(r) for r in conn.execute(_PRINCIPAL, {"uid": user_id}).all()]
    if not rows:
        return None
    _, email, name, password_hash, _, _, _ = rows[0]
    memberships = tuple((r[4], r[5]) for r in rows if r[4] is not None)
    user = UserRecord(
        id=user_id, email=email, name=name, password_hash=password_hash, memberships=memberships
    )
    names = {r[4]: r[6] for r in rows if r[4] is not None}
    return Principal(user=user, company_names=names, version=version)
