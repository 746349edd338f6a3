"""The Trésorerie page (issue 7): position, 13-week forecast with its SVG chart, alerts, the
threshold, scenarios that never touch stored data, accuracy, and the PNG/PDF report.

Runs on the demo company (seed 1, 14 months of history, "today" fixed by ENCAISSE_TODAY) and on
an empty company, through the real app on SQLite.
"""

from __future__ import annotations

import html
import io
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from pypdf import PdfReader

from encaisse.adapters.store.db import upgrade
from encaisse.adapters.web import account_use_cases as accounts
from encaisse.adapters.web import charts
from encaisse.adapters.web.app import create_app
from encaisse.domain.forecast.engine import ForecastRow
from encaisse.services.demo import load_demo
from encaisse.services.demo_data import DEMO_LOGIN
from encaisse.settings import Settings

from .conftest import PASSWORD, Client, company, fresh_db_url, table_counts

TODAY = date(2026, 3, 4)  # a Wednesday
EMPTY_OWNER = "vide@example.fr"


@dataclass
class Demo:
    app: FastAPI
    url: str
    uow: Any
    company_id: int

    def client(self, email: str = DEMO_LOGIN[0], password: str = DEMO_LOGIN[1]) -> Client:
        return Client(self.app).login(email, password)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENCAISSE_TODAY", TODAY.isoformat())
        url = fresh_db_url(tmp_path_factory.mktemp("forecastdb"))
        upgrade(url)
        app = create_app(Settings(database_url=url, secret_key="k" * 48, base_url="http://testserver"))
        uow = app.state.web.uow
        load_demo(uow, seed=1, today=TODAY)
        with uow.read() as repo:
            cid = repo.list_companies()[0].id
        accounts.sign_up(
            uow, company("Vide SARL", "552100554"), email=EMPTY_OWNER, name="Vide", password=PASSWORD
        )
        yield Demo(app, url, uow, cid)


@pytest.fixture(scope="module")
def owner(demo: Demo) -> Client:
    return demo.client()


def cells(fragment: str) -> list[list[str]]:
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", fragment, re.S)
    out = []
    for row in rows:
        found = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        out.append([html.unescape(re.sub(r"<[^>]+>|\s+", " ", c)).strip() for c in found])
    return out


def table(page: str, caption: str) -> list[list[str]]:
    """Body rows of the table with this caption."""
    start = page.index(f'<caption class="sr-only">{caption}</caption>')
    body = page[start : page.index("</table>", start)]
    return cells(body[body.index("<tbody>") :])


def amount(text: str) -> Decimal:
    """``-15 000,00 €`` → Decimal (the "sous le seuil" badge aside)."""
    text = text.replace("sous le seuil", "")
    return Decimal(re.sub(r"[^\d,-]", "", text).replace(",", "."))


def test_forecast_page_shows_13_weeks_and_an_inline_svg(owner: Client) -> None:
    page = owner.get("/tresorerie")
    assert page.status_code == 200
    text = page.text
    weeks = table(text, "Solde prévu par semaine")
    monday = TODAY - timedelta(days=TODAY.weekday())
    assert [r[0] for r in weeks] == [(monday + timedelta(weeks=i)).strftime("%d/%m/%Y") for i in range(13)]
    for _, expected, low, high in weeks:
        assert amount(low) <= amount(expected) <= amount(high)
    svg = text[text.index("<svg") : text.index("</svg>")]
    assert 'role="img"' in svg
    assert "<title" in svg
    assert "<path" in svg
    assert "style=" not in svg
    assert "<style" not in svg
    assert "Soldes par compte" in text
    assert "Compte courant" in text
    assert "Alertes de trésorerie" in text
    daily = owner.get("/tresorerie?vue=jours").text
    days = table(daily, "Solde prévu par jour")
    assert len(days) == 30
    assert days[0][0] == (TODAY + timedelta(days=1)).strftime("%d/%m/%Y")


def scenario(client: Client, data: dict[str, str]) -> Any:
    return client.post("/tresorerie/scenarios", data)


