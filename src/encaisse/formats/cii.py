"""UN/CEFACT Cross Industry Invoice D16B export (the XML of Factur-X), EN 16931 binding.

Specification: CEN/TS 16931-3-3 (EN 16931 ↔ CII D16B), Factur-X 1.0.7 profiles
(CHECKLIST EINV-FX-PROFILES): ``EN16931`` (default, guideline ``urn:cen.eu:en16931:2017``),
``BASICWL`` (no lines) and ``MINIMUM`` (header totals only). Totals come from
:func:`encaisse.domain.documents.compute_totals`, so the XML says what the PDF prints.

>>> from datetime import date
>>> from decimal import Decimal
>>> from encaisse.domain.documents import Invoice, Line
>>> from encaisse.domain.parties import Company, Party
>>> inv = Invoice(company_id=1, customer=Party(name="ACME", siren="542051180"),
...               issue_date=date(2026, 1, 5), number="F2026-00001",
...               lines=(Line("Pose", Decimal(2), Decimal("100.00")),))
>>> xml = export(inv, Company(name="Encaisse SARL", siren="732829320"))
>>> b"<ram:GrandTotalAmount>240.00</ram:GrandTotalAmount>" in xml
True
"""

from __future__ import annotations

from datetime import date

from lxml import etree

from encaisse.domain.documents import DocumentKind, Invoice, Line, Totals, compute_totals
from encaisse.domain.errors import FormatError
from encaisse.domain.parties import Address, Company, Party, compact_digits
from encaisse.formats import en16931 as model

RSM = model.CII_NS
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "qdt": QDT, "ram": RAM, "udt": UDT}

GUIDELINES = {
    "EN16931": "urn:cen.eu:en16931:2017",
    "BASICWL": "urn:factur-x.eu:1p0:basicwl",
    "MINIMUM": "urn:factur-x.eu:1p0:minimum",
}
SEPA_CREDIT_TRANSFER = "58"
SIREN_SCHEME = "0002"  # ISO 6523 ICD: SIRENE

_Element = etree._Element


def _ram(parent: _Element, name: str, text: str | None = None, **attrs: str) -> _Element:
    element = etree.SubElement(parent, f"{{{RAM}}}{name}", attrs or None)
    if text is not None:
        element.text = text
    return element


def _date(parent: _Element, name: str, value: date, *, qualified: bool = False) -> None:
    wrapper = _ram(parent, name)
    ns = QDT if qualified else UDT
    etree.SubElement(wrapper, f"{{{ns}}}DateTimeString", format="102").text = model.fmt_date(value)


def _address(parent: _Element, address: Address, *, country_only: bool = False) -> None:
    element = _ram(parent, "PostalTradeAddress")
    if not country_only:
        if address.postcode:
            _ram(element, "PostcodeCode", address.postcode)
        if address.line1:
            _ram(element, "LineOne", address.line1)
        if address.line2:
            _ram(element, "LineTwo", address.line2)
        if address.city:
            _ram(element, "CityName", address.city)
    _ram(element, "CountryID", address.country or "FR")


def _seller(parent: _Element, company: Company, profile: str) -> None:
    party = _ram(parent, "SellerTradeParty")
    _ram(party, "Name", company.name)
    if profile == "EN16931":
        _ram(party, "Description", model.seller_legal_info(company))
    legal = _ram(party, "SpecifiedLegalOrganization")
    _ram(legal, "ID", compact_digits(company.siren), schemeID=SIREN_SCHEME)
    _address(party, company.address, country_only=profile == "MINIMUM")
    if profile != "MINIMUM":
        _ram(
            _ram(party, "URIUniversalCommunication"),
            "URIID",
            compact_digits(company.siren),
            schemeID=model.DIRECTORY_SCHEME,
        )
    if company.vat_number:
        _ram(_ram(party, "SpecifiedTaxRegistration"), "ID", compact_digits(company.vat_number), schemeID="VA")
    else:
        # No VAT number (franchise en base): the SIREN as tax registration id, BT-32 (BR-E-02).
        _ram(_ram(party, "SpecifiedTaxRegistration"), "ID", compact_digits(company.siren), schemeID="FC")


def _buyer(parent: _Element, customer: Party, profile: str) -> None:
    party = _ram(parent, "BuyerTradeParty")
    _ram(party, "Name", customer.name)
    if customer.siren:
        legal = _ram(party, "SpecifiedLegalOrganization")
        _ram(legal, "ID", compact_digits(customer.siren), schemeID=SIREN_SCHEME)
    if profile == "MINIMUM":
        return
    _address(party, customer.address)
    address = model.electronic_address(customer.siren, customer.email)
    if address is not None:
        _ram(_ram(party, "URIUniversalCommunication"), "URIID", address[1], schemeID=address[0])
    if customer.vat_number:
        _ram(
            _ram(party, "SpecifiedTaxRegistration"), "ID", compact_digits(customer.vat_number), schemeID="VA"
        )


