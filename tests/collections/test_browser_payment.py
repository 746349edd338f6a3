"""A real browser (Debian chromium through Playwright) opens a payment link, sees the EPC QR code,
pays by card on the fake provider's checkout page, and comes back to an invoice shown as paid.

Two real servers run on loopback: the app (public payment router, SQLite store) and the fake
provider, which posts the signed webhook back to the app before redirecting the browser."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from fastapi import FastAPI

from encaisse.adapters.payments.fake_server import create_fake_stripe, serving
from encaisse.adapters.payments.stripe import StripeProvider
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.adapters.web.public_payment import router
from encaisse.domain.documents import InvoiceStatus
from encaisse.services.payment_links import link_for
from encaisse.settings import Settings

from .conftest import SECRET, Shop

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WEBHOOK_SECRET = "whsec_browser_test"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium is not installed"),
]


@pytest.fixture
def servers(shop: Shop) -> Iterator[tuple[str, FastAPI]]:
    fake = create_fake_stripe(WEBHOOK_SECRET, api_key="sk_test_browser")
    with serving(fake) as fake_url:
        app = FastAPI()
        app.include_router(router)
        app.state.uow = SqlUnitOfWork(shop.uow.engine)
        app.state.payment_provider = StripeProvider(
            secret_key="sk_test_browser", webhook_secret=WEBHOOK_SECRET, api_base=fake_url, name="fake"
        )
        with serving(app) as app_url:
            app.state.settings = Settings(secret_key=SECRET, base_url=app_url)
            fake.state.webhook_url = f"{app_url}/webhooks/fake"
            yield app_url, fake


def test_pay_an_invoice_by_card_in_a_browser(shop: Shop, servers: tuple[str, FastAPI]) -> None:
    from playwright.sync_api import expect, sync_playwright

    app_url, fake = servers
    customer = shop.customer("Durand SARL", "compta@durand.fr")
    invoice = shop.invoice(customer, Decimal("1234.56"), date(2027, 1, 13), issued=date(2026, 12, 14))
    assert invoice.id is not None
    with shop.uow() as repo:
        url = link_for(repo, shop.company_id, invoice.id, app_url, SECRET)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        try:
            page = browser.new_page(locale="fr-FR")
            page.goto(url)
            expect(page.locator("h1")).to_have_text("Facture F2026-00001")
            qr = page.locator("#epc-qr svg")
            expect(qr).to_be_visible()
            box = qr.bounding_box()
            assert box is not None
            assert box["width"] > 100
            assert box["height"] > 100
            expect(page.locator("#amount-due")).to_have_text("1\u202f234,56\u00a0€")
            page.click("#pay-card")
            page.wait_for_url("**/checkout/cs_test_*")
            assert page.url.startswith(next(iter(fake.state.sessions.values()))["url"].rsplit("/", 2)[0])
            expect(page.locator("#amount")).to_have_text("1234,56 €")
            page.click("#pay")
            page.wait_for_url("**/merci")
            expect(page.locator("#status")).to_have_text("Facture F2026-00001 réglée")
            page.goto(url)  # the link expired with the payment
            expect(page.locator("h1")).to_have_text("Ce lien de paiement n'est pas disponible")
        finally:
            browser.close()

    assert fake.state.deliveries == [200]
    with shop.uow.read() as repo:
        paid = repo.get_invoice(shop.company_id, invoice.id)
        payments = repo.payments_of(shop.company_id, invoice.id)
    assert paid.status is InvoiceStatus.PAID
    assert [(p[2], p[3]) for p in payments] == [(Decimal("1234.56"), "card")]
