"""GoCardless Bank Account Data (formerly Nordigen), API v2, as a :class:`~encaisse.services.bank_sync.BankFeed`.

Endpoints used (https://developer.gocardless.com/bank-account-data/): ``POST /api/v2/token/new/``
(``secret_id`` + ``secret_key`` → a bearer ``access`` token), then for an account id obtained when
the owner gave consent (a *requisition*): ``GET accounts/{id}/details/`` (IBAN, currency, owner),
``GET accounts/{id}/balances/`` and ``GET accounts/{id}/transactions/?date_from=&date_to=``
(Berlin Group fields: ``transactionId``, ``bookingDate``, ``valueDate``, ``transactionAmount``,
``debtorName``/``debtorAccount`` or ``creditorName``/``creditorAccount``,
``remittanceInformationUnstructured``…, ``endToEndId``). Only *booked* transactions are kept.

Secrets come from the environment (``ENCAISSE_GOCARDLESS_SECRET_ID`` / ``_SECRET_KEY``) and are
never logged; an expired token is renewed once.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from encaisse.domain.bank import BankTransaction, Statement
from encaisse.domain.money import round_money
from encaisse.services.bank_sync import BankFeedError, Consent, Institution

__all__ = ["API_BASE", "GoCardlessFeed", "transaction_from"]

API_BASE = "https://bankaccountdata.gocardless.com"
_NOT_PROVIDED = {"", "NOTPROVIDED", "NONREF"}
#: Booked balance types, in order of preference, for the account's position (an "available" or
#: "expected" figure may include pending items or a credit line: not a bank balance).
_BALANCE_TYPES = ("closingBooked", "interimBooked")
_CONSENT_ERRORS = {"AccessExpiredError", "AccountInactiveError"}
_MAX_AMOUNT = Decimal("1e13")


class GoCardlessFeed:
    """One set of API secrets; ``client`` may carry a transport (the sandbox bank in tests)."""

    name = "gocardless"

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        *,
        client: httpx.Client | None = None,
        base_url: str = API_BASE,
    ) -> None:
        if not secret_id or not secret_key:
            raise BankFeedError(
                "GoCardless secrets are missing (ENCAISSE_GOCARDLESS_SECRET_ID, ENCAISSE_GOCARDLESS_SECRET_KEY)",
                code="BANK-FEED-AUTH",
            )
        self._secrets = {"secret_id": secret_id, "secret_key": secret_key}
        self._client = client or httpx.Client(timeout=30)
        self._base = base_url.rstrip("/")
        self._token = ""

    def statement(self, account_ref: str, *, date_from: date, date_to: date) -> Statement:
        details = _dict(self._get(f"accounts/{account_ref}/details/"), "account")
        balances = self._get(f"accounts/{account_ref}/balances/").get("balances") or []
        listed = _dict(
            self._get(
                f"accounts/{account_ref}/transactions/",
                {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()},
            ),
            "transactions",
        )
        currency = str(details.get("currency") or "EUR")
        booked = listed.get("booked") or []
        if not isinstance(booked, list) or not isinstance(balances, list):
            raise BankFeedError("GoCardless answered transactions in an unknown shape", code="BANK-FEED-DATA")
        closing, closing_date = _closing(balances, currency)
        return Statement(
            account_iban=str(details.get("iban") or ""),
            currency=currency,
            transactions=tuple(transaction_from(item, currency) for item in booked),
            closing_balance=closing,
            closing_date=closing_date,
            account_holder=str(details.get("ownerName") or ""),
        )

    def institutions(self, country: str) -> list[Institution]:
        """``GET institutions/?country=fr``: the banks the owner can connect, sorted by name."""
        response = self._authorized("GET", "institutions/", params={"country": country.lower()})
        if response.status_code >= 400:
            _json(response)  # raises with the code of the error
        try:
            listed = response.json()
        except ValueError as exc:
            raise BankFeedError(
                "GoCardless answered something that is not JSON", code="BANK-FEED-DATA"
            ) from exc
        if not isinstance(listed, list):
            raise BankFeedError("GoCardless answered institutions in an unknown shape", code="BANK-FEED-DATA")
        found = [
            Institution(
                str(i["id"]), " ".join(str(i.get("name") or i["id"]).split()), str(i.get("bic") or "")
            )
            for i in listed
            if isinstance(i, dict) and isinstance(i.get("id"), str)
        ]
        return sorted(found, key=lambda i: i.name.casefold())

    def start_consent(self, institution_id: str, redirect_url: str, reference: str) -> Consent:
        """``POST requisitions/``: the link where the owner consents; the bank then sends them to
        ``redirect_url?ref=reference``."""
        answer = self._call(
            "POST",
            "requisitions/",
            json={
                "redirect": redirect_url,
                "institution_id": institution_id,
                "reference": reference,
                "user_language": "FR",
            },
        )
        requisition, link = answer.get("id"), answer.get("link")
        if (
            not isinstance(requisition, str)
            or not isinstance(link, str)
            or not link.startswith(("https://", "http://"))
        ):
            raise BankFeedError("GoCardless gave no consent link", code="BANK-FEED-DATA")
        return Consent(requisition, link)

    def consented_accounts(self, requisition_id: str) -> list[str]:
        """``GET requisitions/{id}/``: the account ids once the status is ``LN`` (linked)."""
        answer = self._call("GET", f"requisitions/{requisition_id}/")
        status = answer.get("status")
        accounts = answer.get("accounts")
        if status != "LN" or not isinstance(accounts, list) or not accounts:
            raise BankFeedError(
                f"the account owner has not given consent at the bank (status {status})",
                code="BANK-FEED-CONSENT",
            )
        return [str(a) for a in accounts]

    # ------------------------------------------------------------------ HTTP

    def _get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        return self._call("GET", path, params=params)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        return _json(self._authorized(method, path, params=params, json=json))

    def _authorized(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The answer to a call with the bearer token; an expired token is renewed once."""
        for attempt in (1, 2):
            if not self._token:
                self._token = self._new_token()
            response = self._send(method, path, params=params, json=json, token=self._token)
            if response.status_code == 401 and attempt == 1 and _error_type(response) not in _CONSENT_ERRORS:
                self._token = ""  # the access token expired (24 h): renew it once
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _new_token(self) -> str:
        answer = _json(self._send("POST", "token/new/", json=self._secrets))
        token = answer.get("access")
        if not isinstance(token, str) or not token:
            raise BankFeedError("GoCardless gave no access token", code="BANK-FEED-DATA")
        return token

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, str] | None = None,
        token: str = "",
    ) -> httpx.Response:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            return self._client.request(
                method, f"{self._base}/api/v2/{path}", params=params, json=json, headers=headers
            )
        except httpx.HTTPError as exc:
            raise BankFeedError(
                f"GoCardless cannot be reached ({type(exc).__name__})", code="BANK-FEED-UNAVAILABLE"
            ) from exc


