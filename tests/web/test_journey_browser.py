"""The user's journey in a real browser (Playwright driving Debian's chromium; SCENARIOS 1 and 2):
sign up, create a customer, write a quote, accept and convert it, issue the invoice, download its
PDF, log out. Screenshots of the key pages go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import io
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from pypdf import PdfReader

from encaisse.adapters.store.db import upgrade
from encaisse.adapters.web.app import create_app
from encaisse.settings import Settings

from .conftest import fresh_db_url

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = fresh_db_url(tmp_path_factory.mktemp("browserdb"))
    upgrade(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(Settings(database_url=url, secret_key="b" * 48, base_url=base))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield base
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


def shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_sign_up_to_issued_invoice_and_logout(server: str, browser: object) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())

    # keyboard first: the skip link is the first stop
    page.goto(f"{server}/connexion")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"

    # 1. sign up with the SIREN: the VAT number is derived as it is typed
    page.goto(f"{server}/inscription")
    page.fill("#f-name", "Élec Martin SARL")
    page.fill("#f-siren", "732 829 320")
    page.wait_for_selector("text=FR44732829320")
    page.fill("#f-share_capital", "8000")
    page.fill("#f-rcs_city", "Lyon")
    page.fill("#f-line1", "5 rue Mercière")
    page.fill("#f-postcode", "69002")
    page.fill("#f-city", "Lyon")
    page.fill("#f-user_name", "Claire Martin")
    page.fill("#f-email", "claire@elec-martin.fr")
    page.fill("#f-password", "un-mot-de-passe-long")
    page.fill("#f-password2", "un-mot-de-passe-long")
    shot(page, "01-inscription")
    page.click("button:has-text('Créer mon compte')")
    page.wait_for_selector("h1:has-text('Tableau de bord')")
    assert "FR44732829320" in page.inner_text(".flash")
    shot(page, "02-tableau-de-bord")

    # 2. a customer
    page.click("nav >> text=Clients")
    page.click("text=Nouveau client")
    page.fill("#f-name", "Boulangerie Dupont SAS")
    page.fill("#f-siren", "552100554")
    page.fill("#f-line1", "8 place Bellecour")
    page.fill("#f-postcode", "69002")
    page.fill("#f-city", "Lyon")
    page.fill("#f-email", "compta@dupont.example")
    page.click("button:has-text('Enregistrer')")
    page.wait_for_selector("h1:has-text('Boulangerie Dupont SAS')")
    shot(page, "03-client")

    # 3. a quote with two lines; the totals are computed as they are typed
    page.click("text=Nouveau devis")
    page.fill("#f-lines-0-description", "Remplacement du tableau électrique")
    page.fill("#f-lines-0-quantity", "1")
    page.fill("#f-lines-0-unit_price", "1200")
    page.click("button:has-text('Ajouter une ligne')")
    page.fill("#f-lines-1-description", "Main-d'œuvre")
    page.fill("#f-lines-1-quantity", "6")
    page.select_option("#f-lines-1-unit", "HUR")
    page.fill("#f-lines-1-unit_price", "55,50")
    page.select_option("#f-lines-1-vat_rate", "10")
    assert page.inner_text("[data-total='gross']") == "1\u202f806,30\xa0€"  # as the server prints it
    shot(page, "04-devis-saisie")
    page.click("button:has-text('Enregistrer le devis')")
    page.wait_for_selector("h1:has-text('Devis D')")
    quote_href = page.get_attribute("a:has-text('Télécharger le PDF')", "href")
    quote_pdf = page.request.get(f"{server}{quote_href}")
    assert quote_pdf.status == 200
    assert quote_pdf.body().startswith(b"%PDF")

    # 4. accepted, then converted into an invoice
    page.click("button:has-text('Accepté par le client')")
    page.wait_for_selector(".badge:has-text('Accepté')")
    shot(page, "05-devis-accepte")
    page.click("button:has-text('Convertir en facture')")
    page.wait_for_selector("h1:has-text('(brouillon)')")

    # 5. issued: a definitive number
    page.click("button:has-text('Émettre la facture')")
    page.wait_for_selector("h1:has-text('F')")
    title = page.inner_text("h1")
    assert "Émise" in title
    assert "-00001" in title
    assert "1\u202f806,30\xa0€" in page.inner_text("table.totals")
    shot(page, "06-facture-emise")

    # 6. its PDF
    href = page.get_attribute("a:has-text('Télécharger le PDF')", "href")
    response = page.request.get(f"{server}{href}")
    assert response.status == 200
    assert response.body().startswith(b"%PDF")
    assert "factur-x.xml" in PdfReader(io.BytesIO(response.body())).attachments  # issued: Factur-X embedded
    with page.expect_download() as download:
        page.click("a:has-text('Télécharger le PDF')")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    # 7. invoices list, then log out
    page.click("nav >> text=Factures")
    shot(page, "07-factures")
    page.click("button:has-text('Se déconnecter')")
    page.wait_for_selector("h1:has-text('Connexion')")
    shot(page, "08-deconnexion")
    page.goto(f"{server}/factures")
    assert "/connexion" in page.url
    context.close()
