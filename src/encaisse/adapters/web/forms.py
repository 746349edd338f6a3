"""Reading HTML forms into plain data: text is stripped, control characters removed, lengths kept
as typed so the use cases report "too long" (nothing is silently truncated before validation).

Document lines use the names of the problem paths (``lines[0].quantity``), so a problem found by
the use cases or the compliance checker lands next to the very input it concerns.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.datastructures import FormData, UploadFile

from encaisse.domain.errors import Problem, ValidationError
from encaisse.domain.numbering import validate_pattern
from encaisse.domain.parties import Address, Company, Party, PartyKind, SizeCategory, VatFiling, VatRegime

MAX_LINES = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_KEY = re.compile(r"^lines\[(\d{1,3})\]\.([a-z_]+)$")
LINE_FIELDS = (
    "description",
    "quantity",
    "unit",
    "unit_price",
    "vat_rate",
    "exemption",
    "nature",
    "discount_percent",
)


def clean(value: str) -> str:
    return _CONTROL.sub("", value).strip()


def text(form: FormData, key: str, default: str = "") -> str:
    value = form.get(key, default)
    return clean(value) if isinstance(value, str) else default


def flag(form: FormData, key: str) -> bool:
    return text(form, key) in {"1", "on", "true", "oui"}


def to_plain(form: FormData) -> dict[str, str]:
    """Every text field, cleaned (what a page shows back when the form has problems)."""
    return {k: clean(v) for k, v in form.multi_items() if isinstance(v, str) and k != "csrf_token"}


def upload(form: FormData, key: str) -> UploadFile | None:
    value = form.get(key)
    return value if isinstance(value, UploadFile) else None


def decimal_input(raw: str) -> str:
    """French number input to a dot decimal: ``1 234,5`` → ``1234.5`` (kept as text)."""
    return raw.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")


def parse_decimal(
    raw: str,
    field: str,
    problems: list[Problem],
    *,
    required: bool = False,
    default: Decimal | None = None,
    places: int = 4,
) -> Decimal | None:
    """A typed number; at most ``places`` decimals (amounts 2, quantities and rates 4, as stored)."""
    if not raw:
        if required:
            problems.append(Problem("INPUT-REQUIRED", "is required", field=field))
        return default
    try:
        value = Decimal(decimal_input(raw))
    except InvalidOperation:
        problems.append(Problem("INPUT-NUMBER", "not a number", field=field))
        return default
    if not value.is_finite() or abs(value) > Decimal("1e12"):
        problems.append(Problem("INPUT-NUMBER", "out of range", field=field))
        return default
    if has_too_many_places(value, places):
        problems.append(
            Problem("INPUT-PLACES", f"at most {places} decimals", field=field, args={"places": places})
        )
        return default
    return value


def has_too_many_places(value: Decimal, places: int) -> bool:
    exponent = value.normalize().as_tuple().exponent
    return isinstance(exponent, int) and exponent < -places


def parse_date(raw: str, field: str, problems: list[Problem], *, required: bool = False) -> date | None:
    if not raw:
        if required:
            problems.append(Problem("INPUT-REQUIRED", "is required", field=field))
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    try:
        d, m, y = raw.split("/")
        return date(int(y), int(m), int(d))
    except ValueError:
        problems.append(Problem("INPUT-DATE", "not a date", field=field))
        return None


def parse_int(
    raw: str, field: str, problems: list[Problem], *, low: int = 0, high: int = 2**31 - 1
) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or not (low <= int(raw) <= high):
        problems.append(Problem("INPUT-NUMBER", "not a whole number in range", field=field))
        return None
    return int(raw)


def lines_data(form: FormData) -> list[dict[str, str]]:
    """The document lines typed in a form, in order; entirely empty rows are dropped."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.multi_items():
        m = _LINE_KEY.match(key)
        if m is None or not isinstance(value, str) or m.group(2) not in LINE_FIELDS:
            continue
        index = int(m.group(1))
        if index < MAX_LINES:
            rows.setdefault(index, {})[m.group(2)] = clean(value)
    out = []
    for index in sorted(rows):
        row = rows[index]
        if any(row.get(k) for k in ("description", "quantity", "unit_price")):
            out.append(row)
    return out


def line_json(row: dict[str, str]) -> dict[str, Any]:
    """One typed line as the JSON-like data :func:`~encaisse.services.document_input.read_line` reads."""
    data: dict[str, Any] = {k: v for k, v in row.items() if v != ""}
    for key in ("quantity", "unit_price", "vat_rate", "discount_percent"):
        if key in data:
            data[key] = decimal_input(data[key])
    return data