def _error_type(response: httpx.Response) -> str:
    """The ``type`` of an API error body (``AccessExpiredError``…), "" when there is none."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("type") or "") if isinstance(body, dict) else ""


def _json(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a 2xx answer; the API's errors as :class:`BankFeedError` with a stable code.

    Account endpoints answer an expired or revoked consent (end-user agreement) with 401
    ``AccessExpiredError`` or ``AccountInactiveError``: that is the owner's consent, not our secrets.
    409 (the account is still being processed after linking) and 404 are temporary for us: the
    connection is kept and read again later.
    """
    status = response.status_code
    if _error_type(response) in _CONSENT_ERRORS:
        raise BankFeedError(
            "the account owner's consent has expired or was revoked: connect the account again",
            code="BANK-FEED-CONSENT",
        )
    if status in {401, 403}:
        raise BankFeedError("GoCardless refused the credentials", code="BANK-FEED-AUTH")
    if status == 409:
        raise BankFeedError(
            "GoCardless is still processing this account: try again later", code="BANK-FEED-UNAVAILABLE"
        )
    if status == 429:
        wait = response.headers.get("HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_RESET") or response.headers.get(
            "Retry-After", ""
        )
        raise BankFeedError(
            "GoCardless rate limit reached for this account" + (f": retry in {wait} s" if wait else ""),
            code="BANK-FEED-RATE-LIMIT",
        )
    if status == 404:
        raise BankFeedError(
            "GoCardless does not know this account id (or ENCAISSE_GOCARDLESS_API_BASE is wrong)",
            code="BANK-FEED-UNAVAILABLE",
        )
    if status >= 400:
        raise BankFeedError(f"GoCardless answered HTTP {status}", code="BANK-FEED-UNAVAILABLE")
    try:
        answer = response.json()
    except ValueError as exc:
        raise BankFeedError("GoCardless answered something that is not JSON", code="BANK-FEED-DATA") from exc
    if not isinstance(answer, dict):
        raise BankFeedError("GoCardless answered an unexpected JSON value", code="BANK-FEED-DATA")
    return answer


