"""The public payment page of an invoice (``/pay/{token}``) and the payment-provider webhooks.

No login: the signed, unguessable token is the only key (``services/payment_links``). A tampered,
unknown, revoked or expired token gets the same neutral 404 page, revealing nothing. Pages are
in French, carry ``Referrer-Policy: no-referrer`` (the token must not leak to other sites),
``noindex`` and ``no-store``. Dependencies come from ``request.app.state``: ``uow``
(``SqlUnitOfWork``), ``settings`` (``Settings``) and ``payment_provider`` (``PaymentProvider`` or
None: no card payment).

Routes: ``GET /pay/{token}`` (invoice, amount due, bank details, EPC QR code — EPC069-12 —, PDF
link, "Payer par carte"), ``GET /pay/{token}/pdf``, ``POST /pay/{token}/checkout`` (redirect to
the provider), ``GET /pay/{token}/merci`` (return page) and ``POST /webhooks/{provider}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.domain.documents import Invoice, InvoiceStatus
from encaisse.domain.dunning import fr_date, fr_money
from encaisse.domain.errors import FormatError
from encaisse.domain.parties import Company
from encaisse.domain.payment_reference import compact_rf, format_rf
from encaisse.formats import epc_qr
from encaisse.services import clock
from encaisse.services.collections import payment_reference_of
from encaisse.services.online_payments import (
    PaymentProvider,
    ProviderError,
    WebhookSignatureError,
    handle_event,
    start_checkout,
)
from encaisse.services.payment_links import record_opened, resolve_link
from encaisse.settings import Settings

router = APIRouter()

SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"
    ),
}


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("encaisse.adapters.web", "templates_public"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def public_page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = _templates().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def not_found() -> HTMLResponse:
    """The one answer for every token that does not lead to a payable invoice."""
    return public_page("not_found.html", 404)


def _from_state(request: Request, name: str) -> Any:
    """``app.state.<name>``, else the main web app's ``app.state.web.<name>`` (``WebState``)."""
    state = request.app.state
    value = getattr(state, name, None)
    if value is None:
        value = getattr(getattr(state, "web", None), name, None)
    return value


def uow_of(request: Request) -> SqlUnitOfWork:
    state = request.app.state
    cached = getattr(state, "collections_uow", None)
    if isinstance(cached, SqlUnitOfWork):
        return cached
    uow = _from_state(request, "uow")
    wrapped = uow if isinstance(uow, SqlUnitOfWork) else SqlUnitOfWork(uow.engine)
    state.collections_uow = wrapped
    return wrapped


def settings_of(request: Request) -> Settings:
    settings: Settings = _from_state(request, "settings")
    return settings


def _provider(request: Request) -> PaymentProvider | None:
    """``app.state.payment_provider`` (None: no card payment); when the app did not set one at
    all, the provider the settings describe (``provider_from_settings``), built once."""
    state = request.app.state
    if not hasattr(state, "payment_provider"):
        from encaisse.adapters.payments import provider_from_settings

        state.payment_provider = provider_from_settings(settings_of(request))
    provider: PaymentProvider | None = state.payment_provider
    return provider


def _base_url(request: Request) -> str:
    return settings_of(request).base_url.rstrip("/")


def group4(value: str) -> str:
    compact = "".join(value.split())
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def epc_payload(company: Company, invoice: Invoice, reference: str) -> str | None:
    """The EPC QR payload of the amount due (EPC-QR-PAYLOAD), or None when the company's bank
    details cannot make one (no or invalid IBAN)."""
    amount: Decimal | None = invoice.amount_due
    if amount is None or not (epc_qr.MIN_AMOUNT <= amount <= epc_qr.MAX_AMOUNT):
        amount = None
    holder = (company.account_holder or company.name)[:70]
    try:
        return epc_qr.payload(
            name=holder,
            iban=company.iban,
            bic=company.bic,
            amount=amount,
            reference=reference,
            text="" if reference else f"Facture {invoice.number}"[:140],
        )
    except FormatError:
        return None


def seller_context(company: Company) -> dict[str, str]:
    """Who issued the document, as every public page shows it."""
    return {
        "seller_name": company.name,
        "seller_address": company.address.one_line(),
        "seller_siren": " ".join((company.siren[:3], company.siren[3:6], company.siren[6:])).strip(),
    }


