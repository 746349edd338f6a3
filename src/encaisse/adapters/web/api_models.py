"""Request and response bodies of the REST API ``/api/v1`` (pydantic; they make /openapi.json).

Amounts and quantities travel as decimal strings with a dot (``"1234.56"``, DESIGN "machine-readable
outputs"), dates as ISO 8601, statuses and kinds in English snake_case.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from encaisse.domain.documents import Invoice, compute_totals
from encaisse.domain.parties import Address, Company, Party
from encaisse.services.ports import InvoiceRow

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    return value


NoControl = AfterValidator(_no_control)
Text11 = Annotated[str, Field(max_length=11), NoControl]
Text20 = Annotated[str, Field(max_length=20), NoControl]
Text40 = Annotated[str, Field(max_length=40), NoControl]
Text100 = Annotated[str, Field(max_length=100), NoControl]
Text200 = Annotated[str, Field(max_length=200), NoControl]
Text2000 = Annotated[str, Field(max_length=2000), NoControl]
Name200 = Annotated[str, Field(min_length=1, max_length=200), NoControl]
Description = Annotated[str, Field(min_length=1, max_length=5000), NoControl]
DecimalText = Annotated[str, Field(pattern=r"^-?\d{1,12}(\.\d{1,4})?$", examples=["12.5"])]
PositiveAmount = Annotated[str, Field(pattern=r"^\d{1,10}(\.\d{1,2})?$", examples=["1200.00"])]
DbId = Annotated[int, Field(ge=1, le=2**31 - 1)]
InvoiceStatusName = Literal["draft", "issued", "partially_paid", "paid", "cancelled"]
InvoiceKindName = Literal["invoice", "deposit", "credit_note"]
ExemptionName = Literal["franchise", "reverse_charge", "intra_eu", "export", "exempt_261"]


def money(value: Decimal) -> str:
    return f"{value:.2f}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemOut(BaseModel):
    code: str
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error: a stable code, a French message, and the problems with their field paths."""

    code: str
    message: str
    problems: list[ProblemOut]


class AddressIO(_Model):
    line1: Text200 = ""
    line2: Text200 = ""
    postcode: Text20 = ""
    city: Text100 = ""
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "FR"

    @classmethod
    def of(cls, a: Address) -> AddressIO:
        return cls(line1=a.line1, line2=a.line2, postcode=a.postcode, city=a.city, country=a.country or "FR")


class CustomerIn(_Model):
    name: Name200
    legal_form: Text40 = ""
    siren: Text20 = ""
    siret: Text20 = ""
    vat_number: Text20 = ""
    is_business: bool = True
    is_public_body: bool = False
    address: AddressIO | None = None
    delivery_address: AddressIO | None = None
    email: Text200 = ""
    phone: Text40 = ""
    iban: Text40 = ""
    bic: Text11 = ""
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] | None = None
    reference: Text40 = ""


class CustomerOut(BaseModel):
    id: int
    name: str
    legal_form: str
    siren: str
    siret: str
    vat_number: str
    is_business: bool
    is_public_body: bool
    address: AddressIO
    delivery_address: AddressIO | None
    email: str
    phone: str
    payment_terms_days: int | None
    reference: str

    @classmethod
    def of(cls, p: Party) -> CustomerOut:
        return cls(
            id=p.id or 0,
            name=p.name,
            legal_form=p.legal_form,
            siren=p.siren,
            siret=p.siret,
            vat_number=p.vat_number,
            is_business=p.is_business,
            is_public_body=p.is_public_body,
            address=AddressIO.of(p.address),
            delivery_address=AddressIO.of(p.delivery_address) if p.delivery_address else None,
            email=p.email,
            phone=p.phone,
            payment_terms_days=p.payment_terms_days,
            reference=p.reference,
        )


class CustomerList(BaseModel):
    items: list[CustomerOut]
    total: int
    limit: int
    offset: int


class LineIn(_Model):
    description: Description
    quantity: DecimalText
    unit_price: DecimalText
    unit: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,10}$")] = "C62"
    vat_rate: DecimalText = "20"
    exemption: ExemptionName | None = None
    discount_percent: DecimalText = "0"
    nature: Literal["goods", "services"] = "services"
    item_code: Text40 = ""


class InvoiceIn(_Model):
    """A draft invoice: an existing customer (``customer_id``) or a customer snapshot."""

    kind: Literal["invoice", "deposit"] = "invoice"
    customer_id: DbId | None = None
    customer: CustomerIn | None = None
    issue_date: date
    supply_date: date | None = None
    due_date: date | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "EUR"
    document_discount_percent: DecimalText = "0"
    purchase_order: Text100 = ""
    note: Text2000 = ""
    lines: Annotated[list[LineIn], Field(max_length=1000)] = []


