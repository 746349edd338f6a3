"""Who is asking, for which company, with which role: the FastAPI dependencies of every page.

The session (a signed cookie) holds the user id, the chosen company and a fingerprint of the
password hash; every request reloads the user and its memberships (one query, which also reads
the data version of :mod:`.read_cache`), so a removed member or a changed password takes effect at
once; the company itself is cached under that data version. Roles (DESIGN "membership"): ``owner``
does everything, ``staff`` works on documents, customers and the bank, ``accountant`` reads and
exports.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Path
from sqlalchemy.engine import Engine
from starlette.requests import Request

from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.adapters.store.web_reads import DataVersion, principal, read_only
from encaisse.adapters.web.read_cache import ReadCache
from encaisse.adapters.web.security import LoginRateLimiter, check_csrf, session_fingerprint
from encaisse.domain.errors import EncaisseError, ForbiddenError
from encaisse.domain.parties import Company
from encaisse.services.ports import UserRecord
from encaisse.settings import Settings

#: A database id in a URL: out-of-range values are "not found", never a database error.
MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]

OWNER, STAFF, ACCOUNTANT = "owner", "staff", "accountant"
WRITERS = (OWNER, STAFF)


class LoginRequiredError(EncaisseError):
    """No valid session: pages redirect to the login page, the API answers 401."""

    code = "UNAUTHORIZED"


@dataclass
class WebState:
    settings: Settings
    secret_key: str
    engine: Engine
    uow: SqlUnitOfWork
    limiter: LoginRateLimiter
    cache: ReadCache
    #: One per app: SQLite's data version only compares between reads of the same connection.
    versions: DataVersion
    extra: dict[str, Any] = field(default_factory=dict)


def state_of(request: Request) -> WebState:
    st = request.app.state.web
    assert isinstance(st, WebState)
    return st


@dataclass(frozen=True)
class Ctx:
    """The signed-in user acting for one company."""

    user: UserRecord
    company: Company
    role: str
    companies: tuple[tuple[int, str], ...]  # (id, name) of every company the user belongs to
    state: WebState
    #: The data version read with the user (None when unknown): the key of versioned cache entries.
    version: Hashable | None = None

    @property
    def company_id(self) -> int:
        assert self.company.id is not None
        return self.company.id

    @property
    def uow(self) -> SqlUnitOfWork:
        return self.state.uow

    @property
    def actor(self) -> str:
        return self.user.email

    @property
    def can_write(self) -> bool:
        return self.role in WRITERS

    @property
    def is_owner(self) -> bool:
        return self.role == OWNER


def load_ctx(request: Request) -> Ctx:
    """The session's user and company, reloaded from the store; LoginRequiredError when absent/stale."""
    st = state_of(request)
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        raise LoginRequiredError("login required")
    with read_only(st.uow) as repo:
        found = principal(repo.conn, st.versions, uid)
        if found is None or request.session.get("fp") != session_fingerprint(found.user.password_hash):
            request.session.clear()
            raise LoginRequiredError("login required")
        user = found.user
        if not user.memberships:
            raise ForbiddenError("this account belongs to no company", code="FORBIDDEN")
        cid = request.session.get("cid")
        roles = dict(user.memberships)
        if not isinstance(cid, int) or cid not in roles:
            cid = user.memberships[0][0]
            request.session["cid"] = cid
        companies = tuple((c, found.company_names[c]) for c, _ in user.memberships)
        version = found.version
        if version is not None and st.cache.enabled:
            company = st.cache.get(("company", cid), lambda: repo.get_company(cid), version=version)
        else:
            company = repo.get_company(cid)
    return Ctx(user=user, company=company, role=roles[cid], companies=companies, state=st, version=version)


def member(request: Request) -> Ctx:
    """Any member of the company (reading, exporting)."""
    return load_ctx(request)


def writer(request: Request) -> Ctx:
    """Owner or staff: documents, customers, items, bank."""
    ctx = load_ctx(request)
    if ctx.role not in WRITERS:
        raise ForbiddenError(f"role {ctx.role} is read-only", code="FORBIDDEN-ROLE")
    return ctx


def owner(request: Request) -> Ctx:
    """Owner only: company settings, users, API tokens."""
    ctx = load_ctx(request)
    if ctx.role != OWNER:
        raise ForbiddenError(f"role {ctx.role} cannot change settings", code="FORBIDDEN-ROLE")
    return ctx


#: Every HTML router carries this: unsafe methods need the session's CSRF token.
CSRF = [Depends(check_csrf)]