def party_from_form(
    form: FormData, kind: PartyKind = PartyKind.CUSTOMER, party_id: int | None = None
) -> tuple[Party, list[Problem]]:
    """A customer typed in the customer form, with the problems the form itself can see."""
    problems: list[Problem] = []
    terms = parse_int(text(form, "payment_terms_days"), "payment_terms_days", problems, high=365)
    delivery = Address(
        line1=text(form, "delivery_line1"),
        line2=text(form, "delivery_line2"),
        postcode=text(form, "delivery_postcode"),
        city=text(form, "delivery_city"),
        country=(text(form, "delivery_country") or "FR").upper(),
    )
    party = Party(
        id=party_id,
        name=text(form, "name"),
        kind=kind,
        legal_form=text(form, "legal_form"),
        siren=text(form, "siren"),
        siret=text(form, "siret"),
        vat_number=text(form, "vat_number"),
        is_business=text(form, "customer_type", "business") != "individual",
        is_public_body=text(form, "customer_type") == "public",
        address=Address(
            line1=text(form, "line1"),
            line2=text(form, "line2"),
            postcode=text(form, "postcode"),
            city=text(form, "city"),
            country=(text(form, "country") or "FR").upper(),
        ),
        delivery_address=None if delivery.is_empty() else delivery,
        email=text(form, "email"),
        phone=text(form, "phone"),
        iban=text(form, "iban"),
        bic=text(form, "bic"),
        payment_terms_days=terms,
        reference=text(form, "reference"),
    )
    for key, limit in (
        ("legal_form", 40),
        ("phone", 40),
        ("reference", 40),
        ("line1", 200),
        ("line2", 200),
        ("postcode", 20),
        ("city", 100),
        ("delivery_line1", 200),
        ("delivery_city", 100),
        ("bic", 11),
    ):
        if len(text(form, key)) > limit:
            problems.append(Problem("INPUT-TOO-LONG", f"longer than {limit}", field=key))
    if len(party.address.country) != 2 or not party.address.country.isalpha():
        problems.append(Problem("INPUT-CHOICE", "ISO country code", field="country"))
    return party, problems


def party_form_values(party: Party) -> dict[str, str]:
    """A stored customer as the values of its edit form."""
    d = party.delivery_address
    kind = "public" if party.is_public_body else ("business" if party.is_business else "individual")
    return {
        "name": party.name,
        "legal_form": party.legal_form,
        "siren": party.siren,
        "siret": party.siret,
        "vat_number": party.vat_number,
        "customer_type": kind,
        "line1": party.address.line1,
        "line2": party.address.line2,
        "postcode": party.address.postcode,
        "city": party.address.city,
        "country": party.address.country,
        "delivery_line1": d.line1 if d else "",
        "delivery_line2": d.line2 if d else "",
        "delivery_postcode": d.postcode if d else "",
        "delivery_city": d.city if d else "",
        "delivery_country": d.country if d else "",
        "email": party.email,
        "phone": party.phone,
        "iban": party.iban,
        "bic": party.bic,
        "payment_terms_days": "" if party.payment_terms_days is None else str(party.payment_terms_days),
        "reference": party.reference,
    }


COMPANY_TEXT_LIMITS = {
    "name": 10_000,  # the use case reports names over 200 characters
    "legal_form": 40,
    "rcs_city": 100,
    "rm_mention": 200,
    "line1": 200,
    "line2": 200,
    "postcode": 20,
    "city": 100,
    "email": 200,
    "phone": 40,
    "account_holder": 140,
    "early_payment_discount": 300,
    "invoice_pattern": 60,
    "credit_note_pattern": 60,
    "quote_pattern": 60,
    "insurance_mention": 2000,
}


