"""Jinja2 environment (autoescape on), French display filters, navigation and page rendering.

Templates hold no business logic: they receive read models and format them with the filters
below, which all go through :mod:`encaisse.adapters.pdf.fr_format` (French typography).
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, StreamingResponse

from encaisse.adapters.pdf.fr_format import (
    fr_amount,
    fr_date,
    fr_iban,
    fr_percent,
    fr_quantity,
    fr_siren,
    fr_unit,
    fr_unit_price,
)
from encaisse.adapters.web.context import Ctx
from encaisse.adapters.web.messages_fr import code_fr, problem_fr
from encaisse.adapters.web.security import csrf_token
from encaisse.domain.errors import Problem, Severity
from encaisse.domain.money import round_money, round_to

HERE = Path(__file__).parent

INVOICE_STATUS_FR = {
    "draft": "Brouillon",
    "issued": "Émise",
    "partially_paid": "Partiellement payée",
    "paid": "Payée",
    "cancelled": "Annulée",
}
INVOICE_KIND_FR = {"invoice": "Facture", "deposit": "Facture d'acompte", "credit_note": "Avoir"}
QUOTE_STATUS_FR = {
    "draft": "Brouillon",
    "sent": "Envoyé",
    "accepted": "Accepté",
    "refused": "Refusé",
    "expired": "Expiré",
    "invoiced": "Facturé",
}
ROLE_FR = {
    "owner": "Propriétaire",
    "staff": "Collaborateur",
    "accountant": "Expert-comptable (lecture seule)",
}
EXEMPTION_FR = {
    "": "Aucune (TVA due)",
    "reverse_charge": "Autoliquidation (sous-traitance BTP)",
    "intra_eu": "Livraison intracommunautaire (262 ter I)",
    "export": "Exportation (262 I)",
    "exempt_261": "Exonération article 261",
    "franchise": "Franchise en base (293 B)",
}
NATURE_FR = {"services": "Prestation de services", "goods": "Livraison de biens"}
PAYMENT_METHOD_FR = {
    "transfer": "Virement",
    "card": "Carte",
    "cheque": "Chèque",
    "cash": "Espèces",
    "sdd": "Prélèvement",
}
VAT_RATES_OFFERED = ("20", "10", "5.5", "2.1", "0")

#: (label, path, section) of the main navigation, in order (issue "Web app": one navigation).
NAV: tuple[tuple[str, str, str], ...] = (
    ("Tableau de bord", "/", "dashboard"),
    ("Clients", "/clients", "customers"),
    ("Articles", "/articles", "items"),
    ("Devis", "/devis", "quotes"),
    ("Factures", "/factures", "invoices"),
    ("Banque", "/banque", "bank"),
    ("Rapprochement", "/rapprochement", "reconcile"),
    ("Relances", "/relances", "reminders"),
    ("Trésorerie", "/tresorerie", "forecast"),
    ("Comptabilité", "/comptabilite", "accounting"),
    ("Fournisseurs", "/fournisseurs", "suppliers"),
    ("Paramètres", "/parametres", "settings"),
)


def fast_eur(value: Decimal) -> str:
    """``fr_amount(value, "EUR")`` without babel (a list page shows a hundred amounts).

    Same rounding (half-up to the cent) and the same typography: U+202F between thousands, a decimal
    comma, U+00A0 before the sign (tests compare both on many values).
    """
    grouped = f"{round_money(value):,.2f}"  # "-1,234.56"
    return grouped.replace(",", "\u202f").replace(".", ",") + "\u00a0€"


def _grouped(value: Decimal, min_decimals: int, max_decimals: int) -> str:
    """``value`` rounded half-up to ``max_decimals``, French digits: ``-1 234,5`` (U+202F groups)."""
    text = f"{round_to(value, max_decimals):,f}"
    if max_decimals > min_decimals:
        whole, _, frac = text.partition(".")
        frac = frac.rstrip("0").ljust(min_decimals, "0")
        text = f"{whole}.{frac}" if frac else whole
    return text.replace(",", "\u202f").replace(".", ",")


def fast_number(value: Decimal, max_decimals: int = 4) -> str:
    """``fr_number(value, max_decimals)`` without babel (quantities and rates of invoice lines)."""
    return _grouped(value, 0, max_decimals)


def fast_unit_price_eur(value: Decimal) -> str:
    """``fr_unit_price(value, "EUR")`` without babel: 2 to 4 decimals."""
    return _grouped(value, 2, 4) + "\u00a0€"


def _quantity(value: Decimal) -> str:
    return fast_number(value, 4) if value.is_finite() else fr_quantity(value)


def _percent(value: Decimal) -> str:
    return f"{fast_number(value, 4)}\u00a0%" if value.is_finite() else fr_percent(value)


def _unit_price(value: Decimal, currency: str = "EUR") -> str:
    if currency == "EUR" and value.is_finite():
        return fast_unit_price_eur(value)
    return fr_unit_price(value, currency)


def _amount(value: Decimal | None, currency: str = "EUR") -> str:
    if value is None:
        return "—"
    if currency == "EUR" and value.is_finite():
        return fast_eur(value)
    return fr_amount(value, currency)


def _date(value: date | None) -> str:
    return "—" if value is None else fr_date(value)


def _siren(value: str) -> str:
    return fr_siren(value) if value else "—"


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        amount=_amount,
        date_fr=_date,
        percent=_percent,
        quantity=_quantity,
        unit=fr_unit,
        unit_price=_unit_price,
        siren=_siren,
        iban=fr_iban,
        invoice_status=lambda s: INVOICE_STATUS_FR.get(str(s), str(s)),
        invoice_kind=lambda s: INVOICE_KIND_FR.get(str(s), str(s)),
        quote_status=lambda s: QUOTE_STATUS_FR.get(str(s), str(s)),
        role=lambda s: ROLE_FR.get(str(s), str(s)),
        problem=problem_fr,
        code_fr=code_fr,
    )
    env.globals.update(
        NAV=NAV,
        EXEMPTION_FR=EXEMPTION_FR,
        NATURE_FR=NATURE_FR,
        PAYMENT_METHOD_FR=PAYMENT_METHOD_FR,
        VAT_RATES=VAT_RATES_OFFERED,
        INVOICE_STATUS_FR=INVOICE_STATUS_FR,
        INVOICE_KIND_FR=INVOICE_KIND_FR,
        QUOTE_STATUS_FR=QUOTE_STATUS_FR,
        ROLE_FR=ROLE_FR,
    )
    return env


templates = Jinja2Templates(env=make_environment())


def flash(request: Request, message: str, kind: str = "success") -> None:
    """A message shown once on the next page (stored in the signed session)."""
    messages = list(request.session.get("flash", []))
    messages.append([kind, message[:300]])
    request.session["flash"] = messages[-5:]


def render(
    request: Request,
    template: str,
    ctx: Ctx | None,
    *,
    status_code: int = 200,
    section: str = "",
    title: str = "",
    **data: Any,
) -> HTMLResponse:
    flashes = request.session.pop("flash", [])
    context: dict[str, Any] = {
        "me": ctx,
        "csrf": csrf_token(request),
        "section": section,
        "title": title,
        "flashes": flashes,
        "errors": {},
        "form": {},
        **data,
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)


#: Stands for the session's CSRF token in cached pages (replaced on the way out); random per process.
CSRF_PLACEHOLDER = "csrf-placeholder-" + secrets.token_urlsafe(24)


def render_cached(
    request: Request,
    template: str,
    ctx: Ctx,
    key: Hashable,
    build: Callable[[], dict[str, Any]],
    *,
    section: str = "",
    title: str = "",
    depends_on: tuple[object, ...] = (),
) -> HTMLResponse:
    """``render(request, template, ctx, **build())``, the HTML cached under the data version.

    The page must be a function of the data (at ``ctx.version``), of who is asking (user, company:
    part of the cache key), of ``key`` (whatever else the page shows: filters, page number, day)
    and of the objects of ``depends_on`` (compared by identity); the session's CSRF token is
    rendered as a placeholder and put in on the way out. Pages with flash messages, or without a
    known data version, are rendered as usual. ``build`` may also give ``title`` and ``section``.
    """
    cache = ctx.state.cache
    if ctx.version is None or not cache.enabled or request.session.get("flash"):
        return render(request, template, ctx, **{"section": section, "title": title, **build()})
    request.session.pop("flash", None)
    token = csrf_token(request)

    def compute() -> tuple[tuple[object, ...], str]:
        context: dict[str, Any] = {
            "request": request,
            "me": ctx,
            "csrf": CSRF_PLACEHOLDER,
            "section": section,
            "title": title,
            "flashes": [],
            "errors": {},
            "form": {},
            **build(),
        }
        return depends_on, templates.get_template(template).render(context)

    # ids of depends_on are only reused once their objects are gone, and the entry keeps them alive.
    full_key = ("html", template, key, ctx.user.id, ctx.company_id, tuple(id(d) for d in depends_on))
    _, html = cache.get(full_key, compute, version=ctx.version)
    return HTMLResponse(html.replace(CSRF_PLACEHOLDER, token))


def field_errors(problems: Sequence[Problem], prefix: str = "") -> dict[str, list[str]]:
    """French messages by form field (``lines[2].quantity``); ``prefix`` is stripped from paths."""
    out: dict[str, list[str]] = {}
    for p in problems:
        key = p.field or "_"
        if prefix and key.startswith(prefix):
            key = key[len(prefix) :]
        message = problem_fr(p)
        if p.severity is not Severity.ERROR:
            message = "Conseil : " + message
        out.setdefault(key, [])
        if message not in out[key]:
            out[key].append(message)
    return out


def query_string(params: Mapping[str, object], **changes: object) -> str:
    """The current filters with some changed (pagination and sort links)."""
    merged = {k: v for k, v in {**params, **changes}.items() if v is not None and v != ""}
    return "?" + urlencode({k: str(v) for k, v in merged.items()})


def _safe_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not execute (formula injection: = + - @ at the start)."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r" and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> StreamingResponse:
    """A CSV download (UTF-8 with BOM for spreadsheets, comma separated) streamed row by row."""

    def chunks() -> Iterator[bytes]:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        buf.write("\ufeff")
        writer.writerow(header)
        for i, row in enumerate(rows, 1):
            writer.writerow([_safe_cell(v) for v in row])
            if i % 500 == 0:
                yield buf.getvalue().encode()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue().encode()

    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
