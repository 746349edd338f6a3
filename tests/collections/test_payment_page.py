"""The public payment page and the provider webhooks (FastAPI TestClient, SQLite store).

Tampered, unknown, revoked and expired tokens all answer the same neutral 404; the EPC QR payload
on the page is valid (EPC-QR-PAYLOAD: BCD/002, IBAN, amount ≤ 999,999,999.99, structured RF
reference); a webhook with a bad signature is refused and changes nothing; a replayed event
changes nothing."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from encaisse.adapters.payments.fake import FakeProvider
from encaisse.adapters.payments.signature import HEADER, sign_payload
from encaisse.adapters.store import tables as t
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.adapters.web.public_payment import epc_payload, router
from encaisse.domain.documents import InvoiceStatus
from encaisse.domain.payment_reference import is_valid_rf
from encaisse.formats import epc_qr
from encaisse.services import invoicing
from encaisse.services.payment_links import link_for, revoke, sign_nonce, unsign_token
from encaisse.settings import Settings

from .conftest import BASE_URL, IBAN, SECRET, Shop, make_company

WEBHOOK_SECRET = "whsec_test_0123456789"
NNBSP = "\u202f"


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider(WEBHOOK_SECRET)


@pytest.fixture
def client(shop: Shop, provider: FakeProvider) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(router)
    app.state.uow = SqlUnitOfWork(shop.uow.engine)  # what the main web app provides
    app.state.settings = Settings(secret_key=SECRET, base_url=BASE_URL)
    app.state.payment_provider = provider
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


def token_of(url: str) -> str:
    return url.rsplit("/pay/", 1)[1]


def new_link(shop: Shop, amount: Decimal = Decimal("1234.56")) -> tuple[int, str]:
    customer = shop.customer(f"Client {shop.counter}", "compta@client.fr")
    invoice = shop.invoice(customer, amount, date(2027, 1, 13), issued=date(2026, 12, 14))
    assert invoice.id is not None
    with shop.uow() as repo:
        url = link_for(repo, shop.company_id, invoice.id, BASE_URL, SECRET)
    return invoice.id, token_of(url)


def test_page_shows_invoice_bank_details_and_a_valid_epc_qr(shop: Shop, client: TestClient) -> None:
    invoice_id, token = new_link(shop)
    answer = client.get(f"/pay/{token}")
    assert answer.status_code == 200
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in answer.headers["x-robots-tag"]
    assert answer.headers["cache-control"] == "no-store"
    page = answer.text
    for expected in (
        "Facture F2026-00001",
        "Élec Durand",
        "14/12/2026",
        "13/01/2027",
        f"1{NNBSP}234,56\u00a0€",
        "FR76 3000 6000 0112 3456 7890 189",
        "AGRIFRPP",
        "ELEC DURAND SARL",
        "Payer par carte",
        f"/pay/{token}/pdf",
    ):
        assert expected in page, expected
    payload = html.unescape(re.search(r'data-epc-payload="([^"]*)"', page).group(1))  # type: ignore[union-attr]
    assert epc_qr.validate(payload) == []
    fields = epc_qr.parse(payload)
    assert (fields["service_tag"], fields["version"], fields["identification"]) == ("BCD", "002", "SCT")
    assert fields["iban"] == IBAN
    assert fields["amount"] == Decimal("1234.56")
    reference = str(fields["reference"])
    assert is_valid_rf(reference)
    assert reference == "RF" + reference[2:4] + "F202600001"
    assert fields["text"] == ""
    assert epc_qr.svg(payload, scale=4) in page  # the QR drawn is the payload checked
    with shop.uow.read() as repo:
        link = repo.payment_link_for_invoice(shop.company_id, invoice_id)
    assert link is not None
    assert link.opened_at is not None


def test_epc_payload_leaves_out_an_amount_above_the_limit(shop: Shop) -> None:
    customer = shop.customer("Grand Compte", "ap@gc.fr")
    huge = shop.invoice(customer, Decimal("1000000000.00"), date(2027, 1, 13))
    payload = epc_payload(make_company(), huge, "RF18539007547034")
    assert payload is not None
    assert epc_qr.validate(payload) == []
    assert epc_qr.parse(payload)["amount"] is None


def test_pdf_download(shop: Shop, client: TestClient) -> None:
    _, token = new_link(shop)
    answer = client.get(f"/pay/{token}/pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    assert 'filename="F2026-00001.pdf"' in answer.headers["content-disposition"]


def test_bad_tokens_all_get_the_same_neutral_404(shop: Shop, client: TestClient) -> None:
    invoice_id, token = new_link(shop)
    nonce, signature = token.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    revoked_id, revoked_token = new_link(shop)
    paid_id, paid_token = new_link(shop)
    cancelled_id, cancelled_token = new_link(shop)
    with shop.uow() as repo:
        revoke(repo, shop.company_id, revoked_id, datetime.now(UTC))
        repo.set_invoice_settlement(
            shop.company_id,
            cancelled_id,
            amount_paid=Decimal(0),
            amount_credited=Decimal("1234.56"),
            status="cancelled",
            paid_on=None,
        )
    invoicing.record_payment(shop.uow, shop.company_id, paid_id, Decimal("1234.56"), date(2026, 12, 20))
    bad = {
        "tampered signature": f"{nonce}.{flipped}",
        "tampered nonce": f"{nonce[:-1]}{'x' if nonce[-1] != 'x' else 'y'}.{signature}",
        "other secret": sign_nonce(nonce, "not-the-secret"),
        "unknown nonce": sign_nonce("A" * 43, SECRET),
        "garbage": "not-a-token",
        "revoked": revoked_token,
        "paid": paid_token,
        "cancelled": cancelled_token,
    }
    bodies = set()
    for case, candidate in bad.items():
        for path in (f"/pay/{candidate}", f"/pay/{candidate}/pdf"):
            answer = client.get(path)
            assert answer.status_code == 404, (case, path)
            bodies.add(answer.text)
        assert client.post(f"/pay/{candidate}/checkout", follow_redirects=False).status_code == 404, case
    assert len(bodies) == 1  # nothing tells the cases apart
    (body,) = bodies
    for secret_detail in ("F2026", "Élec Durand", "Client", "1234", "IBAN", "payée", "annul", "révoqu"):
        assert secret_detail not in body
    assert client.get(f"/pay/{token}").status_code == 200  # the genuine link still works
    assert invoice_id


def test_only_the_signed_spelling_of_a_token_opens_the_link() -> None:
    """The last of 43 base64 characters carries 2 unused bits: 4 spellings, one signature."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for nonce in ("A" * 43, "n0nce-" * 7, "x"):
        token = sign_nonce(nonce, SECRET)
        assert unsign_token(token, SECRET) == nonce
        last = alphabet.index(token[-1])
        same_bits = [alphabet[(last & ~3) | low] for low in range(4) if (last & ~3) | low != last]
        assert len(same_bits) == 3
        for spelling in same_bits:
            assert unsign_token(token[:-1] + spelling, SECRET) is None


