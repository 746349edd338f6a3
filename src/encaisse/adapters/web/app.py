"""The FastAPI application: French server-rendered pages and the JSON API ``/api/v1``.

``create_app(settings)`` wires the store, the signed-cookie sessions, the security headers and the
routers. Pages and API call the same use cases (``encaisse.services``). Routers written for later
issues are picked up when their module exists (:data:`OPTIONAL_ROUTERS`); a navigation entry
without a page shows a "bientôt disponible" page (:mod:`.pages_placeholders`).
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from encaisse.adapters.store.db import make_engine
from encaisse.adapters.store.web_reads import DataVersion
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
    "public_quotes",
    "pages_bank",
    "pages_bank_sync",
    "pages_reconcile",
    "pages_reminders",
    "pages_forecast",
    "pages_accounting",
    "pages_suppliers",
)
#: Paths whose pages set their own headers (public payment pages, provider webhooks).
OWN_HEADERS_PREFIXES = ("/pay/", "/webhooks/", "/devis-en-ligne/")
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


def _too_large(accept: str) -> Response:
    if "text/html" in accept:
        html = (
            '<!doctype html><html lang="fr"><meta charset="utf-8"><title>Fichier trop volumineux</title>'
            f"<main><h1>Fichier trop volumineux</h1><p>{code_fr('TOO-LARGE')}</p>"
            '<p><a href="javascript:history.back()">Revenir à la page précédente</a></p></main></html>'
        )
        return HTMLResponse(html, status_code=413)
    body = {"code": "TOO-LARGE", "message": code_fr("TOO-LARGE"), "problems": []}
    return JSONResponse(body, status_code=413)


class GuardMiddleware:
    """Refuses bodies over the size limit; adds the security headers and ``cache-control: no-store``.

    A plain ASGI middleware (a ``BaseHTTPMiddleware`` costs a task and a stream per request).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = Headers(scope=scope)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > UPLOAD_LIMITS.get(path, MAX_BODY_BYTES):
            await _too_large(headers.get("accept", ""))(scope, receive, send)
            return
        security = not path.startswith(OWN_HEADERS_PREFIXES)
        no_store = not path.startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                if security:
                    for key, value in SECURITY_HEADERS.items():
                        out.setdefault(key, value)
                if no_store:
                    out.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: Worker threads of the synchronous pages (anyio's default is 40). Python runs one thread at a
#: time: beyond a few (enough to overlap database waits), more threads only add switching, and under
#: load the requests queue fairly in the event loop instead. ENCAISSE_WEB_THREADS overrides.
DEFAULT_THREADS = 6
#: Collections of the youngest generation every 10 000 new objects instead of 700: a page allocates
#: thousands of short-lived objects (freed by reference counting anyway).
GC_GEN0_THRESHOLD = 10_000
_tuned_gc: list[bool] = []  # once per process


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[None]:
    """Process tuning while the app serves: thread pool size, garbage collector."""
    threads = int(os.environ.get("ENCAISSE_WEB_THREADS", DEFAULT_THREADS) or DEFAULT_THREADS)
    anyio.to_thread.current_default_thread_limiter().total_tokens = max(threads, 2)
    if not _tuned_gc:
        _tuned_gc.append(True)
        gc.collect()
        gc.freeze()  # what exists once started (modules, app, templates) is never scanned again
        first, *rest = gc.get_threshold()
        gc.set_threshold(max(first, GC_GEN0_THRESHOLD), *rest)
    try:
        yield
    finally:
        state = app.state.web
        if isinstance(state, WebState):
            state.versions.close()


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
        lifespan=serving,
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
        versions=DataVersion(engine),
    )
    errors.install(app)

    app.add_middleware(GuardMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key,
        session_cookie="encaisse_session",
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    # Routes are matched in order: the most visited pages first (no path of one overlaps another's).
    for module in (
        pages_dashboard,
        pages_invoices,
        pages_auth,
        pages_customers,
        pages_items,
        pages_quotes,
        pages_settings,
    ):
        app.include_router(module.router)
    app.include_router(api.router)
    app.state.optional_routers = _optional_routers(app)
    app.include_router(pages_placeholders.router_for(_served_paths(app)))
    return app
