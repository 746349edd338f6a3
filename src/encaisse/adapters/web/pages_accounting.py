"""Comptabilité: the journals of a fiscal year with the FEC's own checks, the VAT of a month, aged
receivables and DSO, and the downloads for the accountant (FEC of a year, monthly zip package).

Every member reads and downloads, the accountant included (SCENARIOS §6); nothing here writes.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from encaisse.adapters.pdf.fr_format import fr_amount, fr_number
from encaisse.adapters.web.context import CSRF, Ctx, member
from encaisse.adapters.web.rendering import render
from encaisse.domain import ledger
from encaisse.domain.errors import ValidationError
from encaisse.domain.ledger import AGE_BUCKETS, Period
from encaisse.domain.numbering import fiscal_year_of
from encaisse.services import accounting
from encaisse.services.clock import today

router = APIRouter(dependencies=CSRF, include_in_schema=False)
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
BUCKETS_FR = dict(
    zip(
        AGE_BUCKETS,
        ("Non échu", "1 à 30 jours", "31 à 60 jours", "61 à 90 jours", "Plus de 90 jours"),
        strict=True,
    )
)
MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
AGED_ROWS = 25


def _year(request: Request, ctx: Ctx, day: date) -> int:
    raw = request.query_params.get("annee", "")
    current = fiscal_year_of(day, ctx.company.fiscal_year_end_month)
    return int(raw) if raw.isdigit() and len(raw) == 4 and 1900 < int(raw) <= current + 1 else current


def _month(request: Request, day: date) -> tuple[int, int]:
    """The chosen month, by default the previous one (the one to declare and send)."""
    found = _MONTH.match(request.query_params.get("mois", ""))
    if found and 1900 < int(found.group(1)) < 3000:
        return int(found.group(1)), int(found.group(2))
    previous = day.replace(day=1) - timedelta(days=1)
    return previous.year, previous.month


def _books(ctx: Ctx, year: int) -> accounting.Books:
    def compute() -> accounting.Books:
        with ctx.uow.read() as repo:
            return accounting.books_in(repo, ctx.company_id, year)

    return ctx.state.cache.get(("accounting-books", ctx.company_id, year), compute)


@router.get("/comptabilite")
def accounting_page(request: Request, ctx: Ctx = Depends(member)) -> Response:
    day = today()
    year = _year(request, ctx, day)
    month_year, month = _month(request, day)
    book = _books(ctx, year)
    fec = ctx.state.cache.get(("accounting-fec", ctx.company_id, year), lambda: accounting.fec_of(book))
    month_book = book
    if fiscal_year_of(date(month_year, month, 1), ctx.company.fiscal_year_end_month) != year:
        month_book = _books(
            ctx, fiscal_year_of(date(month_year, month, 1), ctx.company.fiscal_year_end_month)
        )
    vat = ledger.vat_report(month_book.entries, Period.month(month_year, month))
    report = accounting.receivables_of(book.invoices, day)
    first = min((inv.issue_date for inv in book.invoices), default=day)
    years = list(
        range(
            fiscal_year_of(day, ctx.company.fiscal_year_end_month),
            fiscal_year_of(first, ctx.company.fiscal_year_end_month) - 1,
            -1,
        )
    )
    return render(
        request,
        "accounting/index.html",
        ctx,
        section="accounting",
        title="Comptabilité",
        book=book,
        fec=fec,
        year=year,
        years=years,
        month_value=f"{month_year}-{month:02d}",
        month_label=f"{MONTHS_FR[month - 1]} {month_year}",
        vat=vat,
        vat_euros=fr_amount(vat.net_due_euros, cents=False),
        aged=report.aged,
        aged_rows=report.aged.rows[:AGED_ROWS],
        buckets=[BUCKETS_FR[b] for b in AGE_BUCKETS],
        dso=None if report.dso is None else fr_number(report.dso, 1),
        dso_days=report.dso_days,
        today=day,
    )


@router.get("/comptabilite/fec")
def fec_download(request: Request, ctx: Ctx = Depends(member)) -> Response:
    """The FEC of the chosen fiscal year, refused when it fails its own checks (FEC-*)."""
    year = _year(request, ctx, today())
    book = _books(ctx, year)
    result = accounting.fec_of(book)
    if result.errors:
        raise ValidationError(
            f"the FEC of {year} fails its checks", code=result.errors[0].code, problems=result.errors
        )
    return Response(
        result.data,
        media_type="text/plain; charset=iso-8859-15",
        headers={"content-disposition": f'attachment; filename="{result.filename}"'},
    )


@router.get("/comptabilite/envoi")
def package_download(request: Request, ctx: Ctx = Depends(member)) -> Response:
    """The month's entries and invoice PDFs in one zip for the accountant."""
    from encaisse.adapters.pdf.documents import invoice_pdf_bytes

    year, month = _month(request, today())
    package = accounting.monthly_package(
        ctx.uow.read, ctx.company_id, year, month, render_pdf=invoice_pdf_bytes
    )
    return Response(
        package.data,
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{package.filename}"'},
    )
