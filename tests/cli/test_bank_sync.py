"""Bank account sync through a PSD2 aggregator (GoCardless Bank Account Data API v2, sandbox bank).

The GoCardless adapter talks HTTP to the local sandbox (``adapters/bank_feeds/sandbox.py``,
through httpx's mock transport): tokens, details, balances, booked and pending transactions.
A sync stores booked transactions only, is idempotent, agrees with a statement file of the same
transactions, renews an expired token once, and turns the API's failures into stable codes
without storing anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from encaisse.adapters.bank_feeds import feed_from_settings
from encaisse.adapters.bank_feeds.gocardless import GoCardlessFeed, transaction_from
from encaisse.adapters.bank_feeds.sandbox import SandboxBank
from encaisse.adapters.jobs.runner import job_bank_sync
from encaisse.adapters.store.db import make_engine
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.domain.bank import Statement
from encaisse.domain.errors import NotFoundError
from encaisse.formats import camt053
from encaisse.services import invoicing
from encaisse.services.bank_import import import_statement
from encaisse.services.bank_sync import (
    BankFeedError,
    finish_connection,
    start_connection,
    sync_account,
    sync_connections,
)
from encaisse.settings import Settings
from tests_support import draft, new_company, new_customer

IBAN = "FR7630006000011234567890189"
TODAY = date(2026, 12, 4)


@pytest.fixture
def store(db_url: str) -> Any:
    engine = make_engine(db_url)
    uow = SqlUnitOfWork(engine)
    company = new_company(uow)
    yield uow, company.id or 0
    engine.dispose()


def feed_for(bank: SandboxBank) -> GoCardlessFeed:
    return GoCardlessFeed(
        *bank.secrets, client=httpx.Client(transport=bank.transport()), base_url="https://sb"
    )


def stored(uow: Any, cid: int) -> list[Any]:
    with uow.read() as repo:
        return [row.tx for row in repo.list_transactions(cid)]


def test_sync_stores_booked_transactions_once_with_the_closing_balance(store: Any) -> None:
    uow, cid = store
    bank = SandboxBank.demo(IBAN, TODAY)
    first = sync_account(uow, cid, feed_for(bank), "demo-account", TODAY)
    assert (first.format, first.new, first.duplicates, first.accounts) == ("psd2-gocardless", 20, 0, (IBAN,))
    again = sync_account(uow, cid, feed_for(bank), "demo-account", TODAY)
    assert (again.new, again.duplicates) == (0, 20)  # idempotent

    txs = stored(uow, cid)
    assert len(txs) == 20  # the pending card payment waits until it is booked
    credit = next(t for t in txs if t.bank_ref == "SBX-20261105-001")
    assert credit.amount == Decimal("185.00")
    assert credit.counterparty_name == "CLIENT 01"  # the debtor of a credit
    assert credit.remittance == "VIR FACTURE F2026-00001"
    debit = next(t for t in txs if t.amount < 0)
    assert debit.counterparty_name == "FOURNISSEUR BUREAU"  # the creditor of a debit
    with uow.read() as repo:
        (account,) = repo.list_accounts(cid)
    closing, _day = bank.accounts["demo-account"].closing()
    assert account.balance == closing


def test_a_new_booking_arrives_at_the_next_sync(store: Any) -> None:
    uow, cid = store
    bank = SandboxBank.demo(IBAN, TODAY)
    sync_account(uow, cid, feed_for(bank), "demo-account", TODAY)
    pending = bank.accounts["demo-account"].pending.pop()
    bank.accounts["demo-account"].booked.append(
        {**pending, "transactionId": "SBX-LATE", "bookingDate": "2026-12-05"}
    )
    res = sync_account(uow, cid, feed_for(bank), "demo-account", date(2026, 12, 5))
    assert (res.new, res.duplicates) == (1, 20)


def as_the_bank_writes_it(statement: Statement, until: date) -> Statement:
    """The bank's own file of the same movements: its references, its texts."""
    return replace(
        statement,
        transactions=tuple(
            replace(t, bank_ref=f"AcctSvcrRef-{k}", remittance=t.remittance.lower())
            for k, t in enumerate(statement.transactions)
            if t.booking_date <= until
        ),
        closing_balance=None,
    )