def company_from_form(form: FormData, base: Company) -> tuple[Company, list[Problem]]:
    """``base`` with the fields present in the form changed (sign-up sends a subset)."""
    problems: list[Problem] = []

    def pick(key: str, current: str) -> str:
        return text(form, key) if key in form else current

    for key, limit in COMPANY_TEXT_LIMITS.items():
        if len(text(form, key)) > limit:
            problems.append(Problem("INPUT-TOO-LONG", f"longer than {limit}", field=key))
    capital = base.share_capital
    if "share_capital" in form:
        capital = parse_decimal(text(form, "share_capital"), "share_capital", problems, places=2)
        if capital is not None and capital < 0:
            problems.append(Problem("INPUT-NUMBER", "negative", field="share_capital"))
    penalty = base.penalty_rate
    if "penalty_rate" in form:
        penalty = (
            parse_decimal(text(form, "penalty_rate"), "penalty_rate", problems, required=True) or penalty
        )
    days = base.default_payment_days
    if "default_payment_days" in form:
        days = (
            parse_int(text(form, "default_payment_days"), "default_payment_days", problems, high=365) or days
        )
    fy_end = base.fiscal_year_end_month
    if "fiscal_year_end_month" in form:
        fy_end = (
            parse_int(text(form, "fiscal_year_end_month"), "fiscal_year_end_month", problems, low=1, high=12)
            or fy_end
        )
    enums: dict[str, Any] = {}
    for key, enum in (("vat_regime", VatRegime), ("vat_filing", VatFiling), ("size_category", SizeCategory)):
        raw = text(form, key)
        if key in form:
            try:
                enums[key] = enum(raw)
            except ValueError:
                problems.append(Problem("INPUT-CHOICE", "unknown choice", field=key))
    address = Address(
        line1=pick("line1", base.address.line1),
        line2=pick("line2", base.address.line2),
        postcode=pick("postcode", base.address.postcode),
        city=pick("city", base.address.city),
        country="FR",
    )

    def checked(key: str, current: bool) -> bool:
        return flag(form, key) if f"has_{key}" in form else current

    company = replace(
        base,
        name=pick("name", base.name),
        siren=pick("siren", base.siren),
        legal_form=pick("legal_form", base.legal_form),
        share_capital=capital,
        rcs_city=pick("rcs_city", base.rcs_city),
        rm_mention=pick("rm_mention", base.rm_mention),
        vat_number=pick("vat_number", base.vat_number),
        address=address,
        email=pick("email", base.email),
        phone=pick("phone", base.phone),
        iban=pick("iban", base.iban),
        bic=pick("bic", base.bic).replace(" ", "").upper(),
        account_holder=pick("account_holder", base.account_holder),
        default_payment_days=days,
        penalty_rate=penalty,
        early_payment_discount=pick("early_payment_discount", base.early_payment_discount),
        invoice_pattern=pick("invoice_pattern", base.invoice_pattern),
        credit_note_pattern=pick("credit_note_pattern", base.credit_note_pattern),
        quote_pattern=pick("quote_pattern", base.quote_pattern),
        insurance_mention=pick("insurance_mention", base.insurance_mention),
        fiscal_year_end_month=fy_end,
        vat_regime=enums.get("vat_regime", base.vat_regime),
        vat_filing=enums.get("vat_filing", base.vat_filing),
        size_category=enums.get("size_category", base.size_category),
        capital_variable=checked("capital_variable", base.capital_variable),
        requires_insurance_mention=checked("requires_insurance_mention", base.requires_insurance_mention),
        oga_member=checked("oga_member", base.oga_member),
    )
    if company.bic and not is_valid_bic(company.bic):
        problems.append(Problem("BIC-INVALID", "invalid BIC", field="bic"))
    for key in ("invoice_pattern", "credit_note_pattern", "quote_pattern"):
        try:
            validate_pattern(getattr(company, key))
        except ValidationError:
            problems.append(Problem("NUM-PATTERN", "invalid pattern", field=key))
    if company.email and "@" not in company.email:
        problems.append(Problem("EMAIL-INVALID", "invalid email", field="email"))
    return company, problems


def is_valid_bic(value: str) -> bool:
    """BIC/SWIFT code: 8 or 11 characters with a known country (ISO 9362, checked by schwifty)."""
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    try:
        BIC(value)
    except SchwiftyException:
        return False
    return True


def company_form_values(company: Company) -> dict[str, str]:
    return {
        "name": company.name,
        "siren": company.siren,
        "legal_form": company.legal_form,
        "share_capital": "" if company.share_capital is None else f"{company.share_capital:f}",
        "capital_variable": "1" if company.capital_variable else "",
        "rcs_city": company.rcs_city,
        "rm_mention": company.rm_mention,
        "vat_number": company.vat_number,
        "line1": company.address.line1,
        "line2": company.address.line2,
        "postcode": company.address.postcode,
        "city": company.address.city,
        "email": company.email,
        "phone": company.phone,
        "iban": company.iban,
        "bic": company.bic,
        "account_holder": company.account_holder,
        "vat_regime": company.vat_regime.value,
        "vat_filing": company.vat_filing.value,
        "size_category": company.size_category.value,
        "default_payment_days": str(company.default_payment_days),
        "penalty_rate": f"{company.penalty_rate:f}",
        "early_payment_discount": company.early_payment_discount,
        "invoice_pattern": company.invoice_pattern,
        "credit_note_pattern": company.credit_note_pattern,
        "quote_pattern": company.quote_pattern,
        "insurance_mention": company.insurance_mention,
        "requires_insurance_mention": "1" if company.requires_insurance_mention else "",
        "oga_member": "1" if company.oga_member else "",
        "fiscal_year_end_month": str(company.fiscal_year_end_month),
    }
