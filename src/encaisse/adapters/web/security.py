"""Web security pieces: CSRF tokens, login rate limit, password-reset tokens, API tokens, headers.

- CSRF: one random token per session, sent back in every HTML form (``csrf_token`` field) or the
  ``X-CSRF-Token`` header, compared in constant time on every POST/PUT/PATCH/DELETE of the HTML app.
- Login: at most ``limit`` failures per (email, client address) in a sliding 10-minute window,
  kept in memory (one process; a shared store would be needed behind several workers).
- Password reset: an itsdangerous token signed with the secret key, valid one hour, bound to the
  current password hash so it works once.
- API tokens: ``enc_`` + 32 random bytes; only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.requests import Request

from encaisse.domain.errors import ForbiddenError

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RESET_MAX_AGE_S = 3600
API_TOKEN_PREFIX = "enc_"


class CsrfError(ForbiddenError):
    code = "CSRF"


def csrf_token(request: Request) -> str:
    """This session's CSRF token (created on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request whose token does not match the session's (FastAPI dependency)."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else ""
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfError("missing or wrong CSRF token", code="CSRF")


class LoginRateLimiter:
    """Failed logins per key in a sliding window (SCENARIOS: accounts; settings.login_rate_limit)."""

    def __init__(self, limit: int = 10, window_s: float = 600.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def blocked(self, key: str, now: float | None = None) -> bool:
        with self._lock:
            return len(self._prune(key, time.monotonic() if now is None else now)) >= self.limit

    def failure(self, key: str, now: float | None = None) -> None:
        with self._lock:
            t = time.monotonic() if now is None else now
            self._prune(key, t).append(t)

    def success(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def login_key(email: str, request: Request) -> str:
    client = request.client.host if request.client else "?"
    return f"{email.strip().lower()}|{client}"


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def session_fingerprint(password_hash: str) -> str:
    """Stored in the session at login: a password change ends every other session."""
    return _fingerprint("session:" + password_hash)


def reset_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="encaisse.password-reset")


def make_reset_token(secret_key: str, user_id: int, password_hash: str) -> str:
    return str(reset_serializer(secret_key).dumps({"u": user_id, "p": _fingerprint(password_hash)}))


def read_reset_token(secret_key: str, token: str, max_age: int = RESET_MAX_AGE_S) -> tuple[int, str] | None:
    """(user id, password fingerprint) of a valid, unexpired token; None otherwise."""
    try:
        data = reset_serializer(secret_key).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("p"), str):
        return None
    return data["u"], data["p"]


def reset_token_matches(fingerprint: str, password_hash: str) -> bool:
    return hmac.compare_digest(fingerprint, _fingerprint(password_hash))


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


#: Headers on every HTML page (the public payment pages set their own policy).
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
}
