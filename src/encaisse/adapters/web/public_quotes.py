"""The public page of a sent quote (``/devis-en-ligne/{token}``): read it, download it, accept or decline.

No login: the signed token is the key (``services/quote_links.py``); any token that does not lead
to a sent-out quote gets the same neutral 404 page as payment links. Headers as on the payment page
(no referrer, no index, no store). Routes: ``GET /devis-en-ligne/{token}``, ``GET …/pdf``,
``POST …/accepter`` (signatory name and « Bon pour accord » required), ``POST …/refuser``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from encaisse.adapters.web.public_payment import (
    SECURITY_HEADERS,
    not_found,
    public_page,
    seller_context,
    settings_of,
    uow_of,
)
from encaisse.domain.documents import QuoteStatus, compute_totals
from encaisse.domain.dunning import fr_date, fr_money
from encaisse.domain.errors import ValidationError
from encaisse.services import clock
from encaisse.services.quote_links import OpenQuote, QuoteLinkError, accept_online, open_quote, refuse_online

router = APIRouter()
PREFIX = "/devis-en-ligne"
STATE_FR = {
    QuoteStatus.ACCEPTED: "Ce devis a été accepté{when}. Merci : l'entreprise revient vers vous pour la suite.",
    QuoteStatus.INVOICED: "Ce devis a été accepté et facturé.",
    QuoteStatus.REFUSED: "Ce devis a été décliné.",
    QuoteStatus.EXPIRED: "Ce devis n'est plus valable : contactez l'entreprise pour un nouveau devis.",
}
FIELD_FR = {
    "QUOTE-SIGNATORY": "Indiquez le nom et la qualité du signataire.",
    "QUOTE-AGREEMENT": "Cochez « Bon pour accord » pour accepter le devis.",
}


def _money(amount: Decimal, currency: str) -> str:
    return fr_money(amount) if currency == "EUR" else f"{amount:.2f} {currency}".replace(".", ",")


def _context(found: OpenQuote, token: str, **extra: Any) -> dict[str, Any]:
    quote, company = found.quote, found.company
    totals = compute_totals(quote)
    message = ""
    if not found.answerable:
        when = f" le {fr_date(quote.accepted_on)}" if quote.accepted_on else ""
        message = STATE_FR.get(quote.status, STATE_FR[QuoteStatus.EXPIRED]).format(when=when)
    return {
        "number": quote.number,
        **seller_context(company),
        "customer_name": quote.customer.name,
        "issue_date": fr_date(quote.issue_date),
        "validity_date": fr_date(quote.validity_date),
        "lines": [
            {
                "description": ln.description,
                "quantity": f"{ln.quantity.normalize():f}".replace(".", ","),
                "total": _money(ln.net_amount, quote.currency),
            }
            for ln in quote.lines
        ],
        "total_excl_tax": _money(totals.total_excl_tax, quote.currency),
        "total_vat": _money(totals.total_vat, quote.currency),
        "total_incl_tax": _money(totals.total_incl_tax, quote.currency),
        "pdf_url": f"{PREFIX}/{token}/pdf",
        "accept_url": f"{PREFIX}/{token}/accepter",
        "refuse_url": f"{PREFIX}/{token}/refuser",
        "answerable": found.answerable,
        "message": message,
        "errors": [],
        "signatory": "",
        **extra,
    }


def _open(request: Request, token: str) -> OpenQuote | None:
    return open_quote(uow_of(request), token, settings_of(request).secret_key, clock.today())


@router.get(PREFIX + "/{token}", response_class=HTMLResponse, include_in_schema=False)
def quote_page(token: str, request: Request) -> Response:
    found = _open(request, token)
    return not_found() if found is None else public_page("quote.html", **_context(found, token))


@router.get(PREFIX + "/{token}/pdf", include_in_schema=False)
def quote_pdf(token: str, request: Request) -> Response:
    from encaisse.adapters.pdf.render import render_quote_pdf

    found = _open(request, token)
    if found is None:
        return not_found()
    headers = dict(SECURITY_HEADERS)
    name = f"devis-{found.quote.number}.pdf"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(
        render_quote_pdf(found.quote, found.company), media_type="application/pdf", headers=headers
    )


def _client(request: Request) -> dict[str, str]:
    """Who answered, for the audit trail: address, browser, and whether an Encaisse session came along."""
    return {
        "ip": request.client.host if request.client else "",
        "user_agent": request.headers.get("user-agent", "")[:200],
        "encaisse_session": "yes" if request.cookies.get("session") else "no",
    }


@router.post(PREFIX + "/{token}/accepter", include_in_schema=False)
async def accept(token: str, request: Request) -> Response:
    form = await request.form()
    signatory = str(form.get("signatory") or "")[:200]
    agreed = form.get("agreed") == "oui"

    def act(secret: str, today: date) -> object:
        return accept_online(
            uow_of(request), token, secret, signatory, agreed, today, client=_client(request)
        )

    return await run_in_threadpool(_answer, request, token, act, signatory)  # store work off the event loop


@router.post(PREFIX + "/{token}/refuser", include_in_schema=False)
def refuse(token: str, request: Request) -> Response:
    def act(secret: str, today: date) -> object:
        return refuse_online(uow_of(request), token, secret, today, client=_client(request))

    return _answer(request, token, act, "")


def _answer(request: Request, token: str, act: Callable[[str, date], object], signatory: str) -> Response:
    found = _open(request, token)
    if found is None:
        return not_found()
    try:
        act(settings_of(request).secret_key, clock.today())
    except ValidationError as exc:
        errors = [FIELD_FR.get(p.code, p.message) for p in exc.problems]
        return public_page(
            "quote.html", 422, **_context(found, token, errors=errors, signatory=signatory[:120])
        )
    except QuoteLinkError:
        pass  # answered or expired meanwhile: the page says what happened
    return RedirectResponse(f"{PREFIX}/{token}", status_code=303, headers=SECURITY_HEADERS)