def _dict(answer: dict[str, Any], key: str) -> dict[str, Any]:
    value = answer.get(key)
    if not isinstance(value, dict):
        raise BankFeedError(f"GoCardless answer has no {key!r} object", code="BANK-FEED-DATA")
    return value


def _amount(value: object, where: str) -> Decimal:
    if not isinstance(value, dict):
        raise BankFeedError(f"{where}: no amount", code="BANK-FEED-DATA")
    text = str(value.get("amount"))
    if len(text) > 40:
        raise BankFeedError(f"{where}: amount of {len(text)} characters", code="BANK-FEED-DATA")
    try:
        amount = Decimal(text)
        ok = amount.is_finite() and abs(amount) < _MAX_AMOUNT and amount == round_money(amount)
    except ArithmeticError as exc:  # InvalidOperation and the quantize of a huge exponent
        raise BankFeedError(f"{where}: amount {text!r} is not a number", code="BANK-FEED-DATA") from exc
    if not ok:
        raise BankFeedError(
            f"{where}: amount {text} has more than 2 decimals or is too large", code="BANK-FEED-DATA"
        )
    return round_money(amount)


def _date(value: object, where: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise BankFeedError(f"{where}: date {value!r} is not YYYY-MM-DD", code="BANK-FEED-DATA") from exc


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    return " ".join(str(value).split()) if isinstance(value, str | int) else ""


def transaction_from(item: object, currency: str) -> BankTransaction:
    """One booked transaction of the API as a :class:`BankTransaction` (the counterparty is the
    debtor of a credit, the creditor of a debit)."""
    if not isinstance(item, dict):
        raise BankFeedError("a transaction is not a JSON object", code="BANK-FEED-DATA")
    ref = _text(item, "transactionId") or _text(item, "internalTransactionId")
    where = f"transaction {ref or '?'}"
    amount = _amount(item.get("transactionAmount"), where)
    booked = _date(item.get("bookingDate"), where) or _date(item.get("valueDate"), where)
    if booked is None:
        raise BankFeedError(f"{where}: no booking date", code="BANK-FEED-DATA")
    side = "debtor" if amount > 0 else "creditor"
    account = item.get(f"{side}Account")
    lines = item.get("remittanceInformationUnstructuredArray") or []
    if not isinstance(lines, list):
        raise BankFeedError(f"{where}: remittance lines are not a list", code="BANK-FEED-DATA")
    unstructured = _text(item, "remittanceInformationUnstructured") or " ".join(
        " ".join(str(x).split()) for x in lines if isinstance(x, str | int)
    )
    end_to_end = _text(item, "endToEndId")
    tx_currency = item["transactionAmount"].get("currency") or currency
    return BankTransaction(
        booking_date=booked,
        amount=amount,
        currency=str(tx_currency),
        value_date=_date(item.get("valueDate"), where),
        counterparty_name=_text(item, f"{side}Name"),
        counterparty_iban=str(account.get("iban") or "") if isinstance(account, dict) else "",
        remittance=unstructured,
        structured_reference=_text(item, "remittanceInformationStructured"),
        end_to_end_id="" if end_to_end.upper() in _NOT_PROVIDED else end_to_end,
        bank_ref=ref,
        bank_code=_text(item, "bankTransactionCode") or _text(item, "proprietaryBankTransactionCode"),
    )


def _closing(balances: list[Any], currency: str) -> tuple[Decimal | None, date | None]:
    """The closing booked balance (else the nearest kind the bank gives) and its date."""
    by_type = {b.get("balanceType"): b for b in balances if isinstance(b, dict)}
    for kind in _BALANCE_TYPES:
        balance = by_type.get(kind)
        if balance is not None and not balance.get("creditLimitIncluded"):
            amount = balance.get("balanceAmount")
            if isinstance(amount, dict) and (amount.get("currency") or currency) != currency:
                continue
            return _amount(amount, f"balance {kind}"), _date(balance.get("referenceDate"), f"balance {kind}")
    return None, None
