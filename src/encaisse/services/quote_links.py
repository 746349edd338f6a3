"""Online acceptance of a quote (SCENARIOS §2: « The customer accepts it online »).

A sent quote has a public link, ``/devis-en-ligne/{token}``: the token is a random nonce stored
on the quote, signed with the secret key (HMAC-SHA256, own salt), so it cannot be guessed or
altered and reveals nothing; only the spelling that was signed is accepted. Sending the quote
makes the link; the owner can replace it (the old one stops working) or revoke it. The customer reads the quote, downloads its PDF and
accepts it — typing their name and ticking « Bon pour accord » (QUO-B2B: the acceptance is dated
and attributed in the audit trail) — or declines it. Only a *sent* quote whose validity date has
not passed can be answered; any other state shows what happened instead.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date
from typing import NamedTuple

from encaisse.domain import lifecycle
from encaisse.domain.documents import Quote, QuoteStatus
from encaisse.domain.errors import EncaisseError, Problem, ValidationError
from encaisse.domain.parties import Company
from encaisse.services import audit, signed_tokens
from encaisse.services.ports import UnitOfWork

__all__ = [
    "QuoteLinkError",
    "accept_online",
    "link_token",
    "new_link",
    "open_quote",
    "refuse_online",
    "revoke_link",
    "token_of",
]

SALT = "encaisse.quote-acceptance"
MAX_SIGNATORY = 120


class QuoteLinkError(EncaisseError):
    """``QUOTE-LINK-CLOSED``: the quote can no longer be answered online (answered, expired, …)."""

    code = "QUOTE-LINK-CLOSED"


class OpenQuote(NamedTuple):
    company: Company
    quote: Quote
    answerable: bool  # sent and still valid on the day asked


_TOKENS = signed_tokens.TokenKind(SALT, "quote links", "QUOTE-LINK-SECRET")


def token_of(nonce: str, secret: str) -> str:
    return signed_tokens.sign(nonce, secret, _TOKENS)


def _reading(uow: UnitOfWork) -> UnitOfWork:
    """A read-only transaction where the store has one (no write lock for a page read)."""
    read: UnitOfWork = getattr(uow, "read", uow)
    return read


def new_link(uow: UnitOfWork, company_id: int, quote_id: int, secret: str, *, actor: str = "") -> str:
    """A new link for the quote (the previous one, if any, stops working); its token."""
    nonce = secrets.token_urlsafe(32)
    with uow() as repo:
        quote = repo.get_quote(company_id, quote_id)  # NotFoundError outside the company
        repo.set_quote_link_nonce(company_id, quote_id, nonce)
        audit.record(repo, company_id, "quote.link", "quote", quote_id, {"number": quote.number}, actor=actor)
    return token_of(nonce, secret)


def revoke_link(uow: UnitOfWork, company_id: int, quote_id: int, *, actor: str = "") -> None:
    with uow() as repo:
        quote = repo.get_quote(company_id, quote_id)
        repo.set_quote_link_nonce(company_id, quote_id, None)
        audit.record(
            repo, company_id, "quote.link_revoked", "quote", quote_id, {"number": quote.number}, actor=actor
        )


def link_token(uow: UnitOfWork, company_id: int, quote_id: int, secret: str) -> str | None:
    """The token of the quote's current link, None when it has none."""
    with _reading(uow)() as repo:
        nonce = repo.quote_link_nonce(company_id, quote_id)
    return token_of(nonce, secret) if nonce else None


def _ids(uow: UnitOfWork, token: str, secret: str) -> tuple[int, int] | None:
    nonce = signed_tokens.unsign(token, secret, _TOKENS)
    if nonce is None:
        return None
    with _reading(uow)() as repo:
        return repo.quote_of_link_nonce(nonce)


def open_quote(uow: UnitOfWork, token: str, secret: str, today: date) -> OpenQuote | None:
    """The quote behind ``token`` (None for any token that does not lead to a sent-out quote)."""
    ids = _ids(uow, token, secret)
    if ids is None:
        return None
    company_id, quote_id = ids
    with _reading(uow)() as repo:
        try:
            quote = repo.get_quote(company_id, quote_id)
            company = repo.get_company(company_id)
        except EncaisseError:
            return None
    if quote.status is QuoteStatus.DRAFT:  # never sent: the link does not exist yet
        return None
    answerable = quote.status is QuoteStatus.SENT and today <= quote.validity_date
    return OpenQuote(company, quote, answerable)


def _answer(
    uow: UnitOfWork, token: str, secret: str, today: date, action: str, payload: dict[str, str]
) -> Quote:
    found = open_quote(uow, token, secret, today)
    if found is None:
        raise QuoteLinkError("unknown quote link", code="QUOTE-LINK-UNKNOWN")
    if not found.answerable:
        raise QuoteLinkError(f"quote {found.quote.number} can no longer be answered online")
    quote = found.quote
    with uow() as repo:
        status = lifecycle.next_quote_status(QuoteStatus.SENT, action)
        updated = replace(quote, status=status, accepted_on=today if action == "accept" else None)
        if not repo.answer_quote(updated, expected=QuoteStatus.SENT):  # answered meanwhile (another tab…)
            raise QuoteLinkError(f"quote {quote.number} was answered meanwhile")
        audit.record(
            repo,
            quote.company_id,
            f"quote.{action}",
            "quote",
            quote.id or 0,
            {"number": quote.number, "online": "yes", **payload},
            actor="client (lien en ligne)",
        )
    return updated


def accept_online(
    uow: UnitOfWork,
    token: str,
    secret: str,
    signatory: str,
    agreed: bool,
    today: date,
    *,
    client: dict[str, str] | None = None,
) -> Quote:
    """« Bon pour accord »: the customer's name and agreement are required; the acceptance is audited
    with ``client`` (what the web layer knows of the request: address, browser, Encaisse session)."""
    name = " ".join(signatory.split())
    problems = []
    if not name or len(name) > MAX_SIGNATORY:
        problems.append(Problem("QUOTE-SIGNATORY", "name of the signatory required", field="signatory"))
    if not agreed:
        problems.append(Problem("QUOTE-AGREEMENT", "tick « Bon pour accord »", field="agreed"))
    if problems:
        raise ValidationError("the acceptance is incomplete", code=problems[0].code, problems=problems)
    payload = {"signatory": name, "date": today.isoformat(), **(client or {})}
    return _answer(uow, token, secret, today, "accept", payload)


def refuse_online(
    uow: UnitOfWork, token: str, secret: str, today: date, *, client: dict[str, str] | None = None
) -> Quote:
    return _answer(uow, token, secret, today, "refuse", {"date": today.isoformat(), **(client or {})})
