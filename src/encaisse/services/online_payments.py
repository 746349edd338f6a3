"""Card / SEPA payment of an invoice through a payment provider (Stripe Checkout or the fake one).

Starting a checkout never holds a database transaction during the provider call: the link is
resolved in a read transaction, the provider creates the session (with an idempotency key, so a
double click gives the same session), then the ``online_payment`` row is written.

Webhook events are handled once: ``provider_event(provider, event_id)`` is unique, and an event
already recorded changes nothing (providers deliver at least once and replay on timeouts).
``checkout.session.completed`` with ``payment_status == "paid"`` records a ``card`` payment on the
invoice (``apply_payment_in``) and marks the online payment ``paid``; the link then expires by
itself since the invoice is paid. NOTE: the provider later pays the money out to the bank account
in one transfer, net of fees; that payout is matched by the reconciliation engine (it is a
transfer from the provider, not from the customer) and must not be applied to the invoice again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from encaisse.domain.documents import Invoice
from encaisse.domain.errors import EncaisseError
from encaisse.domain.money import round_money
from encaisse.services import audit
from encaisse.services.invoicing import apply_payment_in
from encaisse.services.mail_queue import UnitOfWorkOf
from encaisse.services.payment_links import LinkStore, resolve_link

PARIS = ZoneInfo("Europe/Paris")
PAID_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})
FAILED_EVENTS = {"checkout.session.expired": "expired", "checkout.session.async_payment_failed": "failed"}


class WebhookSignatureError(EncaisseError):
    code = "PAYMENT-WEBHOOK-SIGNATURE"


class ProviderError(EncaisseError):
    code = "PAYMENT-PROVIDER"


@dataclass(frozen=True)
class Checkout:
    session_id: str
    url: str


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook event, reduced to what Encaisse uses (amounts in euros)."""

    provider: str
    id: str
    type: str
    session_id: str = ""
    amount: Decimal | None = None
    currency: str = "eur"
    payment_status: str = ""
    created: datetime | None = None


class PaymentProvider(Protocol):
    """A card/SEPA payment provider (``adapters/payments``: Stripe, the fake provider)."""

    @property
    def name(self) -> str: ...

    def create_checkout(
        self, invoice: Invoice, amount: Decimal, success_url: str, cancel_url: str, idempotency_key: str
    ) -> Checkout: ...

    def verify_webhook(self, payload: bytes, headers: dict[str, str]) -> ProviderEvent: ...


@dataclass(frozen=True)
class OnlinePaymentRecord:
    id: int
    company_id: int
    invoice_id: int
    provider: str
    session_id: str
    amount: Decimal
    status: str  # pending | paid | expired | failed
    paid_at: datetime | None = None


class OnlinePaymentStore(LinkStore, Protocol):
    def add_online_payment(
        self, company_id: int, invoice_id: int, *, provider: str, session_id: str, amount: Decimal
    ) -> OnlinePaymentRecord: ...
    def online_payment_by_session(self, provider: str, session_id: str) -> OnlinePaymentRecord | None: ...
    def set_online_payment_status(
        self, payment_id: int, status: str, *, paid_at: datetime | None
    ) -> None: ...
    def add_provider_event(self, provider: str, event_id: str, event_type: str) -> bool: ...


def start_checkout(
    uow: UnitOfWorkOf[OnlinePaymentStore],
    provider: PaymentProvider,
    token: str,
    *,
    secret: str,
    base_url: str,
    now: datetime,
) -> Checkout | None:
    """Create (or reuse) the provider's checkout session for the amount still due on the invoice of
    a live payment link; None when the link does not resolve."""
    with uow.read() as repo:
        found = resolve_link(repo, token, secret)
    if found is None:
        return None
    invoice = found.invoice
    amount = invoice.amount_due
    if amount <= 0:
        return None
    page = f"{base_url.rstrip('/')}/pay/{token}"
    cents = int(round_money(amount) * 100)
    key = f"encaisse-{invoice.company_id}-{invoice.id}-{cents}-{found.link.id}-{now:%Y%m%d%H}"
    checkout = provider.create_checkout(invoice, amount, f"{page}/merci", page, key)
    with uow() as repo:
        if repo.online_payment_by_session(provider.name, checkout.session_id) is None:
            repo.add_online_payment(
                invoice.company_id,
                invoice.id or 0,
                provider=provider.name,
                session_id=checkout.session_id,
                amount=amount,
            )
    return checkout


def _payment_day(event: ProviderEvent, today: date) -> date:
    return event.created.astimezone(PARIS).date() if event.created else today


def handle_event(uow: UnitOfWorkOf[OnlinePaymentStore], event: ProviderEvent, today: date) -> str:
    """Apply one verified event, once. Returns what happened: ``duplicate``, ``paid``,
    ``already_paid``, ``pending``, ``unknown_session``, ``currency_mismatch``, ``expired``,
    ``failed`` or ``ignored``."""
    with uow() as repo:
        if not repo.add_provider_event(event.provider, event.id, event.type):
            return "duplicate"
        if event.type not in PAID_EVENTS and event.type not in FAILED_EVENTS:
            return "ignored"
        payment = repo.online_payment_by_session(event.provider, event.session_id)
        if payment is None:
            return "unknown_session"
        if event.type in FAILED_EVENTS:
            if payment.status == "pending":
                repo.set_online_payment_status(payment.id, FAILED_EVENTS[event.type], paid_at=None)
            return FAILED_EVENTS[event.type]
        if event.payment_status != "paid":
            return "pending"  # e.g. a SEPA debit: async_payment_succeeded will follow
        if payment.status == "paid":
            return "already_paid"
        if event.currency.lower() != "eur":
            return "currency_mismatch"
        amount = round_money(event.amount if event.amount is not None else payment.amount)
        invoice = repo.get_invoice(payment.company_id, payment.invoice_id)
        day = _payment_day(event, today)
        apply_payment_in(repo, invoice, amount, day, method="card")
        repo.set_online_payment_status(payment.id, "paid", paid_at=event.created)
        audit.record(
            repo,
            payment.company_id,
            "payment.online",
            "invoice",
            payment.invoice_id,
            {
                "provider": event.provider,
                "session_id": event.session_id,
                "event_id": event.id,
                "amount": str(amount),
                "date": day.isoformat(),
            },
            actor=f"provider:{event.provider}",
        )
        return "paid"
