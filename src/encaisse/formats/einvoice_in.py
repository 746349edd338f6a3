"""Supplier e-invoices in: Factur-X / ZUGFeRD PDF, UN/CEFACT CII D16B XML and OASIS UBL 2.1 XML.

Reads the EN 16931 semantic model (EN 16931-1:2017, BT/BG numbers; CII per EN 16931-3-3, UBL per
EN 16931-3-2) into a :class:`~encaisse.domain.received.ReceivedInvoice`; a Factur-X PDF (Factur-X
1.0.7, PDF/A-3 with an embedded ``factur-x.xml``) is opened with pypdf. The formats every approved
platform accepts are listed in CHECKLIST EINV-FORMATS. Files are untrusted: XML is parsed by
:mod:`encaisse.formats.xml_safety` (no DTD, no entities, no network) and every failure is a
``FormatError`` with a stable code (``INBOX-*``). The original bytes are kept untouched
(RET-E-ORIGINAL): :func:`export` gives them back.

>>> detect(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
False
>>> try:
...     parse(b"hello")
... except FormatError as exc:
...     print(exc.code)
INBOX-NOT-PDF-OR-XML
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from lxml import etree
from pypdf import PdfReader
from pypdf.errors import LimitReachedError

from encaisse.domain.errors import FormatError, Problem, Severity
from encaisse.domain.money import ZERO
from encaisse.domain.parties import Address, compact_digits
from encaisse.domain.received import (
    Container,
    ProfileLevel,
    ReceivedInvoice,
    ReceivedLine,
    ReceivedParty,
    ReceivedTotals,
    ReceivedVatRow,
    Syntax,
    arithmetic_problems,
    derive_siren,
    party_problems,
    profile_level,
    profile_problems,
)
from encaisse.formats.xml_safety import parse_xml

MAX_BYTES = 20_000_000
#: Names of the embedded XML, best first (Factur-X 1.0, ZUGFeRD 2.0, XRechnung in ZUGFeRD 2.1+).
ATTACHMENT_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "ZUGFeRD-invoice.xml")
FX_XMP_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
_ROOTS = {
    f"{{{NS['rsm']}}}CrossIndustryInvoice": Syntax.CII,
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": Syntax.UBL,
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": Syntax.UBL,
}
_ZUGFERD1_ROOT = "{urn:ferd:CrossIndustryDocument:invoice:1p0}CrossIndustryDocument"
_XML_CODES = {"XML-TOO-LARGE": "INBOX-TOO-LARGE", "XML-DTD-FORBIDDEN": "INBOX-XML-UNSAFE"}
_AMOUNT = re.compile(r"[+-]?\d{1,15}(\.\d{1,10})?")


@dataclass(frozen=True)
class _PartyPaths:
    name: tuple[str, ...]
    legal_id: str
    global_ids: str
    vat: str
    line1: str
    line2: str
    postcode: str
    city: str
    country: str
    endpoint: str


@dataclass(frozen=True)
class _Paths:
    """Where each business term lives in one syntax (XPath relative to the root)."""

    profile: str
    number: str
    type_code: tuple[str, ...]
    issue_date: str
    due_date: tuple[str, ...]
    currency: str
    notes: str
    seller: str
    buyer: str
    party: _PartyPaths
    iban: str
    bic: str
    payment_reference: tuple[str, ...]
    preceding: str
    vat_rows: str
    vat_row: tuple[str, str, str, str, str, str]  # category, rate, base, tax, reason, reason code
    totals: str
    total_fields: dict[str, str]
    tax_total: str
    lines: str
    line: dict[str, str]
    date_format: str


_S = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
_CII = _Paths(
    profile="rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
    number="rsm:ExchangedDocument/ram:ID",
    type_code=("rsm:ExchangedDocument/ram:TypeCode",),
    issue_date="rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
    due_date=(f"{_S}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",),
    currency=f"{_S}/ram:InvoiceCurrencyCode",
    notes="rsm:ExchangedDocument/ram:IncludedNote/ram:Content",
    seller="rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty",
    buyer="rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty",
    party=_PartyPaths(
        name=("ram:Name",),
        legal_id="ram:SpecifiedLegalOrganization/ram:ID",
        global_ids="ram:GlobalID",
        vat="ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
        line1="ram:PostalTradeAddress/ram:LineOne",
        line2="ram:PostalTradeAddress/ram:LineTwo",
        postcode="ram:PostalTradeAddress/ram:PostcodeCode",
        city="ram:PostalTradeAddress/ram:CityName",
        country="ram:PostalTradeAddress/ram:CountryID",
        endpoint="ram:URIUniversalCommunication/ram:URIID",
    ),
    iban=f"{_S}/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
    bic=f"{_S}/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID",
    payment_reference=(f"{_S}/ram:PaymentReference",),
    preceding=f"{_S}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
    vat_rows=f"{_S}/ram:ApplicableTradeTax",
    vat_row=(
        "ram:CategoryCode",
        "ram:RateApplicablePercent",
        "ram:BasisAmount",
        "ram:CalculatedAmount",
        "ram:ExemptionReason",
        "ram:ExemptionReasonCode",
    ),
    totals=f"{_S}/ram:SpecifiedTradeSettlementHeaderMonetarySummation",
    total_fields={
        "line_total": "ram:LineTotalAmount",
        "allowance_total": "ram:AllowanceTotalAmount",
        "charge_total": "ram:ChargeTotalAmount",
        "tax_exclusive": "ram:TaxBasisTotalAmount",
        "tax_inclusive": "ram:GrandTotalAmount",
        "prepaid": "ram:TotalPrepaidAmount",
        "rounding": "ram:RoundingAmount",
        "payable": "ram:DuePayableAmount",
    },
    tax_total=f"{_S}/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount",
    lines="rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem",
    line={
        "line_id": "ram:AssociatedDocumentLineDocument/ram:LineID",
        "name": "ram:SpecifiedTradeProduct/ram:Name",
        "description": "ram:SpecifiedTradeProduct/ram:Description",
        "quantity": "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity",
        "net_price": "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount",
        "net_amount": "ram:SpecifiedLineTradeSettlement/"
        "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
        "vat_category": "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode",
        "vat_rate": "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent",
    },
    date_format="%Y%m%d",
)
_UBL = _Paths(
    profile="cbc:CustomizationID",
    number="cbc:ID",
    type_code=("cbc:InvoiceTypeCode", "cbc:CreditNoteTypeCode"),
    issue_date="cbc:IssueDate",
    due_date=("cbc:DueDate", "cac:PaymentMeans/cbc:PaymentDueDate"),
    currency="cbc:DocumentCurrencyCode",
    notes="cbc:Note",
    seller="cac:AccountingSupplierParty/cac:Party",
    buyer="cac:AccountingCustomerParty/cac:Party",
    party=_PartyPaths(
        name=("cac:PartyLegalEntity/cbc:RegistrationName", "cac:PartyName/cbc:Name"),
        legal_id="cac:PartyLegalEntity/cbc:CompanyID",
        global_ids="cac:PartyIdentification/cbc:ID",
        vat="cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID",
        line1="cac:PostalAddress/cbc:StreetName",
        line2="cac:PostalAddress/cbc:AdditionalStreetName",
        postcode="cac:PostalAddress/cbc:PostalZone",
        city="cac:PostalAddress/cbc:CityName",
        country="cac:PostalAddress/cac:Country/cbc:IdentificationCode",
        endpoint="cbc:EndpointID",
    ),
    iban="cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID",
    bic="cac:PaymentMeans/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID",
    payment_reference=("cac:PaymentMeans/cbc:PaymentID",),
    preceding="cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID",
    vat_rows="cac:TaxTotal/cac:TaxSubtotal",
    vat_row=(
        "cac:TaxCategory/cbc:ID",
        "cac:TaxCategory/cbc:Percent",
        "cbc:TaxableAmount",
        "cbc:TaxAmount",
        "cac:TaxCategory/cbc:TaxExemptionReason",
        "cac:TaxCategory/cbc:TaxExemptionReasonCode",
    ),
    totals="cac:LegalMonetaryTotal",
    total_fields={
        "line_total": "cbc:LineExtensionAmount",
        "allowance_total": "cbc:AllowanceTotalAmount",
        "charge_total": "cbc:ChargeTotalAmount",
        "tax_exclusive": "cbc:TaxExclusiveAmount",
        "tax_inclusive": "cbc:TaxInclusiveAmount",
        "prepaid": "cbc:PrepaidAmount",
        "rounding": "cbc:PayableRoundingAmount",
        "payable": "cbc:PayableAmount",
    },
    tax_total="cac:TaxTotal/cbc:TaxAmount",
    lines="cac:InvoiceLine|cac:CreditNoteLine",
    line={
        "line_id": "cbc:ID",
        "name": "cac:Item/cbc:Name",
        "description": "cac:Item/cbc:Description",
        "quantity": "cbc:InvoicedQuantity|cbc:CreditedQuantity",
        "net_price": "cac:Price/cbc:PriceAmount",
        "net_amount": "cbc:LineExtensionAmount",
        "vat_category": "cac:Item/cac:ClassifiedTaxCategory/cbc:ID",
        "vat_rate": "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent",
    },
    date_format="%Y-%m-%d",
)
_REQUIRED_TOTALS = {
    "line_total": ("BR-12", "BT-106", "sum of line net amounts"),
    "tax_exclusive": ("BR-13", "BT-109", "total without VAT"),
    "tax_inclusive": ("BR-14", "BT-112", "total with VAT"),
    "payable": ("BR-15", "BT-115", "amount due for payment"),
}


def _nodes(node: etree._Element, path: str) -> list[etree._Element]:
    found = node.xpath(path, namespaces=NS)
    return [n for n in found if isinstance(n, etree._Element)] if isinstance(found, list) else []


def _text(node: etree._Element, *paths: str) -> str:
    """Stripped text of the first non-empty match of the first path that has one."""
    for path in paths:
        for found in _nodes(node, path):
            text = "".join(found.itertext()).strip()
            if text:
                return text
    return ""


class _Reader:
    """Typed reading of one document; unreadable values become problems, never exceptions."""

    def __init__(self, paths: _Paths) -> None:
        self.paths = paths
        self.problems: list[Problem] = []

    def amount(self, text: str, term: str) -> Decimal | None:
        cleaned = text.strip()
        if not cleaned:
            return None
        if not _AMOUNT.fullmatch(cleaned):
            self.problems.append(
                Problem("INBOX-AMOUNT-INVALID", f"{term} is {cleaned[:40]!r}, which is not a number.", term)
            )
            return None
        return Decimal(cleaned)

    def date(self, text: str, term: str) -> date | None:
        cleaned = text.strip()
        if not cleaned:
            return None
        fmt = self.paths.date_format
        digits = cleaned.replace("-", "") if fmt == "%Y-%m-%d" else cleaned
        if len(digits) == 8 and digits.isdigit() and (fmt != "%Y-%m-%d" or len(cleaned) == 10):
            try:
                return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
            except ValueError:
                pass
        self.problems.append(Problem("INBOX-DATE-INVALID", f"{term} is {cleaned[:40]!r}, not a date.", term))
        return None

    def party(self, node: etree._Element | None, role: str) -> ReceivedParty:
        if node is None:
            return ReceivedParty()
        p = self.paths.party
        legal = _nodes(node, p.legal_id)
        legal_id = _text(node, p.legal_id)
        scheme = str(legal[0].get("schemeID", "")) if legal else ""
        vat = _text(node, p.vat)
        country = _text(node, p.country).upper()
        siren = derive_siren(legal_id=legal_id, legal_id_scheme=scheme, vat_number=vat, country=country)
        for gid in _nodes(node, p.global_ids):
            if siren:
                break
            if gid.get("schemeID") in ("0002", "0009"):
                siren = derive_siren(legal_id=gid.text or "", legal_id_scheme=str(gid.get("schemeID")))
        endpoint = _nodes(node, p.endpoint)
        party = ReceivedParty(
            name=_text(node, *p.name),
            siren=siren,
            legal_id=legal_id,
            legal_id_scheme=scheme,
            vat_number=vat,
            address=Address(
                line1=_text(node, p.line1),
                line2=_text(node, p.line2),
                postcode=_text(node, p.postcode),
                city=_text(node, p.city),
                country=country,
            ),
            electronic_address=_text(node, p.endpoint),
            electronic_address_scheme=str(endpoint[0].get("schemeID", "")) if endpoint else "",
        )
        self.problems.extend(party_problems(party, role))
        return party

    def line(self, node: etree._Element) -> ReceivedLine:
        lp = self.paths.line
        quantity = _nodes(node, lp["quantity"])
        line_id = _text(node, lp["line_id"])
        term = f"line {line_id}"
        return ReceivedLine(
            line_id=line_id,
            name=_text(node, lp["name"]),
            description=_text(node, lp["description"]),
            quantity=self.amount(_text(node, lp["quantity"]), f"{term} quantity (BT-129)") or ZERO,
            unit=str(quantity[0].get("unitCode", "")) if quantity else "",
            net_price=self.amount(_text(node, lp["net_price"]), f"{term} net price (BT-146)") or ZERO,
            net_amount=self.amount(_text(node, lp["net_amount"]), f"{term} net amount (BT-131)") or ZERO,
            vat_category=_text(node, lp["vat_category"]),
            vat_rate=self.amount(_text(node, lp["vat_rate"]), f"{term} VAT rate (BT-152)"),
        )

    def vat_row(self, node: etree._Element) -> ReceivedVatRow:
        cat, rate, base, tax, reason, reason_code = self.paths.vat_row
        category = _text(node, cat)
        return ReceivedVatRow(
            category=category,
            rate=self.amount(_text(node, rate), f"VAT rate of the {category} row (BT-119)"),
            taxable_amount=self.amount(_text(node, base), "VAT taxable amount (BT-116)") or ZERO,
            tax_amount=self.amount(_text(node, tax), "VAT amount (BT-117)") or ZERO,
            exemption_reason=_text(node, reason) or _text(node, reason_code),
        )

    def totals(self, root: etree._Element, currency: str) -> ReceivedTotals:
        found = _nodes(root, self.paths.totals)
        values: dict[str, Decimal] = {}
        for name, path in self.paths.total_fields.items():
            text = _text(found[0], path) if found else ""
            value = self.amount(text, name)
            if value is None and name in _REQUIRED_TOTALS:
                code, term, words = _REQUIRED_TOTALS[name]
                self.problems.append(Problem(code, f"The invoice has no {words} ({term}).", term))
            values[name] = value if value is not None else ZERO
        taxes = _nodes(root, self.paths.tax_total)
        same = [t for t in taxes if t.get("currencyID") in (None, currency)] or taxes[:1]
        values["tax_total"] = self.amount("".join(same[0].itertext()) if same else "", "BT-110") or ZERO
        return ReceivedTotals(**values)


@dataclass(frozen=True)
class _Loaded:
    xml: bytes
    root: etree._Element
    syntax: Syntax
    container: Container
    attachment: str = ""
    relationship: str = ""
    xmp: dict[str, str] | None = None


def _fail(code: str, message: str) -> FormatError:
    return FormatError(message, code=code)


def _read_pdf(data: bytes, max_bytes: int) -> tuple[bytes, str, str, dict[str, str] | None]:
    """(embedded XML, its name, its /AFRelationship, Factur-X XMP properties) of a Factur-X PDF."""
    if b"%%EOF" not in data[-2048:]:
        raise _fail(
            "INBOX-PDF-TRUNCATED", "The PDF file is cut short (no end-of-file marker): ask for it again."
        )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        files = {f.name: f for f in reader.attachment_list}
        name = next((n for n in ATTACHMENT_NAMES if n in files), "")
        name = name or next((n for n in files if n.lower().endswith(".xml")), "")
        if not name:
            raise _fail(
                "INBOX-PDF-NO-XML", "The PDF holds no embedded e-invoice XML: it is not a Factur-X file."
            )
        content = files[name].content
        relationship = str(files[name].associated_file_relationship or "")
    except FormatError:
        raise
    except LimitReachedError as exc:  # a compressed stream that inflates beyond pypdf's caps
        raise _fail("INBOX-TOO-LARGE", "The PDF holds a stream that inflates to an excessive size.") from exc
    except Exception as exc:  # pypdf raises many types on hostile files
        raise _fail("INBOX-PDF-INVALID", f"The PDF file cannot be read ({type(exc).__name__}).") from exc
    if len(content) > max_bytes:
        raise _fail("INBOX-TOO-LARGE", f"The embedded XML is larger than {max_bytes:,} bytes.")
    return content, name, relationship.lstrip("/"), _xmp_properties(reader)


def _xmp_properties(reader: PdfReader) -> dict[str, str] | None:
    """Factur-X XMP extension properties (fx:ConformanceLevel, …), or None when absent/unreadable."""
    try:
        metadata = reader.root_object.get("/Metadata")
        if metadata is None:
            return None
        root = parse_xml(metadata.get_object().get_data(), max_bytes=2_000_000)
    except Exception:  # missing, broken or hostile metadata only costs the XMP checks
        return None
    props: dict[str, str] = {}
    for element in root.iter():
        for key, value in element.attrib.items():
            if str(key).startswith(f"{{{FX_XMP_NS}}}"):
                props[str(key).split("}")[1]] = str(value)
        if isinstance(element.tag, str) and element.tag.startswith(f"{{{FX_XMP_NS}}}"):
            props[element.tag.split("}")[1]] = (element.text or "").strip()
    return props or None


def _load(data: bytes, max_bytes: int) -> _Loaded:
    if len(data) > max_bytes:
        raise _fail(
            "INBOX-TOO-LARGE", f"The file is {len(data):,} bytes, more than the {max_bytes:,} allowed."
        )
    head = data[:1024]
    attachment = relationship = ""
    xmp: dict[str, str] | None = None
    if b"%PDF-" in head:
        xml, attachment, relationship, xmp = _read_pdf(data, max_bytes)
        container = Container.PDF
    elif head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") or head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        xml, container = data, Container.XML
    else:
        raise _fail("INBOX-NOT-PDF-OR-XML", "The file is neither a PDF nor an XML document.")
    try:
        root = parse_xml(xml, max_bytes=max_bytes)
    except FormatError as exc:
        code = _XML_CODES.get(exc.code, "INBOX-XML-INVALID")
        raise _fail(code, f"The invoice XML cannot be read safely: {exc.message}.") from exc
    syntax = _ROOTS.get(str(root.tag))
    if syntax is None:
        what = "a ZUGFeRD 1.0 invoice (older than EN 16931)" if root.tag == _ZUGFERD1_ROOT else "another XML"
        raise _fail(
            "INBOX-NOT-AN-INVOICE",
            f"The XML is {what} (root {etree.QName(root).localname!r}), not an EN 16931 CII or UBL invoice.",
        )
    return _Loaded(xml, root, syntax, container, attachment, relationship, xmp)


def _container_problems(loaded: _Loaded, level: ProfileLevel) -> list[Problem]:
    """Factur-X packaging checks (Factur-X 1.0.7 §6-7); the data stays readable, hence warnings."""
    if loaded.container is not Container.PDF:
        return []
    problems: list[Problem] = []

    def warn(code: str, message: str) -> None:
        problems.append(Problem(code, message, field="PDF", severity=Severity.WARN))

    if loaded.attachment != "factur-x.xml":
        warn("FX-ATTACHMENT-NAME", f"The embedded XML is named {loaded.attachment!r}, not 'factur-x.xml'.")
    if loaded.relationship not in ("Data", "Alternative"):
        warn(
            "FX-AF-RELATIONSHIP",
            f"The embedded XML is linked as /{loaded.relationship or 'nothing'}, "
            "Factur-X requires /Data or /Alternative.",
        )
    if loaded.xmp is None:
        warn("FX-XMP-MISSING", "The PDF has no Factur-X XMP metadata (it may be a legacy ZUGFeRD file).")
    else:
        stated = loaded.xmp.get("ConformanceLevel", "").upper()
        if stated and level.value not in (stated, "UNKNOWN", "CIUS"):
            warn("FX-XMP-LEVEL", f"The PDF metadata says profile {stated} but the XML is {level.value}.")
    return problems


def _build(loaded: _Loaded, data: bytes) -> ReceivedInvoice:
    root, paths = loaded.root, (_CII if loaded.syntax is Syntax.CII else _UBL)
    reader = _Reader(paths)
    currency = _text(root, paths.currency)
    seller_nodes, buyer_nodes = _nodes(root, paths.seller), _nodes(root, paths.buyer)
    supplier = replace(
        reader.party(seller_nodes[0] if seller_nodes else None, "supplier"),
        iban=compact_digits(_text(root, paths.iban)),
        bic=compact_digits(_text(root, paths.bic)),
    )
    invoice = ReceivedInvoice(
        syntax=loaded.syntax,
        container=loaded.container,
        profile=_text(root, paths.profile),
        number=_text(root, paths.number),
        type_code=_text(root, *paths.type_code),
        issue_date=reader.date(_text(root, paths.issue_date), "issue date (BT-2)"),
        due_date=reader.date(_text(root, *paths.due_date), "due date (BT-9)"),
        currency=currency,
        supplier=supplier,
        buyer=reader.party(buyer_nodes[0] if buyer_nodes else None, "buyer"),
        lines=tuple(reader.line(n) for n in _nodes(root, paths.lines)),
        vat_rows=tuple(reader.vat_row(n) for n in _nodes(root, paths.vat_rows)),
        totals=reader.totals(root, currency),
        sha256=hashlib.sha256(data).hexdigest(),
        payment_reference=_text(root, *paths.payment_reference),
        notes=tuple(t for n in _nodes(root, paths.notes) if (t := "".join(n.itertext()).strip())),
        preceding_invoice=_text(root, paths.preceding),
        original=data,
    )
    required = [
        (invoice.number, "BR-02", "an invoice number", "BT-1"),
        (invoice.issue_date, "BR-03", "an issue date", "BT-2"),
        (invoice.type_code, "BR-04", "a type code", "BT-3"),
        (invoice.currency, "BR-05", "a currency code", "BT-5"),
        (invoice.supplier.name, "BR-06", "a seller name", "BT-27"),
        (invoice.buyer.name, "BR-07", "a buyer name", "BT-44"),
    ]
    missing = [
        Problem(code, f"The invoice has no {what} ({bt}).", bt)
        for value, code, what, bt in required
        if not value
    ]
    level = profile_level(invoice.profile)
    if not invoice.lines and level not in (ProfileLevel.MINIMUM, ProfileLevel.BASIC_WL):
        missing.append(Problem("BR-16", "The invoice has no lines (BG-25).", "BG-25"))
    problems = (
        missing
        + reader.problems
        + profile_problems(invoice)
        + _container_problems(loaded, level)
        + (arithmetic_problems(invoice) if not reader.problems else [])
    )
    return replace(invoice, problems=tuple(problems))


def detect(data: bytes) -> bool:
    """True when ``data`` is a Factur-X PDF or a CII/UBL invoice this module can read."""
    try:
        _load(data, MAX_BYTES)
    except FormatError:
        return False
    return True


def parse(data: bytes, *, max_bytes: int = MAX_BYTES) -> ReceivedInvoice:
    """Read a supplier e-invoice; raise ``FormatError`` (INBOX-*) when it cannot be read at all.

    The result carries the extraction, arithmetic (BR-CO-*), profile and Factur-X packaging
    problems; the XSD and CEN schematron run in :func:`validate`.
    """
    return _build(_load(data, max_bytes), data)


def validate(data: bytes) -> list[Problem]:
    """All problems: XSD + EN 16931 schematron (``formats.en16931``) and this module's own checks."""
    try:
        loaded = _load(data, MAX_BYTES)
        invoice = _build(loaded, data)
    except FormatError as exc:
        return [Problem(exc.code, exc.message)]
    from encaisse.formats import en16931  # loads saxonche: only when validating

    check = en16931.validate_cii if loaded.syntax is Syntax.CII else en16931.validate_ubl
    official = check(loaded.xml)
    codes = {p.code for p in official}
    return official + [p for p in invoice.problems if p.code not in codes]


def export(received: ReceivedInvoice) -> bytes:
    """The file exactly as received (CHECKLIST RET-E-ORIGINAL); its SHA-256 is checked."""
    if hashlib.sha256(received.original).hexdigest() != received.sha256:
        raise FormatError(
            "The stored original does not match its SHA-256 fingerprint.", code="INBOX-ORIGINAL-ALTERED"
        )
    return received.original