def _counts(shop: Shop) -> tuple[int, int, int]:
    with shop.uow.engine.connect() as conn:
        return (
            conn.execute(sa.select(sa.func.count()).select_from(t.provider_event)).scalar_one(),
            conn.execute(sa.select(sa.func.count()).select_from(t.payment)).scalar_one(),
            conn.execute(
                sa.select(sa.func.count())
                .select_from(t.online_payment)
                .where(t.online_payment.c.status == "paid")
            ).scalar_one(),
        )


def _checkout(client: TestClient, token: str) -> str:
    answer = client.post(f"/pay/{token}/checkout", follow_redirects=False)
    assert answer.status_code == 303
    return answer.headers["location"].rsplit("/", 1)[1]


def _status(shop: Shop, invoice_id: int) -> InvoiceStatus:
    with shop.uow.read() as repo:
        return repo.get_invoice(shop.company_id, invoice_id).status


def test_card_payment_webhook_pays_the_invoice_once(
    shop: Shop, client: TestClient, provider: FakeProvider
) -> None:
    invoice_id, token = new_link(shop)
    session_id = _checkout(client, token)
    assert _checkout(client, token) == session_id  # double click: the same session (idempotency key)
    payload, headers = provider.completed_event(session_id, event_id="evt_1")
    first = client.post("/webhooks/fake", content=payload, headers=headers)
    assert first.status_code == 200
    assert first.json()["outcome"] == "paid"
    assert _status(shop, invoice_id) is InvoiceStatus.PAID
    with shop.uow.read() as repo:
        payments = repo.payments_of(shop.company_id, invoice_id)
    assert [(p[2], p[3]) for p in payments] == [(Decimal("1234.56"), "card")]
    counts = _counts(shop)
    replay = client.post("/webhooks/fake", content=payload, headers=headers)
    assert replay.status_code == 200
    assert replay.json()["outcome"] == "duplicate"
    other_id, other_headers = provider.completed_event(session_id, event_id="evt_2")
    again = client.post("/webhooks/fake", content=other_id, headers=other_headers)
    assert again.json()["outcome"] == "already_paid"
    assert _counts(shop)[1:] == counts[1:] == (1, 1)
    # the link has expired; the return page thanks the customer
    assert client.get(f"/pay/{token}").status_code == 404
    thanks = client.get(f"/pay/{token}/merci")
    assert thanks.status_code == 200
    assert "Facture F2026-00001 réglée" in thanks.text


