"""EPC QR code payload for SEPA credit transfers ("GiroCode"), EPC069-12 version 002.

Twelve text lines separated by LF (CHECKLIST EPC-QR-PAYLOAD): ``BCD``, version, character set
(``1`` = UTF-8), ``SCT``, BIC (optional in version 002), beneficiary name (≤ 70), IBAN, amount
(``EUR`` + 0.01–999999999.99, dot decimal, ≤ 2 decimals), purpose code (≤ 4), structured ISO 11649
reference (≤ 35) *or* unstructured remittance (≤ 140), information (≤ 70); no trailing separator.
The whole payload is at most 331 bytes, encoded at error-correction level M in a QR code of
version ≤ 13 (CHECKLIST EPC-QR-TECH). IBANs are checked first: segno does not check them.

>>> text = payload(name="Elec Durand", iban="FR76 3000 6000 0112 3456 7890 189",
...                amount=Decimal("150"), reference="RF18 5390 0754 7034")
>>> text.split("\\n")  # doctest: +NORMALIZE_WHITESPACE
['BCD', '002', '1', 'SCT', '', 'Elec Durand', 'FR7630006000011234567890189', 'EUR150.00', '',
 'RF18539007547034']
>>> validate(text)
[]
>>> parse(text)["amount"]
Decimal('150.00')
"""

from __future__ import annotations

import io
import re
from decimal import Decimal, InvalidOperation

import segno
from stdnum import bic as std_bic
from stdnum import iban as std_iban

from encaisse.domain.errors import FormatError, Problem
from encaisse.domain.money import round_money
from encaisse.domain.payment_reference import compact_rf, is_valid_rf
from encaisse.formats.qr_symbol import QrSymbol, encode

SERVICE_TAG = "BCD"
IDENTIFICATION = "SCT"
MAX_BYTES = 331
MAX_QR_VERSION = 13
ERROR_LEVEL = "M"
MIN_AMOUNT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999.99")
FIELDS = (
    "service_tag",
    "version",
    "charset",
    "identification",
    "bic",
    "name",
    "iban",
    "amount",
    "purpose",
    "reference",
    "text",
    "info",
)
LIMITS = {"name": 70, "purpose": 4, "reference": 35, "text": 140, "info": 70}
_AMOUNT = re.compile(r"EUR(\d{1,9}(?:\.\d{1,2})?)")


def payload(
    *,
    name: str,
    iban: str,
    amount: Decimal | None,
    bic: str = "",
    reference: str = "",
    text: str = "",
    purpose: str = "",
    info: str = "",
    version: str = "002",
) -> str:
    """The EPC QR payload of one credit transfer; raises :class:`FormatError` on the first rule broken.

    Codes: ``EPC-QR-IBAN``, ``EPC-QR-AMOUNT``, ``EPC-QR-NAME``, ``EPC-QR-REFERENCE``,
    ``EPC-QR-TOO-LONG`` (and ``EPC-QR-BIC``, ``EPC-QR-PURPOSE``, ``EPC-QR-INFO``, ``EPC-QR-VERSION``);
    the error's ``problems`` lists every rule broken.

    >>> payload(name="X", iban="FR7630006000011234567890188", amount=None)
    Traceback (most recent call last):
    ...
    encaisse.domain.errors.FormatError: IBAN 'FR7630006000011234567890188' is not valid (check digits)
    """
    fields = {
        "service_tag": SERVICE_TAG,
        "version": version,
        "charset": "1",
        "identification": IDENTIFICATION,
        "bic": _compact(bic),
        "name": name.strip(),
        "iban": _compact(iban),
        "amount": _amount_field(amount),
        "purpose": _compact(purpose),
        "reference": compact_rf(reference) if reference.strip() else "",
        "text": text.strip(),
        "info": info.strip(),
    }
    text_out = _join(fields)
    problems = _check(fields, text_out)
    if problems:
        raise FormatError(problems[0].message, code=problems[0].code, problems=problems)
    return text_out


def detect(data: bytes) -> bool:
    """True when ``data`` looks like an EPC QR payload (``BCD`` header, ``SCT`` identification)."""
    lines = data.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n").split(b"\n")
    return len(lines) >= 4 and lines[0] == b"BCD" and lines[3] == b"SCT"


def parse(text: str | bytes) -> dict[str, str | Decimal | None]:
    """The fields of a payload by name (:data:`FIELDS`); ``amount`` as a Decimal or None.

    Raises :class:`FormatError` ``EPC-QR-STRUCTURE`` when it is not an EPC QR payload at all.
    """
    lines = _lines(text)
    if not lines or lines[0] != SERVICE_TAG or len(lines) > len(FIELDS):
        raise FormatError(
            "not an EPC QR payload: expected at most 12 lines starting with 'BCD'", code="EPC-QR-STRUCTURE"
        )
    raw = dict(zip(FIELDS, lines + [""] * (len(FIELDS) - len(lines)), strict=True))
    parsed: dict[str, str | Decimal | None] = dict(raw)
    match = _AMOUNT.fullmatch(raw["amount"])
    parsed["amount"] = round_money(Decimal(match.group(1))) if match else None
    return parsed


def validate(text: str | bytes) -> list[Problem]:
    """Every rule of EPC069-12 that ``text`` breaks (CHECKLIST EPC-QR-PAYLOAD, EPC-QR-TECH)."""
    content = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
    lines = _lines(content)
    problems: list[Problem] = []
    if content.endswith("\n"):
        problems.append(_problem("EPC-QR-STRUCTURE", "", "no separator may follow the last element"))
    if len(lines) < 7 or len(lines) > len(FIELDS):
        problems.append(
            _problem("EPC-QR-STRUCTURE", "", f"{len(lines)} lines: an EPC QR payload has 7 to 12 lines")
        )
        if len(lines) > len(FIELDS):
            return problems
    fields = dict(zip(FIELDS, lines + [""] * (len(FIELDS) - len(lines)), strict=True))
    return problems + _check(fields, content)


