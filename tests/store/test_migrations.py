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


def test_0004_flags_issued_final_invoices_whose_discount_took_the_deposit_too(db_url: str) -> None:
    """Issued before the DEP-FINAL fix: the invoice keeps the totals it was issued with."""
    from dataclasses import replace
    from datetime import date
    from decimal import Decimal

    import sqlalchemy as sa
    from alembic import command

    from encaisse.adapters.store import tables as t
    from encaisse.adapters.store.db import alembic_config
    from encaisse.adapters.store.sql_repository import SqlUnitOfWork
    from encaisse.domain.documents import Line, Quote, QuoteStatus, compute_totals
    from encaisse.services import invoicing, quotes
    from tests_support import new_company, new_customer

    engine = make_engine(db_url)
    uow = SqlUnitOfWork(engine)
    company = new_company(uow)
    cid = company.id or 0
    customer = new_customer(uow, company)
    quote = quotes.create_quote(
        uow,
        Quote(
            cid,
            customer,
            date(2026, 11, 2),
            date(2026, 12, 31),
            (Line("Cuisine posée", Decimal(1), Decimal(10000)),),
            document_discount_percent=Decimal(10),
        ),
    )
    quotes.accept_quote(uow, cid, quote.id or 0, date(2026, 11, 3))
    deposit = quotes.create_deposit_invoice(uow, cid, quote.id or 0, date(2026, 11, 5), Decimal(30))
    invoicing.issue(uow, cid, deposit.id or 0)
    final = quotes.convert_to_invoice(uow, cid, quote.id or 0, date(2026, 12, 4))
    issued = invoicing.issue(uow, cid, final.id or 0)
    assert issued.total_incl_tax == Decimal("7560.00")  # 9 000 − 2 700 = 6 300 HT, + 20 %
    # A second one, as issued before the fix: its stored totals are the old rule's.
    quote2 = quotes.create_quote(uow, replace(quote, id=None, number="", status=QuoteStatus.DRAFT))
    quotes.accept_quote(uow, cid, quote2.id or 0, date(2026, 11, 3))
    deposit2 = quotes.create_deposit_invoice(uow, cid, quote2.id or 0, date(2026, 11, 5), Decimal(30))
    invoicing.issue(uow, cid, deposit2.id or 0)
    old = invoicing.issue(
        uow, cid, quotes.convert_to_invoice(uow, cid, quote2.id or 0, date(2026, 12, 4)).id or 0
    )
    with uow() as repo:
        repo.conn.execute(
            sa.update(t.invoice)
            .where(t.invoice.c.id == old.id)
            .values(
                total_excl_tax=Decimal("6570.00"),
                total_vat=Decimal("1314.00"),
                total_incl_tax=Decimal("7884.00"),
            )
        )
    with engine.begin() as connection:  # back to 0003, then up again: the data step runs on both
        cfg = alembic_config(db_url)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0003")
        command.upgrade(cfg, "head")
    with uow.read() as repo:
        legacy = repo.get_invoice(cid, old.id or 0)
        current = repo.get_invoice(cid, issued.id or 0)
        deposit_after = repo.get_invoice(cid, deposit.id or 0)
    assert legacy.deposit_deduction_discounted
    assert legacy.lines == old.lines  # the migration kept every line (no table copy on SQLite)
    assert compute_totals(legacy).total_incl_tax == Decimal("7884.00")  # what was issued, unchanged
    assert not current.deposit_deduction_discounted  # issued with the new rule: untouched
    assert current.total_incl_tax == Decimal("7560.00")
    assert not deposit_after.deposit_deduction_discounted
    engine.dispose()
