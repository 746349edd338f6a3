"""Quotes, invoices, deposit invoices and credit notes; their lines and totals.

Totals follow the EN 16931 calculation model (BR-CO-10..17, CHECKLIST VAT-ROUND):
line net amounts are rounded to the cent, summed per VAT category and rate, document-level
allowances are taken per VAT group, and VAT is computed once per group on its taxable base —
never per line then summed.

>>> inv = Invoice(company_id=1, customer=Party(name="ACME"), issue_date=date(2026, 1, 5),
...               lines=(Line("Pose", Decimal(2), Decimal("100.00"), vat_rate=Decimal(20)),))
>>> compute_totals(inv).total_incl_tax
Decimal('240.00')
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from encaisse.domain.money import HUNDRED, ZERO, round_money
from encaisse.domain.parties import Address, Party


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    DEPOSIT = "deposit"
    CREDIT_NOTE = "credit_note"

    @property
    def type_code(self) -> str:
        """UNTDID 1001 document type code (CHECKLIST EINV-TYPE-CODES)."""
        return {"invoice": "380", "deposit": "386", "credit_note": "381"}[self.value]


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CANCELLED = "cancelled"


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    EXPIRED = "expired"
    INVOICED = "invoiced"


class VatCategory(StrEnum):
    """UNTDID 5305 VAT category codes used by EN 16931."""

    STANDARD = "S"
    ZERO = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_EU = "K"
    EXPORT = "G"
    OUTSIDE_SCOPE = "O"


class Exemption(StrEnum):
    """Exemption reasons with their legal mention (CHECKLIST INV-VAT-*)."""

    FRANCHISE = "franchise"
    REVERSE_CHARGE = "reverse_charge"
    INTRA_EU = "intra_eu"
    EXPORT = "export"
    EXEMPT_261 = "exempt_261"

    @property
    def category(self) -> VatCategory:
        return _EXEMPTION_CATEGORY[self]

    @property
    def mention(self) -> str:
        return _EXEMPTION_MENTION[self]

    @property
    def vatex(self) -> str:
        """CEF VATEX code for EN 16931 BT-121."""
        return _EXEMPTION_VATEX[self]


_EXEMPTION_CATEGORY = {
    Exemption.FRANCHISE: VatCategory.EXEMPT,
    Exemption.REVERSE_CHARGE: VatCategory.REVERSE_CHARGE,
    Exemption.INTRA_EU: VatCategory.INTRA_EU,
    Exemption.EXPORT: VatCategory.EXPORT,
    Exemption.EXEMPT_261: VatCategory.EXEMPT,
}
_EXEMPTION_MENTION = {
    Exemption.FRANCHISE: "TVA non applicable, art. 293 B du CGI",
    Exemption.REVERSE_CHARGE: "Autoliquidation",
    Exemption.INTRA_EU: "Exonération de TVA, article 262 ter I du CGI",
    Exemption.EXPORT: "Exonération de TVA, article 262 I du CGI",
    Exemption.EXEMPT_261: "Exonération de TVA, article 261 du CGI",
}
_EXEMPTION_VATEX = {
    Exemption.FRANCHISE: "VATEX-FR-FRANCHISE",
    Exemption.REVERSE_CHARGE: "VATEX-EU-AE",
    Exemption.INTRA_EU: "VATEX-EU-IC",
    Exemption.EXPORT: "VATEX-EU-G",
    Exemption.EXEMPT_261: "VATEX-EU-132",
}

#: VAT rates allowed by place of supply (CHECKLIST VAT-RATE-FR / -DOM / -CORSICA).
VAT_RATES: dict[str, frozenset[Decimal]] = {
    "FR": frozenset(Decimal(r) for r in ("20", "10", "5.5", "2.1", "0")),
    "DOM": frozenset(Decimal(r) for r in ("8.5", "2.1", "1.75", "1.05", "0")),
    "CORSICA": frozenset(Decimal(r) for r in ("20", "13", "10", "5.5", "2.1", "0.9", "0")),
}


class LineNature(StrEnum):
    GOODS = "goods"
    SERVICES = "services"


class Nature(StrEnum):
    """Nature of the operation (CHECKLIST EINV-MENTION-NATURE)."""

    GOODS = "goods"
    SERVICES = "services"
    MIXED = "mixed"


@dataclass(frozen=True)
class Line:
    """One invoice/quote line. ``discount_percent`` is a line allowance (INV-DISCOUNTS)."""

    description: str
    quantity: Decimal
    unit_price: Decimal  # excl. VAT, in the document currency
    unit: str = "C62"  # UN/ECE rec 20 (C62 = unit, HUR = hour, DAY, KGM, MTR, …)
    vat_rate: Decimal = Decimal(20)
    exemption: Exemption | None = None
    discount_percent: Decimal = ZERO
    nature: LineNature = LineNature.SERVICES
    item_code: str = ""
    deposit_invoice_number: str = ""  # set on lines deducting a deposit (DEP-FINAL)

    @property
    def vat_category(self) -> VatCategory:
        if self.exemption is not None:
            return self.exemption.category
        return VatCategory.ZERO if self.vat_rate == 0 else VatCategory.STANDARD

    @property
    def effective_rate(self) -> Decimal:
        return ZERO if self.exemption is not None else self.vat_rate

    @property
    def gross_amount(self) -> Decimal:
        return round_money(self.quantity * self.unit_price)

    @property
    def discount_amount(self) -> Decimal:
        return round_money(self.gross_amount * self.discount_percent / HUNDRED)

    @property
    def net_amount(self) -> Decimal:
        """BT-131 line net amount = quantity × price − line allowance, rounded to the cent."""
        return self.gross_amount - self.discount_amount


@dataclass(frozen=True)
class VatGroup:
    """One row of the VAT breakdown (EN 16931 BG-23)."""

    category: VatCategory
    rate: Decimal
    lines_net: Decimal
    allowance: Decimal
    taxable_amount: Decimal  # BT-116
    tax_amount: Decimal  # BT-117
    exemption: Exemption | None = None
    discount_base: Decimal | None = None  # BT-93 of the document discount; None: lines_net

    @property
    def allowance_base(self) -> Decimal:
        """What the document discount applies to: the lines, deposit deductions excluded (DEP-FINAL)."""
        return self.lines_net if self.discount_base is None else self.discount_base


@dataclass(frozen=True)
class Totals:
    lines_net: Decimal  # BT-106
    allowances: Decimal  # BT-107
    total_excl_tax: Decimal  # BT-109
    total_vat: Decimal  # BT-110
    total_incl_tax: Decimal  # BT-112
    vat_groups: tuple[VatGroup, ...]
    total_vat_eur: Decimal  # BT-111 (VAT in euros for foreign-currency invoices, INV-LANG-CUR)


@dataclass(frozen=True)
class Invoice:
    """An invoice, a deposit invoice (facture d'acompte) or a credit note (avoir).

    ``customer`` is the snapshot of the buyer taken when the document is written.
    """

    company_id: int
    customer: Party
    issue_date: date
    lines: tuple[Line, ...] = ()
    kind: DocumentKind = DocumentKind.INVOICE
    status: InvoiceStatus = InvoiceStatus.DRAFT
    id: int | None = None
    number: str = ""
    series: str = ""
    supply_date: date | None = None
    due_date: date | None = None
    currency: str = "EUR"
    eur_rate: Decimal = Decimal(1)  # EUR for one unit of ``currency``
    document_discount_percent: Decimal = ZERO
    discount_reason: str = "Remise"
    purchase_order: str = ""
    delivery_address: Address | None = None
    corrects_number: str = ""  # credit notes: the invoice corrected (CN-REFERENCE)
    corrects_date: date | None = None
    corrects_id: int | None = None
    quote_number: str = ""
    deposit_numbers: tuple[str, ...] = ()  # deposits deducted by this final invoice
    penalty_rate: Decimal | None = None
    recovery_indemnity: bool = True
    payment_terms_text: str = ""
    early_payment_discount: str = ""
    vat_on_debits: bool = False  # EINV-MENTION-DEBITS, copied from the company at issue
    note: str = ""
    amount_paid: Decimal = ZERO
    amount_credited: Decimal = ZERO
    total_incl_tax_override: Decimal | None = None  # imported receivables without lines
    payment_reference: str = ""  # ISO 11649 RF creditor reference
    disputed: bool = False
    end_of_month_terms: bool = False  # "45 jours fin de mois" expressly stipulated (PAY-TERM-MAX)
    periodic: bool = False  # periodic (summary) invoice of one month's supplies (PAY-TERM-PERIODIC)
    # Issued before the DEP-FINAL fix of 2026-12-04: its document discount was also taken on the
    # deposit deduction lines. Kept so that an issued invoice never changes (INV-IMMUTABLE); a
    # credit note corrects it. Set by migration 0004 only.
    deposit_deduction_discounted: bool = False

    @property
    def nature(self) -> Nature:
        natures = {ln.nature for ln in self.lines if not ln.deposit_invoice_number}
        if natures == {LineNature.GOODS}:
            return Nature.GOODS
        if natures == {LineNature.SERVICES} or not natures:
            return Nature.SERVICES
        return Nature.MIXED

    @property
    def total_incl_tax(self) -> Decimal:
        if self.total_incl_tax_override is not None:
            return self.total_incl_tax_override
        return compute_totals(self).total_incl_tax

    @property
    def amount_due(self) -> Decimal:
        if self.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED):
            return ZERO
        return max(ZERO, self.total_incl_tax - self.amount_paid - self.amount_credited)

    def with_changes(self, **changes: object) -> Invoice:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Quote:
    company_id: int
    customer: Party
    issue_date: date
    validity_date: date
    lines: tuple[Line, ...] = ()
    status: QuoteStatus = QuoteStatus.DRAFT
    id: int | None = None
    number: str = ""
    document_discount_percent: Decimal = ZERO
    currency: str = "EUR"
    note: str = ""
    accepted_on: date | None = None


def group_key(line: Line) -> tuple[VatCategory, Decimal]:
    return (line.vat_category, line.effective_rate)


def compute_totals(doc: Invoice | Quote, *, lines: tuple[Line, ...] | None = None) -> Totals:
    """EN 16931 totals: per-group base, document allowance per group, VAT per group.

    The document discount applies to the goods and services of each VAT group, not to the lines
    deducting a deposit: the deposit was billed on the discounted amount already (DEP-FINAL).
    """
    doc_lines = doc.lines if lines is None else lines
    bases: dict[tuple[VatCategory, Decimal], Decimal] = defaultdict(lambda: ZERO)
    discounted: dict[tuple[VatCategory, Decimal], Decimal] = defaultdict(lambda: ZERO)
    exemptions: dict[tuple[VatCategory, Decimal], Exemption | None] = {}
    legacy = isinstance(doc, Invoice) and doc.deposit_deduction_discounted
    for line in doc_lines:
        key = group_key(line)
        bases[key] += line.net_amount
        if legacy or not line.deposit_invoice_number:
            discounted[key] += line.net_amount
        exemptions.setdefault(key, line.exemption)
    groups: list[VatGroup] = []
    pct = doc.document_discount_percent
    for (category, rate), base in sorted(bases.items(), key=lambda kv: (kv[0][0].value, -kv[0][1])):
        discount_base = discounted[(category, rate)]
        allowance = round_money(discount_base * pct / HUNDRED) if pct else ZERO
        taxable = base - allowance
        tax = round_money(taxable * rate / HUNDRED)
        groups.append(
            VatGroup(
                category,
                rate,
                base,
                allowance,
                taxable,
                tax,
                exemptions[(category, rate)],
                discount_base=None if discount_base == base else discount_base,
            )
        )
    lines_net = sum((ln.net_amount for ln in doc_lines), ZERO)
    allowances = sum((g.allowance for g in groups), ZERO)
    total_excl = lines_net - allowances
    total_vat = sum((g.tax_amount for g in groups), ZERO)
    rate = doc.eur_rate if isinstance(doc, Invoice) else Decimal(1)
    return Totals(
        lines_net=lines_net,
        allowances=allowances,
        total_excl_tax=total_excl,
        total_vat=total_vat,
        total_incl_tax=total_excl + total_vat,
        vat_groups=tuple(groups),
        total_vat_eur=round_money(total_vat * rate),
    )


def deposit_deduction_lines(deposit: Invoice) -> tuple[Line, ...]:
    """Negative lines deducting a deposit invoice from the final invoice (DEP-FINAL).

    One line per VAT group of the deposit, so VAT is computed on the remaining balance only.
    """
    totals = compute_totals(deposit)
    return tuple(
        Line(
            description=f"Déduction de l'acompte facturé {deposit.number} du {deposit.issue_date:%d/%m/%Y}",
            quantity=Decimal(1),
            unit_price=-g.taxable_amount,
            vat_rate=g.rate,
            exemption=g.exemption,
            deposit_invoice_number=deposit.number,
        )
        for g in totals.vat_groups
    )


def deposit_lines(quote: Quote, percent: Decimal) -> tuple[Line, ...]:
    """Lines of a deposit invoice of ``percent`` % of a quote, one per VAT group."""
    totals = compute_totals(quote)
    return tuple(
        Line(
            description=f"Acompte de {percent.normalize():f} % sur le devis {quote.number}",
            quantity=Decimal(1),
            unit_price=round_money(g.taxable_amount * percent / HUNDRED),
            vat_rate=g.rate,
            exemption=g.exemption,
        )
        for g in totals.vat_groups
    )


def credit_note_for(invoice: Invoice, issue_date: date, lines: tuple[Line, ...] | None = None) -> Invoice:
    """A draft credit note correcting ``invoice`` (in full when ``lines`` is None; CN-REFERENCE)."""
    return Invoice(
        company_id=invoice.company_id,
        customer=invoice.customer,
        issue_date=issue_date,
        lines=invoice.lines if lines is None else lines,
        kind=DocumentKind.CREDIT_NOTE,
        currency=invoice.currency,
        eur_rate=invoice.eur_rate,
        document_discount_percent=invoice.document_discount_percent,
        corrects_number=invoice.number,
        corrects_date=invoice.issue_date,
        corrects_id=invoice.id,
        delivery_address=invoice.delivery_address,
        purchase_order=invoice.purchase_order,
        vat_on_debits=invoice.vat_on_debits,
        recovery_indemnity=invoice.recovery_indemnity,
        deposit_deduction_discounted=invoice.deposit_deduction_discounted,  # mirrors the amounts it corrects
    )
