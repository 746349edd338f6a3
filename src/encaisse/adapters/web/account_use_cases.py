"""Account actions of the web app, each one transaction: sign-up, another company, members, API
tokens, password reset.

They sit here because they combine users, companies and memberships in one transaction
(nothing stored half-way); they only use the Repository protocol and could move to
``services/accounts.py`` unchanged.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from encaisse.domain.errors import NotFoundError, Problem, ValidationError
from encaisse.domain.parties import Company, is_valid_siren
from encaisse.services import audit
from encaisse.services.accounts import ROLES, create_user, hash_password, password_problems
from encaisse.services.companies import add_company_in, checked_company, company_problems, normalize_company
from encaisse.services.ports import ApiTokenRecord, Repository, UnitOfWork, UserRecord

from .security import hash_api_token, new_api_token

log = logging.getLogger(__name__)


def sign_up(
    uow: UnitOfWork,
    company: Company,
    *,
    email: str,
    name: str,
    password: str,
    form_problems: Sequence[Problem] = (),
) -> tuple[int, Company]:
    """A new user owning a new company, in one transaction (every problem reported at once).

    ``form_problems`` are those the form itself found; they are reported with the others.
    """
    company = normalize_company(company)
    problems = [*form_problems, *company_problems(company), *password_problems(password)]
    if len(name) > 200:
        problems.append(Problem("INPUT-TOO-LONG", "longer than 200 characters", field="user_name"))
    with uow() as repo:
        problems += _email_problems(repo, email)
        if is_valid_siren(company.siren) and repo.company_by_siren(company.siren):
            problems.append(Problem("COMPANY-EXISTS", "SIREN already registered", field="siren"))
        if problems:
            raise ValidationError("invalid sign-up", code=problems[0].code, problems=problems)
        actor = email.strip().lower()
        uid = repo.add_user(actor, name.strip(), hash_password(password))
        stored = add_company_in(repo, company, actor=actor)
        repo.add_membership(uid, stored.id or 0, "owner")
        return uid, stored


def _email_problems(repo: Repository, email: str) -> list[Problem]:
    email = email.strip().lower()
    if "@" not in email or len(email) > 200:
        return [Problem("EMAIL-INVALID", "invalid email address", field="email")]
    if repo.user_by_email(email):
        return [Problem("USER-EXISTS", "an account already exists for this email", field="email")]
    return []


def add_company_for(uow: UnitOfWork, user_id: int, company: Company, *, actor: str) -> Company:
    """Another company owned by an existing user (a user may belong to several companies)."""
    company = checked_company(company)
    with uow() as repo:
        stored = add_company_in(repo, company, actor=actor)
        repo.add_membership(user_id, stored.id or 0, "owner")
        return stored


@dataclass(frozen=True)
class Invitation:
    user_id: int
    created: bool  # a new account was made: it needs a password-reset link to start


def invite_member(
    uow: UnitOfWork, company_id: int, *, email: str, name: str, role: str, actor: str
) -> Invitation:
    """Give a person access to the company; a new account gets a random password to be reset."""
    if role not in ROLES:
        raise ValidationError(
            "unknown role", code="ROLE-INVALID", problems=[Problem("ROLE-INVALID", "role", field="role")]
        )
    with uow() as repo:
        user = repo.user_by_email(email.strip().lower())
        created = user is None
        if user is None:
            uid = create_user(repo, email, name, secrets.token_urlsafe(24))
        else:
            uid = user.id
            if any(cid == company_id for cid, _ in user.memberships):
                raise ValidationError(
                    "already a member",
                    code="MEMBER-EXISTS",
                    problems=[Problem("MEMBER-EXISTS", "already a member", field="email")],
                )
        repo.add_membership(uid, company_id, role)
        audit.record(repo, company_id, "member.added", "user", uid, {"role": role}, actor=actor)
        return Invitation(uid, created)


def _member_role(repo: Repository, company_id: int, user_id: int) -> tuple[UserRecord, str]:
    for user, role in repo.list_members(company_id):
        if user.id == user_id:
            return user, role
    raise NotFoundError("member not found", code="NOT-FOUND")


def _owners(repo: Repository, company_id: int) -> int:
    return sum(1 for _, role in repo.list_members(company_id) if role == "owner")


def change_role(uow: UnitOfWork, company_id: int, user_id: int, role: str, *, actor: str) -> None:
    if role not in ROLES:
        raise ValidationError(
            "unknown role", code="ROLE-INVALID", problems=[Problem("ROLE-INVALID", "role", field="role")]
        )
    with uow() as repo:
        _, current = _member_role(repo, company_id, user_id)
        if current == "owner" and role != "owner" and _owners(repo, company_id) <= 1:
            raise ValidationError("the company needs an owner", code="LAST-OWNER")
        repo.set_membership_role(user_id, company_id, role)
        audit.record(repo, company_id, "member.role", "user", user_id, {"role": role}, actor=actor)


def remove_member(uow: UnitOfWork, company_id: int, user_id: int, *, actor: str) -> None:
    with uow() as repo:
        _, current = _member_role(repo, company_id, user_id)
        if current == "owner" and _owners(repo, company_id) <= 1:
            raise ValidationError("the company needs an owner", code="LAST-OWNER")
        repo.remove_membership(user_id, company_id)
        audit.record(repo, company_id, "member.removed", "user", user_id, {}, actor=actor)


def create_api_token(uow: UnitOfWork, company_id: int, user_id: int, name: str, *, actor: str) -> str:
    """A new API token; the clear value is returned once and never stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError(
            "token name",
            code="INPUT-REQUIRED",
            problems=[Problem("INPUT-REQUIRED", "1 to 100 characters", field="name")],
        )
    token = new_api_token()
    with uow() as repo:
        token_id = repo.add_api_token(company_id, user_id, name, hash_api_token(token))
        audit.record(
            repo, company_id, "api_token.created", "api_token", token_id, {"name": name}, actor=actor
        )
    return token


