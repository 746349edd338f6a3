"""Catalogue items (articles): list and add; offered when writing quotes and invoices."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from encaisse.adapters.pdf.fr_format import UNIT_LABELS
from encaisse.adapters.web.context import CSRF, Ctx, member, writer
from encaisse.adapters.web.forms import parse_decimal, text, to_plain
from encaisse.adapters.web.rendering import csv_response, field_errors, flash, render
from encaisse.domain.errors import Problem, ValidationError
from encaisse.services.quotes import save_item

router = APIRouter(dependencies=CSRF, include_in_schema=False)


def _page(
    request: Request, ctx: Ctx, form: dict[str, str], errors: dict[str, list[str]], status: int = 200
) -> Response:
    with ctx.uow.read() as repo:
        items = repo.list_items(ctx.company_id)
    return render(
        request,
        "items/list.html",
        ctx,
        status_code=status,
        section="items",
        title="Articles",
        items=items,
        form=form,
        errors=errors,
        units=UNIT_LABELS,
    )


@router.get("/articles")
def items_page(request: Request, ctx: Ctx = Depends(member)) -> Response:
    return _page(request, ctx, {"unit": "C62", "vat_rate": "20", "nature": "services"}, {})


@router.get("/articles.csv")
def items_csv(request: Request, ctx: Ctx = Depends(member)) -> Response:
    with ctx.uow.read() as repo:
        items = repo.list_items(ctx.company_id)
    rows = [[i.code, i.description, i.unit, i.unit_price, i.vat_rate, i.nature] for i in items]
    return csv_response(
        "articles.csv", ["code", "description", "unit", "unit_price", "vat_rate", "nature"], rows
    )


@router.post("/articles")
async def create_item(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    form = await request.form()
    problems: list[Problem] = []
    price = parse_decimal(text(form, "unit_price"), "unit_price", problems, required=True)
    rate = parse_decimal(text(form, "vat_rate"), "vat_rate", problems, required=True)
    unit = text(form, "unit") or "C62"
    if unit not in UNIT_LABELS:
        problems.append(Problem("INPUT-CHOICE", "unknown unit", field="unit"))
    try:
        if problems:
            raise ValidationError("invalid item", code="ITEM-INVALID", problems=problems)
        save_item(
            ctx.uow,
            ctx.company_id,
            code=text(form, "code"),
            description=text(form, "description"),
            unit=unit,
            unit_price=price or Decimal(0),
            vat_rate=rate or Decimal(0),
            nature=text(form, "nature") or "services",
        )
    except ValidationError as exc:
        return _page(request, ctx, to_plain(form), field_errors(exc.problems), status=422)
    flash(request, "Article ajouté au catalogue.")
    return RedirectResponse("/articles", status_code=303)
