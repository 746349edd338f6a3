"""An in-memory payment provider with Stripe's webhook signatures, for tests and demos.

It creates sessions without any network call (``url`` points at ``checkout_base``, e.g. the
local fake server) and builds the signed ``checkout.session.completed`` event a real provider
would post, so the whole webhook path (signature, idempotency, payment) runs for real.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from decimal import Decimal

from encaisse.adapters.payments.signature import HEADER, sign_payload, verify_signature
from encaisse.adapters.payments.stripe import header_value, parse_event
from encaisse.domain.documents import Invoice
from encaisse.domain.money import round_money
from encaisse.services.online_payments import Checkout, ProviderEvent


@dataclass
class FakeSession:
    id: str
    invoice_id: int
    amount_cents: int
    success_url: str
    cancel_url: str
    idempotency_key: str
    paid: bool = False


class FakeProvider:
    def __init__(
        self, webhook_secret: str, *, checkout_base: str = "http://fake-provider.invalid", name: str = "fake"
    ) -> None:
        self._webhook_secret = webhook_secret
        self._checkout_base = checkout_base.rstrip("/")
        self._name = name
        self._ids = itertools.count(1)
        self._events = itertools.count(1)
        self.sessions: dict[str, FakeSession] = {}

    @property
    def name(self) -> str:
        return self._name

    def create_checkout(
        self, invoice: Invoice, amount: Decimal, success_url: str, cancel_url: str, idempotency_key: str
    ) -> Checkout:
        for session in self.sessions.values():
            if session.idempotency_key == idempotency_key:
                return Checkout(session.id, f"{self._checkout_base}/checkout/{session.id}")
        session = FakeSession(
            id=f"cs_fake_{next(self._ids):06d}",
            invoice_id=invoice.id or 0,
            amount_cents=int(round_money(amount) * 100),
            success_url=success_url,
            cancel_url=cancel_url,
            idempotency_key=idempotency_key,
        )
        self.sessions[session.id] = session
        return Checkout(session.id, f"{self._checkout_base}/checkout/{session.id}")

    def completed_event(
        self, session_id: str, *, event_id: str | None = None, timestamp: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """Body and headers of the signed ``checkout.session.completed`` webhook of a session."""
        session = self.sessions[session_id]
        session.paid = True
        ts = int(time.time()) if timestamp is None else timestamp
        payload = json.dumps(
            {
                "id": event_id or f"evt_fake_{next(self._events):06d}",
                "object": "event",
                "type": "checkout.session.completed",
                "created": ts,
                "data": {
                    "object": {
                        "id": session.id,
                        "object": "checkout.session",
                        "amount_total": session.amount_cents,
                        "currency": "eur",
                        "payment_status": "paid",
                        "client_reference_id": str(session.invoice_id),
                    }
                },
            }
        ).encode("utf-8")
        return payload, {HEADER: sign_payload(payload, self._webhook_secret, timestamp=ts)}

    def verify_webhook(self, payload: bytes, headers: dict[str, str]) -> ProviderEvent:
        verify_signature(payload, header_value(headers, HEADER), self._webhook_secret)
        return parse_event(self._name, payload)
