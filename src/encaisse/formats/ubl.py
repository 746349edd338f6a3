"""OASIS UBL 2.1 Invoice / CreditNote export, EN 16931 binding (Peppol BIS Billing 3.0 flavour).

Specification: CEN/TS 16931-3-2 (EN 16931 ↔ UBL 2.1); Peppol BIS Billing 3.0 customization
``urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0``. A credit note
(type 381, CHECKLIST CN-E-INVOICE) is a UBL ``CreditNote``; everything else an ``Invoice``.
Same semantic choices as :mod:`encaisse.formats.cii` (see :mod:`encaisse.formats.en16931`).

>>> from datetime import date
>>> from decimal import Decimal
>>> from encaisse.domain.documents import Invoice, Line
>>> from encaisse.domain.parties import Company, Party
>>> inv = Invoice(company_id=1, customer=Party(name="ACME", siren="542051180"),
...               issue_date=date(2026, 1, 5), number="F2026-00001",
...               lines=(Line("Pose", Decimal(2), Decimal("100.00")),))
>>> xml = export(inv, Company(name="Encaisse SARL", siren="732829320"))
>>> b'<cbc:PayableAmount currencyID="EUR">240.00</cbc:PayableAmount>' in xml
True
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from encaisse.domain.documents import DocumentKind, Invoice, Line, Totals, VatCategory, compute_totals
from encaisse.domain.errors import FormatError
from encaisse.domain.parties import Address, Company, Party, compact_digits
from encaisse.formats import en16931 as model

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
SEPA_CREDIT_TRANSFER = "58"
SIREN_SCHEME = "0002"

_Element = etree._Element


def _cbc(parent: _Element, name: str, text: str, **attrs: str) -> _Element:
    element = etree.SubElement(parent, f"{{{CBC}}}{name}", attrs or None)
    element.text = text
    return element


def _cac(parent: _Element, name: str) -> _Element:
    return etree.SubElement(parent, f"{{{CAC}}}{name}")


class _Writer:
    """Amounts always carry the document currency (UBL requires ``currencyID``)."""

    def __init__(self, currency: str) -> None:
        self.currency = currency

    def amount(self, parent: _Element, name: str, value: Decimal, currency: str | None = None) -> None:
        _cbc(parent, name, model.fmt_amount(value), currencyID=currency or self.currency)


def _address(parent: _Element, name: str, address: Address) -> None:
    element = _cac(parent, name)
    if address.line1:
        _cbc(element, "StreetName", address.line1)
    if address.line2:
        _cbc(element, "AdditionalStreetName", address.line2)
    if address.city:
        _cbc(element, "CityName", address.city)
    if address.postcode:
        _cbc(element, "PostalZone", address.postcode)
    _cbc(_cac(element, "Country"), "IdentificationCode", address.country or "FR")


def _tax_scheme(parent: _Element, scheme: str = "VAT") -> None:
    _cbc(_cac(parent, "TaxScheme"), "ID", scheme)


def _seller(parent: _Element, company: Company) -> None:
    party = _cac(_cac(parent, "AccountingSupplierParty"), "Party")
    _cbc(party, "EndpointID", compact_digits(company.siren), schemeID=model.DIRECTORY_SCHEME)
    _cbc(_cac(party, "PartyName"), "Name", company.name)
    _address(party, "PostalAddress", company.address)
    tax = _cac(party, "PartyTaxScheme")
    if company.vat_number:
        _cbc(tax, "CompanyID", compact_digits(company.vat_number))
        _tax_scheme(tax)
    else:
        # No VAT number (franchise en base): the SIREN as tax registration id, BT-32 (BR-E-02).
        _cbc(tax, "CompanyID", compact_digits(company.siren))
        _tax_scheme(tax, "TAX")
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", company.name)
    _cbc(legal, "CompanyID", compact_digits(company.siren), schemeID=SIREN_SCHEME)
    _cbc(legal, "CompanyLegalForm", model.seller_legal_info(company))


def _buyer(parent: _Element, customer: Party) -> None:
    party = _cac(_cac(parent, "AccountingCustomerParty"), "Party")
    address = model.electronic_address(customer.siren, customer.email)
    if address is not None:
        _cbc(party, "EndpointID", address[1], schemeID=address[0])
    _cbc(_cac(party, "PartyName"), "Name", customer.name)
    _address(party, "PostalAddress", customer.address)
    if customer.vat_number:
        tax = _cac(party, "PartyTaxScheme")
        _cbc(tax, "CompanyID", compact_digits(customer.vat_number))
        _tax_scheme(tax)
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", customer.name)
    if customer.siren:
        _cbc(legal, "CompanyID", compact_digits(customer.siren), schemeID=SIREN_SCHEME)


def _tax_category(parent: _Element, name: str, category: VatCategory, rate: Decimal) -> _Element:
    element = _cac(parent, name)
    _cbc(element, "ID", category.value)
    _cbc(element, "Percent", model.fmt_rate(rate))
    return element


def _line(parent: _Element, w: _Writer, index: int, line: Line, credit_note: bool) -> None:
    element = _cac(parent, "CreditNoteLine" if credit_note else "InvoiceLine")
    _cbc(element, "ID", str(index))
    quantity, price = model.signed_quantity_price(line)
    quantity_name = "CreditedQuantity" if credit_note else "InvoicedQuantity"
    _cbc(element, quantity_name, model.fmt_quantity(quantity), unitCode=line.unit)
    w.amount(element, "LineExtensionAmount", line.net_amount)
    if line.discount_percent:
        allowance = _cac(element, "AllowanceCharge")
        _cbc(allowance, "ChargeIndicator", "false")
        _cbc(allowance, "AllowanceChargeReason", "Remise")
        _cbc(allowance, "MultiplierFactorNumeric", model.fmt_rate(line.discount_percent))
        w.amount(allowance, "Amount", line.discount_amount)
        w.amount(allowance, "BaseAmount", line.gross_amount)
    item = _cac(element, "Item")
    _cbc(item, "Name", line.description)
    if line.item_code:
        _cbc(_cac(item, "SellersItemIdentification"), "ID", line.item_code)
    _tax_scheme(_tax_category(item, "ClassifiedTaxCategory", line.vat_category, line.effective_rate))
    _cbc(_cac(element, "Price"), "PriceAmount", model.fmt_price(price), currencyID=w.currency)


def _allowances(parent: _Element, w: _Writer, invoice: Invoice, totals: Totals) -> None:
    """BG-20: one allowance per VAT group, at the document discount percent (INV-DISCOUNTS)."""
    for group in totals.vat_groups:
        if not group.allowance:
            continue
        allowance = _cac(parent, "AllowanceCharge")
        _cbc(allowance, "ChargeIndicator", "false")
        _cbc(allowance, "AllowanceChargeReason", invoice.discount_reason or "Remise")
        _cbc(allowance, "MultiplierFactorNumeric", model.fmt_rate(invoice.document_discount_percent))
        w.amount(allowance, "Amount", group.allowance)
        w.amount(allowance, "BaseAmount", group.allowance_base)
        _tax_scheme(_tax_category(allowance, "TaxCategory", group.category, group.rate))


def _tax_totals(parent: _Element, w: _Writer, invoice: Invoice, totals: Totals) -> None:
    """BG-23 breakdown, and BT-111 (VAT in EUR, INV-LANG-CUR) in a second TaxTotal."""
    tax_total = _cac(parent, "TaxTotal")
    w.amount(tax_total, "TaxAmount", totals.total_vat)
    for group in totals.vat_groups:
        subtotal = _cac(tax_total, "TaxSubtotal")
        w.amount(subtotal, "TaxableAmount", group.taxable_amount)
        w.amount(subtotal, "TaxAmount", group.tax_amount)
        category = _tax_category(subtotal, "TaxCategory", group.category, group.rate)
        if group.exemption is not None:
            _cbc(category, "TaxExemptionReasonCode", group.exemption.vatex)
            _cbc(category, "TaxExemptionReason", group.exemption.mention)
        _tax_scheme(category)
    if invoice.currency != "EUR":
        w.amount(_cac(parent, "TaxTotal"), "TaxAmount", totals.total_vat_eur, "EUR")


def _payment(parent: _Element, invoice: Invoice, company: Company) -> None:
    if invoice.kind is DocumentKind.CREDIT_NOTE or not company.iban:
        return
    means = _cac(parent, "PaymentMeans")
    _cbc(means, "PaymentMeansCode", SEPA_CREDIT_TRANSFER)
    if model.remittance(invoice):
        _cbc(means, "PaymentID", model.remittance(invoice))
    account = _cac(means, "PayeeFinancialAccount")
    _cbc(account, "ID", compact_digits(company.iban))
    _cbc(account, "Name", company.account_holder or company.name)
    if company.bic:
        _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", company.bic)


def export(invoice: Invoice, company: Company) -> bytes:
    """The UBL 2.1 XML (UTF-8) of ``invoice``: a ``CreditNote`` for credit notes, else an ``Invoice``."""
    if not invoice.lines:
        raise FormatError("an EN 16931 invoice needs at least one line (BR-16)", code="EINV-NO-LINES")
    credit_note = invoice.kind is DocumentKind.CREDIT_NOTE
    root_name = "CreditNote" if credit_note else "Invoice"
    namespace = model.UBL_CREDIT_NOTE_NS if credit_note else model.UBL_INVOICE_NS
    root = etree.Element(f"{{{namespace}}}{root_name}", nsmap={None: namespace, "cac": CAC, "cbc": CBC})
    w = _Writer(invoice.currency)
    totals = compute_totals(invoice)

    _cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    _cbc(root, "ProfileID", model.business_process(invoice))
    _cbc(root, "ID", invoice.number)
    _cbc(root, "IssueDate", invoice.issue_date.isoformat())
    if invoice.due_date is not None and not credit_note:
        _cbc(root, "DueDate", invoice.due_date.isoformat())
    _cbc(root, "CreditNoteTypeCode" if credit_note else "InvoiceTypeCode", invoice.kind.type_code)
    for subject, content in model.legal_notes(invoice, company):
        _cbc(root, "Note", f"#{subject}#{content}")
    _cbc(root, "DocumentCurrencyCode", invoice.currency)
    if invoice.currency != "EUR":
        _cbc(root, "TaxCurrencyCode", "EUR")
    if invoice.customer.reference:
        _cbc(root, "BuyerReference", invoice.customer.reference)
    if invoice.purchase_order:
        _cbc(_cac(root, "OrderReference"), "ID", invoice.purchase_order)
    for number, issued in model.preceding_invoices(invoice):
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", number)
        if issued is not None:
            _cbc(reference, "IssueDate", issued.isoformat())
    _seller(root, company)
    _buyer(root, invoice.customer)

    address, supplied = model.ship_to(invoice), model.delivery_date(invoice)
    if address is not None or supplied is not None:
        delivery = _cac(root, "Delivery")
        if supplied is not None:
            _cbc(delivery, "ActualDeliveryDate", supplied.isoformat())
        if address is not None:
            _address(_cac(delivery, "DeliveryLocation"), "Address", address)

    _payment(root, invoice, company)
    terms_text = model.payment_terms_text(invoice)
    if terms_text:
        _cbc(_cac(root, "PaymentTerms"), "Note", terms_text)
    _allowances(root, w, invoice, totals)
    _tax_totals(root, w, invoice, totals)

    monetary = _cac(root, "LegalMonetaryTotal")
    w.amount(monetary, "LineExtensionAmount", totals.lines_net)
    w.amount(monetary, "TaxExclusiveAmount", totals.total_excl_tax)
    w.amount(monetary, "TaxInclusiveAmount", totals.total_incl_tax)
    if totals.allowances:
        w.amount(monetary, "AllowanceTotalAmount", totals.allowances)
    w.amount(monetary, "PrepaidAmount", Decimal(0))
    w.amount(monetary, "PayableAmount", totals.total_incl_tax)

    for index, line in enumerate(invoice.lines, start=1):
        _line(root, w, index, line, credit_note)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


__all__ = ["CUSTOMIZATION_ID", "export"]
