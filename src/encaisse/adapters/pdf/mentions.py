"""The French legal mentions printed on quotes, invoices and letters (CHECKLIST §1, §3).

Each function returns plain text (never HTML: the templates escape it) and cites the rule
code of ``shared/legal/CHECKLIST.md`` it satisfies.
"""

from __future__ import annotations

from decimal import Decimal

from encaisse.adapters.pdf.fr_format import fr_amount, fr_date, fr_percent, fr_siren
from encaisse.domain.documents import DocumentKind, Invoice
from encaisse.domain.parties import Address, Company, Party

NO_ESCOMPTE = "Pas d'escompte pour paiement anticipé."
VAT_ON_DEBITS = "Option pour le paiement de la taxe d'après les débits"
OGA_MENTION = (
    "Membre d'un centre de gestion agréé, acceptant à ce titre le règlement des sommes dues "
    "par chèque libellé à son nom."
)
RECOVERY_INDEMNITY = (
    "Indemnité forfaitaire pour frais de recouvrement due en cas de retard de paiement : 40\u00a0€ "
    "(art. L441-10 et D441-5 du Code de commerce)."
)


def seller_display_name(company: Company) -> str:
    """Seller name, followed by "EI" for a sole trader (INV-SELLER-NAME, INV-SELLER-EI)."""
    name = company.name.strip()
    if company.is_sole_trader:
        words = {w.strip(".,()").upper() for w in name.split()}
        if "EI" not in words and "ENTREPRENEUR INDIVIDUEL" not in name.upper():
            name = f"{name} EI"
    return name


def form_and_capital(company: Company) -> str:
    """Legal form and share capital, e.g. "SAS au capital de 10 000 €" (INV-SELLER-FORM-CAPITAL)."""
    if company.is_sole_trader:
        return "Entrepreneur individuel"
    form = company.legal_form.strip()
    if company.capital_variable:
        return f"{form} à capital variable".strip()
    if company.share_capital is not None:
        return f"{form} au capital de {fr_amount(company.share_capital, cents=False)}".strip()
    return form


def registration(company: Company) -> str:
    """SIREN with the RCS city (C. com. R123-237: "RCS Lyon 732 829 320"; INV-SELLER-RCS/-RM)."""
    siren = fr_siren(company.siren)
    parts = [f"RCS {company.rcs_city} {siren}" if company.rcs_city else f"SIREN {siren}"]
    if company.rm_mention:
        parts.append(company.rm_mention)
    return " – ".join(parts)


def address_lines(address: Address) -> list[str]:
    """Postal address as printed lines (INV-SELLER-ADDR, INV-BUYER-ADDR)."""
    lines = [address.line1, address.line2, f"{address.postcode} {address.city}".strip()]
    if address.country and address.country != "FR":
        lines.append(address.country)
    return [line for line in lines if line]


def seller_identity(company: Company) -> list[str]:
    """The seller block of the header: identity lines under the name (CHECKLIST §1.2)."""
    lines = [form_and_capital(company), *address_lines(company.address)]
    lines.append(registration(company))
    if company.vat_number:
        lines.append(f"N° TVA intracommunautaire : {company.vat_number}")
    contact = " – ".join(x for x in (company.phone, company.email) if x)
    if contact:
        lines.append(contact)
    return [line for line in lines if line]


def legal_footer(company: Company) -> str:
    """The legal identity repeated at the foot of every page (C. com. R123-237, R123-238)."""
    parts = [
        seller_display_name(company),
        form_and_capital(company),
        company.address.one_line(),
        registration(company),
    ]
    if company.vat_number:
        parts.append(f"TVA {company.vat_number}")
    return " – ".join(p for p in parts if p)


def buyer_identity(customer: Party) -> list[str]:
    """Buyer block under the name: address, SIREN, VAT number (INV-BUYER-*, EINV-MENTION-BUYER-SIREN)."""
    lines = address_lines(customer.address)
    if customer.siren:
        lines.append(f"SIREN {fr_siren(customer.siren)}")
    elif customer.siret:
        lines.append(f"SIRET {customer.siret}")
    if customer.vat_number:
        lines.append(f"N° TVA intracommunautaire : {customer.vat_number}")
    return lines


def document_title(invoice: Invoice) -> str:
    """ "Facture", "Facture d'acompte" or "Avoir" (EINV-TYPE-CODES 380 / 386 / 381)."""
    return {
        DocumentKind.INVOICE: "Facture",
        DocumentKind.DEPOSIT: "Facture d'acompte",
        DocumentKind.CREDIT_NOTE: "Avoir",
    }[invoice.kind]


def credit_note_reference(invoice: Invoice) -> str:
    """ "Avoir relatif à la facture N° … du …" (CN-REFERENCE)."""
    if invoice.kind is not DocumentKind.CREDIT_NOTE or not invoice.corrects_number:
        return ""
    text = f"Avoir relatif à la facture N° {invoice.corrects_number}"
    if invoice.corrects_date is not None:
        text += f" du {fr_date(invoice.corrects_date)}"
    return text


def penalty_rate(invoice: Invoice, company: Company) -> Decimal:
    return invoice.penalty_rate if invoice.penalty_rate is not None else company.penalty_rate


def payment_terms(invoice: Invoice, company: Company) -> list[str]:
    """Payment conditions (C. com. L441-9 I; CHECKLIST §1.5 and INV-VAT-DEBITS, INV-OGA).

    B2B: due date, late-payment penalty rate (INV-PAY-PENALTY-RATE), 40 € indemnity
    (INV-PAY-INDEMNITY-40), escompte (INV-PAY-ESCOMPTE). Consumers get neither the
    penalty clause nor the indemnity (PAY-B2C).
    """
    lines: list[str] = []
    if invoice.kind is not DocumentKind.CREDIT_NOTE and invoice.due_date is not None:
        lines.append(f"Date d'échéance : {fr_date(invoice.due_date)}.")
    if invoice.payment_terms_text:
        lines.append(invoice.payment_terms_text)
    if invoice.kind is not DocumentKind.CREDIT_NOTE:
        lines.append(invoice.early_payment_discount or company.early_payment_discount or NO_ESCOMPTE)
        if invoice.customer.is_business:
            lines.append(
                "En cas de retard de paiement, des pénalités sont exigibles dès le lendemain de la date "
                f"d'échéance, sans rappel préalable, au taux annuel de {fr_percent(penalty_rate(invoice, company))}."
            )
            if invoice.recovery_indemnity:
                lines.append(RECOVERY_INDEMNITY)
    return lines


def tax_mentions(invoice: Invoice, company: Company) -> list[str]:
    """VAT-on-debits option and approved-centre membership (INV-VAT-DEBITS, INV-OGA).

    Exemption mentions (INV-VAT-FRANCHISE, -REVERSE, -EXEMPT-*) come with the VAT breakdown.
    """
    lines: list[str] = []
    if invoice.vat_on_debits:
        lines.append(VAT_ON_DEBITS)
    if company.oga_member:
        lines.append(OGA_MENTION)
    return lines


def insurance(company: Company) -> str:
    """Professional / ten-year insurance mention (INV-INSURANCE, INV-DECENNALE, QUO-INSURANCE)."""
    return company.insurance_mention.strip()