def test_a_sync_after_a_statement_file_adds_only_what_the_file_lacks(store: Any) -> None:
    """File exported on 20/11 at noon: a transfer booked that afternoon is in the feed only."""
    uow, cid = store
    bank = SandboxBank.demo(IBAN, TODAY)
    statement = feed_for(bank).statement("demo-account", date_from=date(2026, 1, 1), date_to=TODAY)
    file = camt053.export([as_the_bank_writes_it(statement, date(2026, 11, 20))])
    assert import_statement(uow, cid, file, filename="releve.xml").new == 16
    afternoon = {
        "transactionId": "SBX-AFTERNOON",
        "bookingDate": "2026-11-20",
        "transactionAmount": {"amount": "1234.56", "currency": "EUR"},
        "debtorName": "BOULANGERIE DUPONT",
    }
    twin = {**bank.accounts["demo-account"].booked[15], "transactionId": "SBX-TWIN"}  # same day, same amount
    bank.accounts["demo-account"].booked += [afternoon, twin]
    res = sync_account(uow, cid, feed_for(bank), "demo-account", TODAY)
    assert (res.new, res.duplicates) == (4 + 2, 16)  # the 4 later days, the afternoon transfer, the twin
    refs = {t.bank_ref for t in stored(uow, cid)}
    assert {"SBX-AFTERNOON", "SBX-TWIN"} <= refs
    assert len(refs) == 22


def test_a_statement_file_after_a_sync_adds_nothing_twice(store: Any) -> None:
    uow, cid = store
    bank = SandboxBank.demo(IBAN, TODAY)
    statement = feed_for(bank).statement("demo-account", date_from=date(2026, 1, 1), date_to=TODAY)
    assert sync_account(uow, cid, feed_for(bank), "demo-account", TODAY).new == 20
    file = camt053.export([as_the_bank_writes_it(statement, TODAY)])
    res = import_statement(uow, cid, file, filename="releve.xml")
    assert (res.new, res.duplicates) == (0, 20)
    assert len(stored(uow, cid)) == 20


def test_an_expired_token_is_renewed_once(store: Any) -> None:
    uow, cid = store
    bank = SandboxBank.demo(IBAN, TODAY)
    feed = feed_for(bank)
    feed.statement("demo-account", date_from=TODAY, date_to=TODAY)
    bank.expire_tokens()
    sync_account(uow, cid, feed, "demo-account", TODAY)
    assert bank.calls.count("POST token/new/") == 2


@pytest.mark.parametrize(
    ("fail", "code"),
    [
        ("consent", "BANK-FEED-CONSENT"),
        ("rate-limit", "BANK-FEED-RATE-LIMIT"),
        ("5xx", "BANK-FEED-UNAVAILABLE"),
        ("wrong secret", "BANK-FEED-AUTH"),
        ("unknown account", "BANK-FEED-UNAVAILABLE"),
    ],
)
def test_api_failures_have_stable_codes_and_store_nothing(store: Any, fail: str, code: str) -> None:
    uow, cid = store
    bank = SandboxBank.demo(IBAN, TODAY)
    account, feed = "demo-account", feed_for(bank)
    if fail == "wrong secret":
        feed = GoCardlessFeed("a", "other", client=httpx.Client(transport=bank.transport()))
    elif fail == "unknown account":
        account = "nope"
    else:
        bank.fail = fail
    with pytest.raises(BankFeedError) as caught:
        sync_account(uow, cid, feed, account, TODAY)
    assert caught.value.code == code
    assert stored(uow, cid) == []


def test_an_expired_consent_is_not_taken_for_expired_secrets() -> None:
    """GoCardless answers a lapsed end-user agreement with 401 AccessExpiredError: no token renewal."""
    bank = SandboxBank.demo(IBAN, TODAY)
    bank.fail = "consent"
    with pytest.raises(BankFeedError) as caught:
        feed_for(bank).statement("demo-account", date_from=TODAY, date_to=TODAY)
    assert caught.value.code == "BANK-FEED-CONSENT"
    assert bank.calls.count("POST token/new/") == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("remittanceInformationUnstructuredArray", 5),
        ("transactionAmount", {"amount": "1e400000000", "currency": "EUR"}),
        ("transactionAmount", {"amount": "NaN", "currency": "EUR"}),
        ("transactionAmount", {"amount": "-" + "0" * 40 + "12.50", "currency": "EUR"}),
        ("transactionAmount", "12.00"),
        ("bookingDate", "2026-11-31"),
    ],
)
def test_unreadable_fields_are_refused_with_a_code(store: Any, field: str, value: object) -> None:
    uow, cid = store
    bank = SandboxBank.demo(IBAN, TODAY)
    bank.accounts["demo-account"].booked[5][field] = value
    with pytest.raises(BankFeedError) as caught:
        sync_account(uow, cid, feed_for(bank), "demo-account", TODAY)
    assert caught.value.code == "BANK-FEED-DATA"
    assert stored(uow, cid) == []


