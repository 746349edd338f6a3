"""Payment-provider adapters (card / SEPA) behind one Protocol, with signed webhooks.

The Protocol and its data (``PaymentProvider``, ``Checkout``, ``ProviderEvent``) live in
``encaisse.services.online_payments`` so use cases can name them; implementations are here:
:class:`~encaisse.adapters.payments.stripe.StripeProvider` and
:class:`~encaisse.adapters.payments.fake.FakeProvider` (+ the local fake server).
"""

from __future__ import annotations

import hashlib
import hmac

from encaisse.services.online_payments import Checkout, PaymentProvider, ProviderEvent
from encaisse.settings import Settings

__all__ = ["Checkout", "PaymentProvider", "ProviderEvent", "provider_from_settings"]


def provider_from_settings(settings: Settings) -> PaymentProvider | None:
    """The configured provider: ``stripe`` (needs ENCAISSE_STRIPE_SECRET_KEY), ``fake`` (talks to the
    fake server at ENCAISSE_FAKE_PROVIDER_URL), or None (no card payment: the button is hidden)."""
    from encaisse.adapters.payments.stripe import StripeProvider

    if settings.payment_provider == "stripe" and settings.stripe_secret_key:
        return StripeProvider(
            secret_key=settings.stripe_secret_key,
            webhook_secret=settings.stripe_webhook_secret,
            api_base=settings.stripe_api_base,
        )
    if settings.payment_provider == "fake" and settings.fake_provider_url:
        return StripeProvider(
            secret_key="sk_test_fake",
            webhook_secret=settings.stripe_webhook_secret or fake_webhook_secret(settings.secret_key),
            api_base=settings.fake_provider_url,
            name="fake",
        )
    return None


def fake_webhook_secret(secret_key: str) -> str:
    """A webhook secret derived from the app's secret (fake provider without explicit secret)."""
    return "whsec_" + hmac.new(secret_key.encode(), b"fake-provider-webhook", hashlib.sha256).hexdigest()[:32]
