"""Template contexts: domain documents turned into French display values (no business rules).

Totals are read from :func:`encaisse.domain.documents.compute_totals` and never recomputed;
this module only formats them and decides which rows and mentions are shown.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from encaisse.adapters.pdf import mentions
from encaisse.adapters.pdf.fr_format import (
    fr_amount,
    fr_date,
    fr_iban,
    fr_number,
    fr_percent,
    fr_quantity,
    fr_unit,
    fr_unit_price,
)
from encaisse.domain.documents import (
    DocumentKind,
    Exemption,
    Invoice,
    InvoiceStatus,
    Line,
    Nature,
    Quote,
    Totals,
    VatCategory,
    VatGroup,
    compute_totals,
)
from encaisse.domain.money import ZERO
from encaisse.domain.parties import Address, Company, Party
from encaisse.formats.qr_symbol import QrSymbol

NATURE_LABELS = {
    Nature.GOODS: "Livraison de biens",
    Nature.SERVICES: "Prestation de services",
    Nature.MIXED: "Livraison de biens et prestation de services",
}


@dataclass(frozen=True)
class PaymentBlock:
    """Bank details printed at the bottom of an invoice (SEPA-VOP: exact account holder).

    ``reference`` is the ISO 11649 RF creditor reference, or the invoice number.
    """

    iban: str
    bic: str
    account_holder: str
    reference: str
    qr: QrSymbol | None = None  # EPC QR code (EPC-QR-PAYLOAD), painted by adapters.pdf.qr_paint
    payment_url: str = ""


@dataclass(frozen=True)
class Row:
    """One printed row of a totals or VAT table."""

    label: str
    value: str
    strong: bool = False
    cells: tuple[str, ...] = field(default_factory=tuple)


def data_uri(image: bytes | None) -> str:
    """An inline ``data:`` URI for PNG/JPEG bytes (no file access at render time); "" otherwise."""
    if not image:
        return ""
    if image.startswith(b"\x89PNG\r\n\x1a\n"):
        mime = "image/png"
    elif image.startswith(b"\xff\xd8\xff"):
        mime = "image/jpeg"
    else:
        return ""
    return f"data:{mime};base64,{base64.b64encode(image).decode('ascii')}"


def exemption_label(exemption: Exemption | None, category: VatCategory) -> str:
    """Short label in the "TVA" column for lines without French VAT (INV-LINE-VAT-RATE)."""
    if exemption is Exemption.REVERSE_CHARGE or category is VatCategory.REVERSE_CHARGE:
        return "Autoliq."
    if exemption is Exemption.FRANCHISE:
        return "Non applicable"
    return "Exonéré"


def line_vat_label(line: Line) -> str:
    if line.exemption is not None:
        return exemption_label(line.exemption, line.vat_category)
    return fr_percent(line.vat_rate)


def line_rows(lines: Sequence[Line], currency: str) -> list[dict[str, str]]:
    """Lines table (INV-LINE-DESC, -UNIT-PRICE, -VAT-RATE, INV-DISCOUNTS)."""
    return [
        {
            "description": line.description,
            "code": line.item_code,
            "quantity": fr_quantity(line.quantity),
            "unit": fr_unit(line.unit),
            "unit_price": fr_unit_price(line.unit_price, currency),
            "discount": fr_percent(line.discount_percent) if line.discount_percent else "",
            "vat": line_vat_label(line),
            "total": fr_amount(line.net_amount, currency),
        }
        for line in lines
    ]


def has_line_discount(lines: Sequence[Line]) -> bool:
    """The "Remise" column is printed only when a line has a discount (INV-DISCOUNTS)."""
    return any(line.discount_percent for line in lines)


def vat_rows(groups: Sequence[VatGroup], currency: str) -> list[Row]:
    """VAT breakdown per category and rate: base HT, rate, VAT (INV-TOTALS-PER-RATE)."""
    rows = []
    for group in groups:
        rate = (
            fr_percent(group.rate)
            if group.exemption is None
            else exemption_label(group.exemption, group.category)
        )
        rows.append(
            Row(
                label=rate,
                value=fr_amount(group.tax_amount, currency),
                cells=(
                    fr_amount(group.taxable_amount, currency),
                    rate,
                    fr_amount(group.tax_amount, currency),
                ),
            )
        )
    return rows


def exemption_mentions(groups: Sequence[VatGroup]) -> list[str]:
    """Legal mention of every exemption used (INV-VAT-FRANCHISE, -REVERSE, -EXEMPT-ICS/-EXPORT/-261)."""
    seen: list[str] = []
    for group in groups:
        if group.exemption is not None and group.exemption.mention not in seen:
            seen.append(group.exemption.mention)
    return seen


def is_franchise_only(totals: Totals) -> bool:
    """Franchise seller: no VAT amount is shown at all (INV-VAT-FRANCHISE)."""
    groups = totals.vat_groups
    return bool(groups) and all(g.exemption is Exemption.FRANCHISE for g in groups)


def total_rows(doc: Invoice | Quote, totals: Totals, *, franchise_only: bool) -> list[Row]:
    """Totals HT / TVA / TTC with the document discount (INV-TOTALS-PER-RATE, INV-DISCOUNTS)."""
    cur = doc.currency
    rows: list[Row] = []
    if totals.allowances:
        reason = doc.discount_reason if isinstance(doc, Invoice) else "Remise"
        rows.append(Row("Total HT avant remise", fr_amount(totals.lines_net, cur)))
        label = f"{reason} ({fr_percent(doc.document_discount_percent)})"
        rows.append(Row(label, fr_amount(-totals.allowances, cur)))
    if franchise_only:
        rows.append(Row("Total", fr_amount(totals.total_excl_tax, cur), strong=True))
        return rows
    rows.append(Row("Total HT", fr_amount(totals.total_excl_tax, cur)))
    rows.append(Row("Total TVA", fr_amount(totals.total_vat, cur)))
    rows.append(Row("Total TTC", fr_amount(totals.total_incl_tax, cur), strong=True))
    return rows


def delivery_address(invoice: Invoice) -> Address | None:
    """Delivery address when it differs from the buyer's (EINV-MENTION-DELIVERY-ADDR)."""
    address = invoice.delivery_address or invoice.customer.delivery_address
    if address is None or address.is_empty() or address == invoice.customer.address:
        return None
    return address


