"""Web test fixtures: an app over a fresh database, two companies with their users and objects,
and a small form-aware client (logs in, reads the CSRF token from the page, posts forms).

The database URL is injectable: ``web_db_url`` uses a temporary SQLite file unless
``ENCAISSE_TEST_WEB_DB_URL`` names another (empty) database.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from encaisse.adapters.store import tables as t
from encaisse.adapters.store.db import make_engine, upgrade
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.adapters.web import account_use_cases as accounts
from encaisse.adapters.web.app import create_app
from encaisse.domain.documents import Invoice, Line, LineNature, Quote
from encaisse.domain.parties import Address, Company, Party
from encaisse.services import invoicing, quotes
from encaisse.services.bank_sync import BankConnection
from encaisse.services.companies import save_party
from encaisse.settings import Settings

PASSWORD = "mot-de-passe-solide"
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


def company(name: str, siren: str) -> Company:
    return Company(
        name=name,
        siren=siren,
        legal_form="SARL",
        share_capital=Decimal("10000"),
        rcs_city="Lyon",
        address=Address("12 rue de la République", "", "69002", "Lyon"),
        iban="FR7630006000011234567890189",
    )


def customer(name: str, siren: str = "732829320") -> Party:
    return Party(
        name=name,
        siren=siren,
        address=Address("3 avenue Foch", "", "75016", "Paris"),
        email="compta@client.example",
    )


def lines() -> tuple[Line, ...]:
    return (
        Line("Pose de tableau électrique", Decimal(2), Decimal("350.00"), unit="HUR"),
        Line("Disjoncteurs", Decimal(6), Decimal("24.90"), nature=LineNature.GOODS),
    )


@dataclass
class Tenant:
    """One company with an owner, a staff member, an accountant and one object of each kind."""

    company_id: int
    siren: str
    owner_email: str
    staff_email: str
    accountant_email: str
    owner_id: int = 0
    customer_id: int = 0
    quote_id: int = 0
    draft_id: int = 0
    issued_id: int = 0
    token: str = ""
    accountant_token: str = ""
    token_id: int = 0
    ids: dict[str, int] = field(default_factory=dict)


def seed_tenant(uow: SqlUnitOfWork, prefix: str, siren: str, today: date) -> Tenant:
    owner_email = f"{prefix}-owner@example.fr"
    uid, comp = accounts.sign_up(
        uow, company(f"Société {prefix.upper()}", siren), email=owner_email, name="Gérant", password=PASSWORD
    )
    cid = comp.id or 0
    tenant = Tenant(
        cid, siren, owner_email, f"{prefix}-staff@example.fr", f"{prefix}-compta@example.fr", owner_id=uid
    )
    accounts.invite_member(uow, cid, email=tenant.staff_email, name="Staff", role="staff", actor=owner_email)
    accounts.invite_member(
        uow, cid, email=tenant.accountant_email, name="Compta", role="accountant", actor=owner_email
    )
    with uow() as repo:
        for email in (tenant.staff_email, tenant.accountant_email):
            user = repo.user_by_email(email)
            assert user is not None
            from encaisse.services.accounts import hash_password

            repo.set_password_hash(user.id, hash_password(PASSWORD))
    cust = save_party(uow, cid, customer(f"Client {prefix.upper()}"), actor="seed")
    tenant.customer_id = cust.id or 0
    quotes.save_item(
        uow,
        cid,
        code="POSE",
        description="Heure de pose",
        unit="HUR",
        unit_price=Decimal(55),
        vat_rate=Decimal(20),
        nature="services",
    )
    q = quotes.create_quote(
        uow,
        Quote(
            company_id=cid,
            customer=cust,
            issue_date=today,
            validity_date=today + timedelta(days=30),
            lines=lines(),
        ),
    )
    tenant.quote_id = q.id or 0
    draft = invoicing.create_draft(
        uow, Invoice(company_id=cid, customer=cust, issue_date=today, supply_date=today, lines=lines())
    )
    tenant.draft_id = draft.id or 0
    other = invoicing.create_draft(
        uow, Invoice(company_id=cid, customer=cust, issue_date=today, supply_date=today, lines=lines())
    )
    tenant.issued_id = invoicing.issue(uow, cid, other.id or 0).id or 0
    tenant.token = accounts.create_api_token(uow, cid, uid, "tests", actor=owner_email)
    with uow() as repo:
        tenant.token_id = repo.list_api_tokens(cid)[-1].id
        acc = repo.user_by_email(tenant.accountant_email)
        assert acc is not None
        accountant_id = acc.id
    tenant.accountant_token = accounts.create_api_token(uow, cid, accountant_id, "compta", actor=owner_email)
    with uow() as repo:  # an active bank connection (services/bank_sync.py)
        connection = repo.add_bank_connection(
            BankConnection(cid, "gocardless", f"req-{siren}", f"ref-{siren}", "active", datetime.now(UTC))
        )
    tenant.ids = {
        "connection_id": connection.id or 0,
        "customer_id": tenant.customer_id,
        "quote_id": tenant.quote_id,
        "invoice_id": tenant.draft_id,
        "user_id": uid,
        "token_id": tenant.token_id,
    }
    return tenant


@dataclass
class World:
    app: FastAPI
    url: str
    uow: SqlUnitOfWork
    a: Tenant
    b: Tenant


def fresh_db_url(tmp_path: Path) -> str:
    return os.environ.get("ENCAISSE_TEST_WEB_DB_URL") or f"sqlite:///{tmp_path / 'web.db'}"


def build_world(url: str) -> World:
    upgrade(url)
    settings = Settings(database_url=url, secret_key="k" * 48, base_url="http://testserver")
    app = create_app(settings)
    uow = app.state.web.uow
    today = date.today()
    a = seed_tenant(uow, "a", "732829320", today)
    b = seed_tenant(uow, "b", "552100554", today)
    return World(app, url, uow, a, b)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(fresh_db_url(tmp_path_factory.mktemp("webdb")))


@pytest.fixture
def fresh_world(tmp_path: Path) -> World:
    return build_world(fresh_db_url(tmp_path))


class Client:
    """A browser-like client: keeps the session cookie and sends the page's CSRF token."""

    def __init__(self, app: FastAPI) -> None:
        self.http = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
        self.csrf = ""

    def get(self, path: str, **kw: Any) -> Any:
        response = self.http.get(path, **kw)
        found = (
            CSRF_RE.search(response.text)
            if response.headers.get("content-type", "").startswith("text/html")
            else None
        )
        if found:
            self.csrf = found.group(1)
        return response

    def ensure_csrf(self) -> str:
        if not self.csrf:
            self.get("/connexion")
        return self.csrf

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True, **kw: Any) -> Any:
        payload = dict(data or {})
        if csrf:
            payload["csrf_token"] = self.ensure_csrf()
        response = self.http.post(path, data=payload, **kw)
        found = (
            CSRF_RE.search(response.text)
            if response.headers.get("content-type", "").startswith("text/html")
            else None
        )
        if found:
            self.csrf = found.group(1)
        return response

    def login(self, email: str, password: str = PASSWORD) -> Client:
        response = self.post("/connexion", {"email": email, "password": password})
        assert response.status_code == 303, response.text[:500]
        self.csrf = ""
        self.get("/")
        return self


@pytest.fixture
def client_for(world: World) -> Iterator[Any]:
    def make(email: str | None = None) -> Client:
        c = Client(world.app)
        return c.login(email) if email else c

    return make


def table_counts(url: str) -> dict[str, int]:
    """Rows per table: a rejected request must leave every one unchanged."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
                for name, table in t.metadata.tables.items()
            }
    finally:
        engine.dispose()
