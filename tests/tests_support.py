"""Helpers importable by tests (``from tests_support import …``): PostgreSQL schemas for subprocess tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from conftest import drop_pg_schema, make_pg_schema_url, require_pg
from encaisse.domain.documents import Invoice, Line, LineNature
from encaisse.domain.parties import Address, Company, Party, SizeCategory, VatRegime
from encaisse.services.companies import create_company, save_party


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


# ---- builders shared by store/service tests ------------------------------------------------------
DAY = date(2026, 12, 4)


def new_company(uow: Any) -> Company:
    return create_company(
        uow,
        Company(
            name="Électricité Martin",
            siren="732829320",
            legal_form="SARL",
            share_capital=Decimal(10000),
            rcs_city="Lyon",
            address=Address("12 rue de la République", "", "69002", "Lyon"),
            iban="FR7630006000011234567890189",
            vat_regime=VatRegime.DEBITS,
            size_category=SizeCategory.PME,
            penalty_rate=Decimal("12.15"),
        ),
    )


def new_customer(uow: Any, company: Company, **changes: Any) -> Party:
    party = Party(
        name="Boulangerie Dupont",
        legal_form="SAS",
        siren="552100554",
        address=Address("3 place Bellecour", "", "69002", "Lyon"),
    )
    return save_party(uow, company.id or 0, replace(party, **changes))


def draft(company: Company, customer: Party, **changes: Any) -> Invoice:
    inv = Invoice(
        company_id=company.id or 0,
        customer=customer,
        issue_date=DAY,
        supply_date=DAY - timedelta(days=2),
        lines=(
            Line("Pose d'un tableau électrique", Decimal(6), Decimal("48.00"), unit="HUR"),
            Line("Disjoncteur 40 A", Decimal(2), Decimal("86.50"), nature=LineNature.GOODS),
        ),
    )
    return replace(inv, **changes)
