"""PSD2 aggregator adapters behind :class:`encaisse.services.bank_sync.BankFeed`."""

from __future__ import annotations

from datetime import date

import httpx

from encaisse.services.bank_sync import BankFeedError, ConsentFeed
from encaisse.settings import Settings

__all__ = ["SANDBOX_ACCOUNT", "feed_from_settings"]

#: The account id of the sandbox bank (``ENCAISSE_BANK_FEED=sandbox``).
SANDBOX_ACCOUNT = "demo-account"


def feed_from_settings(settings: Settings, *, iban: str, today: date) -> ConsentFeed:
    """The configured aggregator: GoCardless with the environment's secrets, or the sandbox bank
    (one demo account, ``demo-account``, holding ``iban``)."""
    from encaisse.adapters.bank_feeds.gocardless import GoCardlessFeed
    from encaisse.adapters.bank_feeds.sandbox import SandboxBank

    if settings.bank_feed == "sandbox":
        bank = SandboxBank.demo(iban, today, SANDBOX_ACCOUNT)
        return GoCardlessFeed(
            *bank.secrets, client=httpx.Client(transport=bank.transport()), base_url="https://sandbox"
        )
    if settings.bank_feed != "gocardless":
        raise BankFeedError(
            f"unknown bank feed {settings.bank_feed!r} (ENCAISSE_BANK_FEED: gocardless or sandbox)",
            code="SETTINGS-INVALID",
        )
    return GoCardlessFeed(
        settings.gocardless_secret_id, settings.gocardless_secret_key, base_url=settings.gocardless_api_base
    )
