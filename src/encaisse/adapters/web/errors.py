"""One table maps error codes to HTTP status (DESIGN "Errors"); handlers for pages and the API.

The API answers ``{"code", "message", "problems": [{"code", "field", "message"}]}`` with French
messages; pages show a French error page. An unexpected exception is logged and answered with
a French 500 page (or JSON), never a traceback.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from encaisse.adapters.web.context import LoginRequiredError
from encaisse.adapters.web.messages_fr import code_fr, problem_fr
from encaisse.domain.errors import (
    EncaisseError,
    ForbiddenError,
    NotFoundError,
    Problem,
    TransitionError,
    ValidationError,
)

log = logging.getLogger(__name__)

#: Error code -> HTTP status. Codes not listed fall back on their exception class (below).
HTTP_STATUS_BY_CODE: dict[str, int] = {
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "FORBIDDEN-ROLE": 403,
    "CSRF": 403,
    "NOT-FOUND": 404,
    "COMPANY-NOT-FOUND": 404,
    "PARTY-NOT-FOUND": 404,
    "INVOICE-NOT-FOUND": 404,
    "QUOTE-NOT-FOUND": 404,
    "LIFECYCLE-FORBIDDEN": 409,
    "LIFECYCLE-TRANSITION": 409,
    "COMPANY-EXISTS": 409,
    "USER-EXISTS": 409,
    "MEMBER-EXISTS": 409,
    "LAST-OWNER": 409,
    "CN-REFERENCE": 409,
    "QUOTE-DEPOSIT-DRAFT": 409,
    "DEPOSIT-EXCEEDS-QUOTE": 409,
    "TOO-LARGE": 413,
    "LOGIN-RATE-LIMITED": 429,
    "PDF-UNAVAILABLE": 503,
}
_BY_CLASS: tuple[tuple[type[EncaisseError], int], ...] = (
    (LoginRequiredError, 401),
    (NotFoundError, 404),
    (ForbiddenError, 403),
    (TransitionError, 409),
    (ValidationError, 422),
)


def status_for(exc: EncaisseError) -> int:
    if exc.code in HTTP_STATUS_BY_CODE:
        return HTTP_STATUS_BY_CODE[exc.code]
    for cls, status in _BY_CLASS:
        if isinstance(exc, cls):
            return status
    return 422


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_body(code: str, problems: list[Problem] | None = None) -> dict[str, object]:
    return {
        "code": code,
        "message": code_fr(code),
        "problems": [{"code": p.code, "field": p.field, "message": problem_fr(p)} for p in problems or []],
    }


def _page(request: Request, status: int, code: str, problems: list[Problem] | None = None) -> Response:
    from encaisse.adapters.web.rendering import render

    titles = {401: "Connexion requise", 403: "Accès refusé", 404: "Introuvable", 409: "Action impossible"}
    response = render(
        request,
        "error.html",
        None,
        status_code=status,
        title=titles.get(status, "Erreur"),
        code=code,
        message=code_fr(code),
        problems=[problem_fr(p) for p in problems or []],
        back=request.headers.get("referer", "/") if request.method != "GET" else "/",
    )
    response.headers["x-error-code"] = code
    return response


async def on_encaisse_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EncaisseError)
    status = status_for(exc)
    if is_api(request):
        return JSONResponse(
            error_body(exc.code, exc.problems), status_code=status, headers={"x-error-code": exc.code}
        )
    if isinstance(exc, LoginRequiredError):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/connexion?suivant={quote(target, safe='')}", status_code=303)
    return _page(request, status, exc.code, exc.problems)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "NOT-FOUND", 405: "NOT-FOUND", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 413: "TOO-LARGE"}
    code = codes.get(exc.status_code, "ENCAISSE-ERROR")
    status = 404 if exc.status_code == 405 and not is_api(request) else exc.status_code
    if is_api(request):
        return JSONResponse(error_body(code), status_code=status, headers=exc.headers)
    return _page(request, status, code)


async def on_request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not is_api(request) and any(err.get("loc", ("",))[0] == "path" for err in exc.errors()):
        return _page(request, 404, "NOT-FOUND")
    problems = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path")]
        field = ".".join(loc)
        kind = str(err.get("type", ""))
        code = "INPUT-REQUIRED" if kind == "missing" else "INPUT-TYPE"
        problems.append(Problem(code, str(err.get("msg", "")), field=field))
    if is_api(request):
        return JSONResponse(error_body("INPUT-INVALID", problems), status_code=422)
    return _page(request, 422, "INPUT-INVALID", problems)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    if is_api(request):
        return JSONResponse(error_body("ENCAISSE-ERROR"), status_code=500)
    return HTMLResponse(_PAGE_500, status_code=500, headers={"x-error-code": "ENCAISSE-ERROR"})


_PAGE_500 = (
    '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Erreur · Encaisse</title>'
    '<link rel="stylesheet" href="/static/app.css"></head><body><main><h1>Une erreur inattendue est survenue</h1>'
    "<p>L'opération n'a pas abouti et rien n'a été enregistré à moitié. Réessayez dans un instant ; "
    'si le problème persiste, contactez le support.</p><p><a href="/">Retour au tableau de bord</a></p>'
    "</main></body></html>"
)


def install(app: FastAPI) -> None:
    app.add_exception_handler(EncaisseError, on_encaisse_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(Exception, on_unexpected)
