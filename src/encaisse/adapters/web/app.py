"""The FastAPI application: French server-rendered pages and the JSON API ``/api/v1``.

``create_app(settings)`` wires the store, the signed-cookie sessions, the security headers and the
routers. Pages and API call the same use cases (``encaisse.services``). Routers written for later
issues are picked up when their module exists (:data:`OPTIONAL_ROUTERS`); a navigation entry
without a page shows a "bientôt disponible" page (:mod:`.pages_placeholders`).
"""

from __future__ import annotations

import importlib
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.staticfiles import StaticFiles

from encaisse.adapters.store.db import make_engine
from encaisse.adapters.web import (
    api,
    errors,
    pages_auth,
    pages_customers,
    pages_dashboard,
    pages_invoices,
    pages_items,
    pages_placeholders,
    pages_quotes,
    pages_settings,
)
from encaisse.adapters.web.context import WebState
from encaisse.adapters.web.messages_fr import code_fr
from encaisse.adapters.web.read_cache import DEFAULT_TTL_S, CachingUnitOfWork, ReadCache
from encaisse.adapters.web.security import SECURITY_HEADERS, LoginRateLimiter
from encaisse.settings import Settings, load_settings

log = logging.getLogger(__name__)

#: Routers of other issues, included when their module exists (public payment page and webhooks,
#: bank, reconciliation, reminders, forecast, accounting, suppliers). Each exposes ``router``.
OPTIONAL_ROUTERS = (
    "public_payment",
    "pages_bank",
    "pages_reconcile",
    "pages_reminders",
    "pages_forecast",
    "pages_accounting",
    "pages_suppliers",
)
#: Paths whose pages set their own headers (public payment pages, provider webhooks).
OWN_HEADERS_PREFIXES = ("/pay/", "/webhooks/")
MAX_BODY_BYTES = 2 * 1024 * 1024
#: File uploads allowed beyond the default body limit: statements (50 MB) and supplier e-invoices (20 MB).
UPLOAD_LIMITS = {"/banque/releves": 50 * 1024 * 1024, "/fournisseurs/factures": 21 * 1024 * 1024}
SESSION_MAX_AGE_S = 14 * 24 * 3600


def _optional_routers(app: FastAPI) -> list[str]:
    included = []
    for name in OPTIONAL_ROUTERS:
        try:
            module = importlib.import_module(f"encaisse.adapters.web.{name}")
        except ImportError as exc:
            if exc.name != f"encaisse.adapters.web.{name}":
                log.warning("router %s could not be imported: %s", name, exc)
            continue
        app.include_router(module.router)
        included.append(name)
    return included


def route_table(app: FastAPI) -> list[tuple[str, frozenset[str]]]:
    """(path, methods) of every route, included routers flattened (mounts have no methods)."""
    return [(rc.path or "", frozenset(rc.methods or ())) for rc in iter_route_contexts(app.routes)]


def _served_paths(app: FastAPI) -> set[str]:
    return {path for path, methods in route_table(app) if "GET" in methods}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web application over ``settings.database_url`` (environment settings by default)."""
    settings = settings or load_settings()
    engine = make_engine(settings.database_url)
    app = FastAPI(
        title="Encaisse API",
        version="1",
        description="Factures, devis, clients et encaissements — API REST de l'application Encaisse.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    secret_key = settings.secret_key or secrets.token_urlsafe(48)
    cache = ReadCache(float(os.environ.get("ENCAISSE_WEB_CACHE_TTL", DEFAULT_TTL_S)))
    app.state.web = WebState(
        settings=settings,
        secret_key=secret_key,
        engine=engine,
        uow=CachingUnitOfWork(engine, cache),
        cache=cache,
        limiter=LoginRateLimiter(settings.login_rate_limit),
    )
    errors.install(app)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length", "")
        limit = UPLOAD_LIMITS.get(request.url.path, MAX_BODY_BYTES)
        if length.isdigit() and int(length) > limit:
            body = {"code": "TOO-LARGE", "message": code_fr("TOO-LARGE"), "problems": []}
            if "text/html" in request.headers.get("accept", ""):
                html = (
                    '<!doctype html><html lang="fr"><meta charset="utf-8"><title>Fichier trop volumineux</title>'
                    f"<main><h1>Fichier trop volumineux</h1><p>{code_fr('TOO-LARGE')}</p>"
                    '<p><a href="javascript:history.back()">Revenir à la page précédente</a></p></main></html>'
                )
                return HTMLResponse(html, status_code=413)
            return JSONResponse(body, status_code=413)
        response = await call_next(request)
        path = request.url.path
        if not path.startswith(OWN_HEADERS_PREFIXES):
            for key, value in SECURITY_HEADERS.items():
                response.headers.setdefault(key, value)
        if not path.startswith("/static/"):
            response.headers.setdefault("cache-control", "no-store")
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key,
        session_cookie="encaisse_session",
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for module in (
        pages_auth,
        pages_dashboard,
        pages_customers,
        pages_items,
        pages_quotes,
        pages_invoices,
        pages_settings,
    ):
        app.include_router(module.router)
    app.include_router(api.router)
    app.state.optional_routers = _optional_routers(app)
    app.include_router(pages_placeholders.router_for(_served_paths(app)))
    return app