def compared(page: str) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    rows = table(page, "Prévision de base et scénario, par semaine")
    return [(r[0], amount(r[1]), amount(r[2]), amount(r[3])) for r in rows]


def test_scenarios_change_the_projection_but_not_the_stored_data(demo: Demo, owner: Client) -> None:
    client = owner
    base = table(client.get("/tresorerie").text, "Solde prévu par semaine")
    before = table_counts(demo.url)
    purchase_day = TODAY + timedelta(days=9)  # in the second week
    r = scenario(client, {"purchase_amount": "12 500,00", "purchase_date": purchase_day.isoformat()})
    assert r.status_code == 200, r.text[:2000]
    rows = compared(r.text)
    assert len(rows) == 13
    assert [b for _, b, _, _ in rows] == [amount(w[1]) for w in base]  # the base is the page's forecast
    assert rows[0][3] == 0
    assert all(delta == Decimal("-12500.00") for _, _, _, delta in rows[1:])
    assert "Achat ponctuel le" in r.text
    assert r.text.count("<svg") == 2

    late = scenario(client, {"late_customer": "Collège Jean Moulin", "late_days": "60"})
    assert late.status_code == 200
    assert any(delta < 0 for _, _, _, delta in compared(late.text))
    hire = scenario(client, {"hire_salary": "3000", "hire_start": TODAY.isoformat()})
    deltas = [delta for _, _, _, delta in compared(hire.text)]
    assert deltas[-1] < deltas[4] < 0  # salaries then charges accumulate
    choice = re.search(r'name="dailly" value="([^"]+)"', late.text)
    assert choice is not None
    sold = scenario(client, {"dailly": choice.group(1)})
    assert sold.status_code == 200
    assert compared(sold.text)[0][3] > 0
    assert table_counts(demo.url) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Renseignez au moins une hypothèse"),
        ({"purchase_amount": "beaucoup", "purchase_date": "2026-03-10"}, "Saisissez un nombre"),
        ({"purchase_amount": "-5", "purchase_date": "2026-03-10"}, "Saisissez un montant positif"),
        ({"purchase_amount": "500"}, "Complétez le montant et la date"),
        ({"purchase_amount": "500", "purchase_date": "31/02/2026"}, "Saisissez une date valide"),
        ({"hire_salary": "3000", "hire_start": "1999-01-01"}, "entre aujourd'hui et dans un an"),
        ({"late_customer": "Client inconnu", "late_days": "10"}, "Choisissez une valeur de la liste"),
        ({"late_customer": "Collège Jean Moulin", "late_days": "-3"}, "entre 1 et 365"),
        ({"late_customer": "Collège Jean Moulin", "late_days": "9" * 30}, "entre 1 et 365"),
        ({"dailly": "F0000-NOPE"}, "Choisissez une valeur de la liste"),
    ],
)
def test_invalid_scenario_input_gets_a_french_message(
    owner: Client, data: dict[str, str], message: str
) -> None:
    r = scenario(owner, data)
    assert r.status_code == 422
    assert message in html.unescape(r.text)
    assert "Résultat du scénario" not in r.text


