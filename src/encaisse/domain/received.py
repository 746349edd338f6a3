"""A supplier e-invoice as received in the inbox, read from its EN 16931 data (BT/BG numbers).

Received invoices are kept as data *and* as their original bytes (CHECKLIST RET-E-ORIGINAL): this
module only holds the data and the pure checks on it; the reading lives in
``encaisse.formats.einvoice_in``. Arithmetic checks use the EN 16931 rule ids (BR-CO-10..17) so a
person sees the same code as the official schematron would give.

>>> derive_siren(vat_number="FR44732829320")
'732829320'
>>> derive_siren(legal_id="73282932000074", legal_id_scheme="0009")
'732829320'
>>> profile_level("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic")
<ProfileLevel.BASIC: 'BASIC'>
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from encaisse.domain.errors import Problem, Severity
from encaisse.domain.money import HUNDRED, ZERO, round_money
from encaisse.domain.parties import (
    Address,
    compact_digits,
    french_vat_key,
    is_valid_siren,
    is_valid_siret,
    siren_of_vat,
)

#: ISO 6523 ICD scheme ids of French registration numbers.
SCHEME_SIREN = "0002"
SCHEME_SIRET = "0009"

#: UNTDID 1001 codes of documents that reduce what is owed (CHECKLIST EINV-TYPE-CODES).
CREDIT_NOTE_TYPE_CODES = frozenset({"381", "261", "396", "383", "532"})


class Syntax(StrEnum):
    """The two EN 16931 syntaxes (CHECKLIST EINV-FORMATS); Factur-X carries CII in a PDF/A-3."""

    CII = "cii"
    UBL = "ubl"


class Container(StrEnum):
    XML = "xml"
    PDF = "pdf"  # Factur-X / ZUGFeRD hybrid PDF


class ProfileLevel(StrEnum):
    """Factur-X / EN 16931 profile named by the specification identifier BT-24 (EINV-FX-PROFILES)."""

    MINIMUM = "MINIMUM"
    BASIC_WL = "BASIC WL"
    BASIC = "BASIC"
    EN16931 = "EN 16931"
    EXTENDED = "EXTENDED"
    CIUS = "CIUS"  # a national/sector EN 16931 specialisation (XRechnung, Peppol BIS, …)
    UNKNOWN = "UNKNOWN"


def profile_level(profile_id: str) -> ProfileLevel:
    """Level of a BT-24 specification identifier (Factur-X 1.0.7 §3, EN 16931-1 BT-24)."""
    pid = profile_id.strip().lower()
    if pid.endswith(":minimum"):
        return ProfileLevel.MINIMUM
    if pid.endswith(":basicwl"):
        return ProfileLevel.BASIC_WL
    if pid.endswith(":basic"):
        return ProfileLevel.BASIC
    if pid.endswith(":extended"):
        return ProfileLevel.EXTENDED
    if pid == "urn:cen.eu:en16931:2017":
        return ProfileLevel.EN16931
    if pid.startswith("urn:cen.eu:en16931:2017#"):
        return ProfileLevel.CIUS
    return ProfileLevel.UNKNOWN


@dataclass(frozen=True)
class ReceivedParty:
    """Seller (BG-4) or buyer (BG-7) as written in the invoice; ``siren`` is derived (EINV-DIRECTORY)."""

    name: str = ""  # BT-27 / BT-44
    siren: str = ""
    legal_id: str = ""  # BT-30 / BT-47
    legal_id_scheme: str = ""  # ISO 6523 ICD: 0002 SIREN, 0009 SIRET
    vat_number: str = ""  # BT-31 / BT-48
    address: Address = field(default_factory=lambda: Address(country=""))
    electronic_address: str = ""  # BT-34 / BT-49
    electronic_address_scheme: str = ""
    iban: str = ""  # BT-84 (seller only: the account to pay)
    bic: str = ""  # BT-86


@dataclass(frozen=True)
class ReceivedLine:
    """One invoice line (BG-25)."""

    line_id: str  # BT-126
    name: str = ""  # BT-153
    description: str = ""  # BT-154
    quantity: Decimal = ZERO  # BT-129
    unit: str = ""  # BT-130 (UN/ECE rec. 20)
    net_price: Decimal = ZERO  # BT-146
    net_amount: Decimal = ZERO  # BT-131
    vat_category: str = ""  # BT-151 (UNTDID 5305)
    vat_rate: Decimal | None = None  # BT-152


@dataclass(frozen=True)
class ReceivedVatRow:
    """One VAT breakdown row (BG-23)."""

    category: str  # BT-118
    rate: Decimal | None  # BT-119
    taxable_amount: Decimal  # BT-116
    tax_amount: Decimal  # BT-117
    exemption_reason: str = ""  # BT-120 / BT-121


@dataclass(frozen=True)
class ReceivedTotals:
    """Document totals (BG-22); absent optional amounts are zero."""

    line_total: Decimal = ZERO  # BT-106
    allowance_total: Decimal = ZERO  # BT-107
    charge_total: Decimal = ZERO  # BT-108
    tax_exclusive: Decimal = ZERO  # BT-109
    tax_total: Decimal = ZERO  # BT-110
    tax_inclusive: Decimal = ZERO  # BT-112
    prepaid: Decimal = ZERO  # BT-113
    rounding: Decimal = ZERO  # BT-114
    payable: Decimal = ZERO  # BT-115


@dataclass(frozen=True)
class ReceivedInvoice:
    """A supplier e-invoice read from CII, UBL or Factur-X; ``original`` is the file as received."""

    syntax: Syntax
    container: Container
    profile: str  # BT-24
    number: str  # BT-1
    type_code: str  # BT-3
    issue_date: date | None  # BT-2
    due_date: date | None  # BT-9
    currency: str  # BT-5
    supplier: ReceivedParty
    buyer: ReceivedParty
    lines: tuple[ReceivedLine, ...]
    vat_rows: tuple[ReceivedVatRow, ...]
    totals: ReceivedTotals
    sha256: str
    payment_reference: str = ""  # BT-83
    notes: tuple[str, ...] = ()  # BT-22
    preceding_invoice: str = ""  # BT-25
    problems: tuple[Problem, ...] = ()
    original: bytes = field(default=b"", repr=False, compare=False)

    @property
    def level(self) -> ProfileLevel:
        return profile_level(self.profile)

    @property
    def is_credit_note(self) -> bool:
        return self.type_code in CREDIT_NOTE_TYPE_CODES

    @property
    def has_errors(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.problems)


def derive_siren(
    *, legal_id: str = "", legal_id_scheme: str = "", vat_number: str = "", country: str = ""
) -> str:
    """SIREN of a party: legal id in scheme 0002 (SIREN) or 0009 (SIRET), else the FR VAT number.

    An id the sender labels 0002/0009 is taken as written (a bad check digit is reported by
    :func:`party_problems`); an unlabelled legal id counts when the party is French (country FR or
    FR VAT number) and it passes the SIREN/SIRET check. The VAT number FRkk+SIREN counts when its
    key kk matches (INV-SELLER-VAT).
    """
    ident = compact_digits(legal_id)
    french = country.upper() == "FR" or compact_digits(vat_number).startswith("FR")
    if ident.isdigit():
        if legal_id_scheme == SCHEME_SIREN and len(ident) == 9:
            return ident
        if legal_id_scheme == SCHEME_SIRET and len(ident) == 14:
            return ident[:9]
        if not legal_id_scheme and french and is_valid_siren(ident):
            return ident
        if not legal_id_scheme and french and is_valid_siret(ident):
            return ident[:9]
    from_vat = siren_of_vat(vat_number)
    if from_vat.isdigit() and compact_digits(vat_number)[2:4] == french_vat_key(from_vat):
        return from_vat
    return ""


def party_problems(party: ReceivedParty, role: str) -> list[Problem]:
    """Identifier warnings on a party (INV-SELLER-VAT, INV-SELLER-SIREN / EINV-MENTION-*-SIREN)."""
    problems: list[Problem] = []
    vat = compact_digits(party.vat_number)
    from_vat = siren_of_vat(vat)
    where = f"{role}.vat_number"
    if from_vat.isdigit() and vat[2:4] != french_vat_key(from_vat):
        problems.append(
            Problem(
                "INV-SELLER-VAT",
                f"The {role}'s French VAT number {party.vat_number} has a wrong check key "
                f"(expected FR{french_vat_key(from_vat)}{from_vat}).",
                field=where,
                severity=Severity.WARN,
            )
        )
    elif from_vat and party.siren and from_vat != party.siren:
        problems.append(
            Problem(
                "INBOX-SIREN-VAT-MISMATCH",
                f"The {role}'s SIREN {party.siren} does not match its VAT number {party.vat_number}.",
                field=where,
                severity=Severity.WARN,
            )
        )
    if party.siren and not is_valid_siren(party.siren):
        problems.append(
            Problem(
                "INV-SELLER-SIREN" if role == "supplier" else "INV-BUYER-SIREN",
                f"The {role}'s SIREN {party.siren} fails its check digit (Luhn): it may be mistyped.",
                field=f"{role}.siren",
                severity=Severity.WARN,
            )
        )
    french = party.address.country.upper() == "FR" or vat.startswith("FR")
    if french and not party.siren:
        problems.append(
            Problem(
                "EINV-MENTION-SELLER-SIREN" if role == "supplier" else "EINV-MENTION-BUYER-SIREN",
                f"The French {role} has no SIREN (no legal id in scheme 0002/0009 "
                "and no valid FR VAT number).",
                field=f"{role}.siren",
                severity=Severity.WARN,
            )
        )
    return problems


def _mismatch(code: str, what: str, stated: Decimal, computed: Decimal, field_name: str) -> Problem:
    return Problem(
        code,
        f"{what}: the invoice states {stated} but its own figures give {computed}.",
        field=field_name,
        args={"stated": str(stated), "computed": str(computed)},
    )


def arithmetic_problems(invoice: ReceivedInvoice) -> list[Problem]:
    """EN 16931 calculation rules on the figures read (BR-CO-10, -13, -14, -15, -16, -17)."""
    t = invoice.totals
    problems: list[Problem] = []
    if invoice.lines:
        line_sum = round_money(sum((line.net_amount for line in invoice.lines), ZERO))
        if round_money(t.line_total) != line_sum:
            problems.append(
                _mismatch("BR-CO-10", "Sum of line net amounts (BT-106)", t.line_total, line_sum, "BT-106")
            )
    base = round_money(t.line_total - t.allowance_total + t.charge_total)
    if round_money(t.tax_exclusive) != base:
        problems.append(_mismatch("BR-CO-13", "Total without VAT (BT-109)", t.tax_exclusive, base, "BT-109"))
    if invoice.vat_rows:
        vat_sum = round_money(sum((row.tax_amount for row in invoice.vat_rows), ZERO))
        if round_money(t.tax_total) != vat_sum:
            problems.append(_mismatch("BR-CO-14", "Total VAT (BT-110)", t.tax_total, vat_sum, "BT-110"))
    with_vat = round_money(t.tax_exclusive + t.tax_total)
    if round_money(t.tax_inclusive) != with_vat:
        problems.append(_mismatch("BR-CO-15", "Total with VAT (BT-112)", t.tax_inclusive, with_vat, "BT-112"))
    due = round_money(t.tax_inclusive - t.prepaid + t.rounding)
    if round_money(t.payable) != due:
        problems.append(_mismatch("BR-CO-16", "Amount due (BT-115)", t.payable, due, "BT-115"))
    for row in invoice.vat_rows:
        if row.rate is None:
            continue
        expected = round_money(abs(row.taxable_amount) * row.rate / HUNDRED)
        if abs(abs(row.tax_amount) - expected) > 1:
            problems.append(
                _mismatch(
                    "BR-CO-17",
                    f"VAT amount of the {row.category} {row.rate} % row (BT-117)",
                    row.tax_amount,
                    expected,
                    "BT-117",
                )
            )
    return problems


def profile_problems(invoice: ReceivedInvoice) -> list[Problem]:
    """Profile acceptability for the inbox (CHECKLIST EINV-FX-PROFILES)."""
    level = invoice.level
    if level is ProfileLevel.MINIMUM:
        return [
            Problem(
                "EINV-FX-PROFILES",
                "This is a Factur-X MINIMUM file: it only carries header totals and is a booking aid, "
                "not a valid invoice. Ask the supplier for an EN 16931 (or BASIC) invoice.",
                field="BT-24",
            )
        ]
    if level is ProfileLevel.BASIC_WL:
        return [
            Problem(
                "EINV-FX-PROFILES",
                "This is a Factur-X BASIC WL file without invoice lines; it is only tolerated during the "
                "start-up phase of the reform.",
                field="BT-24",
                severity=Severity.WARN,
            )
        ]
    if level is ProfileLevel.UNKNOWN:
        return [
            Problem(
                "EINV-FX-PROFILES",
                f"Unknown specification identifier {invoice.profile!r} (BT-24): "
                "the invoice may not follow EN 16931.",
                field="BT-24",
                severity=Severity.WARN,
            )
        ]
    return []
