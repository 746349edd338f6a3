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
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, Protocol

from encaisse.domain.bank import Statement
from encaisse.domain.errors import EncaisseError, NotFoundError, Problem, ValidationError
from encaisse.domain.parties import compact_digits, is_valid_iban
from encaisse.services import audit
from encaisse.services.bank_import import SYNC_FORMAT_PREFIX, BankImportResult, store_statements
from encaisse.services.ports import UnitOfWork

__all__ = [
    "DEFAULT_DAYS",
    "BankConnection",
    "BankFeed",
    "BankFeedError",
    "Consent",
    "ConsentFeed",
    "Institution",
    "SyncOutcome",
    "finish_connection",
    "start_connection",
    "sync_account",
    "sync_connection",
    "sync_connections",
]

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
        f"{SYNC_FORMAT_PREFIX}{feed.name}",
        [(iban, statement)],
        sha256=digest,
        filename=f"{feed.name}:{account_ref}"[:300],
        actor=actor,
    )


# ---------------------------------------------------------------------------------- connections
PENDING, ACTIVE, EXPIRED, LINKED = "pending", "active", "expired", "linked"


@dataclass(frozen=True)
class BankConnection:
    """One account read through an aggregator. ``pending`` (the owner was sent to the bank) →
    ``linked`` (consent given: one ``active`` connection per account it covers) ; an active
    connection becomes ``expired`` when the bank says the consent has lapsed (90 to 180 days)."""

    company_id: int
    provider: str
    requisition_id: str
    reference: str
    status: str
    created_at: datetime
    institution_id: str = ""
    account_ref: str = ""
    iban: str = ""
    last_sync_at: datetime | None = None
    last_new: int = 0
    last_error_code: str = ""
    last_error: str = ""
    id: int | None = None


class ConnectionStore(Protocol):
    def add_bank_connection(self, connection: BankConnection) -> BankConnection: ...
    def update_bank_connection(self, connection: BankConnection) -> None: ...
    def list_bank_connections(self, company_id: int) -> list[BankConnection]: ...


class Consent(NamedTuple):
    requisition_id: str
    link: str  # where the owner gives consent at the bank; it comes back to the redirect URL


class Institution(NamedTuple):
    id: str  # the aggregator's id, e.g. "BNP_PARIBAS_BNPAFRPP"
    name: str
    bic: str = ""


class ConsentFeed(BankFeed, Protocol):
    """A feed that can also ask the account owner's consent (PSD2 strong customer authentication)."""

    def institutions(self, country: str) -> list[Institution]:
        """The banks of ``country`` (ISO 3166 alpha-2) the owner can connect, by name."""
        ...

    def start_consent(self, institution_id: str, redirect_url: str, reference: str) -> Consent: ...

    def consented_accounts(self, requisition_id: str) -> list[str]:
        """The account ids the owner consented to; ``BANK-FEED-CONSENT`` when not (yet) given."""
        ...


class SyncOutcome(NamedTuple):
    connection: BankConnection
    result: BankImportResult | None
    error: EncaisseError | None


def _store(repo: Any) -> ConnectionStore:
    return repo  # type: ignore[no-any-return]  # the SQL repository implements ConnectionStore


def start_connection(
    uow: UnitOfWork, company_id: int, feed: ConsentFeed, institution_id: str, redirect_url: str, now: datetime
) -> tuple[BankConnection, str]:
    """Ask the bank for the owner's consent; the pending connection and the link to send the owner to."""
    institution = institution_id.strip()
    if not institution or len(institution) > 100:
        raise ValidationError(
            "choose the bank (institution id)",
            code="BANK-FEED-INSTITUTION",
            problems=[Problem("BANK-FEED-INSTITUTION", "required", field="institution_id")],
        )
    reference = secrets.token_urlsafe(18)
    consent = feed.start_consent(institution, redirect_url, reference)
    with uow() as repo:
        stored = _store(repo).add_bank_connection(
            BankConnection(
                company_id=company_id,
                provider=feed.name,
                requisition_id=consent.requisition_id,
                reference=reference,
                status=PENDING,
                created_at=now,
                institution_id=institution,
            )
        )
    return stored, consent.link


def finish_connection(
    uow: UnitOfWork, company_id: int, feed: ConsentFeed, reference: str, now: datetime, *, actor: str = ""
) -> list[BankConnection]:
    """The owner is back from the bank: one active connection per consented account (idempotent)."""
    with uow() as repo:
        connections = _store(repo).list_bank_connections(company_id)
    pending = next(
        (c for c in connections if c.reference == reference and c.status in (PENDING, LINKED)), None
    )
    if pending is None:
        raise NotFoundError(
            "no bank connection is waiting for this answer", code="BANK-FEED-UNKNOWN-REFERENCE"
        )
    if pending.status == LINKED:
        return [c for c in connections if c.requisition_id == pending.requisition_id and c.status != LINKED]
    accounts = feed.consented_accounts(pending.requisition_id)
    with uow() as repo:
        store = _store(repo)
        made = [
            store.add_bank_connection(
                replace(pending, id=None, status=ACTIVE, account_ref=ref, created_at=now)
            )
            for ref in accounts
        ]
        store.update_bank_connection(replace(pending, status=LINKED))
        audit.record(
            repo,
            company_id,
            "bank.connected",
            "bank_connection",
            pending.id or 0,
            {"provider": feed.name, "institution": pending.institution_id, "accounts": len(made)},
            actor=actor,
        )
    return made


def sync_connection(
    uow: UnitOfWork,
    company_id: int,
    feed: BankFeed,
    connection: BankConnection,
    today: date,
    now: datetime,
    *,
    days: int = DEFAULT_DAYS,
    actor: str = "",
) -> SyncOutcome:
    """Sync one active connection and record the outcome on it (an expired consent marks it expired)."""
    result: BankImportResult | None = None
    error: EncaisseError | None = None
    try:
        result = sync_account(uow, company_id, feed, connection.account_ref, today, days=days, actor=actor)
    except EncaisseError as exc:
        error = exc
    except Exception as exc:
        error = BankFeedError(
            f"the sync failed ({type(exc).__name__}): nothing was stored; it will be tried again",
            code="BANK-FEED-UNAVAILABLE",
        )
    recorded = replace(
        connection,
        last_sync_at=now,
        last_new=result.new if result else 0,
        iban=result.accounts[0] if result and result.accounts else connection.iban,
        last_error_code=error.code if error else "",
        last_error=error.message[:300] if error else "",
        status=EXPIRED if error is not None and error.code == "BANK-FEED-CONSENT" else connection.status,
    )
    with uow() as repo:
        _store(repo).update_bank_connection(recorded)
    return SyncOutcome(recorded, result, error)


def sync_connections(
    uow: UnitOfWork, company_id: int, feed: BankFeed, today: date, now: datetime, *, actor: str = ""
) -> list[SyncOutcome]:
    """Sync every active connection of the company read through ``feed`` (the daily job)."""
    with uow() as repo:
        connections = _store(repo).list_bank_connections(company_id)
    return [
        sync_connection(uow, company_id, feed, c, today, now, actor=actor)
        for c in connections
        if c.status == ACTIVE and c.provider == feed.name
    ]