def _line(parent: _Element, index: int, line: Line) -> None:
    item = _ram(parent, "IncludedSupplyChainTradeLineItem")
    _ram(_ram(item, "AssociatedDocumentLineDocument"), "LineID", str(index))
    product = _ram(item, "SpecifiedTradeProduct")
    if line.item_code:
        _ram(product, "SellerAssignedID", line.item_code)
    _ram(product, "Name", line.description)
    quantity, price = model.signed_quantity_price(line)
    agreement = _ram(item, "SpecifiedLineTradeAgreement")
    _ram(_ram(agreement, "NetPriceProductTradePrice"), "ChargeAmount", model.fmt_price(price))
    _ram(
        _ram(item, "SpecifiedLineTradeDelivery"),
        "BilledQuantity",
        model.fmt_quantity(quantity),
        unitCode=line.unit,
    )
    settlement = _ram(item, "SpecifiedLineTradeSettlement")
    tax = _ram(settlement, "ApplicableTradeTax")
    _ram(tax, "TypeCode", "VAT")
    _ram(tax, "CategoryCode", line.vat_category.value)
    _ram(tax, "RateApplicablePercent", model.fmt_rate(line.effective_rate))
    if line.discount_percent:
        allowance = _ram(settlement, "SpecifiedTradeAllowanceCharge")
        etree.SubElement(_ram(allowance, "ChargeIndicator"), f"{{{UDT}}}Indicator").text = "false"
        _ram(allowance, "CalculationPercent", model.fmt_rate(line.discount_percent))
        _ram(allowance, "BasisAmount", model.fmt_amount(line.gross_amount))
        _ram(allowance, "ActualAmount", model.fmt_amount(line.discount_amount))
        _ram(allowance, "Reason", "Remise")
    summation = _ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
    _ram(summation, "LineTotalAmount", model.fmt_amount(line.net_amount))


def _header_tax(parent: _Element, totals: Totals) -> None:
    for group in totals.vat_groups:
        tax = _ram(parent, "ApplicableTradeTax")
        _ram(tax, "CalculatedAmount", model.fmt_amount(group.tax_amount))
        _ram(tax, "TypeCode", "VAT")
        if group.exemption is not None:
            _ram(tax, "ExemptionReason", group.exemption.mention)
        _ram(tax, "BasisAmount", model.fmt_amount(group.taxable_amount))
        _ram(tax, "CategoryCode", group.category.value)
        if group.exemption is not None:
            _ram(tax, "ExemptionReasonCode", group.exemption.vatex)
        _ram(tax, "RateApplicablePercent", model.fmt_rate(group.rate))


def _document_allowances(parent: _Element, invoice: Invoice, totals: Totals) -> None:
    """BG-20: one allowance per VAT group, at the document discount percent (INV-DISCOUNTS)."""
    for group in totals.vat_groups:
        if not group.allowance:
            continue
        allowance = _ram(parent, "SpecifiedTradeAllowanceCharge")
        etree.SubElement(_ram(allowance, "ChargeIndicator"), f"{{{UDT}}}Indicator").text = "false"
        _ram(allowance, "CalculationPercent", model.fmt_rate(invoice.document_discount_percent))
        _ram(allowance, "BasisAmount", model.fmt_amount(group.allowance_base))
        _ram(allowance, "ActualAmount", model.fmt_amount(group.allowance))
        _ram(allowance, "Reason", invoice.discount_reason or "Remise")
        category = _ram(allowance, "CategoryTradeTax")
        _ram(category, "TypeCode", "VAT")
        _ram(category, "CategoryCode", group.category.value)
        _ram(category, "RateApplicablePercent", model.fmt_rate(group.rate))


def _summation(parent: _Element, invoice: Invoice, totals: Totals, profile: str) -> None:
    """BG-22 (BR-CO-10..16): BT-113 prepaid is 0, deposits being deducted by negative lines."""
    summation = _ram(parent, "SpecifiedTradeSettlementHeaderMonetarySummation")
    if profile != "MINIMUM":
        _ram(summation, "LineTotalAmount", model.fmt_amount(totals.lines_net))
        if totals.allowances:
            _ram(summation, "AllowanceTotalAmount", model.fmt_amount(totals.allowances))
    _ram(summation, "TaxBasisTotalAmount", model.fmt_amount(totals.total_excl_tax))
    _ram(summation, "TaxTotalAmount", model.fmt_amount(totals.total_vat), currencyID=invoice.currency)
    if invoice.currency != "EUR":
        _ram(summation, "TaxTotalAmount", model.fmt_amount(totals.total_vat_eur), currencyID="EUR")
    _ram(summation, "GrandTotalAmount", model.fmt_amount(totals.total_incl_tax))
    if profile != "MINIMUM":
        _ram(summation, "TotalPrepaidAmount", "0.00")
    _ram(summation, "DuePayableAmount", model.fmt_amount(totals.total_incl_tax))


