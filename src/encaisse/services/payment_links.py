"""Payment links: an unguessable, signed URL to the public payment page of one invoice.

The token is ``nonce.signature``: the nonce is 32 random bytes (``secrets.token_urlsafe``) stored
in ``payment_link``; the signature (itsdangerous, HMAC-SHA256, salted) proves the platform made
it, so a forged or altered token is refused before any database lookup. A link resolves only
while it is not revoked and its invoice is still payable (issued or partially paid): it expires
by itself when the invoice is paid or cancelled. Resolution reveals nothing on failure: tampered,
unknown, revoked and expired tokens all give None (the page answers the same 404).

>>> token = sign_nonce("abc", "secret")
>>> unsign_token(token, "secret"), unsign_token(token, "other"), unsign_token(token + "x", "secret")
('abc', None, None)
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from encaisse.domain.documents import DocumentKind, Invoice, InvoiceStatus
from encaisse.domain.errors import EncaisseError, NotFoundError
from encaisse.services import signed_tokens
from encaisse.services.ports import Repository

SALT = "encaisse.payment-link"
PAYABLE = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID})
NONCE_BYTES = 32


@dataclass(frozen=True)
class LinkRecord:
    id: int
    company_id: int
    invoice_id: int
    nonce: str
    created_at: datetime | None = None
    revoked_at: datetime | None = None
    opened_at: datetime | None = None


@dataclass(frozen=True)
class ResolvedLink:
    link: LinkRecord
    invoice: Invoice


class LinkStore(Repository, Protocol):
    def payment_link_for_invoice(self, company_id: int, invoice_id: int) -> LinkRecord | None: ...
    def add_payment_link(self, company_id: int, invoice_id: int, nonce: str) -> LinkRecord: ...
    def live_payment_links(self, company_id: int, invoice_ids: Sequence[int]) -> dict[int, LinkRecord]: ...
    def payment_link_by_nonce(self, nonce: str) -> LinkRecord | None: ...
    def revoke_payment_links(self, company_id: int, invoice_id: int, at: datetime) -> int: ...
    def mark_payment_link_opened(self, link_id: int, at: datetime) -> None: ...


class PaymentLinkError(EncaisseError):
    code = "PAYLINK-NOT-PAYABLE"


_TOKENS = signed_tokens.TokenKind(SALT, "payment links", "PAYLINK-SECRET")


def sign_nonce(nonce: str, secret: str) -> str:
    """The public token of a stored nonce."""
    return signed_tokens.sign(nonce, secret, _TOKENS)


def unsign_token(token: str, secret: str) -> str | None:
    """The nonce of a token whose signature is right (only the spelling signed), else None."""
    return signed_tokens.unsign(token, secret, _TOKENS)


def url_for_token(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/pay/{token}"


def is_payable(invoice: Invoice) -> bool:
    return invoice.status in PAYABLE and invoice.kind is not DocumentKind.CREDIT_NOTE


def token_for(repo: LinkStore, company_id: int, invoice_id: int, secret: str) -> str:
    """The token of the invoice's live link, created when it has none (in the caller's transaction)."""
    invoice = repo.get_invoice(company_id, invoice_id)
    if not is_payable(invoice):
        raise PaymentLinkError(
            f"invoice {invoice.number or invoice_id} is {invoice.status.value}: no payment link",
        )
    link = repo.payment_link_for_invoice(company_id, invoice_id)
    if link is None:
        link = repo.add_payment_link(company_id, invoice_id, secrets.token_urlsafe(NONCE_BYTES))
    return sign_nonce(link.nonce, secret)


def link_for(repo: LinkStore, company_id: int, invoice_id: int, base_url: str, secret: str) -> str:
    """The public URL of the invoice's payment page (created once, then reused)."""
    return url_for_token(base_url, token_for(repo, company_id, invoice_id, secret))


def links_for_open(
    repo: LinkStore, company_id: int, invoice_ids: Sequence[int], base_url: str, secret: str
) -> dict[int, str]:
    """Payment-link URLs of invoices the caller knows are open (the dunning run): one query for
    the existing links, one insert per missing one, no invoice reloaded."""
    links = repo.live_payment_links(company_id, invoice_ids)
    urls: dict[int, str] = {}
    for invoice_id in invoice_ids:
        link = links.get(invoice_id)
        if link is None:
            link = repo.add_payment_link(company_id, invoice_id, secrets.token_urlsafe(NONCE_BYTES))
            links[invoice_id] = link
        urls[invoice_id] = url_for_token(base_url, sign_nonce(link.nonce, secret))
    return urls


def resolve_link(
    repo: LinkStore, token: str, secret: str, *, allow_settled: bool = False
) -> ResolvedLink | None:
    """The link and invoice behind ``token``; None when tampered, unknown, revoked or expired
    (invoice paid or cancelled — unless ``allow_settled``, used by the "thank you" page)."""
    nonce = unsign_token(token, secret)
    if nonce is None:
        return None
    link = repo.payment_link_by_nonce(nonce)
    if link is None or link.revoked_at is not None:
        return None
    try:
        invoice = repo.get_invoice(link.company_id, link.invoice_id)
    except NotFoundError:
        return None
    if not is_payable(invoice):
        settled = invoice.status is InvoiceStatus.PAID
        if not (allow_settled and settled):
            return None
    return ResolvedLink(link, invoice)


def resolve(repo: LinkStore, token: str, secret: str) -> Invoice | None:
    """The invoice a live token points to, or None (see :func:`resolve_link`)."""
    found = resolve_link(repo, token, secret)
    return found.invoice if found else None


def revoke(repo: LinkStore, company_id: int, invoice_id: int, at: datetime) -> int:
    """Revoke every live link of an invoice (a new one can be made afterwards); returns how many."""
    return repo.revoke_payment_links(company_id, invoice_id, at)


def record_opened(repo: LinkStore, link: LinkRecord, at: datetime) -> None:
    """The customer opened the page: kept as proof the invoice reached them (first opening)."""
    if link.opened_at is None:
        repo.mark_payment_link_opened(link.id, at)
