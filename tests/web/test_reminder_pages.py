"""The Relances page (issue 6): today's calls, the 14-day preview and why, fix and resend, on
hold, the message log, the idempotent daily run, and the late-payment interest of an invoice.

Runs on the demo company (seed 1, "today" fixed by ENCAISSE_TODAY on a Wednesday) through the
real app on SQLite. Legal rules: PAY-PENALTY-DEFAULT, PAY-PENALTY-FLOOR, PAY-INDEMNITY-40,
PAY-B2C, DUN-RELANCE-PRACTICE.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI

from encaisse.adapters.store.db import upgrade
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.adapters.web import account_use_cases as accounts
from encaisse.adapters.web.app import create_app
from encaisse.services.collections import reminders_preview
from encaisse.services.demo import ACCOUNTANT_LOGIN, load_demo
from encaisse.services.demo_data import DEMO_LOGIN
from encaisse.services.ports import InvoiceFilter, InvoiceRow
from encaisse.settings import Settings

from .conftest import PASSWORD, Client, company, fresh_db_url, table_counts

TODAY = date(2026, 3, 4)  # a Wednesday, not a public holiday: reminders go out
EMPTY_OWNER = "vide-relances@example.fr"
STEPS = {"Relance de courtoisie", "Relance", "Seconde relance", "Mise en demeure", "Appel"}


@dataclass
class Demo:
    app: FastAPI
    url: str
    uow: SqlUnitOfWork
    company_id: int

    def client(self, email: str = DEMO_LOGIN[0], password: str = DEMO_LOGIN[1]) -> Client:
        return Client(self.app).login(email, password)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENCAISSE_TODAY", TODAY.isoformat())
        url = fresh_db_url(tmp_path_factory.mktemp("remindersdb"))
        upgrade(url)
        app = create_app(Settings(database_url=url, secret_key="k" * 48, base_url="http://testserver"))
        load_demo(app.state.web.uow, seed=1, today=TODAY)
        uow = SqlUnitOfWork(app.state.web.engine)
        with uow.read() as repo:
            cid = repo.list_companies()[0].id or 0
        accounts.sign_up(
            app.state.web.uow,
            company("Vide SARL", "552100554"),
            email=EMPTY_OWNER,
            name="Vide",
            password=PASSWORD,
        )
        yield Demo(app, url, uow, cid)


@pytest.fixture(scope="module")
def owner(demo: Demo) -> Client:
    return demo.client()


def text_of(fragment: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def section(page: str, title: str) -> str:
    start = page.index(f">{title}</h2>")
    end = page.find("</section>", start)
    return page[start:end]


def rows(fragment: str) -> list[list[str]]:
    if "<tbody>" not in fragment:
        return []
    start = fragment.index("<tbody>")
    body = fragment[start : fragment.index("</tbody>", start)]
    return [
        [text_of(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def overdue(demo: Demo) -> list[InvoiceRow]:
    with demo.uow.read() as repo:
        return repo.list_invoices(demo.company_id, InvoiceFilter(overdue_on=TODAY, sort="due_date"))


def test_reminders_page_shows_the_next_14_days_and_why(demo: Demo, owner: Client) -> None:
    page = owner.get("/relances")
    assert page.status_code == 200
    planned = rows(section(page.text, "Prochaines relances (14 jours)"))
    expected = reminders_preview(demo.uow, demo.company_id, TODAY, 14)
    assert len(planned) == len(expected) > 10
    for (day, customer, numbers, step, channel, why), p in zip(planned, expected, strict=True):
        assert day == p.date.strftime("%d/%m/%Y")
        assert TODAY <= p.date < TODAY + timedelta(days=14)
        assert customer == p.customer_name
        assert re.sub(r"\s*,\s*", ", ", numbers) == ", ".join(p.invoice_numbers)
        assert step in STEPS
        assert channel in {"E-mail", "Lettre (et e-mail)", "Téléphone"}
        assert why == p.reason_fr
    held = rows(section(page.text, "En pause"))
    with demo.uow.read() as repo:
        disputed = [r for r in repo.dunning_records(demo.company_id) if r.disputed]
    assert disputed
    assert held == [[r.number, r.customer_name, "Contestée par le client"] for r in disputed]
    assert "Envoyer les relances du jour" in page.text


def test_running_the_reminders_twice_writes_nothing_the_second_time(demo: Demo, owner: Client) -> None:
    owner.get("/relances")
    before = table_counts(demo.url)
    first = owner.post("/relances/envoyer")
    assert first.status_code == 303
    assert first.headers["location"] == "/relances"
    after_first = table_counts(demo.url)
    written = after_first["reminder"] - before["reminder"]
    queued = after_first["email_message"] - before["email_message"]
    assert written > 5
    assert 0 < queued <= written
    page = html.unescape(owner.get("/relances").text)
    assert f"{written} relance(s) enregistrée(s), {queued} e-mail(s) mis en file d'envoi" in page
    log = rows(section(page, "Journal des messages"))
    assert len(log) == min(queued, 50)
    assert all(r[4] == "En attente" for r in log)
    assert "Rien de nouveau n'est dû aujourd'hui" in page

    second = owner.post("/relances/envoyer")
    assert second.status_code == 303
    assert table_counts(demo.url) == after_first
    assert "Les relances du jour ont déjà été faites" in html.unescape(owner.get("/relances").text)


def test_accountant_sees_the_page_but_cannot_run_it(demo: Demo) -> None:
    accountant = demo.client(*ACCOUNTANT_LOGIN)
    page = accountant.get("/relances")
    assert page.status_code == 200
    assert "Envoyer les relances du jour" not in page.text
    before = table_counts(demo.url)
    refused = accountant.post("/relances/envoyer")
    assert refused.status_code == 403
    assert refused.headers["x-error-code"] == "FORBIDDEN-ROLE"
    assert table_counts(demo.url) == before


def test_late_payment_interest_of_a_business_invoice(demo: Demo, owner: Client) -> None:
    """Penalties split at 1 January (the ECB rate changes each half-year) + the 40 € indemnity."""
    inv = next(
        r
        for r in overdue(demo)
        if r.due_date and r.due_date < date(2025, 12, 1) and not r.disputed and r.kind == "invoice"
    )
    page = owner.get(f"/relances/factures/{inv.id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Pénalités de retard à ce jour" in text
    periods = rows(section(page.text, "Pénalités de retard à ce jour"))
    assert inv.due_date is not None
    assert periods[0][0] == (inv.due_date + timedelta(days=1)).strftime("%d/%m/%Y")
    assert [p[1] for p in periods][-2:] == ["31/12/2025", "04/03/2026"]
    assert sum(int(p[2]) for p in periods) == (TODAY - inv.due_date).days
    total = sum(Decimal(p[4].replace("\u202f", "").replace(",", ".").rstrip(" €\xa0")) for p in periods)
    totals = {
        text_of(k): text_of(v)
        for k, v in re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', page.text, re.S)
    }
    assert totals["Indemnité forfaitaire de recouvrement (D441-5)"] == "40,00\xa0€"
    assert totals["Pénalités"] == f"{total:.2f}".replace(".", ",") + "\xa0€"
    assert total > 0


def test_a_consumer_owes_no_indemnity(demo: Demo, owner: Client) -> None:
    """PAY-B2C: legal-rate interest from the formal notice only, never the 40 € indemnity."""
    with demo.uow.read() as repo:
        record = next(r for r in repo.dunning_records(demo.company_id) if not r.customer_is_business)
    text = html.unescape(owner.get(f"/relances/factures/{record.invoice_id}").text)
    assert "Intérêts au taux légal à ce jour" in text
    assert "Aucune pénalité à ce jour (pas de mise en demeure envoyée)" in text
    assert "Indemnité forfaitaire de recouvrement (D441-5)</th><td>0,00\xa0€" in text


def test_an_invoice_that_never_arrived_is_fixed_and_resent(demo: Demo, owner: Client) -> None:
    inv = overdue(demo)[-1]
    with demo.uow() as repo:
        repo.set_invoice_flags(demo.company_id, inv.id, delivery_failed=True)
    fix = rows(section(owner.get("/relances").text, "À corriger et renvoyer"))
    assert [r[0] for r in fix] == [inv.number]
    before = table_counts(demo.url)
    bad = owner.post(f"/relances/factures/{inv.id}/renvoyer", {"to": "pas-une-adresse"})
    assert bad.status_code == 303
    page = html.unescape(owner.get("/relances").text)
    assert "non renvoyée : Saisissez une seule adresse e-mail valide." in page
    assert table_counts(demo.url) == before

    good = owner.post(f"/relances/factures/{inv.id}/renvoyer", {"to": "nouvelle@client.example"})
    assert good.status_code == 303
    with demo.uow.read() as repo:
        last = repo.list_emails(demo.company_id)[-1]
        record = next(r for r in repo.dunning_records(demo.company_id) if r.invoice_id == inv.id)
    assert (last.to, last.kind, last.invoice_ids) == ("nouvelle@client.example", "invoice", (inv.id,))
    assert not record.delivery_failed
    assert "Aucune facture en échec d'envoi" in owner.get("/relances").text


def test_another_company_invoice_is_not_found(demo: Demo) -> None:
    stranger = demo.client(EMPTY_OWNER, PASSWORD)
    inv = overdue(demo)[0]
    before = table_counts(demo.url)
    assert stranger.get(f"/relances/factures/{inv.id}").status_code == 404
    assert stranger.post(f"/relances/factures/{inv.id}/renvoyer", {"to": "x@y.example"}).status_code == 404
    assert table_counts(demo.url) == before


def test_an_empty_company_gets_a_sensible_page(demo: Demo) -> None:
    client: Any = demo.client(EMPTY_OWNER, PASSWORD)
    page = client.get("/relances")
    assert page.status_code == 200
    text = html.unescape(page.text)
    for sentence in (
        "Aucun appel ni courrier aujourd'hui.",
        "Aucune relance prévue dans les 14 prochains jours.",
        "Aucune facture en échec d'envoi.",
        "Aucun message envoyé pour l'instant.",
    ):
        assert sentence in text
    assert client.post("/relances/envoyer").status_code == 303
    assert "Aucune relance n'est due aujourd'hui." in html.unescape(client.get("/relances").text)
