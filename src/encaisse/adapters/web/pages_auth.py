"""Sign-up, login, logout, password reset and company switching.

Public pages: ``/connexion``, ``/inscription``, ``/mot-de-passe-oublie``, ``/mot-de-passe/nouveau``.
Login failures are rate-limited per (email, address); the session is renewed at login.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from encaisse.adapters.web import account_use_cases as accounts
from encaisse.adapters.web.context import CSRF, Ctx, member, state_of
from encaisse.adapters.web.forms import company_from_form, text, to_plain
from encaisse.adapters.web.rendering import field_errors, flash, render
from encaisse.adapters.web.security import (
    csrf_token,
    login_key,
    make_reset_token,
    read_reset_token,
    reset_token_matches,
    session_fingerprint,
)
from encaisse.domain.errors import ForbiddenError, Problem, ValidationError
from encaisse.domain.parties import Company, french_vat_number, is_valid_siren
from encaisse.services.accounts import authenticate

router = APIRouter(dependencies=CSRF, include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only local paths are followed after login (no open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def start_session(request: Request, user_id: int, password_hash: str, company_id: int | None) -> None:
    request.session.clear()
    request.session["uid"] = user_id
    request.session["fp"] = session_fingerprint(password_hash)
    if company_id is not None:
        request.session["cid"] = company_id
    csrf_token(request)


@router.get("/connexion")
def login_page(request: Request, suivant: str = "/") -> Response:
    if isinstance(request.session.get("uid"), int):
        return RedirectResponse(_safe_next(suivant), status_code=303)
    return render(request, "auth/login.html", None, title="Connexion", form={"suivant": suivant})


@router.post("/connexion")
async def login(request: Request) -> Response:
    form = await request.form()
    email, password = text(form, "email")[:200], str(form.get("password") or "")[:256]
    target = _safe_next(text(form, "suivant") or "/")
    st = state_of(request)
    key = login_key(email, request)
    values = {"email": email, "suivant": target}
    if st.limiter.blocked(key):
        errors = field_errors([Problem("LOGIN-RATE-LIMITED", "too many attempts")])
        return render(
            request, "auth/login.html", None, status_code=429, title="Connexion", form=values, errors=errors
        )
    with st.uow.read() as repo:
        user = authenticate(repo, email, password)
    if user is None:
        st.limiter.failure(key)
        errors = field_errors([Problem("LOGIN-FAILED", "wrong email or password")])
        return render(
            request, "auth/login.html", None, status_code=401, title="Connexion", form=values, errors=errors
        )
    st.limiter.success(key)
    first = user.memberships[0][0] if user.memberships else None
    start_session(request, user.id, user.password_hash, first)
    return RedirectResponse(target, status_code=303)


@router.post("/deconnexion")
def logout(request: Request) -> Response:
    request.session.clear()
    flash(request, "Vous êtes déconnecté·e. À bientôt !")
    return RedirectResponse("/connexion", status_code=303)


@router.get("/inscription")
def signup_page(request: Request) -> Response:
    return render(request, "auth/signup.html", None, title="Créer un compte", form={"legal_form": "SARL"})


@router.post("/inscription")
async def signup(request: Request) -> Response:
    form = await request.form()
    values = to_plain(form)
    values.pop("password", None)
    values.pop("password2", None)
    company, problems = company_from_form(form, Company(name="", siren=""))
    password = str(form.get("password") or "")
    if password != str(form.get("password2") or ""):
        problems.append(Problem("PASSWORD-MISMATCH", "passwords differ", field="password2"))
    st = state_of(request)
    try:
        uid, stored = accounts.sign_up(
            st.uow,
            company,
            email=text(form, "email"),
            name=text(form, "user_name"),
            password=password,
            form_problems=problems,
        )
    except ValidationError as exc:
        siren = "".join(ch for ch in values.get("siren", "") if ch.isdigit())
        vat = french_vat_number(siren) if is_valid_siren(siren) else ""
        errors = field_errors(exc.problems)
        return render(
            request,
            "auth/signup.html",
            None,
            status_code=422,
            title="Créer un compte",
            form=values,
            errors=errors,
            vat=vat,
        )
    with st.uow.read() as repo:
        user = repo.user_by_id(uid)
    assert user is not None
    start_session(request, uid, user.password_hash, stored.id)
    flash(
        request,
        f"Bienvenue ! {stored.name} est créée ; numéro de TVA intracommunautaire : {stored.vat_number}.",
    )
    return RedirectResponse("/", status_code=303)


@router.get("/mot-de-passe-oublie")
def forgot_page(request: Request) -> Response:
    return render(request, "auth/forgot.html", None, title="Mot de passe oublié")


@router.post("/mot-de-passe-oublie")
async def forgot(request: Request) -> Response:
    form = await request.form()
    email = text(form, "email")[:200].lower()
    st = state_of(request)
    with st.uow() as repo:
        user = repo.user_by_email(email) if "@" in email else None
        if user is not None:
            token = make_reset_token(st.secret_key, user.id, user.password_hash)
            link = f"{st.settings.base_url}/mot-de-passe/nouveau?jeton={quote(token)}"
            accounts.queue_reset_email(repo, user, link)
    return render(request, "auth/forgot.html", None, title="Mot de passe oublié", sent=True)


def _reset_user(request: Request, token: str) -> int:
    st = state_of(request)
    found = read_reset_token(st.secret_key, token)
    if found is None:
        raise ForbiddenError("invalid reset token", code="RESET-TOKEN-INVALID")
    uid, fingerprint = found
    with st.uow.read() as repo:
        user = repo.user_by_id(uid)
    if user is None or not reset_token_matches(fingerprint, user.password_hash):
        raise ForbiddenError("used or invalid reset token", code="RESET-TOKEN-INVALID")
    return uid


@router.get("/mot-de-passe/nouveau")
def reset_page(request: Request, jeton: str = "") -> Response:
    _reset_user(request, jeton)
    return render(request, "auth/reset.html", None, title="Nouveau mot de passe", form={"jeton": jeton})


@router.post("/mot-de-passe/nouveau")
async def reset(request: Request) -> Response:
    form = await request.form()
    token = text(form, "jeton")
    uid = _reset_user(request, token)
    password = str(form.get("password") or "")
    problems = []
    if password != str(form.get("password2") or ""):
        problems.append(Problem("PASSWORD-MISMATCH", "passwords differ", field="password2"))
    try:
        if problems:
            raise ValidationError("mismatch", code="PASSWORD-MISMATCH", problems=problems)
        accounts.set_password(state_of(request).uow, uid, password)
    except ValidationError as exc:
        return render(
            request,
            "auth/reset.html",
            None,
            status_code=422,
            title="Nouveau mot de passe",
            form={"jeton": token},
            errors=field_errors(exc.problems),
        )
    request.session.clear()
    flash(request, "Votre mot de passe est changé : connectez-vous.")
    return RedirectResponse("/connexion", status_code=303)


@router.get("/entreprises")
def companies_page(request: Request, ctx: Ctx = Depends(member)) -> Response:
    return render(request, "companies/list.html", ctx, title="Mes entreprises", form={"legal_form": "SARL"})


@router.post("/entreprises/choisir")
async def choose_company(request: Request, ctx: Ctx = Depends(member)) -> Response:
    form = await request.form()
    raw = text(form, "company_id")
    wanted = int(raw) if raw.isdigit() and len(raw) < 10 else -1
    if wanted not in {cid for cid, _ in ctx.user.memberships}:
        raise ForbiddenError("not a member of this company", code="FORBIDDEN")
    request.session["cid"] = wanted
    return RedirectResponse("/", status_code=303)


@router.post("/entreprises")
async def create_company(request: Request, ctx: Ctx = Depends(member)) -> Response:
    form = await request.form()
    company, problems = company_from_form(form, Company(name="", siren=""))
    try:
        if problems:
            raise ValidationError("invalid company", code=problems[0].code, problems=problems)
        stored = accounts.add_company_for(ctx.uow, ctx.user.id, company, actor=ctx.actor)
    except ValidationError as exc:
        errors = field_errors([*problems, *[p for p in exc.problems if p not in problems]])
        return render(
            request,
            "companies/list.html",
            ctx,
            status_code=422,
            title="Mes entreprises",
            form=to_plain(form),
            errors=errors,
        )
    request.session["cid"] = stored.id
    flash(request, f"{stored.name} est créée et sélectionnée.")
    return RedirectResponse("/", status_code=303)
