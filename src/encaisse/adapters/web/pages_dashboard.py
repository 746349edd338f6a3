"""The dashboard: cash today, what customers owe, what is late, what to do today (SCENARIOS 1, 3)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from encaisse.adapters.store.web_reads import read_only
from encaisse.adapters.web.context import CSRF, Ctx, member
from encaisse.adapters.web.rendering import render_cached, templates
from encaisse.services.clock import today
from encaisse.services.dashboard import Dashboard, dashboard

router = APIRouter(dependencies=CSRF, include_in_schema=False)

#: How each "to do" kind is worded and where it leads.
TODO_FR = {
    "overdue_calls": ("facture(s) en retard à relancer", "/factures?statut=en_retard"),
    "drafts": ("brouillon(s) de facture à émettre", "/factures?statut=draft"),
    "quotes_accepted": ("devis accepté(s) à facturer", "/devis?statut=accepted"),
    "quotes_sent": ("devis envoyé(s) en attente de réponse", "/devis?statut=sent"),
    "bank_unmatched": ("opération(s) bancaire(s) à rapprocher", "/rapprochement"),
}


@router.get("/")
def dashboard_page(request: Request, ctx: Ctx = Depends(member)) -> Response:
    day = today()

    def compute() -> Dashboard:
        with read_only(ctx.uow) as repo:
            return dashboard(repo, ctx.company_id, day)

    def build() -> dict[str, Any]:
        board = ctx.state.cache.get(("dashboard", ctx.company_id, day), compute, version=ctx.version)
        return {"board": board, "todo_fr": TODO_FR, "cash_alerts": alerts}

    # The cash alerts come from the last forecast (pages_forecast, when that page exists), not from
    # the data version: the cached page is also keyed by them.
    alerts_of = templates.env.globals.get("cash_alerts_of")
    alerts = alerts_of(ctx) if callable(alerts_of) else None
    return render_cached(
        request,
        "dashboard.html",
        ctx,
        ("dashboard", day),
        build,
        section="dashboard",
        title="Tableau de bord",
        depends_on=(alerts,),
    )