class LineOut(BaseModel):
    description: str
    quantity: str
    unit: str
    unit_price: str
    vat_rate: str
    exemption: str | None
    discount_percent: str
    nature: str
    net_amount: str


class PartyRef(BaseModel):
    id: int | None
    name: str
    siren: str


class InvoiceOut(BaseModel):
    id: int
    number: str
    kind: InvoiceKindName
    status: InvoiceStatusName
    customer: PartyRef
    issue_date: date
    supply_date: date | None
    due_date: date | None
    currency: str
    total_excl_tax: str
    total_vat: str
    total_incl_tax: str
    amount_paid: str
    amount_credited: str
    amount_due: str
    payment_reference: str
    corrects_number: str
    quote_number: str
    lines: list[LineOut]

    @classmethod
    def of(cls, inv: Invoice) -> InvoiceOut:
        if inv.total_incl_tax_override is not None:
            excl, vat, incl = inv.total_incl_tax_override, Decimal(0), inv.total_incl_tax_override
        else:
            t = compute_totals(inv)
            excl, vat, incl = t.total_excl_tax, t.total_vat, t.total_incl_tax
        return cls(
            id=inv.id or 0,
            number=inv.number,
            kind=inv.kind.value,
            status=inv.status.value,
            customer=PartyRef(id=inv.customer.id, name=inv.customer.name, siren=inv.customer.siren),
            issue_date=inv.issue_date,
            supply_date=inv.supply_date,
            due_date=inv.due_date,
            currency=inv.currency,
            total_excl_tax=money(excl),
            total_vat=money(vat),
            total_incl_tax=money(incl),
            amount_paid=money(inv.amount_paid),
            amount_credited=money(inv.amount_credited),
            amount_due=money(inv.amount_due),
            payment_reference=inv.payment_reference,
            corrects_number=inv.corrects_number,
            quote_number=inv.quote_number,
            lines=[
                LineOut(
                    description=ln.description,
                    quantity=f"{ln.quantity.normalize():f}",
                    unit=ln.unit,
                    unit_price=f"{ln.unit_price.normalize():f}",
                    vat_rate=f"{ln.vat_rate.normalize():f}",
                    exemption=ln.exemption.value if ln.exemption else None,
                    discount_percent=f"{ln.discount_percent.normalize():f}",
                    nature=ln.nature.value,
                    net_amount=money(ln.net_amount),
                )
                for ln in inv.lines
            ],
        )


class InvoiceSummary(BaseModel):
    id: int
    number: str
    kind: InvoiceKindName
    status: InvoiceStatusName
    customer_id: int | None
    customer_name: str
    customer_siren: str
    issue_date: date
    due_date: date | None
    total_incl_tax: str
    amount_due: str
    currency: str

    @classmethod
    def of(cls, r: InvoiceRow) -> InvoiceSummary:
        return cls(
            id=r.id,
            number=r.number,
            kind=r.kind,  # type: ignore[arg-type]
            status=r.status,  # type: ignore[arg-type]
            customer_id=r.customer_id,
            customer_name=r.customer_name,
            customer_siren=r.customer_siren,
            issue_date=r.issue_date,
            due_date=r.due_date,
            total_incl_tax=money(r.total_incl_tax),
            amount_due=money(r.amount_due),
            currency=r.currency,
        )


class InvoiceList(BaseModel):
    items: list[InvoiceSummary]
    total: int
    limit: int
    offset: int


class PaymentIn(_Model):
    amount: PositiveAmount
    date: date
    method: Literal["transfer", "card", "cheque", "cash", "sdd"] = "transfer"


class CompanyOut(BaseModel):
    id: int
    name: str
    siren: str
    vat_number: str
    legal_form: str
    share_capital: str | None
    rcs_city: str
    address: AddressIO
    email: str
    iban: str
    bic: str
    default_payment_days: int
    penalty_rate: str
    invoice_pattern: str

    @classmethod
    def of(cls, c: Company) -> CompanyOut:
        return cls(
            id=c.id or 0,
            name=c.name,
            siren=c.siren,
            vat_number=c.vat_number,
            legal_form=c.legal_form,
            share_capital=money(c.share_capital) if c.share_capital is not None else None,
            rcs_city=c.rcs_city,
            address=AddressIO.of(c.address),
            email=c.email,
            iban=c.iban,
            bic=c.bic,
            default_payment_days=c.default_payment_days,
            penalty_rate=f"{c.penalty_rate.normalize():f}",
            invoice_pattern=c.invoice_pattern,
        )
