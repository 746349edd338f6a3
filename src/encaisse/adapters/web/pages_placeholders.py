"""Navigation entries whose pages come with later issues: a clear "bientôt disponible" page.

Only paths no router serves get a placeholder (``router_for(served)``), so adding the real page
(an optional router listed in ``app.OPTIONAL_ROUTERS``) replaces it without touching this module.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from encaisse.adapters.web.context import CSRF, Ctx, member
from encaisse.adapters.web.rendering import render

#: path -> (section, title, what the page will do)
PLACEHOLDERS: dict[str, tuple[str, str, str]] = {
    "/banque": (
        "bank",
        "Banque",
        "Importer vos relevés (CAMT.053, OFX, MT940, CFONB, CSV) et suivre vos comptes.",
    ),
    "/rapprochement": (
        "reconcile",
        "Rapprochement",
        "Associer chaque encaissement à ses factures, avec l'explication de chaque proposition.",
    ),
    "/relances": (
        "reminders",
        "Relances",
        "Relancer automatiquement les factures en retard, avec le bon ton au bon moment.",
    ),
    "/tresorerie": (
        "forecast",
        "Trésorerie",
        "Voir les semaines à venir : encaissements attendus, TVA, salaires, alertes.",
    ),
    "/comptabilite": ("accounting", "Comptabilité", "Écritures, exports pour votre expert-comptable et FEC."),
    "/fournisseurs": (
        "suppliers",
        "Fournisseurs",
        "Recevoir, valider et payer les factures de vos fournisseurs.",
    ),
}


def _endpoint(path: str) -> Callable[..., Response]:
    section, title, what = PLACEHOLDERS[path]

    def page(request: Request, ctx: Ctx = Depends(member)) -> Response:
        return render(request, "placeholder.html", ctx, section=section, title=title, what=what)

    page.__name__ = f"placeholder_{section}"
    return page


def router_for(served: set[str]) -> APIRouter:
    """Placeholder pages for the navigation paths not already served by a real page."""
    router = APIRouter(dependencies=CSRF, include_in_schema=False)
    for path in PLACEHOLDERS:
        if path not in served:
            router.add_api_route(path, _endpoint(path), methods=["GET"], name=f"placeholder:{path}")
    return router
