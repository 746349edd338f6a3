"""Settings (owner only): company identity and legal mentions, numbering, bank accounts, logo,
users and roles, API tokens."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from encaisse.adapters.web import account_use_cases as accounts
from encaisse.adapters.web.context import CSRF, Ctx, Id, member, owner, state_of
from encaisse.adapters.web.forms import (
    company_form_values,
    company_from_form,
    is_valid_bic,
    text,
    to_plain,
    upload,
)
from encaisse.adapters.web.rendering import field_errors, flash, render
from encaisse.adapters.web.security import make_reset_token
from encaisse.domain.errors import Problem, ValidationError
from encaisse.domain.parties import compact_digits, is_valid_iban
from encaisse.services.accounts import ROLES
from encaisse.services.companies import company_problems, normalize_company, update_company

router = APIRouter(dependencies=CSRF, include_in_schema=False)
MAX_LOGO_BYTES = 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


def logo_type(data: bytes) -> str | None:
    """``image/png`` or ``image/jpeg`` by content (magic bytes), None for anything else."""
    if data.startswith(PNG_MAGIC):
        return "image/png"
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg"
    return None


def _page(
    request: Request,
    ctx: Ctx,
    form: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    with ctx.uow.read() as repo:
        company = repo.get_company(ctx.company_id)
        accounts_list = repo.list_accounts(ctx.company_id)
    return render(
        request,
        "settings/company.html",
        ctx,
        status_code=status,
        section="settings",
        title="Paramètres",
        form=form if form is not None else company_form_values(company),
        errors=errors or {},
        company=company,
        bank_accounts=accounts_list,
    )


@router.get("/parametres")
def settings_page(request: Request, ctx: Ctx = Depends(owner)) -> Response:
    return _page(request, ctx)


@router.post("/parametres")
async def save_settings(request: Request, ctx: Ctx = Depends(owner)) -> Response:
    form = await request.form()
    with ctx.uow.read() as repo:
        current = repo.get_company(ctx.company_id)
    company, problems = company_from_form(form, current)
    try:
        if problems:
            more = [p for p in company_problems(normalize_company(company)) if p not in problems]
            raise ValidationError("invalid settings", code=problems[0].code, problems=problems + more)
        update_company(ctx.uow, company, actor=ctx.actor)
    except ValidationError as exc:
        return _page(request, ctx, to_plain(form), field_errors(exc.problems), 422)
    flash(request, "Paramètres enregistrés.")
    return RedirectResponse("/parametres", status_code=303)


@router.post("/parametres/logo")
async def save_logo(request: Request, ctx: Ctx = Depends(owner)) -> Response:
    form = await request.form()
    file = upload(form, "logo")
    data = await file.read(MAX_LOGO_BYTES + 1) if file is not None else b""
    if not data or len(data) > MAX_LOGO_BYTES or logo_type(data) is None:
        return _page(
            request, ctx, None, {"logo": field_errors([Problem("LOGO-INVALID", "bad logo")])["_"]}, 422
        )
    with ctx.uow.read() as repo:
        company = repo.get_company(ctx.company_id)
    update_company(ctx.uow, replace(company, logo=data), actor=ctx.actor)
    flash(request, "Logo enregistré : il figurera sur vos factures et devis.")
    return RedirectResponse("/parametres", status_code=303)


@router.get("/parametres/logo")
def show_logo(request: Request, ctx: Ctx = Depends(member)) -> Response:
    with ctx.uow.read() as repo:
        logo = repo.get_company(ctx.company_id).logo
    kind = logo_type(logo or b"")
    if not logo or kind is None:
        return Response(status_code=404)
    return Response(logo, media_type=kind)


@router.post("/parametres/comptes")
async def add_bank_account(request: Request, ctx: Ctx = Depends(owner)) -> Response:
    form = await request.form()
    iban, bic, name = (
        compact_digits(text(form, "account_iban")),
        text(form, "account_bic").upper(),
        text(form, "account_name"),
    )
    problems: list[Problem] = []
    if not is_valid_iban(iban):
        problems.append(Problem("IBAN-INVALID", "invalid IBAN", field="account_iban"))
    if bic and not is_valid_bic(bic):
        problems.append(Problem("BIC-INVALID", "invalid BIC", field="account_bic"))
    if len(name) > 100:
        problems.append(Problem("INPUT-TOO-LONG", "longer than 100", field="account_name"))
    if problems:
        return _page(request, ctx, None, field_errors(problems), 422)
    accounts.add_bank_account(ctx.uow, ctx.company_id, iban=iban, bic=bic, name=name, actor=ctx.actor)
    flash(request, "Compte bancaire ajouté.")
    return RedirectResponse("/parametres", status_code=303)


def _users_page(
    request: Request,
    ctx: Ctx,
    form: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    link: str = "",
) -> Response:
    with ctx.uow.read() as repo:
        members = repo.list_members(ctx.company_id)
    return render(
        request,
        "settings/users.html",
        ctx,
        status_code=status,
        section="settings",
        title="Utilisateurs",
        members=members,
        roles=ROLES,
        form=form or {"role": "staff"},
        errors=errors or {},
        link=link,
    )


@router.get("/parametres/utilisateurs")
def users_page(request: Request, ctx: Ctx = Depends(owner)) -> Response:
    return _users_page(request, ctx)


@router.post("/parametres/utilisateurs")
async def invite(request: Request, ctx: Ctx = Depends(owner)) -> Response:
    form = await request.form()
    email, name, role = text(form, "email"), text(form, "name"), text(form, "role")
    st = state_of(request)
    try:
        invitation = accounts.invite_member(
            ctx.uow, ctx.company_id, email=email, name=name, role=role, actor=ctx.actor
        )
    except ValidationError as exc:
        return _users_page(
            request, ctx, to_plain(form), field_errors(exc.problems or [Problem(exc.code, "")]), 422
        )
    link = ""
    if invitation.created:
        with ctx.uow() as repo:
            user = repo.user_by_id(invitation.user_id)
            assert user is not None
            token = make_reset_token(st.secret_key, user.id, user.password_hash)
            link = f"{st.settings.base_url}/mot-de-passe/nouveau?jeton={quote(token)}"
            accounts.queue_reset_email(repo, user, link)
    flash(request, f"{email} a maintenant accès à l'entreprise.")
    return _users_page(request, ctx, link=link)


@router.post("/parametres/utilisateurs/{user_id}/role")
async def set_role(request: Request, user_id: Id, ctx: Ctx = Depends(owner)) -> Response:
    form = await request.form()
    try:
        accounts.change_role(ctx.uow, ctx.company_id, user_id, text(form, "role"), actor=ctx.actor)
    except ValidationError as exc:
        return _users_page(request, ctx, None, field_errors(exc.problems or [Problem(exc.code, "")]), 409)
    flash(request, "Rôle modifié.")
    return RedirectResponse("/parametres/utilisateurs", status_code=303)


@router.post("/parametres/utilisateurs/{user_id}/retirer")
def remove_user(request: Request, user_id: Id, ctx: Ctx = Depends(owner)) -> Response:
    try:
        accounts.remove_member(ctx.uow, ctx.company_id, user_id, actor=ctx.actor)
    except ValidationError as exc:
        return _users_page(request, ctx, None, field_errors(exc.problems or [Problem(exc.code, "")]), 409)
    flash(request, "Accès retiré.")
    return RedirectResponse("/parametres/utilisateurs", status_code=303)


def _tokens_page(
    request: Request,
    ctx: Ctx,
    new_token: str = "",
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    with ctx.uow.read() as repo:
        tokens = repo.list_api_tokens(ctx.company_id)
    return render(
        request,
        "settings/tokens.html",
        ctx,
        status_code=status,
        section="settings",
        title="Jetons d'API",
        tokens=tokens,
        new_token=new_token,
        errors=errors or {},
    )


@router.get("/parametres/api")
def tokens_page(request: Request, ctx: Ctx = Depends(owner)) -> Response:
    return _tokens_page(request, ctx)


@router.post("/parametres/api")
async def create_token(request: Request, ctx: Ctx = Depends(owner)) -> Response:
    form = await request.form()
    try:
        token = accounts.create_api_token(
            ctx.uow, ctx.company_id, ctx.user.id, text(form, "name"), actor=ctx.actor
        )
    except ValidationError as exc:
        return _tokens_page(request, ctx, errors=field_errors(exc.problems), status=422)
    return _tokens_page(request, ctx, new_token=token)


@router.post("/parametres/api/{token_id}/revoquer")
def revoke_token(request: Request, token_id: Id, ctx: Ctx = Depends(owner)) -> Response:
    accounts.revoke_api_token(ctx.uow, ctx.company_id, token_id, actor=ctx.actor)
    flash(request, "Jeton révoqué.")
    return RedirectResponse("/parametres/api", status_code=303)
