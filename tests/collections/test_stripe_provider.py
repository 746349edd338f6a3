"""The Stripe adapter against the local fake provider server (real HTTP on loopback), and the
webhook signature scheme (HMAC-SHA256 of ``{t}.{payload}``, 300 s tolerance) as properties."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encaisse.adapters.payments import provider_from_settings
from encaisse.adapters.payments.fake_server import create_fake_stripe, serving
from encaisse.adapters.payments.signature import HEADER, sign_payload, verify_signature
from encaisse.adapters.payments.stripe import StripeProvider
from encaisse.domain.documents import Invoice, InvoiceStatus
from encaisse.domain.parties import Party
from encaisse.services.online_payments import ProviderError, WebhookSignatureError
from encaisse.settings import Settings

WEBHOOK_SECRET = "whsec_fake_server"
API_KEY = "sk_test_123"
NOW = 1_800_000_000


@pytest.fixture(scope="module")
def fake_url() -> Iterator[str]:
    app = create_fake_stripe(WEBHOOK_SECRET, api_key=API_KEY)
    with serving(app) as url:
        yield url


def invoice() -> Invoice:
    return Invoice(
        company_id=1,
        customer=Party("Durand SARL", email="compta@durand.fr"),
        issue_date=date(2026, 12, 1),
        status=InvoiceStatus.ISSUED,
        id=42,
        number="F2026-00042",
        total_incl_tax_override=Decimal("1234.56"),
    )


def test_checkout_session_is_created_with_form_params_and_idempotency(fake_url: str) -> None:
    provider = StripeProvider(secret_key=API_KEY, webhook_secret=WEBHOOK_SECRET, api_base=fake_url)
    first = provider.create_checkout(invoice(), Decimal("1234.56"), "http://a/ok", "http://a/ko", "key-1")
    assert first.session_id.startswith("cs_test_")
    assert first.url == f"{fake_url}/checkout/{first.session_id}"
    again = provider.create_checkout(invoice(), Decimal("1234.56"), "http://a/ok", "http://a/ko", "key-1")
    other = provider.create_checkout(invoice(), Decimal("1234.56"), "http://a/ok", "http://a/ko", "key-2")
    assert again == first
    assert other.session_id != first.session_id
    import httpx

    page = httpx.get(first.url)
    assert "1234,56 €" in page.text
    assert "Facture F2026-00042" in page.text


def test_refused_api_key_and_unreachable_api_raise_provider_errors(fake_url: str) -> None:
    wrong = StripeProvider(secret_key="sk_wrong", webhook_secret=WEBHOOK_SECRET, api_base=fake_url)
    with pytest.raises(ProviderError, match="401"):
        wrong.create_checkout(invoice(), Decimal(1), "http://a/ok", "http://a/ko", "k")
    down = StripeProvider(secret_key=API_KEY, webhook_secret="x", api_base="http://127.0.0.1:9", timeout=2)
    with pytest.raises(ProviderError, match="unreachable"):
        down.create_checkout(invoice(), Decimal(1), "http://a/ok", "http://a/ko", "k")


def test_verify_webhook_parses_a_signed_event() -> None:
    provider = StripeProvider(secret_key=API_KEY, webhook_secret=WEBHOOK_SECRET)
    body = (
        b'{"id": "evt_9", "type": "checkout.session.completed", "created": 1800000000, '
        b'"data": {"object": {"id": "cs_1", "amount_total": 123456, "currency": "eur", "payment_status": "paid"}}}'
    )
    header = sign_payload(body, WEBHOOK_SECRET)
    event = provider.verify_webhook(body, {"stripe-signature": header})  # header names are case-insensitive
    assert (event.id, event.type, event.session_id, event.amount, event.payment_status) == (
        "evt_9",
        "checkout.session.completed",
        "cs_1",
        Decimal("1234.56"),
        "paid",
    )
    with pytest.raises(WebhookSignatureError):
        provider.verify_webhook(body + b" ", {HEADER: header})


def test_provider_from_settings() -> None:
    assert provider_from_settings(Settings(payment_provider="stripe")) is None  # no key: no card payments
    stripe = provider_from_settings(Settings(payment_provider="stripe", stripe_secret_key="sk_live_x"))
    assert stripe is not None
    assert stripe.name == "stripe"
    fake = provider_from_settings(Settings(payment_provider="fake", fake_provider_url="http://127.0.0.1:1"))
    assert fake is not None
    assert fake.name == "fake"


@given(payload=st.binary(max_size=300), secret=st.text(min_size=1, max_size=40), skew=st.integers(-300, 300))
def test_signature_accepts_what_it_signed_within_tolerance(payload: bytes, secret: str, skew: int) -> None:
    verify_signature(payload, sign_payload(payload, secret, timestamp=NOW), secret, now=NOW + skew)


@given(
    payload=st.binary(min_size=1, max_size=300),
    position=st.integers(min_value=0),
    flip=st.integers(min_value=1, max_value=255),
)
def test_signature_refuses_any_changed_byte(payload: bytes, position: int, flip: int) -> None:
    header = sign_payload(payload, WEBHOOK_SECRET, timestamp=NOW)
    index = position % len(payload)
    changed = payload[:index] + bytes([payload[index] ^ flip]) + payload[index + 1 :]
    with pytest.raises(WebhookSignatureError):
        verify_signature(changed, header, WEBHOOK_SECRET, now=NOW)


@given(skew=st.integers(min_value=301, max_value=10**8), sign=st.sampled_from([-1, 1]))
def test_signature_refuses_old_or_future_timestamps(skew: int, sign: int) -> None:
    header = sign_payload(b"{}", WEBHOOK_SECRET, timestamp=NOW)
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        verify_signature(b"{}", header, WEBHOOK_SECRET, now=NOW + sign * skew)
