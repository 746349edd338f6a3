"""The Alembic migrations build exactly the schema of ``tables.py`` (on SQLite and PostgreSQL).

Migrations are written by hand; this compares the upgraded database with the table definitions
(Alembic's autogenerate comparison: tables, columns, types, nullability, indexes, constraints),
so a column added to one and not the other fails here rather than in production.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import encaisse.adapters.store.tables_financing  # noqa: F401 - registers its tables in the metadata
from encaisse.adapters.store.db import make_engine
from encaisse.adapters.store.tables import metadata


def test_upgraded_database_matches_the_table_definitions(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
    assert differences == []
    assert "bank_connection" in metadata.tables
