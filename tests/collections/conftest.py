"""Fixtures of the collections tests: a migrated SQLite store, a seller, customers, issued invoices,
and a real SMTP server (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from encaisse.adapters.payments.fake_server import free_port
from encaisse.adapters.store.db import make_engine, upgrade
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.domain.documents import Invoice, InvoiceStatus, Line
from encaisse.domain.parties import Address, Company, Party
from encaisse.domain.payment_reference import rf_reference
from encaisse.settings import Settings, SmtpSettings

SECRET = "test-secret-key-for-links"
BASE_URL = "http://encaisse.test"
IBAN = "FR7630006000011234567890189"
BIC = "AGRIFRPP"


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def db_url(migrated_db: Path, tmp_path: Path) -> str:
    target = tmp_path / "encaisse.db"
    shutil.copy(migrated_db, target)
    return f"sqlite:///{target}"


@pytest.fixture
def uow(db_url: str) -> Iterator[SqlUnitOfWork]:
    engine = make_engine(db_url)
    yield SqlUnitOfWork(engine)
    engine.dispose()


def make_company() -> Company:
    return Company(
        name="Élec Durand",
        siren="732829320",
        vat_number="FR44732829320",
        address=Address(line1="12 rue des Lilas", postcode="69003", city="Lyon"),
        email="contact@elec-durand.fr",
        iban=IBAN,
        bic=BIC,
        account_holder="ELEC DURAND SARL",
        penalty_rate=Decimal("12.15"),
    )


@dataclass
class Shop:
    """A seller with customers, and a helper to issue invoices straight into the store."""

    uow: SqlUnitOfWork
    company: Company
    customers: dict[str, Party] = field(default_factory=dict)
    counter: int = 0

    @property
    def company_id(self) -> int:
        assert self.company.id is not None
        return self.company.id

    def customer(self, name: str, email: str = "", *, business: bool = True) -> Party:
        with self.uow() as repo:
            party = repo.add_party(self.company_id, Party(name=name, email=email, is_business=business))
        self.customers[name] = party
        return party

    def invoice(
        self,
        customer: Party,
        amount: Decimal,
        due: date,
        *,
        issued: date | None = None,
        number: str | None = None,
    ) -> Invoice:
        self.counter += 1
        number = number or f"F2026-{self.counter:05d}"
        net = (amount / Decimal("1.2")).quantize(Decimal("0.01"))
        issue_date = issued or due - timedelta(days=30)
        invoice = Invoice(
            company_id=self.company_id,
            customer=customer,
            issue_date=issue_date,
            lines=(Line("Travaux d'électricité", Decimal(1), net, vat_rate=Decimal(20)),),
            status=InvoiceStatus.ISSUED,
            number=number,
            due_date=due,
            penalty_rate=Decimal("12.15") if customer.is_business else None,
            recovery_indemnity=customer.is_business,
            payment_reference=rf_reference(number),
        )
        with self.uow() as repo:
            return repo.add_invoice(invoice)


@pytest.fixture
def shop(uow: SqlUnitOfWork) -> Shop:
    with uow() as repo:
        company = repo.add_company(make_company())
    return Shop(uow, company)


# ---- SMTP -------------------------------------------------------------------------------------
@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class RecordingHandler:
    """Accepts everything; ``fail_first`` replies (e.g. ``451 …``) are given to the first DATAs."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.fail_first: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.fail_first:
            return self.fail_first.pop(0)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    handler: RecordingHandler
    settings: SmtpSettings

    @property
    def received(self) -> list[Received]:
        return self.handler.received


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(
            handler, SmtpSettings(host="127.0.0.1", port=port, sender="factures@encaisse.test", timeout=5)
        )
    finally:
        controller.stop()


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., Settings]:
    def build(db_url: str, **changes: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": db_url,
            "secret_key": SECRET,
            "base_url": BASE_URL,
            "var_dir": tmp_path / "var",
        }
        values.update(changes)
        return Settings(**values)

    return build
