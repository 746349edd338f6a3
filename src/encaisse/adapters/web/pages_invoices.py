"""Invoices: list (filters, sort, pagination, CSV), write and edit drafts with live totals, issue
(compliance problems next to their fields), PDF, credit note, payments.

An issued invoice is never edited (INV-IMMUTABLE): it is corrected by a credit note.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from encaisse.adapters.pdf.fr_format import UNIT_LABELS
from encaisse.adapters.store.web_reads import invoice_with_payments, read_only
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
from encaisse.adapters.web.rendering import (
    csv_response,
    field_errors,
    flash,
    query_string,
    render,
    render_cached,
)
from encaisse.domain.documents import Invoice, InvoiceStatus, Totals, compute_totals
from encaisse.domain.errors import EncaisseError, Problem, ValidationError
from encaisse.domain.parties import Party
from encaisse.services import invoicing
from encaisse.services.clock import today
from encaisse.services.document_input import invoice_from_data
from encaisse.services.ports import INVOICE_CSV_HEADER, InvoiceFilter, InvoiceRow

router = APIRouter(dependencies=CSRF, include_in_schema=False)
PAGE_SIZE = 50
STATUS_FILTERS = {
    "draft": "Brouillons",
    "ouvertes": "À encaisser",
    "en_retard": "En retard",
    "issued": "Émises",
    "partially_paid": "Partiellement payées",
    "paid": "Payées",
    "cancelled": "Annulées",
}
INVOICE_SORTS = ("issue_date", "due_date", "number", "total", "status", "customer")


def list_filter(request: Request, day: date) -> tuple[InvoiceFilter, dict[str, object], int]:
    qp = request.query_params
    status = qp.get("statut", "")
    kind = qp.get("type", "")
    sort = qp.get("tri", "-issue_date")
    if sort.lstrip("-") not in INVOICE_SORTS:
        sort = "-issue_date"
    customer_raw = qp.get("client", "")
    customer_id = int(customer_raw) if customer_raw.isdigit() and len(customer_raw) < 10 else None
    page_raw = qp.get("page", "1")
    page = max(int(page_raw), 1) if page_raw.isdigit() and len(page_raw) < 7 else 1
    search = qp.get("q", "")[:100]
    flt = InvoiceFilter(
        status=status if status in InvoiceStatus.__members__.values() else None,
        kind=kind if kind in ("invoice", "deposit", "credit_note") else None,
        customer_id=customer_id,
        search=search,
        open_only=status == "ouvertes",
        overdue_on=day if status == "en_retard" else None,
        sort=sort,
    )
    params: dict[str, object] = {
        "statut": status if status in STATUS_FILTERS else "",
        "type": flt.kind or "",
        "client": customer_id or "",
        "q": search,
        "tri": sort,
        "page": page,
    }
    return flt, params, page


@dataclass(frozen=True)
class ListPage:
    """One page of the invoice list with the totals of the filter."""

    total: int
    due: Decimal
    page: int
    pages: int
    rows: list[InvoiceRow]


def _list_page(ctx: Ctx, flt: InvoiceFilter, page: int) -> ListPage:
    """The list page, cached under the data version when it is known (else the totals only)."""
    cache, cid = ctx.state.cache, ctx.company_id

    def totals() -> tuple[int, Decimal]:
        with read_only(ctx.uow) as repo:
            return repo.invoice_totals(cid, flt)

    def compute() -> ListPage:
        if ctx.version is None:
            total, due = cache.get(("invoice-totals", cid, flt), totals)
        else:
            total, due = totals()
        pages = max(1, math.ceil(total / PAGE_SIZE))
        shown = min(page, pages)
        with read_only(ctx.uow) as repo:
            rows = repo.list_invoices(cid, replace(flt, limit=PAGE_SIZE, offset=(shown - 1) * PAGE_SIZE))
        return ListPage(total, due, shown, pages, rows)

    if ctx.version is None:
        return compute()
    return cache.get(("invoice-list", cid, flt, page), compute, version=ctx.version)


@router.get("/factures")
def invoices_page(request: Request, ctx: Ctx = Depends(member)) -> Response:
    day = today()
    flt, params, page = list_filter(request, day)

    def build() -> dict[str, Any]:
        listed = _list_page(ctx, flt, page)
        return {
            "rows": listed.rows,
            "total": listed.total,
            "due": listed.due,
            "page": listed.page,
            "pages": listed.pages,
            "params": {**params, "page": listed.page},
            "qs": query_string,
            "status_filters": STATUS_FILTERS,
            "today": day,
        }

    key = ("invoices", day, flt, tuple(params.items()))
    return render_cached(request, "invoices/list.html", ctx, key, build, section="invoices", title="Factures")


@router.get("/factures.csv")
def invoices_csv(request: Request, ctx: Ctx = Depends(member)) -> Response:
    """The contract CSV of ``encaisse invoice list --format csv``, with the page's filters."""
    flt, _, _ = list_filter(request, today())
    uow, cid = ctx.uow, ctx.company_id

    def rows() -> Iterator[list[object]]:
        offset = 0
        while True:
            with uow.read() as repo:
                chunk = repo.list_invoices(cid, replace(flt, limit=2000, offset=offset))
            for r in chunk:
                yield list(r.contract_values().values())
            if len(chunk) < 2000:
                return
            offset += 2000

    return csv_response("factures.csv", list(INVOICE_CSV_HEADER), rows())