def _settlement(parent: _Element, invoice: Invoice, company: Company, totals: Totals, profile: str) -> None:
    settlement = _ram(parent, "ApplicableHeaderTradeSettlement")
    full = profile != "MINIMUM"
    is_credit_note = invoice.kind is DocumentKind.CREDIT_NOTE
    if full and not is_credit_note and model.remittance(invoice):
        _ram(settlement, "PaymentReference", model.remittance(invoice))
    if full and invoice.currency != "EUR":
        _ram(settlement, "TaxCurrencyCode", "EUR")
    _ram(settlement, "InvoiceCurrencyCode", invoice.currency)
    if not full:
        _summation(settlement, invoice, totals, profile)
        return
    if company.iban and not is_credit_note:
        means = _ram(settlement, "SpecifiedTradeSettlementPaymentMeans")
        _ram(means, "TypeCode", SEPA_CREDIT_TRANSFER)
        account = _ram(means, "PayeePartyCreditorFinancialAccount")
        _ram(account, "IBANID", compact_digits(company.iban))
        if profile == "EN16931":
            _ram(account, "AccountName", company.account_holder or company.name)
            if company.bic:
                _ram(_ram(means, "PayeeSpecifiedCreditorFinancialInstitution"), "BICID", company.bic)
    _header_tax(settlement, totals)
    _document_allowances(settlement, invoice, totals)
    terms_text = model.payment_terms_text(invoice)
    if terms_text or invoice.due_date is not None:
        terms = _ram(settlement, "SpecifiedTradePaymentTerms")
        if terms_text:
            _ram(terms, "Description", terms_text)
        if invoice.due_date is not None:
            _date(terms, "DueDateDateTime", invoice.due_date)
    _summation(settlement, invoice, totals, profile)
    preceding = model.preceding_invoices(invoice)
    if preceding:
        # CII D16B allows one InvoiceReferencedDocument: the first one (UBL carries all of them).
        number, issued = preceding[0]
        reference = _ram(settlement, "InvoiceReferencedDocument")
        _ram(reference, "IssuerAssignedID", number)
        if issued is not None:
            _date(reference, "FormattedIssueDateTime", issued, qualified=True)


def export(invoice: Invoice, company: Company, *, profile: str = "EN16931") -> bytes:
    """The CII XML (UTF-8) of ``invoice`` for a Factur-X ``profile`` (EN16931, BASICWL, MINIMUM)."""
    if profile not in GUIDELINES:
        raise FormatError(
            f"unknown Factur-X profile {profile!r} (expected one of {', '.join(GUIDELINES)})",
            code="EINV-PROFILE-UNKNOWN",
        )
    if not invoice.lines and profile == "EN16931":
        raise FormatError("an EN 16931 invoice needs at least one line (BR-16)", code="EINV-NO-LINES")
    totals = compute_totals(invoice)
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = etree.SubElement(root, f"{{{RSM}}}ExchangedDocumentContext")
    _ram(
        _ram(context, "BusinessProcessSpecifiedDocumentContextParameter"),
        "ID",
        model.business_process(invoice),
    )
    _ram(_ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", GUIDELINES[profile])

    document = etree.SubElement(root, f"{{{RSM}}}ExchangedDocument")
    _ram(document, "ID", invoice.number)
    _ram(document, "TypeCode", invoice.kind.type_code)
    _date(document, "IssueDateTime", invoice.issue_date)
    if profile != "MINIMUM":
        for subject, content in model.legal_notes(invoice, company):
            note = _ram(document, "IncludedNote")
            _ram(note, "Content", content)
            _ram(note, "SubjectCode", subject)

    transaction = etree.SubElement(root, f"{{{RSM}}}SupplyChainTradeTransaction")
    if profile == "EN16931":
        for index, line in enumerate(invoice.lines, start=1):
            _line(transaction, index, line)

    agreement = _ram(transaction, "ApplicableHeaderTradeAgreement")
    if invoice.customer.reference:
        _ram(agreement, "BuyerReference", invoice.customer.reference)
    _seller(agreement, company, profile)
    _buyer(agreement, invoice.customer, profile)
    if invoice.purchase_order:
        _ram(_ram(agreement, "BuyerOrderReferencedDocument"), "IssuerAssignedID", invoice.purchase_order)

    delivery = _ram(transaction, "ApplicableHeaderTradeDelivery")
    if profile != "MINIMUM":
        address = model.ship_to(invoice)
        if address is not None:
            _address(_ram(delivery, "ShipToTradeParty"), address)
        supplied = model.delivery_date(invoice)
        if supplied is not None:
            _date(_ram(delivery, "ActualDeliverySupplyChainEvent"), "OccurrenceDateTime", supplied)

    _settlement(transaction, invoice, company, totals, profile)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


__all__ = ["GUIDELINES", "export"]
