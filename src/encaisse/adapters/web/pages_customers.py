"""Customers: list (search, sort, pagination, CSV), detail with history and payment behaviour, edit."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from encaisse.adapters.web.context import CSRF, Ctx, Id, member, writer
from encaisse.adapters.web.forms import is_valid_bic, party_form_values, party_from_form, to_plain
from encaisse.adapters.web.rendering import csv_response, field_errors, flash, query_string, render
from encaisse.domain.errors import NotFoundError, Problem, ValidationError
from encaisse.domain.parties import Party, PartyKind
from encaisse.services.clock import today
from encaisse.services.companies import party_problems, save_party
from encaisse.services.ports import InvoiceFilter, Repository

router = APIRouter(dependencies=CSRF, include_in_schema=False)
PAGE_SIZE = 25
CUSTOMER_SORTS = ("name", "-name", "city", "-city", "outstanding", "-outstanding", "overdue", "-overdue")


@dataclass(frozen=True)
class PaymentBehaviour:
    """How a customer pays: average days after the due date over its paid invoices."""

    paid_invoices: int
    average_days_late: Decimal | None
    on_time_share: Decimal | None


def payment_behaviour(repo: Repository, company_id: int, customer_id: int) -> PaymentBehaviour:
    delays = [(paid - due).days for due, paid in repo.payment_delays(company_id, customer_id)]
    if not delays:
        return PaymentBehaviour(0, None, None)
    average = (Decimal(sum(delays)) / len(delays)).quantize(Decimal("0.1"))
    on_time = (Decimal(sum(1 for d in delays if d <= 0)) * 100 / len(delays)).quantize(Decimal(1))
    return PaymentBehaviour(len(delays), average, on_time)


def _list_params(request: Request) -> tuple[str, str, int]:
    q = request.query_params.get("q", "")[:100]
    sort = request.query_params.get("tri", "name")
    sort = sort if sort in CUSTOMER_SORTS else "name"
    page_raw = request.query_params.get("page", "1")
    page = int(page_raw) if page_raw.isdigit() and len(page_raw) < 7 else 1
    return q, sort, max(page, 1)


@router.get("/clients")
def customers_page(request: Request, ctx: Ctx = Depends(member)) -> Response:
    q, sort, page = _list_params(request)
    day = today()
    with ctx.uow.read() as repo:
        total = repo.count_parties(ctx.company_id, "customer", search=q)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(page, pages)
        rows = repo.customer_rows(
            ctx.company_id, day, search=q, sort=sort, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    params = {"q": q, "tri": sort, "page": page}
    return render(
        request,
        "customers/list.html",
        ctx,
        section="customers",
        title="Clients",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        params=params,
        qs=query_string,
    )


@router.get("/clients.csv")
def customers_csv(request: Request, ctx: Ctx = Depends(member)) -> Response:
    q, sort, _ = _list_params(request)
    day = today()
    uow, cid = ctx.uow, ctx.company_id

    def rows() -> Iterator[list[object]]:
        offset = 0
        while True:
            with uow.read() as repo:
                chunk = repo.customer_rows(cid, day, search=q, sort=sort, limit=1000, offset=offset)
            for r in chunk:
                yield [r.name, r.siren, r.city, r.email, r.open_invoices, r.outstanding, r.overdue]
            if len(chunk) < 1000:
                return
            offset += 1000

    header = ["name", "siren", "city", "email", "open_invoices", "outstanding", "overdue"]
    return csv_response("clients.csv", header, rows())


def _form_page(
    request: Request,
    ctx: Ctx,
    form: dict[str, str],
    errors: dict[str, list[str]],
    party_id: int | None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "customers/form.html",
        ctx,
        status_code=status,
        section="customers",
        title="Modifier le client" if party_id else "Nouveau client",
        form=form,
        errors=errors,
        party_id=party_id,
    )


@router.get("/clients/nouveau")
def new_customer_page(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    return _form_page(request, ctx, {"customer_type": "business", "country": "FR"}, {}, None)


async def _save(request: Request, ctx: Ctx, party_id: int | None) -> Response:
    form = await request.form()
    party, problems = party_from_form(form, PartyKind.CUSTOMER, party_id)
    if party.bic and not is_valid_bic(party.bic):
        problems.append(Problem("BIC-INVALID", "invalid BIC", field="bic"))
    try:
        if problems:
            raise ValidationError(
                "invalid customer", code=problems[0].code, problems=problems + party_problems(party)
            )
        stored = save_party(ctx.uow, ctx.company_id, party, actor=ctx.actor)
    except ValidationError as exc:
        return _form_page(request, ctx, to_plain(form), field_errors(exc.problems), party_id, status=422)
    flash(request, f"Client « {stored.name} » enregistré.")
    return RedirectResponse(f"/clients/{stored.id}", status_code=303)


@router.post("/clients")
async def create_customer(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    return await _save(request, ctx, None)


def _customer(repo: Repository, ctx: Ctx, customer_id: int) -> Party:
    party = repo.get_party(ctx.company_id, customer_id)
    if party.kind is not PartyKind.CUSTOMER:
        raise NotFoundError("not a customer", code="PARTY-NOT-FOUND")
    return party


@router.get("/clients/{customer_id}")
def customer_page(request: Request, customer_id: Id, ctx: Ctx = Depends(member)) -> Response:
    with ctx.uow.read() as repo:
        party = _customer(repo, ctx, customer_id)
        invoices = repo.list_invoices(
            ctx.company_id, InvoiceFilter(customer_id=customer_id, sort="-issue_date", limit=50)
        )
        count = repo.count_invoices(ctx.company_id, InvoiceFilter(customer_id=customer_id))
        _, outstanding = repo.invoice_totals(
            ctx.company_id, InvoiceFilter(customer_id=customer_id, kind="invoice", open_only=True)
        )
        _, overdue = repo.invoice_totals(
            ctx.company_id, InvoiceFilter(customer_id=customer_id, kind="invoice", overdue_on=today())
        )
        behaviour = payment_behaviour(repo, ctx.company_id, customer_id)
    return render(
        request,
        "customers/detail.html",
        ctx,
        section="customers",
        title=party.name,
        party=party,
        invoices=invoices,
        invoice_count=count,
        outstanding=outstanding,
        overdue=overdue,
        behaviour=behaviour,
    )


@router.get("/clients/{customer_id}/modifier")
def edit_customer_page(request: Request, customer_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    with ctx.uow.read() as repo:
        party = _customer(repo, ctx, customer_id)
    return _form_page(request, ctx, party_form_values(party), {}, customer_id)


@router.post("/clients/{customer_id}")
async def update_customer(request: Request, customer_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    with ctx.uow.read() as repo:
        _customer(repo, ctx, customer_id)
    return await _save(request, ctx, customer_id)
