"""Quotes (devis): list, write, edit, send, accept, refuse, deposit invoice, final invoice, PDF."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from encaisse.adapters.pdf.fr_format import UNIT_LABELS
from encaisse.adapters.web.context import CSRF, Ctx, Id, member, writer
from encaisse.adapters.web.document_forms import (
    catalogue,
    chosen_customer,
    customer_options,
    group_errors,
    iso_date,
    line_count,
    line_values,
    storage_problems,
    typed_lines,
)
from encaisse.adapters.web.forms import parse_date, parse_decimal, text, to_plain
from encaisse.adapters.web.rendering import csv_response, field_errors, flash, render
from encaisse.domain.documents import Quote, QuoteStatus, compute_totals
from encaisse.domain.errors import EncaisseError, Problem, ValidationError
from encaisse.domain.parties import Party
from encaisse.services import quotes
from encaisse.services.clock import today
from encaisse.services.document_input import invoice_from_data
from encaisse.services.quote_links import link_token, new_link, revoke_link

router = APIRouter(dependencies=CSRF, include_in_schema=False)
VALIDITY_DAYS = 30


@router.get("/devis")
def quotes_page(request: Request, ctx: Ctx = Depends(member)) -> Response:
    status = request.query_params.get("statut", "")
    status = status if status in QuoteStatus.__members__.values() else ""
    with ctx.uow.read() as repo:
        rows = repo.list_quotes(ctx.company_id, status=status or None, limit=500)
    listed = [(q, compute_totals(q)) for q in rows]
    return render(
        request, "quotes/list.html", ctx, section="quotes", title="Devis", rows=listed, status=status
    )


@router.get("/devis.csv")
def quotes_csv(request: Request, ctx: Ctx = Depends(member)) -> Response:
    with ctx.uow.read() as repo:
        rows = repo.list_quotes(ctx.company_id)

    def lines() -> Iterator[list[object]]:
        for q in rows:
            t = compute_totals(q)
            yield [
                q.number,
                q.status.value,
                q.customer.name,
                q.issue_date.isoformat(),
                q.validity_date.isoformat(),
                f"{t.total_excl_tax:.2f}",
                f"{t.total_incl_tax:.2f}",
                q.currency,
            ]

    header = [
        "number",
        "status",
        "customer_name",
        "issue_date",
        "validity_date",
        "total_excl_tax",
        "total_incl_tax",
        "currency",
    ]
    return csv_response("devis.csv", header, lines())


def _form_page(
    request: Request,
    ctx: Ctx,
    form: dict[str, str],
    errors: dict[str, list[str]],
    quote: Quote | None,
    status: int = 200,
) -> Response:
    with ctx.uow.read() as repo:
        customers = customer_options(repo, ctx.company_id)
        items, items_data = catalogue(repo, ctx.company_id)
    return render(
        request,
        "quotes/form.html",
        ctx,
        status_code=status,
        section="quotes",
        title=f"Modifier le devis {quote.number}" if quote else "Nouveau devis",
        form=form,
        errors=group_errors(errors),
        quote=quote,
        deductions=[],
        customers=customers,
        items=items,
        items_json=items_data,
        units=list(UNIT_LABELS.items()),
        rows=line_count(form),
    )


@router.get("/devis/nouveau")
def new_quote_page(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    day = today()
    form = {
        "issue_date": day.isoformat(),
        "validity_date": (day + timedelta(days=VALIDITY_DAYS)).isoformat(),
        "customer_id": request.query_params.get("client", "")[:10],
        "lines[0].quantity": "1",
        "lines[0].unit": "C62",
        "lines[0].vat_rate": "20",
        "lines[0].nature": "services",
    }
    return _form_page(request, ctx, form, {}, None)


async def _quote_from_form(request: Request, ctx: Ctx, quote_id: int | None) -> Quote:
    form = await request.form()
    problems: list[Problem] = []
    with ctx.uow.read() as repo:
        customer = chosen_customer(repo, ctx.company_id, form, problems)
    validity = parse_date(text(form, "validity_date"), "validity_date", problems, required=True)
    data = {
        "issue_date": iso_date(form, "issue_date"),
        "note": text(form, "note"),
        "lines": typed_lines(form),
    }
    try:
        draft = invoice_from_data(ctx.company_id, data, customer or Party(name=""))
    except ValidationError as exc:
        raise ValidationError(
            "invalid quote", code="QUOTE-INVALID", problems=problems + exc.problems
        ) from None
    problems += storage_problems(draft.lines)
    if problems or customer is None or validity is None:
        raise ValidationError("invalid quote", code="QUOTE-INVALID", problems=problems)
    return Quote(
        id=quote_id,
        company_id=ctx.company_id,
        customer=customer,
        issue_date=draft.issue_date,
        validity_date=validity,
        lines=draft.lines,
        note=draft.note,
    )


@router.post("/devis")
async def create_quote(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    try:
        quote = await _quote_from_form(request, ctx, None)
        stored = quotes.create_quote(ctx.uow, quote, actor=ctx.actor)
    except ValidationError as exc:
        return _form_page(request, ctx, to_plain(await request.form()), field_errors(exc.problems), None, 422)
    flash(request, f"Devis {stored.number} enregistré.")
    return RedirectResponse(f"/devis/{stored.id}", status_code=303)


def _get(ctx: Ctx, quote_id: int) -> Quote:
    with ctx.uow.read() as repo:
        return repo.get_quote(ctx.company_id, quote_id)


def _edit_values(quote: Quote) -> dict[str, str]:
    return {
        "customer_id": str(quote.customer.id or ""),
        "issue_date": quote.issue_date.isoformat(),
        "validity_date": quote.validity_date.isoformat(),
        "note": quote.note,
        **line_values(quote.lines),
    }


@router.get("/devis/{quote_id}")
def quote_page(request: Request, quote_id: Id, ctx: Ctx = Depends(member)) -> Response:
    return _detail(request, ctx, quote_id)


def _detail(
    request: Request, ctx: Ctx, quote_id: int, errors: dict[str, list[str]] | None = None, status: int = 200
) -> Response:
    with ctx.uow.read() as repo:
        quote = repo.get_quote(ctx.company_id, quote_id)
        invoices = [
            repo.get_invoice(ctx.company_id, i)
            for i in repo.invoice_ids_of_quote(ctx.company_id, quote.number)
        ]
    return render(
        request,
        "quotes/detail.html",
        ctx,
        status_code=status,
        section="quotes",
        title=f"Devis {quote.number}",
        q=quote,
        online_url=_online_url(ctx, quote),
        totals=compute_totals(quote),
        invoices=invoices,
        errors=_flat(errors or {}),
        form={"percent": "30"},
    )


def _flat(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """On the quote page every problem is listed at the top, except the deposit percentage."""
    out: dict[str, list[str]] = {k: v for k, v in errors.items() if k == "percent"}
    general = [m for k, msgs in errors.items() if k != "percent" for m in msgs]
    if general:
        out["_"] = general
    return out


@router.get("/devis/{quote_id}/modifier")
def edit_quote_page(request: Request, quote_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    quote = _get(ctx, quote_id)
    if quote.status is not QuoteStatus.DRAFT:
        raise EncaisseError("only draft quotes are edited", code="LIFECYCLE-FORBIDDEN")
    return _form_page(request, ctx, _edit_values(quote), {}, quote)


@router.post("/devis/{quote_id}")
async def update_quote(request: Request, quote_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    current = _get(ctx, quote_id)
    try:
        quote = await _quote_from_form(request, ctx, quote_id)
        quotes.update_quote(ctx.uow, quote, actor=ctx.actor)
    except ValidationError as exc:
        return _form_page(
            request, ctx, to_plain(await request.form()), field_errors(exc.problems), current, 422
        )
    flash(request, "Devis mis à jour.")
    return RedirectResponse(f"/devis/{quote_id}", status_code=303)


def _act(request: Request, ctx: Ctx, quote_id: int, action: str) -> Response:
    day = today()
    try:
        if action == "send":
            quotes.send_quote(ctx.uow, ctx.company_id, quote_id, actor=ctx.actor)
            flash(request, "Devis marqué comme envoyé.")
        elif action == "accept":
            quotes.accept_quote(ctx.uow, ctx.company_id, quote_id, day, actor=ctx.actor)
            flash(request, "Devis accepté : vous pouvez facturer un acompte ou la totalité.")
        else:
            quotes.refuse_quote(ctx.uow, ctx.company_id, quote_id, actor=ctx.actor)
            flash(request, "Devis marqué comme refusé.")
    except ValidationError as exc:
        return _detail(
            request, ctx, quote_id, field_errors(exc.problems or [Problem(exc.code, str(exc))]), 422
        )
    return RedirectResponse(f"/devis/{quote_id}", status_code=303)


@router.post("/devis/{quote_id}/envoyer")
def send_quote(request: Request, quote_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    return _act(request, ctx, quote_id, "send")


@router.post("/devis/{quote_id}/accepter")
def accept_quote(request: Request, quote_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    return _act(request, ctx, quote_id, "accept")


@router.post("/devis/{quote_id}/refuser")
def refuse_quote(request: Request, quote_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    return _act(request, ctx, quote_id, "refuse")


def _online_url(ctx: Ctx, quote: Quote) -> str | None:
    """The online-acceptance link of a sent quote, for writers: "" when it has none yet, None when
    it is not shown (signed with the key the public page checks with, as payment links)."""
    secret = ctx.state.settings.secret_key
    if quote.status is not QuoteStatus.SENT or not ctx.can_write or not secret or quote.id is None:
        return None
    token = link_token(ctx.uow, ctx.company_id, quote.id, secret)
    return f"{ctx.state.settings.base_url}/devis-en-ligne/{token}" if token else ""


@router.post("/devis/{quote_id}/lien")
def renew_link(request: Request, quote_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    new_link(ctx.uow, ctx.company_id, quote_id, ctx.state.settings.secret_key, actor=ctx.actor)
    flash(request, "Nouveau lien d'acceptation en ligne : l'ancien ne fonctionne plus.")
    return RedirectResponse(f"/devis/{quote_id}", status_code=303)


@router.post("/devis/{quote_id}/lien/revoquer")
def revoke_online_link(request: Request, quote_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    revoke_link(ctx.uow, ctx.company_id, quote_id, actor=ctx.actor)
    flash(request, "Lien d'acceptation en ligne révoqué : le client ne peut plus l'ouvrir.")
    return RedirectResponse(f"/devis/{quote_id}", status_code=303)


@router.post("/devis/{quote_id}/acompte")
async def deposit_invoice(request: Request, quote_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    form = await request.form()
    problems: list[Problem] = []
    percent = parse_decimal(
        text(form, "percent"), "percent", problems, default=quotes.DEFAULT_DEPOSIT_PERCENT
    )
    try:
        if problems:
            raise ValidationError("invalid percent", code="DEPOSIT-PERCENT", problems=problems)
        invoice = quotes.create_deposit_invoice(
            ctx.uow, ctx.company_id, quote_id, today(), percent or Decimal(30), actor=ctx.actor
        )
    except ValidationError as exc:
        return _detail(
            request, ctx, quote_id, field_errors(exc.problems or [Problem(exc.code, str(exc))]), 422
        )
    flash(request, "Facture d'acompte créée en brouillon : vérifiez-la puis émettez-la.")
    return RedirectResponse(f"/factures/{invoice.id}", status_code=303)


@router.post("/devis/{quote_id}/facturer")
def convert_quote(request: Request, quote_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    try:
        invoice = quotes.convert_to_invoice(ctx.uow, ctx.company_id, quote_id, today(), actor=ctx.actor)
    except ValidationError as exc:
        return _detail(
            request, ctx, quote_id, field_errors(exc.problems or [Problem(exc.code, str(exc))]), 422
        )
    flash(request, "Facture créée en brouillon à partir du devis : vérifiez-la puis émettez-la.")
    return RedirectResponse(f"/factures/{invoice.id}", status_code=303)


@router.get("/devis/{quote_id}/pdf")
def quote_pdf(request: Request, quote_id: Id, ctx: Ctx = Depends(member)) -> Response:
    with ctx.uow.read() as repo:
        quote = repo.get_quote(ctx.company_id, quote_id)
        company = repo.get_company(ctx.company_id)
    try:
        from encaisse.adapters.pdf.render import render_quote_pdf
    except ImportError:
        raise EncaisseError("PDF renderer not installed", code="PDF-UNAVAILABLE") from None
    pdf = render_quote_pdf(quote, company)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{quote.number.replace("/", "-")}.pdf"'},
    )