def test_only_a_booked_balance_is_the_account_position() -> None:
    bank = SandboxBank.demo(IBAN, TODAY)
    feed = feed_for(bank)
    original = bank.handle

    def available_only(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/balances/"):
            amount = {"amount": "15000.00", "currency": "EUR"}
            return httpx.Response(
                200,
                json={
                    "balances": [
                        {
                            "balanceAmount": amount,
                            "balanceType": "interimAvailable",
                            "creditLimitIncluded": True,
                        },
                        {
                            "balanceAmount": amount,
                            "balanceType": "closingBooked",
                            "creditLimitIncluded": True,
                        },
                    ]
                },
            )
        return original(request)

    feed = GoCardlessFeed("a", "b", client=httpx.Client(transport=httpx.MockTransport(available_only)))
    statement = feed.statement("demo-account", date_from=TODAY, date_to=TODAY)
    assert (statement.closing_balance, statement.closing_date) == (None, None)


def test_network_failure_and_unreadable_answers(store: Any) -> None:
    uow, cid = store

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route", request=request)

    feed = GoCardlessFeed("a", "b", client=httpx.Client(transport=httpx.MockTransport(down)))
    with pytest.raises(BankFeedError) as caught:
        sync_account(uow, cid, feed, "x", TODAY)
    assert caught.value.code == "BANK-FEED-UNAVAILABLE"

    bank = SandboxBank.demo(IBAN, TODAY)
    bank.accounts["demo-account"].booked[3]["transactionAmount"]["amount"] = "12.345"
    with pytest.raises(BankFeedError) as caught:
        sync_account(uow, cid, feed_for(bank), "demo-account", TODAY)
    assert caught.value.code == "BANK-FEED-DATA"
    assert "more than 2 decimals" in caught.value.message
    assert stored(uow, cid) == []


def test_transaction_mapping_of_the_berlin_group_fields() -> None:
    tx = transaction_from(
        {
            "transactionId": "2026120400123",
            "bookingDate": "2026-12-04",
            "valueDate": "2026-12-03",
            "transactionAmount": {"amount": "-1234.5", "currency": "EUR"},
            "creditorName": "  URSSAF   ILE DE FRANCE ",
            "creditorAccount": {"iban": "FR7630001007941234567890185"},
            "remittanceInformationUnstructuredArray": ["PRLV SEPA", "COTISATIONS 11/2026"],
            "remittanceInformationStructured": "RF18539007547034",
            "endToEndId": "NOTPROVIDED",
            "proprietaryBankTransactionCode": "PRLV",
        },
        "EUR",
    )
    assert (tx.amount, tx.booking_date, tx.value_date) == (Decimal("-1234.50"), TODAY, date(2026, 12, 3))
    assert (tx.counterparty_name, tx.counterparty_iban) == (
        "URSSAF ILE DE FRANCE",
        "FR7630001007941234567890185",
    )
    assert (tx.remittance, tx.structured_reference) == ("PRLV SEPA COTISATIONS 11/2026", "RF18539007547034")
    assert (tx.end_to_end_id, tx.bank_ref, tx.bank_code) == ("", "2026120400123", "PRLV")


def test_institutions_by_name() -> None:
    found = feed_for(SandboxBank.demo(IBAN, TODAY)).institutions("FR")
    assert [i.name for i in found] == sorted((i.name for i in found), key=str.casefold)
    assert ("BNP_PARIBAS_BNPAFRPP", "BNP Paribas", "BNPAFRPP") in found


def test_missing_secrets_are_refused_before_any_call() -> None:
    with pytest.raises(BankFeedError) as caught:
        GoCardlessFeed("", "")
    assert caught.value.code == "BANK-FEED-AUTH"
    assert "ENCAISSE_GOCARDLESS_SECRET_ID" in caught.value.message


def test_cli_sync_with_the_sandbox_bank(
    company_db: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ENCAISSE_BANK_FEED", "sandbox")
    first = company_db("bank", "sync", "--account-ref", "demo-account")
    assert first.code == 0, first.err
    assert first.out.strip() == f"psd2-gocardless: 20 new transaction(s), 0 already imported ({IBAN})"
    again = company_db("bank", "sync", "--account-ref", "demo-account")
    assert "0 new transaction(s), 20 already imported" in again.out
    listed = company_db("bank", "transactions", "--format", "csv")
    assert listed.out.count("\n") == 21  # header + 20

    monkeypatch.setenv("ENCAISSE_BANK_FEED", "gocardless")
    monkeypatch.delenv("ENCAISSE_GOCARDLESS_SECRET_ID", raising=False)
    refused = company_db("bank", "sync", "--account-ref", "x")
    assert refused.code == 1
    assert "error[BANK-FEED-AUTH]" in refused.err
    bad_days = company_db("bank", "sync", "--account-ref", "demo-account", "--days", "0")
    assert bad_days.code == 1


def test_statement_shape(store: Any) -> None:
    bank = SandboxBank.demo(IBAN, TODAY)
    statement = feed_for(bank).statement("demo-account", date_from=date(2026, 11, 20), date_to=TODAY)
    assert isinstance(statement, Statement)
    assert statement.account_iban == IBAN
    assert all(date(2026, 11, 20) <= t.booking_date <= TODAY for t in statement.transactions)
    assert statement.closing_date == date.fromisoformat(bank.accounts["demo-account"].closing()[1])


# ---- stored connections: consent, daily sync, reconciliation before reminders -------------------
NOW = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)


def test_consent_then_connections_sync_and_an_expired_consent_is_marked(store: Any) -> None:
    uow, cid = store
    bank = SandboxBank.demo(IBAN, TODAY)
    bank.consent = "manual"
    feed = feed_for(bank)
    pending, link = start_connection(uow, cid, feed, "SANDBOXFINANCE_SFIN0000", "https://app/retour", NOW)
    assert pending.status == "pending"
    assert link == "https://sandbox/consent"
    with pytest.raises(BankFeedError) as caught:  # the owner has not consented yet
        finish_connection(uow, cid, feed, pending.reference, NOW)
    assert caught.value.code == "BANK-FEED-CONSENT"
    bank.requisitions[pending.requisition_id] = ("LN", ["demo-account"])
    (active,) = finish_connection(uow, cid, feed, pending.reference, NOW)
    assert (active.status, active.account_ref) == ("active", "demo-account")
    assert finish_connection(uow, cid, feed, pending.reference, NOW) == [active]  # reloading the page
    with pytest.raises(NotFoundError):
        finish_connection(uow, cid, feed, "someone-else", NOW)

    (outcome,) = sync_connections(uow, cid, feed, TODAY, NOW)
    assert outcome.error is None
    assert outcome.result is not None
    assert (outcome.result.new, outcome.connection.iban, outcome.connection.last_new) == (20, IBAN, 20)

    bank.fail = "5xx"  # temporary: the connection stays active
    (outcome,) = sync_connections(uow, cid, feed, TODAY, NOW)
    assert (outcome.connection.status, outcome.connection.last_error_code) == (
        "active",
        "BANK-FEED-UNAVAILABLE",
    )

    class Broken:  # an unexpected failure (e.g. a sync running at the same time) is recorded, not raised
        name = "gocardless"

        def statement(self, account_ref: str, *, date_from: date, date_to: date) -> Statement:
            raise RuntimeError("UNIQUE constraint failed: bank_transaction.dedupe_key")

    (outcome,) = sync_connections(uow, cid, Broken(), TODAY, NOW)
    assert (outcome.connection.status, outcome.connection.last_error_code) == (
        "active",
        "BANK-FEED-UNAVAILABLE",
    )

    bank.fail = "consent"
    (outcome,) = sync_connections(uow, cid, feed, TODAY, NOW)
    assert outcome.connection.status == "expired"
    assert outcome.connection.last_error_code == "BANK-FEED-CONSENT"
    assert sync_connections(uow, cid, feed, TODAY, NOW) == []  # expired: left for the owner to reconnect


def test_the_daily_run_syncs_and_reconciles_before_reminding(
    db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The customer paid yesterday: the bank sync and the automatic reconciliation run first."""
    engine = make_engine(db_url)
    uow = SqlUnitOfWork(engine)
    company = new_company(uow)
    cid = company.id or 0
    customer = new_customer(uow, company)
    issued = invoicing.issue(uow, cid, invoicing.create_draft(uow, draft(company, customer)).id or 0)
    settings = Settings(database_url=db_url, secret_key="s" * 32, bank_feed="sandbox")
    feed = feed_from_settings(settings, iban=company.iban or IBAN, today=TODAY)
    pending, _link = start_connection(uow, cid, feed, "SANDBOX", "https://app/retour", NOW)
    finish_connection(uow, cid, feed, pending.reference, NOW)
    # The sandbox account of the company (made anew by each feed) gets the customer's transfer.
    paid = {
        "transactionId": "SBX-PAID",
        "bookingDate": "2026-12-03",
        "transactionAmount": {"amount": f"{issued.total_incl_tax:.2f}", "currency": "EUR"},
        "debtorName": "BOULANGERIE DUPONT",
        "remittanceInformationUnstructured": f"VIR SEPA {issued.number}",
    }
    original = SandboxBank.demo

    def with_payment(iban: str, today: date, account_id: str = "demo-account") -> SandboxBank:
        bank = original(iban, today, account_id)
        bank.accounts[account_id].booked.append(paid)
        return bank

    monkeypatch.setattr(SandboxBank, "demo", with_payment)
    assert job_bank_sync(uow, settings, TODAY, NOW) == 21
    with uow.read() as repo:
        invoice = repo.get_invoice(cid, issued.id or 0)
    assert invoice.status.value == "paid"
    engine.dispose()