def revoke_api_token(uow: UnitOfWork, company_id: int, token_id: int, *, actor: str) -> None:
    with uow() as repo:
        if not repo.revoke_api_token(company_id, token_id):
            raise NotFoundError("token not found", code="NOT-FOUND")
        audit.record(repo, company_id, "api_token.revoked", "api_token", token_id, {}, actor=actor)


def token_owner(repo: Repository, token: str) -> tuple[ApiTokenRecord, UserRecord] | None:
    record = repo.api_token_by_hash(hash_api_token(token))
    if record is None:
        return None
    user = repo.user_by_id(record.user_id)
    return (record, user) if user is not None else None


def set_password(uow: UnitOfWork, user_id: int, password: str) -> None:
    problems = password_problems(password)
    if problems:
        raise ValidationError("weak password", code=problems[0].code, problems=problems)
    with uow() as repo:
        repo.set_password_hash(user_id, hash_password(password))


def queue_reset_email(repo: Repository, user: UserRecord, link: str) -> bool:
    """Queue the reset email in the mail queue (sent by the worker); False when it cannot be queued.

    The queue files every message under a company: the user's first one. The link is never logged.
    """
    if not user.memberships:
        log.info("password reset requested for user %s without company: nothing sent", user.id)
        return False
    try:
        from encaisse.services.mail_queue import enqueue
    except ImportError:  # pragma: no cover - the mail queue ships with the collections issue
        log.info("password reset requested for user %s; no mail queue installed", user.id)
        return False
    store: Any = repo
    if not hasattr(store, "add_email"):
        from encaisse.adapters.store.sql_repository import SqlRepository

        store = SqlRepository(getattr(repo, "conn"))  # noqa: B009 - the SQL repository's connection
    body = (
        "Bonjour,\n\nPour choisir votre mot de passe Encaisse, ouvrez ce lien (valable une heure) :\n"
        f"{link}\n\nSi vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n"
    )
    enqueue(store, user.memberships[0][0], user.email, "Encaisse : choix du mot de passe", body, kind="other")
    return True


def add_bank_account(uow: UnitOfWork, company_id: int, *, iban: str, bic: str, name: str, actor: str) -> int:
    """A bank account of the company (IBAN already checked); the same IBAN is not added twice."""
    with uow() as repo:
        account_id = repo.get_or_create_account(company_id, iban, bic=bic, name=name)
        audit.record(
            repo, company_id, "bank_account.added", "bank_account", account_id, {"iban": iban}, actor=actor
        )
        return account_id
