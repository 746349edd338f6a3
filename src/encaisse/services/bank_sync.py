"""Bank account sync through a PSD2 aggregator (``encaisse bank sync``, the daily job).

An aggregator (GoCardless Bank Account Data, …) reads the account with the owner's consent and
serves its booked transactions as JSON; :class:`BankFeed` is what Encaisse needs from one, and
``adapters/bank_feeds/`` holds the implementations (and a local sandbox bank for tests and demos).
A sync stores what a statement file would: new booked transactions only (pending ones change and
are left for a later sync), deduplicated by the bank's transaction id, so syncing twice or
over an overlapping period adds nothing, and a file import of the same period adds nothing either
when the bank gives the same references. The closing balance updates the account's position.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Protocol

from encaisse.domain.bank import Statement
from encaisse.domain.errors import EncaisseError, Problem, ValidationError
from encaisse.domain.parties import compact_digits, is_valid_iban
from encaisse.services.bank_import import BankImportResult, store_statements
from encaisse.services.ports import UnitOfWork

__all__ = ["DEFAULT_DAYS", "BankFeed", "BankFeedError", "sync_account"]

#: How far back a sync reads: aggregators give at least 90 days of history under PSD2.
DEFAULT_DAYS = 90


class BankFeedError(EncaisseError):
    """An aggregator refused or failed. Codes: ``BANK-FEED-AUTH`` (credentials),
    ``BANK-FEED-CONSENT`` (the owner's consent expired or was revoked: reconnect the account),
    ``BANK-FEED-RATE-LIMIT`` (try again later), ``BANK-FEED-UNAVAILABLE`` (network, 5xx),
    ``BANK-FEED-DATA`` (an answer Encaisse cannot read)."""

    code = "BANK-FEED-UNAVAILABLE"


class BankFeed(Protocol):
    """One aggregator connection, e.g. :class:`~encaisse.adapters.bank_feeds.gocardless.GoCardlessFeed`."""

    name: str

    def statement(self, account_ref: str, *, date_from: date, date_to: date) -> Statement:
        """The account's booked transactions between the two dates (inclusive), with its IBAN,
        currency and, when the bank gives it, the closing booked balance and its date.
        Raises :class:`BankFeedError`."""
        ...


def sync_account(
    uow: UnitOfWork,
    company_id: int,
    feed: BankFeed,
    account_ref: str,
    today: date,
    *,
    days: int = DEFAULT_DAYS,
    actor: str = "",
) -> BankImportResult:
    """Read the last ``days`` of ``account_ref`` through ``feed`` and store the new transactions."""
    if not 1 <= days <= 730:
        raise ValidationError(
            "days must be between 1 and 730",
            code="BANK-FEED-DAYS",
            problems=[Problem("BANK-FEED-DAYS", "between 1 and 730", field="days")],
        )
    statement = feed.statement(account_ref, date_from=today - timedelta(days=days), date_to=today)
    iban = compact_digits(statement.account_iban)
    if not is_valid_iban(iban):
        raise BankFeedError(
            f"{feed.name} gave account {account_ref!r} the IBAN {statement.account_iban!r}, which is not valid",
            code="BANK-FEED-DATA",
        )
    # What identifies this read in the statement-file log: the feed, the account and the transactions.
    digest = hashlib.sha256(
        "\n".join(
            [feed.name, account_ref, iban]
            + [f"{t.bank_ref}|{t.booking_date}|{t.amount}" for t in statement.transactions]
        ).encode()
    ).hexdigest()
    return store_statements(
        uow,
        company_id,
        f"psd2-{feed.name}",
        [(iban, statement)],
        sha256=digest,
        filename=f"{feed.name}:{account_ref}"[:300],
        actor=actor,
    )