def test_threshold_is_set_by_the_owner_only(demo: Demo) -> None:
    owner, accountant = demo.client(), demo.client("comptable@encaisse.fr")
    owner.get("/tresorerie")
    before = table_counts(demo.url)
    accountant.get("/tresorerie")
    refused = accountant.post("/tresorerie/seuil", {"threshold": "1000"})
    assert refused.status_code == 403
    assert refused.headers["x-error-code"] == "FORBIDDEN-ROLE"
    for bad, message in (("-10", "entre 0 et 100 millions"), ("mille", "Saisissez un nombre")):
        r = owner.post("/tresorerie/seuil", {"threshold": bad})
        assert r.status_code == 422
        assert message in html.unescape(r.text)
    assert table_counts(demo.url) == before
    with demo.uow.read() as repo:
        assert repo.get_low_balance_threshold(demo.company_id) is None

    r = owner.post("/tresorerie/seuil", {"threshold": "1 000 000"})
    assert r.status_code == 303
    with demo.uow.read() as repo:
        assert repo.get_low_balance_threshold(demo.company_id) == Decimal("1000000.00")
    page = html.unescape(owner.get("/tresorerie").text)
    assert "Seuil d'alerte enregistré : 1\u202f000\u202f000,00\xa0€." in page
    assert "sous votre seuil de 1\u202f000\u202f000,00\xa0€" in page
    assert "Financement par cession Dailly aujourd'hui" in page
    dashboard = html.unescape(owner.get("/").text)
    assert "Alertes de trésorerie" in dashboard
    assert "il manque" in dashboard
    assert "Seul le propriétaire" in accountant.get("/tresorerie").text
    assert owner.post("/tresorerie/seuil", {"threshold": ""}).status_code == 303
    with demo.uow.read() as repo:
        assert repo.get_low_balance_threshold(demo.company_id) is None


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_report_exports_are_a_real_png_and_pdf(owner: Client) -> None:
    client = owner
    png = client.get("/tresorerie/rapport.png")
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert "attachment" in png.headers["content-disposition"]
    width, height = png_size(png.content)
    assert (width, height) == (909, 1285)
    assert len(png.content) > 50_000
    pdf = client.get("/tresorerie/rapport.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")
    assert len(pdf.content) > 10_000
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == 1
    words = reader.pages[0].extract_text()
    assert "Prévision de trésorerie" in words
    assert "Semaine du" in words


def test_accuracy_over_the_last_six_months(owner: Client) -> None:
    client = owner
    page = client.get("/tresorerie/precision")
    assert page.status_code == 200
    rows = table(page.text, "Erreurs de prévision par horizon")
    assert [r[0] for r in rows] == ["4 semaines", "13 semaines"]
    for _, count, mae, mae_due, wape, _wape_due, coverage in rows:
        assert int(count) > 5
        assert amount(mae.split("(")[0]) < amount(mae_due)  # better than the due-date baseline
        assert wape.endswith("%")
        assert coverage.endswith("%")
    assert "Erreurs de prévision par horizon" in client.get("/tresorerie").text  # now cached


def test_an_empty_company_gets_sensible_pages(demo: Demo) -> None:
    client = demo.client(EMPTY_OWNER, PASSWORD)
    for path in ("/tresorerie", "/tresorerie?vue=jours", "/tresorerie/precision", "/"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "Une erreur inattendue" not in r.text
    page = html.unescape(client.get("/tresorerie").text)
    assert "Aucun compte bancaire importé" in page
    assert "Aucune facture non échue à céder" in page
    assert "Historique insuffisant" in html.unescape(client.get("/tresorerie/precision").text)
    assert all(amount(r[1]) == 0 for r in table(page, "Solde prévu par semaine"))
    r = scenario(client, {"purchase_amount": "800", "purchase_date": (TODAY + timedelta(days=1)).isoformat()})
    assert r.status_code == 200
    assert compared(r.text)[-1][2] == Decimal("-800.00")
    assert png_size(client.get("/tresorerie/rapport.png").content)[0] > 0
    assert client.get("/tresorerie/rapport.pdf").content.startswith(b"%PDF-")


def test_svg_ids_are_prefixed_so_two_charts_can_share_a_page() -> None:
    row = ForecastRow(date(2026, 3, 2), Decimal(100), Decimal(80), Decimal(120))
    data = charts.ChartData(date(2026, 3, 4), Decimal(90), (row,), threshold=Decimal(50))
    one = charts.to_svg(charts.forecast_figure(data), "one")
    two = charts.to_svg(charts.forecast_figure(data), "two")
    ids_one = set(re.findall(r'id="([^"]+)"', one))
    ids_two = set(re.findall(r'id="([^"]+)"', two))
    assert ids_one
    assert not ids_one & ids_two
    assert all(i.startswith("one-") for i in ids_one)
    for ref in re.findall(r"url\(#([^)]+)\)|href=\"#([^\"]+)\"", one):
        assert (ref[0] or ref[1]) in ids_one  # every reference was renamed too
    with pytest.raises(ValueError):
        charts.to_svg(charts.forecast_figure(data), 'x" onload="alert(1)')
