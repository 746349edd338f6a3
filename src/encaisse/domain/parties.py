"""Companies (the seller / tenant) and parties (customers, suppliers), with identifier checks.

Identifier rules: SIREN/SIRET Luhn (INSEE; La Poste uses a digit-sum rule, CHECKLIST
INV-SELLER-SIREN), French VAT key (12 + 3 × (SIREN mod 97)) mod 97 (INV-SELLER-VAT), IBAN ISO 13616.

>>> is_valid_siren("732 829 320")
True
>>> french_vat_number("732829320")
'FR44732829320'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as std_siren
from stdnum.fr import siret as std_siret

LA_POSTE_SIREN = "356000000"


class PartyKind(StrEnum):
    CUSTOMER = "customer"
    SUPPLIER = "supplier"


class SizeCategory(StrEnum):
    """Company size for the e-invoicing timeline (CHECKLIST EINV-SIZE-CATEGORY)."""

    MICRO = "micro"
    PME = "pme"
    ETI = "eti"
    GE = "ge"


class VatRegime(StrEnum):
    """How VAT is due: on debits (invoicing), on collection (encaissements), or franchise."""

    DEBITS = "debits"
    COLLECTION = "collection"
    FRANCHISE = "franchise"


class VatFiling(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"  # simplified regime (régime simplifié)


@dataclass(frozen=True)
class Address:
    line1: str = ""
    line2: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "FR"

    def is_empty(self) -> bool:
        return not (self.line1 or self.postcode or self.city)

    def one_line(self) -> str:
        parts = [self.line1, self.line2, f"{self.postcode} {self.city}".strip()]
        if self.country and self.country != "FR":
            parts.append(self.country)
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Party:
    """A customer or supplier, as known to one company."""

    name: str
    kind: PartyKind = PartyKind.CUSTOMER
    id: int | None = None
    legal_form: str = ""
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    is_business: bool = True
    is_public_body: bool = False
    address: Address = field(default_factory=Address)
    delivery_address: Address | None = None
    email: str = ""
    phone: str = ""
    iban: str = ""
    bic: str = ""
    payment_terms_days: int | None = None
    reference: str = ""  # the customer's own account code

    @property
    def country(self) -> str:
        return self.address.country or "FR"

    @property
    def is_french(self) -> bool:
        return self.country == "FR"


@dataclass(frozen=True)
class Company:
    """The seller: a tenant of Encaisse and every legal mention it prints on its invoices."""

    name: str
    siren: str
    id: int | None = None
    legal_form: str = "SARL"  # "EI" for a sole trader (INV-SELLER-EI)
    share_capital: Decimal | None = None
    capital_variable: bool = False
    rcs_city: str = ""  # greffe city (INV-SELLER-RCS); empty for non-registered businesses
    rm_mention: str = ""  # artisans (INV-SELLER-RM)
    vat_number: str = ""
    address: Address = field(default_factory=Address)
    email: str = ""
    phone: str = ""
    iban: str = ""
    bic: str = ""
    account_holder: str = ""  # exact bank account-holder name (SEPA-VOP)
    vat_regime: VatRegime = VatRegime.DEBITS
    vat_filing: VatFiling = VatFiling.MONTHLY
    size_category: SizeCategory = SizeCategory.MICRO
    default_payment_days: int = 30
    penalty_rate: Decimal = Decimal("12.15")  # ECB rate + 10 points by default (PAY-PENALTY-DEFAULT)
    early_payment_discount: str = ""  # "" means "Pas d'escompte pour paiement anticipé"
    invoice_pattern: str = "F{YYYY}-{seq:05d}"
    credit_note_pattern: str = "AV{YYYY}-{seq:05d}"
    quote_pattern: str = "D{YYYY}-{seq:05d}"
    insurance_mention: str = ""  # INV-INSURANCE / INV-DECENNALE
    requires_insurance_mention: bool = False
    oga_member: bool = False
    fiscal_year_end_month: int = 12
    logo: bytes | None = None

    @property
    def is_sole_trader(self) -> bool:
        return self.legal_form.upper() in {"EI", "EIRL", "MICRO-ENTREPRISE", "ENTREPRENEUR INDIVIDUEL"}


def compact_digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isalnum()).upper()


@lru_cache(maxsize=8192)  # imports check the same customers' SIRENs again and again
def is_valid_siren(value: str) -> bool:
    """SIREN: 9 digits, Luhn-valid; La Poste (356000000) by its digit-sum rule."""
    siren = compact_digits(value)
    if siren == LA_POSTE_SIREN:
        return True
    return bool(std_siren.is_valid(siren))


def is_valid_siret(value: str) -> bool:
    siret = compact_digits(value)
    if len(siret) == 14 and siret.isdigit() and siret.startswith(LA_POSTE_SIREN):
        return sum(int(c) for c in siret) % 5 == 0
    return bool(std_siret.is_valid(siret))


def french_vat_key(siren: str) -> str:
    """Two-digit key of a French VAT number: (12 + 3 × (SIREN mod 97)) mod 97 (INV-SELLER-VAT)."""
    return f"{(12 + 3 * (int(compact_digits(siren)) % 97)) % 97:02d}"


def french_vat_number(siren: str) -> str:
    s = compact_digits(siren)
    return f"FR{french_vat_key(s)}{s}"


def is_valid_vat_number(value: str) -> bool:
    """Intra-EU VAT number check (format and check digits, VIES-style offline check)."""
    return bool(eu_vat.is_valid(compact_digits(value)))


def is_valid_iban(value: str) -> bool:
    """ISO 13616 IBAN: country length, check digits and national format (schwifty's registry)."""
    try:
        IBAN(compact_digits(value))
    except SchwiftyException:
        return False
    return True


def siren_of_vat(vat_number: str) -> str:
    v = compact_digits(vat_number)
    return v[4:] if v.startswith("FR") and len(v) == 13 else ""
