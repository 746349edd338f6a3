"""Jinja2 environment (autoescape on), French display filters, navigation and page rendering.

Templates hold no business logic: they receive read models and format them with the filters
below, which all go through :mod:`encaisse.adapters.pdf.fr_format` (French typography).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
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


def _amount(value: Decimal | None, currency: str = "EUR") -> str:
    return "—" if value is None else fr_amount(value, currency)


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
        percent=fr_percent,
        quantity=fr_quantity,
        unit=fr_unit,
        unit_price=fr_unit_price,
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