def test_webhook_with_a_bad_signature_is_refused_and_changes_nothing(
    shop: Shop, client: TestClient, provider: FakeProvider
) -> None:
    invoice_id, token = new_link(shop)
    session_id = _checkout(client, token)
    payload, headers = provider.completed_event(session_id, event_id="evt_bad")
    forged = payload.replace(b'"amount_total": 123456', b'"amount_total": 1')
    cases = [
        (forged, headers),  # body changed after signing
        (payload, {HEADER: sign_payload(payload, "whsec_wrong")}),  # another secret
        (payload, {}),  # no signature
        (payload, {HEADER: "t=abc,v1="}),  # malformed
        (payload, {HEADER: sign_payload(payload, WEBHOOK_SECRET, timestamp=1_600_000_000)}),  # stale
    ]
    for body, hdrs in cases:
        answer = client.post("/webhooks/fake", content=body, headers=hdrs)
        assert answer.status_code == 400, hdrs
    assert client.post("/webhooks/stripe", content=payload, headers=headers).status_code == 404
    assert _counts(shop) == (0, 0, 0)
    assert _status(shop, invoice_id) is InvoiceStatus.ISSUED


def test_links_are_reused_and_renewed_after_revocation(shop: Shop) -> None:
    invoice_id, token = new_link(shop)
    with shop.uow() as repo:
        again = token_of(link_for(repo, shop.company_id, invoice_id, BASE_URL, SECRET))
        assert again == token
        assert revoke(repo, shop.company_id, invoice_id, datetime.now(UTC)) == 1
        renewed = token_of(link_for(repo, shop.company_id, invoice_id, BASE_URL, SECRET))
    assert renewed != token
    assert len(renewed.split(".")[0]) == 43


def test_a_collections_uow_is_accepted_too(shop: Shop, provider: FakeProvider) -> None:
    app = FastAPI()
    app.include_router(router)
    app.state.uow = SqlUnitOfWork(shop.uow.engine)
    app.state.settings = Settings(secret_key=SECRET, base_url=BASE_URL)
    app.state.payment_provider = None  # no provider configured: no card button, checkout is 404
    _, token = new_link(shop)
    with TestClient(app, base_url=BASE_URL) as test_client:
        page = test_client.get(f"/pay/{token}")
        assert page.status_code == 200
        assert "Payer par carte" not in page.text
        assert test_client.post(f"/pay/{token}/checkout", follow_redirects=False).status_code == 404


def test_the_main_web_app_serves_the_payment_page(
    shop: Shop, db_url: str, settings_for: Callable[..., Settings]
) -> None:
    from encaisse.adapters.web.app import create_app

    app = create_app(settings_for(db_url))
    assert "public_payment" in app.state.optional_routers
    _, token = new_link(shop)
    with TestClient(app, base_url=BASE_URL) as test_client:
        page = test_client.get(f"/pay/{token}")
        assert page.status_code == 200
        assert "Facture F2026-00001" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "Payer par carte" not in page.text  # no provider configured in these settings
        assert test_client.get(f"/pay/{token}x").status_code == 404
        assert test_client.post("/webhooks/stripe", content=b"{}").status_code == 404
