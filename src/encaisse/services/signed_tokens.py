"""Public tokens of stored nonces (payment links, quote links): the nonce signed with the secret key.

HMAC-SHA256 through itsdangerous, one salt per use so a token of one kind never opens the other.
Only the spelling that was signed is accepted: the last base64 character of a 32-byte signature
carries 2 unused bits, so 4 spellings decode to the same signature; the 3 others are refused like
any other altered token (one URL per link).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer

from encaisse.domain.errors import EncaisseError

__all__ = ["TokenKind", "sign", "unsign"]


@dataclass(frozen=True)
class TokenKind:
    """One use of signed tokens: its salt, and what a missing secret key is reported as."""

    salt: str
    what: str  # "payment links"
    missing_key_code: str  # "PAYLINK-SECRET"


def _signer(secret: str, kind: TokenKind) -> Signer:
    if not secret:
        raise EncaisseError(
            f"no secret key to sign {kind.what} (ENCAISSE_SECRET_KEY)", code=kind.missing_key_code
        )
    return Signer(secret, salt=kind.salt, digest_method=hashlib.sha256)


def sign(nonce: str, secret: str, kind: TokenKind) -> str:
    """The public token of ``nonce``."""
    return _signer(secret, kind).sign(nonce.encode("ascii")).decode("ascii")


def unsign(token: str, secret: str, kind: TokenKind) -> str | None:
    """The nonce of a token signed exactly so (constant-time checks), else None."""
    signer = _signer(secret, kind)
    try:
        raw = token.encode("ascii")
        nonce = signer.unsign(raw)
    except (BadSignature, UnicodeError):
        return None
    if not hmac.compare_digest(signer.sign(nonce), raw):
        return None
    return nonce.decode("ascii")
