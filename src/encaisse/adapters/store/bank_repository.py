"""Bank accounts, transactions, allocations (mixin of SqlRepository)."""

from __future__ import annotations

from sqlalchemy.engine import Connection


class BankRepositoryMixin:
    conn: Connection
