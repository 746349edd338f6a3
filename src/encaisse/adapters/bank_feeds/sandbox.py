"""A local sandbox of the GoCardless Bank Account Data API v2, for tests and for trying a sync offline.

:class:`SandboxBank` answers the endpoints :class:`~encaisse.adapters.bank_feeds.gocardless.GoCardlessFeed`
calls, through an ``httpx.MockTransport`` (no network): tokens, account details, balances and
booked/pending transactions filtered by ``date_from``/``date_to``, and the API's failures on
demand (expired token, expired consent, rate limit, server error).

>>> bank = SandboxBank.demo("FR7630006000011234567890189", date(2026, 12, 4))
>>> client = httpx.Client(transport=bank.transport())
>>> client.post("https://sandbox/api/v2/token/new/", json={"secret_id": "a", "secret_key": "b"}).status_code
200
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx

__all__ = ["SANDBOX_INSTITUTIONS", "SandboxAccount", "SandboxBank"]

#: What ``GET institutions/?country=fr`` answers in the sandbox (a few names, their shape).
SANDBOX_INSTITUTIONS = [
    {"id": "SANDBOXFINANCE_SFIN0000", "name": "Sandbox Finance (banque de démonstration)", "bic": "SFIN0000"},
    {"id": "BNP_PARIBAS_BNPAFRPP", "name": "BNP Paribas", "bic": "BNPAFRPP"},
    {"id": "CREDIT_AGRICOLE_AGRIFRPP", "name": "Crédit Agricole", "bic": "AGRIFRPP"},
    {"id": "CIC_CMCIFRPP", "name": "CIC", "bic": "CMCIFRPP"},
]


@dataclass
class SandboxAccount:
    iban: str
    currency: str = "EUR"
    owner: str = "Atelier Dupont SAS"
    booked: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    opening: Decimal = Decimal("0.00")

    def closing(self) -> tuple[Decimal, str]:
        total = self.opening
        for t in self.booked:
            try:  # a test may plant an unreadable amount: the balance leaves it out
                total += Decimal(t["transactionAmount"]["amount"])
            except (ArithmeticError, TypeError, KeyError):
                continue
        last = max((t["bookingDate"] for t in self.booked), default="2026-01-01")
        return total, last


@dataclass
class SandboxBank:
    """Accounts by id; ``fail`` makes every account call answer ``consent``, ``rate-limit`` or ``5xx``."""

    accounts: dict[str, SandboxAccount] = field(default_factory=dict)
    secrets: tuple[str, str] = ("a", "b")
    fail: str = ""
    tokens: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)
    #: Requisitions by id: (status, account ids). ``consent="auto"`` links them at once (demo).
    requisitions: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    consent: str = "auto"

    @classmethod
    def demo(cls, iban: str, today: date, account_id: str = "demo-account") -> SandboxBank:
        """One account with a month of credits and debits, and one pending card payment."""
        account = SandboxAccount(iban=iban, opening=Decimal("12500.00"))
        for k in range(1, 21):
            day = today - timedelta(days=30 - k)
            credit = k % 3 != 0
            amount = Decimal(150 * k + 35) if credit else -Decimal(40 * k + 9)
            side = "debtor" if credit else "creditor"
            account.booked.append(
                {
                    "transactionId": f"SBX-{day:%Y%m%d}-{k:03d}",
                    "bookingDate": day.isoformat(),
                    "valueDate": day.isoformat(),
                    "transactionAmount": {"amount": f"{amount:.2f}", "currency": "EUR"},
                    f"{side}Name": f"CLIENT {k:02d}" if credit else "FOURNISSEUR BUREAU",
                    f"{side}Account": {"iban": "FR7610107001011234567890129"},
                    "remittanceInformationUnstructured": f"VIR FACTURE F2026-{k:05d}"
                    if credit
                    else "CB 4412",
                    "bankTransactionCode": "PMNT-RCDT-ESCT" if credit else "PMNT-CCRD-POSD",
                }
            )
        account.pending.append(
            {
                "transactionAmount": {"amount": "-19.90", "currency": "EUR"},
                "valueDate": today.isoformat(),
                "remittanceInformationUnstructured": "CB EN ATTENTE",
            }
        )
        return cls(accounts={account_id: account})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/v2/")
        self.calls.append(f"{request.method} {path}")
        if request.method == "POST" and path == "token/new/":
            body = json.loads(request.content or b"{}")
            if (body.get("secret_id"), body.get("secret_key")) != self.secrets:
                return _error(401, "Authentication failed")
            token = f"sandbox-{len(self.tokens) + len(self.calls)}"
            self.tokens.add(token)
            return httpx.Response(200, json={"access": token, "access_expires": 86400})
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            return _error(401, "Token is invalid or expired")
        parts = path.strip("/").split("/")
        if parts == ["institutions"] and request.method == "GET":
            return httpx.Response(200, json=SANDBOX_INSTITUTIONS)
        if parts[0] == "requisitions":
            return self._requisitions(request, parts)
        if len(parts) != 3 or parts[0] != "accounts" or request.method != "GET":
            return _error(404, "Not found")
        if self.fail == "consent":  # what GoCardless answers once the end-user agreement has lapsed
            return httpx.Response(
                401,
                json={
                    "summary": "Access has expired or it has been revoked.",
                    "detail": "End user agreement has expired",
                    "type": "AccessExpiredError",
                    "status_code": 401,
                },
            )
        if self.fail == "rate-limit":
            return httpx.Response(
                429, json={"summary": "Rate limit exceeded"}, headers={"Retry-After": "3600"}
            )
        if self.fail == "5xx":
            return _error(503, "Service unavailable")
        account = self.accounts.get(parts[1])
        if account is None:
            return _error(404, "Account ID not found")
        if parts[2] == "details":
            return httpx.Response(
                200,
                json={
                    "account": {
                        "iban": account.iban,
                        "currency": account.currency,
                        "ownerName": account.owner,
                    }
                },
            )
        if parts[2] == "balances":
            amount, day = account.closing()
            balance = {"balanceAmount": {"amount": f"{amount:.2f}", "currency": account.currency}}
            return httpx.Response(
                200, json={"balances": [{**balance, "balanceType": "closingBooked", "referenceDate": day}]}
            )
        if parts[2] == "transactions":
            low = request.url.params.get("date_from", "0000-00-00")
            high = request.url.params.get("date_to", "9999-99-99")
            booked = [t for t in account.booked if low <= t["bookingDate"] <= high]
            return httpx.Response(200, json={"transactions": {"booked": booked, "pending": account.pending}})
        return _error(404, "Not found")

    def _requisitions(self, request: httpx.Request, parts: list[str]) -> httpx.Response:
        if request.method == "POST" and len(parts) == 1:
            body = json.loads(request.content or b"{}")
            requisition = f"req-{len(self.requisitions) + 1}"
            status = "LN" if self.consent == "auto" else "CR"
            self.requisitions[requisition] = (status, list(self.accounts))
            link = (
                f"{body['redirect']}?ref={body['reference']}"
                if self.consent == "auto"
                else "https://sandbox/consent"
            )
            return httpx.Response(201, json={"id": requisition, "link": link, "status": status})
        if request.method == "GET" and len(parts) == 2:
            # A sandbox made anew for each request (ENCAISSE_BANK_FEED=sandbox) links every requisition.
            status, accounts = self.requisitions.get(parts[1], ("LN", list(self.accounts)))
            return httpx.Response(200, json={"id": parts[1], "status": status, "accounts": accounts})
        return _error(404, "Not found")


def _error(status: int, summary: str) -> httpx.Response:
    return httpx.Response(status, json={"summary": summary, "status_code": status})