def party_context(party: Party) -> dict[str, object]:
    return {"name": party.name, "lines": mentions.buyer_identity(party)}


def company_context(company: Company) -> dict[str, object]:
    return {
        "name": mentions.seller_display_name(company),
        "lines": mentions.seller_identity(company),
        "footer": mentions.legal_footer(company),
        "insurance": mentions.insurance(company),
        "logo": data_uri(company.logo),
    }


def payment_context(payment: PaymentBlock | None) -> dict[str, object] | None:
    """Bank details; the payment URL becomes a link only for http(s) URLs (no script actions)."""
    if payment is None:
        return None
    return {
        "linked": payment.payment_url.lower().startswith(("https://", "http://")),
        "iban": fr_iban(payment.iban),
        "bic": payment.bic,
        "holder": payment.account_holder,
        "reference": payment.reference,
        "qr": payment.qr is not None,
        "url": payment.payment_url,
    }


def invoice_context(
    invoice: Invoice, company: Company, payment: PaymentBlock | None, today: date
) -> dict[str, object]:
    """Everything the invoice template prints (CHECKLIST §1, CN-REFERENCE, DEP-FINAL, INV-LANG-CUR)."""
    totals = compute_totals(invoice)
    cur = invoice.currency
    franchise_only = is_franchise_only(totals)
    is_draft = invoice.status is InvoiceStatus.DRAFT
    meta: list[tuple[str, str]] = [("Date d'émission", fr_date(invoice.issue_date))]
    if invoice.supply_date is not None:
        meta.append(("Date de livraison / d'exécution", fr_date(invoice.supply_date)))
    if invoice.due_date is not None and invoice.kind is not DocumentKind.CREDIT_NOTE:
        meta.append(("Date d'échéance", fr_date(invoice.due_date)))
    if invoice.purchase_order:
        meta.append(("Bon de commande N°", invoice.purchase_order))
    if invoice.quote_number:
        meta.append(("Devis N°", invoice.quote_number))
    if invoice.customer.reference:
        meta.append(("Référence client", invoice.customer.reference))
    if invoice.lines:
        meta.append(("Nature de l'opération", NATURE_LABELS[invoice.nature]))
    if cur != "EUR":
        meta.append(("Devise", cur))
    if is_draft:
        meta.append(("Aperçu du", fr_date(today)))

    rows = total_rows(invoice, totals, franchise_only=franchise_only)
    if invoice.total_incl_tax_override is not None and not invoice.lines:
        rows = [Row("Total TTC", fr_amount(invoice.total_incl_tax, cur), strong=True)]
    deposits = [ln for ln in invoice.lines if ln.deposit_invoice_number]
    deposit_numbers = list(invoice.deposit_numbers) or sorted({ln.deposit_invoice_number for ln in deposits})
    eur_rows: list[Row] = []
    if cur != "EUR" and not franchise_only:
        eur_rows.append(Row("Total TVA en euros", fr_amount(totals.total_vat_eur, "EUR"), strong=True))
        eur_rows.append(Row("Taux de conversion", f"1 {cur} = {fr_number(invoice.eur_rate, 6)} EUR"))
    settled = invoice.amount_paid + invoice.amount_credited
    if invoice.kind is DocumentKind.CREDIT_NOTE:
        net_label, net = "Montant de l'avoir", invoice.total_incl_tax
    else:
        net_label, net = "Net à payer", invoice.total_incl_tax - settled
    return {
        "kind": invoice.kind.value,
        "title": mentions.document_title(invoice),
        "draft": is_draft,
        "number": invoice.number,
        "reference_line": mentions.credit_note_reference(invoice),
        "meta": meta,
        "seller": company_context(company),
        "buyer": party_context(invoice.customer),
        "delivery": mentions.address_lines(addr) if (addr := delivery_address(invoice)) else [],
        "lines": line_rows(invoice.lines, cur),
        "show_vat": not franchise_only,
        "show_discount": has_line_discount(invoice.lines),
        "vat_rows": [] if franchise_only else vat_rows(totals.vat_groups, cur),
        "exemptions": exemption_mentions(totals.vat_groups),
        "totals": rows,
        "eur_rows": eur_rows,
        "deposits": {
            "numbers": deposit_numbers,
            "amount": fr_amount(-sum((ln.net_amount for ln in deposits), ZERO), cur) if deposits else "",
        },
        "settled": fr_amount(-settled, cur) if settled > ZERO else "",
        "net_label": net_label,
        "net": fr_amount(net, cur),
        "terms": mentions.payment_terms(invoice, company),
        "tax_mentions": mentions.tax_mentions(invoice, company),
        "note": invoice.note,
        "payment": None if invoice.kind is DocumentKind.CREDIT_NOTE else payment_context(payment),
    }


def quote_context(quote: Quote, company: Company) -> dict[str, object]:
    """Quote: parties, lines, totals, validity date and "Bon pour accord" box (QUO-B2B, QUO-VALIDITY)."""
    totals = compute_totals(quote)
    cur = quote.currency
    franchise_only = is_franchise_only(totals)
    meta = [
        ("Date", fr_date(quote.issue_date)),
        ("Valable jusqu'au", fr_date(quote.validity_date)),
    ]
    if cur != "EUR":
        meta.append(("Devise", cur))
    return {
        "title": "Devis",
        "number": quote.number,
        "meta": meta,
        "validity": fr_date(quote.validity_date),
        "seller": company_context(company),
        "buyer": party_context(quote.customer),
        "lines": line_rows(quote.lines, cur),
        "show_vat": not franchise_only,
        "show_discount": has_line_discount(quote.lines),
        "vat_rows": [] if franchise_only else vat_rows(totals.vat_groups, cur),
        "exemptions": exemption_mentions(totals.vat_groups),
        "totals": total_rows(quote, totals, franchise_only=franchise_only),
        "note": quote.note,
        "accepted_on": fr_date(quote.accepted_on) if quote.accepted_on else "",
    }