def make_qr(text: str) -> segno.QRCode:
    """The QR symbol of a payload: byte mode, level M, no error boost, version ≤ 13 (EPC-QR-TECH)."""
    qr = segno.make(text, error=ERROR_LEVEL, boost_error=False, micro=False, mode="byte", encoding="utf-8")
    if not isinstance(qr.version, int) or qr.version > MAX_QR_VERSION:
        raise FormatError(
            f"payload needs QR version {qr.version} (at most {MAX_QR_VERSION})", code="EPC-QR-TOO-LONG"
        )
    return qr


def symbol(text: str) -> QrSymbol:
    """The modules of :func:`make_qr`'s symbol, its data mask chosen with numpy (:mod:`.qr_symbol`)."""
    try:
        qr = encode(text, error=ERROR_LEVEL)
    except segno.DataOverflowError as exc:
        raise FormatError("payload does not fit a QR code", code="EPC-QR-TOO-LONG") from exc
    if qr.version > MAX_QR_VERSION:
        raise FormatError(
            f"payload needs QR version {qr.version} (at most {MAX_QR_VERSION})", code="EPC-QR-TOO-LONG"
        )
    return qr


def png(text: str, *, scale: int = 4, border: int = 4) -> bytes:
    """PNG image of the payload's QR code."""
    out = io.BytesIO()
    make_qr(text).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def svg(text: str, *, scale: int = 4, border: int = 4) -> str:
    """Inline SVG (``<svg …>``) of the payload's QR code, for HTML pages and PDFs."""
    return str(make_qr(text).svg_inline(scale=scale, border=border))


def _compact(value: str) -> str:
    return "".join(value.split()).upper()


def _amount_field(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    if amount.is_finite() and amount == round_money(amount):
        return f"EUR{amount:.2f}"
    return f"EUR{amount}"  # more than 2 decimals: kept as given so the check reports it


def _join(fields: dict[str, str]) -> str:
    lines = [fields[name] for name in FIELDS]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _lines(text: str | bytes) -> list[str]:
    content = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
    content = content.removeprefix("\ufeff").replace("\r\n", "\n")
    if content.endswith("\n"):
        content = content[:-1]
    return content.split("\n") if content else []


def _problem(code: str, field: str, message: str) -> Problem:
    return Problem(code=code, field=field, message=message)


def _check(f: dict[str, str], whole: str) -> list[Problem]:
    p: list[Problem] = []
    if f["service_tag"] != SERVICE_TAG or f["identification"] != IDENTIFICATION:
        p.append(_problem("EPC-QR-STRUCTURE", "service_tag", "header must be 'BCD' … 'SCT'"))
    if f["version"] not in ("001", "002"):
        p.append(_problem("EPC-QR-VERSION", "version", f"version {f['version']!r} is not 001 or 002"))
    if f["charset"] not in tuple("12345678"):
        p.append(_problem("EPC-QR-STRUCTURE", "charset", f"character set {f['charset']!r} is not 1 to 8"))
    if f["bic"] and not std_bic.is_valid(f["bic"]):
        p.append(_problem("EPC-QR-BIC", "bic", f"BIC {f['bic']!r} is not valid"))
    elif not f["bic"] and f["version"] == "001":
        p.append(_problem("EPC-QR-BIC", "bic", "version 001 requires the BIC (use version 002)"))
    if not f["name"] or len(f["name"]) > LIMITS["name"]:
        p.append(_problem("EPC-QR-NAME", "name", f"name must have 1 to 70 characters: {f['name']!r}"))
    if not std_iban.is_valid(f["iban"]):
        p.append(_problem("EPC-QR-IBAN", "iban", f"IBAN {f['iban']!r} is not valid (check digits)"))
    p.extend(_check_amount(f["amount"]))
    if len(f["purpose"]) > LIMITS["purpose"] or (f["purpose"] and not f["purpose"].isalnum()):
        p.append(_problem("EPC-QR-PURPOSE", "purpose", f"purpose code {f['purpose']!r}: 4 letters at most"))
    if f["reference"] and f["text"]:
        p.append(_problem("EPC-QR-REFERENCE", "reference", "structured reference and text: never both"))
    if f["reference"] and (len(f["reference"]) > LIMITS["reference"] or not is_valid_rf(f["reference"])):
        p.append(
            _problem("EPC-QR-REFERENCE", "reference", f"{f['reference']!r} is not an ISO 11649 reference")
        )
    if len(f["text"]) > LIMITS["text"]:
        p.append(_problem("EPC-QR-REFERENCE", "text", f"text has {len(f['text'])} characters (≤ 140)"))
    if len(f["info"]) > LIMITS["info"]:
        p.append(_problem("EPC-QR-INFO", "info", f"information has {len(f['info'])} characters (≤ 70)"))
    size = len(whole.encode("utf-8"))
    if size > MAX_BYTES:
        p.append(_problem("EPC-QR-TOO-LONG", "", f"payload has {size} bytes (at most {MAX_BYTES})"))
    return p


def _check_amount(value: str) -> list[Problem]:
    if not value:
        return []
    match = _AMOUNT.fullmatch(value)
    try:
        amount = Decimal(match.group(1)) if match else None
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        amount = None
    if amount is None or not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        return [
            _problem(
                "EPC-QR-AMOUNT",
                "amount",
                f"amount {value!r} must be 'EUR' + 0.01 to 999999999.99 with at most 2 decimals",
            )
        ]
    return []
