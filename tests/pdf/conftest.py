"""Fixtures of the PDF tests: a seller, buyers, invoices and a small XSD-valid CII EN 16931 document."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
import segno
from lxml import etree

from encaisse.adapters.pdf.views import PaymentBlock
from encaisse.domain.documents import Invoice, InvoiceStatus, Line, compute_totals
from encaisse.domain.parties import Address, Company, Party
from encaisse.formats import epc_qr

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT}


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attrs)
    if text is not None:
        element.text = text
    return element


def _date(parent: etree._Element, tag: str, value: date) -> None:
    _el(_el(parent, tag), "udt:DateTimeString", value.strftime("%Y%m%d"), format="102")


def _address(parent: etree._Element, address: Address) -> None:
    node = _el(parent, "ram:PostalTradeAddress")
    _el(node, "ram:PostcodeCode", address.postcode)
    _el(node, "ram:LineOne", address.line1)
    _el(node, "ram:CityName", address.city)
    _el(node, "ram:CountryID", address.country)


def sample_cii(invoice: Invoice, company: Company) -> bytes:
    """A minimal CII D16B / EN 16931 document for ``invoice`` (lines without allowances).

    Only a stand-in for ``encaisse.formats.cii.export``: valid against the Factur-X EN 16931
    XSD, with the invoice's number, dates, parties and totals from ``compute_totals``.
    """
    totals = compute_totals(invoice)
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", "urn:cen.eu:en16931:2017")
    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", invoice.number)
    _el(document, "ram:TypeCode", invoice.kind.type_code)
    _date(document, "ram:IssueDateTime", invoice.issue_date)
    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for index, line in enumerate(invoice.lines, start=1):
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(index))
        _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", f"{line.unit_price:.4f}")
        _el(
            _el(item, "ram:SpecifiedLineTradeDelivery"),
            "ram:BilledQuantity",
            f"{line.quantity:.4f}",
            unitCode=line.unit,
        )
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", line.vat_category.value)
        _el(tax, "ram:RateApplicablePercent", f"{line.effective_rate:.2f}")
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", f"{line.net_amount:.2f}")
    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    seller = _el(agreement, "ram:SellerTradeParty")
    _el(seller, "ram:Name", company.name)
    _el(_el(seller, "ram:SpecifiedLegalOrganization"), "ram:ID", company.siren, schemeID="0002")
    _address(seller, company.address)
    _el(_el(seller, "ram:SpecifiedTaxRegistration"), "ram:ID", company.vat_number, schemeID="VA")
    buyer = _el(agreement, "ram:BuyerTradeParty")
    _el(buyer, "ram:Name", invoice.customer.name)
    _address(buyer, invoice.customer.address)
    _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", invoice.currency)
    for group in totals.vat_groups:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", f"{group.tax_amount:.2f}")
        _el(tax, "ram:TypeCode", "VAT")
        if group.exemption is not None:
            _el(tax, "ram:ExemptionReason", group.exemption.mention)
        _el(tax, "ram:BasisAmount", f"{group.taxable_amount:.2f}")
        _el(tax, "ram:CategoryCode", group.category.value)
        if group.exemption is not None:
            _el(tax, "ram:ExemptionReasonCode", group.exemption.vatex)
        _el(tax, "ram:RateApplicablePercent", f"{group.rate:.2f}")
    if invoice.due_date is not None:
        _date(_el(settlement, "ram:SpecifiedTradePaymentTerms"), "ram:DueDateDateTime", invoice.due_date)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", f"{totals.lines_net:.2f}")
    _el(summation, "ram:TaxBasisTotalAmount", f"{totals.total_excl_tax:.2f}")
    _el(summation, "ram:TaxTotalAmount", f"{totals.total_vat:.2f}", currencyID=invoice.currency)
    _el(summation, "ram:GrandTotalAmount", f"{totals.total_incl_tax:.2f}")
    _el(summation, "ram:DuePayableAmount", f"{totals.total_incl_tax:.2f}")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def png_bytes(text: str, scale: int = 3) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale)
    return out.getvalue()


@pytest.fixture
def company() -> Company:
    return Company(
        name="Atelier Dupont",
        siren="732829320",
        legal_form="SAS",
        share_capital=Decimal(10000),
        rcs_city="Lyon",
        vat_number="FR44732829320",
        address=Address("12 rue de la République", "", "69002", "Lyon"),
        email="contact@dupont.example",
        phone="04 72 00 00 00",
        insurance_mention="Assurance décennale : MAAF Assurances, 79036 Niort – couverture : France métropolitaine",
    )


@pytest.fixture
def customer() -> Party:
    return Party(
        name="Boulangerie Martin SARL",
        siren="552100554",
        vat_number="FR40552100554",
        address=Address("1 avenue Foch", "", "75016", "Paris"),
    )


@pytest.fixture
def make_invoice(customer: Party) -> Callable[..., Invoice]:
    """An issued invoice: 2 × 617,28 € HT at 20 % = 1 234,56 € HT, 246,91 € VAT, 1 481,47 € TTC."""

    def build(**changes: object) -> Invoice:
        invoice = Invoice(
            company_id=1,
            customer=customer,
            issue_date=date(2026, 12, 4),
            lines=(Line("Pose de carrelage – salle d'eau", Decimal(2), Decimal("617.28"), unit="DAY"),),
            number="F2026-00042",
            status=InvoiceStatus.ISSUED,
            supply_date=date(2026, 11, 30),
            due_date=date(2027, 1, 3),
            purchase_order="BC-778",
        )
        return invoice.with_changes(**changes) if changes else invoice

    return build


@pytest.fixture
def cii() -> Callable[[Invoice, Company], bytes]:
    return sample_cii


@pytest.fixture
def png() -> Callable[[str], bytes]:
    return png_bytes


@pytest.fixture
def payment() -> PaymentBlock:
    return PaymentBlock(
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        account_holder="Atelier Dupont SAS",
        reference="RF18539007547034",
        qr=epc_qr.symbol("BCD\n002\n1\nSCT\n\nAtelier Dupont SAS\nFR7630006000011234567890189\nEUR1481.47"),
        payment_url="https://pay.example/p/abc",
    )