def page_context(company: Company, invoice: Invoice, token: str, *, card_enabled: bool) -> dict[str, Any]:
    rf = payment_reference_of(invoice.number, invoice.payment_reference)
    payload = epc_payload(company, invoice, compact_rf(rf) if rf else "")
    svg = epc_qr.svg(payload, scale=4) if payload else ""
    return {
        "number": invoice.number,
        **seller_context(company),
        "customer_name": invoice.customer.name,
        "issue_date": fr_date(invoice.issue_date),
        "due_date": fr_date(invoice.due_date) if invoice.due_date else "",
        "total": fr_money(invoice.total_incl_tax),
        "amount_due": fr_money(invoice.amount_due),
        "holder": company.account_holder or company.name,
        "iban": group4(company.iban),
        "bic": company.bic,
        "reference": format_rf(rf) if rf else invoice.number,
        "qr_payload": payload or "",
        "qr_svg": svg,
        "pdf_url": f"/pay/{token}/pdf",
        "checkout_url": f"/pay/{token}/checkout",
        "card_enabled": card_enabled,
    }


@router.get("/pay/{token}", response_class=HTMLResponse, include_in_schema=False)
def payment_page(token: str, request: Request) -> Response:
    uow = uow_of(request)
    secret = settings_of(request).secret_key
    with uow.read() as repo:
        found = resolve_link(repo, token, secret)
        if found is None:
            return not_found()
        company = repo.get_company(found.invoice.company_id)
    if found.link.opened_at is None:
        with uow() as repo:
            record_opened(repo, found.link, datetime.now(UTC))
    return public_page(
        "pay.html", **page_context(company, found.invoice, token, card_enabled=_provider(request) is not None)
    )


@router.get("/pay/{token}/pdf", include_in_schema=False)
def payment_pdf(token: str, request: Request) -> Response:
    from encaisse.adapters.mail.attachments import invoice_pdf

    with uow_of(request).read() as repo:
        found = resolve_link(repo, token, settings_of(request).secret_key)
        if found is None:
            return not_found()
        company = repo.get_company(found.invoice.company_id)
        pdf = invoice_pdf(repo, company, found.invoice)
    filename = f"{found.invoice.number or 'facture'}.pdf"
    headers = dict(SECURITY_HEADERS)
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.post("/pay/{token}/checkout", include_in_schema=False)
def payment_checkout(token: str, request: Request) -> Response:
    provider = _provider(request)
    if provider is None:
        return not_found()
    settings = settings_of(request)
    try:
        checkout = start_checkout(
            uow_of(request),
            provider,
            token,
            secret=settings.secret_key,
            base_url=_base_url(request),
            now=datetime.now(UTC),
        )
    except ProviderError:
        return public_page("unavailable.html", 502, back_url=f"/pay/{token}")
    if checkout is None:
        return not_found()
    return RedirectResponse(checkout.url, status_code=303, headers=SECURITY_HEADERS)


@router.get("/pay/{token}/merci", response_class=HTMLResponse, include_in_schema=False)
def payment_thanks(token: str, request: Request) -> Response:
    with uow_of(request).read() as repo:
        found = resolve_link(repo, token, settings_of(request).secret_key, allow_settled=True)
        if found is None:
            return not_found()
        company = repo.get_company(found.invoice.company_id)
    paid = found.invoice.status is InvoiceStatus.PAID
    return public_page("thanks.html", number=found.invoice.number, seller_name=company.name, paid=paid)


@router.post("/webhooks/{provider_name}", include_in_schema=False)
async def provider_webhook(provider_name: str, request: Request) -> Response:
    provider = _provider(request)
    if provider is None or provider.name != provider_name:
        return JSONResponse({"error": "unknown provider"}, status_code=404)
    payload = await request.body()
    try:
        event = provider.verify_webhook(payload, dict(request.headers))
    except WebhookSignatureError:
        return JSONResponse({"error": "invalid signature"}, status_code=400)
    uow = uow_of(request)
    try:
        outcome = await run_in_threadpool(handle_event, uow, event, clock.today())
    except IntegrityError:  # the same event delivered twice at once: the other delivery applied it
        outcome = "duplicate"
    return JSONResponse({"received": True, "outcome": outcome})
