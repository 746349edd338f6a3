"""Fournisseurs: the supplier e-invoice inbox (issue "Invoice documents" §4, SCENARIOS 7).

Upload a Factur-X PDF, a CII or a UBL XML: :func:`encaisse.services.inbox.import_einvoice` validates
it against EN 16931 (XSD + schematron) and stores it untouched with its hash (RET-E-ORIGINAL), or
refuses it with every failed rule (``BR-CO-10`` …) and stores nothing. A second copy of the same
invoice is reported "déjà reçue". The list warns in red when a supplier's IBAN changed (a classic
fraud: check by phone before paying) and gives back the original file, byte for byte.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from encaisse.adapters.pdf.fr_format import fr_amount, fr_date
from encaisse.adapters.web.context import CSRF, MAX_ID, Ctx, member, writer
from encaisse.adapters.web.forms import upload
from encaisse.adapters.web.messages_fr import problem_fr
from encaisse.adapters.web.rendering import flash, query_string, render
from encaisse.domain.errors import EncaisseError, NotFoundError, Problem, ValidationError
from encaisse.services.inbox import InboxResult, import_einvoice

router = APIRouter(dependencies=CSRF, include_in_schema=False)
PAGE_SIZE = 50
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # the inbox parser's own limit (formats.einvoice_in.MAX_BYTES)
RECEIVED_STATUS_FR = {
    "received": "Reçue",
    "iban_changed": "IBAN modifié : à vérifier",
    "approved": "Approuvée",
    "disputed": "En litige",
    "refused": "Refusée",
    "paid": "Payée",
}
_RULE_PREFIX = re.compile(r"^\[[A-Z0-9-]+\]\s*-?\s*")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class RuleFailure:
    """One failed validation rule: its id, its (official) message and how many times it fails."""

    code: str
    message: str
    count: int


def rule_failures(problems: list[Problem]) -> list[RuleFailure]:
    """Failed rules in order of first appearance, repeated ones counted once."""
    seen: dict[str, RuleFailure] = {}
    for p in problems:
        found = seen.get(p.code)
        if found is None:
            message = _RULE_PREFIX.sub("", p.message).strip() or problem_fr(p)
            seen[p.code] = RuleFailure(p.code, message[:400], 1)
        else:
            seen[p.code] = RuleFailure(found.code, found.message, found.count + 1)
    return list(seen.values())


def result_message(result: InboxResult) -> str:
    what = f"Facture {result.number} de {result.supplier_name}"
    if result.status == "duplicate":
        return f"{what} déjà reçue : rien n'a été ajouté."
    due = f", échéance le {fr_date(result.due_date)}" if result.due_date else ""
    return f"{what} reçue : {fr_amount(result.total_incl_tax)} TTC{due}."


def _inbox_page(
    request: Request,
    ctx: Ctx,
    *,
    errors: list[str] | None = None,
    failures: list[RuleFailure] | None = None,
    status: int = 200,
) -> Response:
    raw = request.query_params.get("page", "1")
    page = max(int(raw), 1) if raw.isdigit() and len(raw) < 7 else 1
    with ctx.uow.read() as repo:
        rows: list[dict[str, Any]] = repo.list_received(ctx.company_id)
    rows.sort(key=lambda r: (r["issue_date"], r["id"]), reverse=True)
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page = min(page, pages)
    params: dict[str, object] = {"page": page}
    return render(
        request,
        "suppliers/index.html",
        ctx,
        status_code=status,
        section="suppliers",
        title="Fournisseurs",
        rows=rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        total=len(rows),
        changed=sum(1 for r in rows if r["status"] == "iban_changed"),
        page=page,
        pages=pages,
        params=params,
        qs=query_string,
        status_fr=RECEIVED_STATUS_FR,
        upload_errors=errors or [],
        failures=failures or [],
        max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
    )


@router.get("/fournisseurs")
def inbox_page(request: Request, ctx: Ctx = Depends(member)) -> Response:
    return _inbox_page(request, ctx)


@router.post("/fournisseurs/factures")
async def upload_einvoice(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    form = await request.form()
    file = upload(form, "fichier")
    if file is None:
        return _inbox_page(request, ctx, errors=[problem_fr(Problem("UPLOAD-MISSING", ""))], status=422)
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if not data:
        return _inbox_page(request, ctx, errors=[problem_fr(Problem("UPLOAD-EMPTY", ""))], status=422)
    try:
        result = import_einvoice(ctx.uow, ctx.company_id, data, filename=file.filename or "", actor=ctx.actor)
    except ValidationError as exc:
        failures = rule_failures(exc.problems)
        lines = [problem_fr(Problem(exc.code, str(exc)))]
        if not failures:
            lines.append(f"Détail technique : {str(exc)[:300]}")
        return _inbox_page(request, ctx, errors=lines, failures=failures, status=422)
    except EncaisseError as exc:
        lines = [problem_fr(Problem(exc.code, str(exc))), f"Détail technique : {str(exc)[:300]}"]
        return _inbox_page(request, ctx, errors=lines, status=422)
    flash(request, result_message(result))
    if result.iban_changed:
        flash(
            request,
            f"Attention : l'IBAN de {result.supplier_name} sur cette facture diffère de celui enregistré. "
            "Vérifiez-le auprès du fournisseur par téléphone avant tout paiement.",
            "error",
        )
    for failure in rule_failures(list(result.warnings))[:3]:
        flash(request, f"Remarque {failure.code} : {failure.message}", "warn")
    return RedirectResponse("/fournisseurs", status_code=303)


def _download_name(filename: str, received_id: int) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return base or f"facture-fournisseur-{received_id}"


@router.get("/fournisseurs/original")
def original(request: Request, ctx: Ctx = Depends(member)) -> Response:
    """The received file exactly as it arrived (``?id=`` of the received invoice)."""
    raw = request.query_params.get("id", "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise NotFoundError("no received invoice id", code="RECEIVED-NOT-FOUND")
    with ctx.uow.read() as repo:
        found = repo.get_received_original(ctx.company_id, int(raw))
    if found is None:
        raise NotFoundError("received invoice not found", code="RECEIVED-NOT-FOUND")
    filename, data = found
    name = _download_name(filename, int(raw))
    media = "application/pdf" if b"%PDF-" in data[:1024] else "application/xml"
    ascii_name = _SAFE_NAME.sub("_", name)[:120] or "facture"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name[:200])}"
    return Response(
        data,
        media_type=media,
        headers={"content-disposition": disposition, "x-content-type-options": "nosniff"},
    )
