"""Rows of ``bank_connection`` (services/bank_sync.py): accounts read through a PSD2 aggregator."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from encaisse.adapters.store import tables as t
from encaisse.adapters.store.types import utc
from encaisse.services.bank_import import SYNC_FORMAT_PREFIX
from encaisse.services.bank_sync import BankConnection

_FIELDS = (
    "provider",
    "requisition_id",
    "reference",
    "institution_id",
    "account_ref",
    "iban",
    "status",
    "created_at",
    "last_sync_at",
    "last_new",
    "last_error_code",
    "last_error",
)


class BankConnectionRepositoryMixin:
    conn: Connection

    def add_bank_connection(self, connection: BankConnection) -> BankConnection:
        values = {name: getattr(connection, name) for name in _FIELDS}
        new_id = self.conn.execute(
            t.bank_connection.insert().values(company_id=connection.company_id, **values)
        ).inserted_primary_key
        assert new_id is not None
        return BankConnection(**{**_as_dict(connection), "id": int(new_id[0])})

    def update_bank_connection(self, connection: BankConnection) -> None:
        c = t.bank_connection.c
        self.conn.execute(
            t.bank_connection.update()
            .where(c.id == connection.id, c.company_id == connection.company_id)
            .values({name: getattr(connection, name) for name in _FIELDS})
        )

    def list_bank_connections(self, company_id: int) -> list[BankConnection]:
        rows = self.conn.execute(
            sa.select(t.bank_connection)
            .where(t.bank_connection.c.company_id == company_id)
            .order_by(t.bank_connection.c.id)
        ).mappings()
        return [_from_row(r) for r in rows]

    def line_counts_by_day_and_amount(
        self, company_id: int, account_id: int, days: Sequence[date], *, from_sync: bool
    ) -> Counter[tuple[date, Decimal]]:
        """How many stored lines of the account, per (booking day, amount), came from bank syncs
        (``from_sync``) or from statement files (services/bank_import.py)."""
        tx, files = t.bank_transaction.c, t.statement_file.c
        synced = files.format.startswith(SYNC_FORMAT_PREFIX)
        rows = self.conn.execute(
            sa.select(tx.booking_date, tx.amount, sa.func.count())
            .select_from(t.bank_transaction.join(t.statement_file, tx.statement_file_id == files.id))
            .where(
                tx.company_id == company_id,
                tx.account_id == account_id,
                tx.booking_date.in_(list(days)),
                synced if from_sync else sa.not_(synced),
            )
            .group_by(tx.booking_date, tx.amount)
        ).all()
        return Counter({(day, amount): count for day, amount, count in rows})


def _as_dict(connection: BankConnection) -> dict[str, Any]:
    return {name: getattr(connection, name) for name in (*_FIELDS, "company_id", "id")}


def _from_row(r: Any) -> BankConnection:
    values = {name: r[name] for name in _FIELDS}
    for name in ("created_at", "last_sync_at"):
        values[name] = utc(values[name])
    return BankConnection(id=r["id"], company_id=r["company_id"], **values)
