"""Users, passwords (argon2) and memberships; roles per company: owner, staff, accountant."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from encaisse.domain.errors import ForbiddenError, Problem, ValidationError
from encaisse.services.ports import Repository, UserRecord

ROLES = ("owner", "staff", "accountant")
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problems(password: str) -> list[Problem]:
    if len(password) < 10:
        return [Problem("PASSWORD-WEAK", "password must have at least 10 characters", field="password")]
    if len(password) > 256:
        return [Problem("PASSWORD-LONG", "password is longer than 256 characters", field="password")]
    return []


def create_user(repo: Repository, email: str, name: str, password: str) -> int:
    email = email.strip().lower()
    problems = password_problems(password)
    if "@" not in email or len(email) > 200:
        problems.append(Problem("EMAIL-INVALID", "invalid email address", field="email"))
    if repo.user_by_email(email):
        problems.append(Problem("USER-EXISTS", "an account already exists for this email", field="email"))
    if problems:
        raise ValidationError("invalid account", code=problems[0].code, problems=problems)
    return repo.add_user(email, name.strip()[:200], hash_password(password))


def authenticate(repo: Repository, email: str, password: str) -> UserRecord | None:
    user = repo.user_by_email(email.strip().lower())
    if user is None:
        hash_password(password)  # same cost whether or not the account exists
        return None
    return user if verify_password(user.password_hash, password) else None


def role_in(user: UserRecord, company_id: int) -> str | None:
    for cid, role in user.memberships:
        if cid == company_id:
            return role
    return None


def require_role(user: UserRecord, company_id: int, *allowed: str) -> str:
    role = role_in(user, company_id)
    if role is None:
        raise ForbiddenError("not a member of this company", code="FORBIDDEN")
    if allowed and role not in allowed:
        raise ForbiddenError(f"role {role} cannot do this", code="FORBIDDEN-ROLE")
    return role
