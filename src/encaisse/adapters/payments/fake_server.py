"""A local stand-in for Stripe, for tests and demos: Checkout Session API, a checkout page, and
signed webhooks posted back to the application (loopback only).

- ``POST /v1/checkout/sessions`` (form-encoded, ``Authorization: Bearer``, ``Idempotency-Key``)
  answers like Stripe: ``{"id": "cs_test_…", "url": "…/checkout/cs_test_…", …}``;
- ``GET /checkout/{id}`` shows the amount and a « Payer » button;
- ``POST /checkout/{id}/pay`` marks it paid, posts the signed ``checkout.session.completed``
  event to ``state.webhook_url`` (``Stripe-Signature`` header) and redirects to the success URL.

:func:`serving` runs any ASGI app with uvicorn in a background thread on 127.0.0.1.
"""

from __future__ import annotations

import html
import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from encaisse.adapters.payments.signature import HEADER, sign_payload


def create_fake_stripe(webhook_secret: str, *, webhook_url: str = "", api_key: str = "") -> Starlette:
    """The fake provider app. ``app.state.webhook_url`` may be set after start; ``app.state.sessions``
    and ``app.state.deliveries`` (webhook status codes) are there for tests to look at."""
    ids = itertools.count(1)
    events = itertools.count(1)

    async def create_session(request: Request) -> Response:
        if api_key and request.headers.get("authorization") != f"Bearer {api_key}":
            return JSONResponse({"error": {"message": "Invalid API Key provided"}}, status_code=401)
        key = request.headers.get("idempotency-key", "")
        sessions: dict[str, dict[str, Any]] = request.app.state.sessions
        if key:
            for existing in sessions.values():
                if existing["idempotency_key"] == key:
                    return JSONResponse(existing)
        form = await request.form()
        try:
            cents = int(str(form["line_items[0][price_data][unit_amount]"]))
        except (KeyError, ValueError):
            return JSONResponse({"error": {"message": "Missing unit_amount"}}, status_code=400)
        session_id = f"cs_test_{next(ids):08d}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"{str(request.base_url).rstrip('/')}/checkout/{session_id}",
            "amount_total": cents,
            "currency": str(form.get("line_items[0][price_data][currency]", "eur")),
            "payment_status": "unpaid",
            "status": "open",
            "success_url": str(form.get("success_url", "")),
            "cancel_url": str(form.get("cancel_url", "")),
            "client_reference_id": str(form.get("client_reference_id", "")),
            "name": str(form.get("line_items[0][price_data][product_data][name]", "")),
            "idempotency_key": key,
        }
        sessions[session_id] = session
        return JSONResponse(session)

    async def checkout_page(request: Request) -> Response:
        session = request.app.state.sessions.get(request.path_params["session_id"])
        if session is None:
            return HTMLResponse("<h1>Session inconnue</h1>", status_code=404)
        euros = f"{session['amount_total'] / 100:.2f}".replace(".", ",")
        page = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Paiement (fournisseur de test)</title></head><body>
<h1>Paiement sécurisé (test)</h1>
<p>{html.escape(session["name"])} : <strong id="amount">{euros} €</strong></p>
<form method="post" action="/checkout/{session["id"]}/pay">
<label>Carte <input name="card" value="4242 4242 4242 4242"></label>
<button type="submit" id="pay">Payer</button></form>
<p><a href="{html.escape(session["cancel_url"])}">Annuler</a></p></body></html>"""
        return HTMLResponse(page)

    async def pay(request: Request) -> Response:
        session = request.app.state.sessions.get(request.path_params["session_id"])
        if session is None:
            return HTMLResponse("<h1>Session inconnue</h1>", status_code=404)
        session["payment_status"] = "paid"
        session["status"] = "complete"
        created = int(time.time())
        event = {
            "id": f"evt_test_{next(events):08d}",
            "object": "event",
            "type": "checkout.session.completed",
            "created": created,
            "data": {"object": {k: v for k, v in session.items() if k != "idempotency_key"}},
        }
        payload = json.dumps(event).encode("utf-8")
        request.app.state.events.append((payload, event))
        target = request.app.state.webhook_url
        if target:
            headers = {HEADER: sign_payload(payload, webhook_secret, timestamp=created)}
            headers["Content-Type"] = "application/json"
            try:
                async with httpx.AsyncClient(timeout=10) as client:
                    answer = await client.post(target, content=payload, headers=headers)
                request.app.state.deliveries.append(answer.status_code)
            except httpx.HTTPError:
                request.app.state.deliveries.append(0)
        return RedirectResponse(session["success_url"], status_code=303)

    app = Starlette(
        routes=[
            Route("/v1/checkout/sessions", create_session, methods=["POST"]),
            Route("/checkout/{session_id}", checkout_page, methods=["GET"]),
            Route("/checkout/{session_id}/pay", pay, methods=["POST"]),
        ]
    )
    app.state.webhook_url = webhook_url
    app.state.sessions = {}
    app.state.events = []
    app.state.deliveries = []
    return app


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: Any, *, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """Run ``app`` with uvicorn in a daemon thread; yields its base URL, stops it on exit."""
    chosen = port or free_port(host)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=chosen, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{chosen}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"server on {host}:{chosen} did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{chosen}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