def _form_page(
    request: Request,
    ctx: Ctx,
    *,
    form: dict[str, str],
    errors: dict[str, list[str]],
    invoice: Invoice | None,
    status: int = 200,
) -> Response:
    with ctx.uow.read() as repo:
        customers = customer_options(repo, ctx.company_id)
        items, items_data = catalogue(repo, ctx.company_id)
    deductions = [ln for ln in invoice.lines if ln.deposit_invoice_number] if invoice else []
    return render(
        request,
        "invoices/form.html",
        ctx,
        status_code=status,
        section="invoices",
        title="Modifier le brouillon" if invoice else "Nouvelle facture",
        form=form,
        errors=group_errors(errors),
        invoice=invoice,
        deductions=deductions,
        customers=customers,
        items=items,
        items_json=items_data,
        units=list(UNIT_LABELS.items()),
        rows=line_count(form),
    )


@router.get("/factures/nouvelle")
def new_invoice_page(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    day = today()
    form = {
        "issue_date": day.isoformat(),
        "supply_date": day.isoformat(),
        "customer_id": request.query_params.get("client", "")[:10],
        "lines[0].quantity": "1",
        "lines[0].unit": "C62",
        "lines[0].vat_rate": "20",
        "lines[0].nature": "services",
    }
    return _form_page(request, ctx, form=form, errors={}, invoice=None)


async def _invoice_from_form(request: Request, ctx: Ctx) -> tuple[Invoice, dict[str, str]]:
    """The draft typed in the form; raises ValidationError with every problem."""
    form = await request.form()
    problems: list[Problem] = []
    with ctx.uow.read() as repo:
        customer = chosen_customer(repo, ctx.company_id, form, problems)
    data = {
        "issue_date": iso_date(form, "issue_date"),
        "supply_date": iso_date(form, "supply_date"),
        "due_date": iso_date(form, "due_date"),
        "purchase_order": text(form, "purchase_order"),
        "note": text(form, "note"),
        "lines": typed_lines(form),
    }
    try:
        invoice = invoice_from_data(ctx.company_id, data, customer or Party(name=""))
    except ValidationError as exc:
        raise ValidationError(
            "invalid invoice", code="INVOICE-INVALID", problems=problems + exc.problems
        ) from None
    problems += storage_problems(invoice.lines)
    if problems:
        raise ValidationError("invalid invoice", code="INVOICE-INVALID", problems=problems)
    return invoice, to_plain(form)


@router.post("/factures")
async def create_invoice(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    try:
        invoice, _ = await _invoice_from_form(request, ctx)
        stored = invoicing.create_draft(ctx.uow, invoice, actor=ctx.actor)
    except ValidationError as exc:
        form = to_plain(await request.form())
        return _form_page(
            request, ctx, form=form, errors=field_errors(exc.problems), invoice=None, status=422
        )
    flash(request, "Brouillon de facture enregistré.")
    return RedirectResponse(f"/factures/{stored.id}", status_code=303)


def _get(ctx: Ctx, invoice_id: int) -> Invoice:
    with ctx.uow.read() as repo:
        return repo.get_invoice(ctx.company_id, invoice_id)


def _edit_values(invoice: Invoice) -> dict[str, str]:
    return {
        "customer_id": str(invoice.customer.id or ""),
        "issue_date": invoice.issue_date.isoformat(),
        "supply_date": invoice.supply_date.isoformat() if invoice.supply_date else "",
        "due_date": invoice.due_date.isoformat() if invoice.due_date else "",
        "purchase_order": invoice.purchase_order,
        "note": invoice.note,
        **line_values(invoice.lines),
    }


@router.get("/factures/{invoice_id}")
def invoice_page(request: Request, invoice_id: Id, ctx: Ctx = Depends(member)) -> Response:
    return _detail(request, ctx, invoice_id)


def _detail(
    request: Request,
    ctx: Ctx,
    invoice_id: int,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    cid = ctx.company_id

    def load() -> tuple[Invoice, list[tuple[int, date, Decimal, str]], Totals | None, Decimal]:
        with read_only(ctx.uow) as repo:
            invoice, payments = invoice_with_payments(repo, cid, invoice_id)
        totals = compute_totals(invoice) if invoice.total_incl_tax_override is None else None
        return invoice, payments, totals, invoice.amount_due

    def build() -> dict[str, Any]:
        if ctx.version is None:
            invoice, payments, totals, due = load()
        else:
            invoice, payments, totals, due = ctx.state.cache.get(
                ("invoice", cid, invoice_id), load, version=ctx.version
            )
        return {
            "title": f"{invoice.kind.value} {invoice.number}" if invoice.number else "Brouillon",
            "inv": invoice,
            "due": due,
            "totals": totals,
            "payments": payments,
            "errors": errors or {},
            "form": form
            or {
                "amount": f"{due:f}".replace(".", ","),
                "date": day.isoformat(),
                "method": "transfer",
            },
            "today": day,
        }

    day = today()
    if errors is None and form is None and status == 200:
        return render_cached(
            request,
            "invoices/detail.html",
            ctx,
            ("invoice", invoice_id, day),
            build,
            section="invoices",
        )
    return render(request, "invoices/detail.html", ctx, status_code=status, section="invoices", **build())


@router.get("/factures/{invoice_id}/modifier")
def edit_invoice_page(request: Request, invoice_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    invoice = _get(ctx, invoice_id)
    if invoice.status is not InvoiceStatus.DRAFT:
        raise EncaisseError("only drafts are edited", code="LIFECYCLE-FORBIDDEN")
    return _form_page(request, ctx, form=_edit_values(invoice), errors={}, invoice=invoice)


@router.post("/factures/{invoice_id}")
async def update_invoice(request: Request, invoice_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    current = _get(ctx, invoice_id)
    try:
        typed, _ = await _invoice_from_form(request, ctx)
        deductions = tuple(ln for ln in current.lines if ln.deposit_invoice_number)
        invoice = replace(
            current,
            customer=typed.customer,
            issue_date=typed.issue_date,
            supply_date=typed.supply_date,
            due_date=typed.due_date,
            purchase_order=typed.purchase_order,
            note=typed.note,
            lines=typed.lines + deductions,
        )
        invoicing.update_draft(ctx.uow, invoice, actor=ctx.actor)
    except ValidationError as exc:
        form = to_plain(await request.form())
        return _form_page(
            request, ctx, form=form, errors=field_errors(exc.problems), invoice=current, status=422
        )
    flash(request, "Brouillon mis à jour.")
    return RedirectResponse(f"/factures/{invoice_id}", status_code=303)


@router.post("/factures/{invoice_id}/emettre")
def issue_invoice(request: Request, invoice_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    try:
        issued = invoicing.issue(ctx.uow, ctx.company_id, invoice_id, actor=ctx.actor)
    except ValidationError as exc:
        current = _get(ctx, invoice_id)
        errors = field_errors(exc.problems or [Problem(exc.code, str(exc))])
        return _form_page(
            request, ctx, form=_edit_values(current), errors=errors, invoice=current, status=422
        )
    flash(
        request,
        f"Facture {issued.number} émise. Elle ne peut plus être modifiée ; corrigez-la par un avoir si besoin.",
    )
    return RedirectResponse(f"/factures/{invoice_id}", status_code=303)


@router.post("/factures/{invoice_id}/supprimer")
def delete_invoice(request: Request, invoice_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    invoicing.delete_draft(ctx.uow, ctx.company_id, invoice_id, actor=ctx.actor)
    flash(request, "Brouillon supprimé.")
    return RedirectResponse("/factures", status_code=303)


@router.post("/factures/{invoice_id}/paiements")
async def record_payment(request: Request, invoice_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    form = await request.form()
    problems: list[Problem] = []
    amount = parse_decimal(text(form, "amount"), "amount", problems, required=True, places=2)
    day = parse_date(text(form, "date"), "date", problems, required=True)
    method = text(form, "method") or "transfer"
    if method not in ("transfer", "card", "cheque", "cash", "sdd"):
        problems.append(Problem("INPUT-CHOICE", "unknown method", field="method"))
    try:
        if problems or amount is None or day is None:
            raise ValidationError("invalid payment", code="PAYMENT-AMOUNT", problems=problems)
        invoicing.record_payment(
            ctx.uow, ctx.company_id, invoice_id, amount, day, method=method, actor=ctx.actor
        )
    except ValidationError as exc:
        return _detail(request, ctx, invoice_id, field_errors(exc.problems), 422, to_plain(form))
    flash(request, "Paiement enregistré.")
    return RedirectResponse(f"/factures/{invoice_id}", status_code=303)


@router.post("/factures/{invoice_id}/avoir")
def credit_note(request: Request, invoice_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    note = invoicing.create_credit_note(ctx.uow, ctx.company_id, invoice_id, today(), actor=ctx.actor)
    flash(request, f"Avoir {note.number} émis : il annule la facture corrigée à hauteur de son montant.")
    return RedirectResponse(f"/factures/{note.id}", status_code=303)


@router.get("/factures/{invoice_id}/pdf")
def invoice_pdf(request: Request, invoice_id: Id, ctx: Ctx = Depends(member)) -> Response:
    invoice = _get(ctx, invoice_id)
    from encaisse.adapters.pdf.documents import invoice_pdf as render

    pdf = render(ctx.uow, ctx.company_id, invoice_id)
    name = (invoice.number or f"brouillon-{invoice_id}").replace("/", "-")
    disposition = "inline" if request.query_params.get("apercu") else "attachment"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'{disposition}; filename="{name}.pdf"'},
    )
