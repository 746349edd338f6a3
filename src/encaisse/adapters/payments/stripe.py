"""Stripe Checkout (``POST /v1/checkout/sessions``) and Stripe webhooks, over plain httpx.

Sessions are created with form-encoded parameters (Stripe's API convention), the amount in cents
and an ``Idempotency-Key`` header; webhooks are verified with :mod:`.signature` before their JSON
is even parsed. The API base is configurable (``ENCAISSE_STRIPE_API_BASE``) so the tests point it
at the local fake server (:mod:`.fake_server`), which speaks the same protocol.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from encaisse.adapters.payments.signature import HEADER, verify_signature
from encaisse.domain.documents import Invoice
from encaisse.domain.money import round_money
from encaisse.services.online_payments import (
    Checkout,
    ProviderError,
    ProviderEvent,
    WebhookSignatureError,
)


def checkout_params(invoice: Invoice, amount: Decimal, success_url: str, cancel_url: str) -> dict[str, str]:
    """Form parameters of a one-line Checkout Session paying ``amount`` euros for ``invoice``."""
    params = {
        "mode": "payment",
        "locale": "fr",
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": str(invoice.id or ""),
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": str(int(round_money(amount) * 100)),
        "line_items[0][price_data][product_data][name]": f"Facture {invoice.number}",
        "metadata[invoice_id]": str(invoice.id or ""),
        "metadata[company_id]": str(invoice.company_id),
        "metadata[invoice_number]": invoice.number,
    }
    if invoice.customer.email:
        params["customer_email"] = invoice.customer.email
    return params


def parse_event(provider: str, payload: bytes) -> ProviderEvent:
    """The fields Encaisse uses of a (verified) Stripe event."""
    try:
        data = json.loads(payload)
        obj: Mapping[str, Any] = data.get("data", {}).get("object", {}) or {}
        cents = obj.get("amount_total")
        created = data.get("created")
        return ProviderEvent(
            provider=provider,
            id=str(data["id"]),
            type=str(data["type"]),
            session_id=str(obj.get("id", "")),
            amount=(Decimal(int(cents)) / 100) if cents is not None else None,
            currency=str(obj.get("currency", "eur")),
            payment_status=str(obj.get("payment_status", "")),
            created=datetime.fromtimestamp(int(created), UTC) if created is not None else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise WebhookSignatureError(f"webhook payload is not a provider event: {exc}") from exc


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


class StripeProvider:
    """Stripe Checkout. ``name`` is the webhook path segment (``/webhooks/{name}``)."""

    def __init__(
        self,
        *,
        secret_key: str,
        webhook_secret: str,
        api_base: str = "https://api.stripe.com",
        name: str = "stripe",
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._secret_key = secret_key
        self._webhook_secret = webhook_secret
        self._api_base = api_base.rstrip("/")
        self._name = name
        self._timeout = timeout
        self._transport = transport

    @property
    def name(self) -> str:
        return self._name

    def create_checkout(
        self, invoice: Invoice, amount: Decimal, success_url: str, cancel_url: str, idempotency_key: str
    ) -> Checkout:
        if not self._secret_key:
            raise ProviderError("no payment-provider API key configured", code="PAYMENT-PROVIDER-CONFIG")
        try:
            with httpx.Client(timeout=self._timeout, transport=self._transport) as client:
                response = client.post(
                    f"{self._api_base}/v1/checkout/sessions",
                    data=checkout_params(invoice, amount, success_url, cancel_url),
                    headers={
                        "Authorization": f"Bearer {self._secret_key}",
                        "Idempotency-Key": idempotency_key,
                    },
                )
        except httpx.HTTPError as exc:
            raise ProviderError(f"payment provider unreachable: {exc.__class__.__name__}") from exc
        if response.status_code >= 400:
            message = ""
            with contextlib.suppress(ValueError):
                message = str(response.json().get("error", {}).get("message", ""))
            raise ProviderError(f"payment provider refused the checkout ({response.status_code}) {message}")
        body = response.json()
        session_id, url = body.get("id"), body.get("url")
        if not isinstance(session_id, str) or not isinstance(url, str):
            raise ProviderError("payment provider answered without session id or url")
        return Checkout(session_id, url)

    def verify_webhook(self, payload: bytes, headers: dict[str, str]) -> ProviderEvent:
        verify_signature(payload, header_value(headers, HEADER), self._webhook_secret)
        return parse_event(self._name, payload)
