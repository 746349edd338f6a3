"""ISO 11649 structured creditor references ("RF" references) for invoices.

A reference is ``RF`` + two check digits + a body of 1 to 21 characters ``[0-9A-Z]``; the
check digits follow ISO 7064 MOD 97-10 (body + ``RF00`` read in base 36, 98 − remainder).
Encaisse derives the body from the invoice number so that a transfer carrying the reference
points back at one invoice (CHECKLIST EPC-QR-PAYLOAD: the structured reference of an EPC QR code).

>>> rf_reference("F2026-00042")
'RF93F202600042'
>>> is_valid_rf("RF18 5390 0754 7034")
True
>>> format_rf("RF18539007547034")
'RF18 5390 0754 7034'
>>> extract_rf("VIR SEPA ACME /RF18 5390 0754 7034 MERCI")
['RF18539007547034']
"""

from __future__ import annotations

import re
import unicodedata

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from encaisse.domain.errors import FormatError

MAX_BODY = 21
_NOT_BODY = re.compile(r"[^0-9A-Z]")
# "RF", optional blank, 2 check digits, then alphanumeric groups separated by single blanks or dashes.
_CANDIDATE = re.compile(r"RF[ ]?(\d\d)((?:[ \-]?[0-9A-Z]+)+)", re.IGNORECASE)


def rf_body(text: str) -> str:
    """The reference body a text gives: ASCII letters and digits only, upper case.

    Accents are dropped (``é`` → ``E``) so that every banking system can carry it.

    >>> rf_body("Fac-é 2026/07")
    'FACE202607'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_BODY.sub("", ascii_text.upper())


def rf_check_digits(body: str) -> str:
    """Two ISO 7064 MOD 97-10 check digits of an RF reference body.

    >>> rf_check_digits("539007547034")
    '18'
    """
    return str(mod_97_10.calc_check_digits(body + "RF"))


def rf_reference(invoice_number: str, *, prefix: str = "") -> str:
    """The RF creditor reference of an invoice number (optionally behind a company ``prefix``).

    Raises :class:`FormatError` (``RF-EMPTY``, ``RF-TOO-LONG``) when the number gives no body or a
    body longer than 21 characters: truncating would make two invoices share a reference.

    >>> rf_reference("2026-000123", prefix="AC")
    'RF61AC2026000123'
    >>> rf_reference("///")
    Traceback (most recent call last):
    ...
    encaisse.domain.errors.FormatError: invoice number '///' has no letter or digit for an RF reference
    """
    body = rf_body(prefix) + rf_body(invoice_number)
    if not body:
        raise FormatError(
            f"invoice number {invoice_number!r} has no letter or digit for an RF reference", code="RF-EMPTY"
        )
    if len(body) > MAX_BODY:
        raise FormatError(
            f"RF reference body {body!r} has {len(body)} characters (at most {MAX_BODY}): "
            "use a shorter prefix or numbering pattern",
            code="RF-TOO-LONG",
        )
    return f"RF{rf_check_digits(body)}{body}"


def compact_rf(ref: str) -> str:
    """``ref`` without blanks or separators, upper case."""
    return str(iso11649.compact(ref))


def is_valid_rf(ref: str) -> bool:
    """True when ``ref`` is a well-formed ISO 11649 reference with correct check digits.

    >>> is_valid_rf("RF712348231"), is_valid_rf("RF17 5390 0754 7034"), is_valid_rf("RF18")
    (True, False, False)
    """
    compact = compact_rf(ref)
    if len(compact) < 5 or len(compact) > 4 + MAX_BODY:
        return False
    if not compact[2:4].isdigit() or _NOT_BODY.search(compact):
        return False
    return bool(iso11649.is_valid(compact))


def format_rf(ref: str) -> str:
    """Print form: groups of four characters (``RF18 5390 0754 7034``)."""
    return str(iso11649.format(ref))


def extract_rf(text: str) -> list[str]:
    """Valid RF references found in noisy remittance text, compact, in order, without duplicates.

    Blanks (or dashes) may split the reference into groups. When a group after the reference is
    glued to it by a blank (``RF18 5390 0754 7034 MERCI``), the longest valid run of whole groups
    is kept, so a following word is dropped unless it makes the check digits right by chance.

    >>> extract_rf("Paiement rf71 2348 231, facture; rf00 1234 et RF712348231")
    ['RF712348231']
    """
    found: list[str] = []
    pos = 0
    while match := _CANDIDATE.search(text, pos):
        pos = match.start() + 2  # candidates may overlap ("SURF 12 RF18 …")
        check = match.group(1)
        groups = [g for g in re.split(r"[ \-]", match.group(2)) if g]
        best = ""
        body = ""
        for group in groups:
            body += group.upper()
            if len(body) > MAX_BODY:
                break
            candidate = f"RF{check}{body}"
            if is_valid_rf(candidate):
                best = candidate
        if best and best not in found:
            found.append(best)
    return found
