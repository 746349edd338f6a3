"""Factur-X profiles (EINV-FX-PROFILES) and a property test: any invoice exports to valid XML."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import facturx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from encaisse.domain.documents import Exemption, Invoice, Line, LineNature, compute_totals
from encaisse.domain.errors import FormatError, errors_only
from encaisse.domain.parties import Address, Company, Party, french_vat_number
from encaisse.formats import cii, en16931, ubl

SELLER = Company(
    name="Atelier Encaisse",
    siren="732829320",
    vat_number="FR44732829320",
    address=Address("12 rue de la République", "", "69002", "Lyon"),
    iban="FR7630006000011234567890189",
    bic="AGRIFRPP",
)
BUYER = Party(
    name="Bâtiments Durand SARL",
    siren="542051180",
    vat_number=french_vat_number("542051180"),
    address=Address("3 place Bellecour", "", "69002", "Lyon"),
)
NS = {"ram": cii.RAM, "rsm": cii.RSM}


def _invoice(*lines: Line, **changes: object) -> Invoice:
    inv = Invoice(
        company_id=1,
        customer=BUYER,
        issue_date=date(2026, 10, 5),
        due_date=date(2026, 11, 4),
        number="F2026-00200",
        lines=lines,
        purchase_order="BC-1",
    )
    return inv.with_changes(**changes)


SIMPLE = _invoice(
    Line("Pose", D(2), D("100.00")),
    Line("Fournitures", D(5), D("3.3333"), vat_rate=D("5.5"), nature=LineNature.GOODS),
    document_discount_percent=D(3),
)


@pytest.mark.parametrize(
    ("profile", "level"), [("MINIMUM", "minimum"), ("BASICWL", "basicwl"), ("EN16931", "en16931")]
)
def test_each_profile_passes_its_factur_x_xsd(profile: str, level: str) -> None:
    xml = cii.export(SIMPLE, SELLER, profile=profile)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level=level)
    root = etree.fromstring(xml)
    assert (
        root.xpath("string(//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID)", namespaces=NS)
        == (cii.GUIDELINES[profile])
    )
    assert facturx.get_level(root) == level


def test_minimum_and_basicwl_have_no_lines_but_the_same_totals() -> None:
    totals = compute_totals(SIMPLE)
    for profile in ("MINIMUM", "BASICWL"):
        root = etree.fromstring(cii.export(SIMPLE, SELLER, profile=profile))
        assert root.xpath("count(//ram:IncludedSupplyChainTradeLineItem)", namespaces=NS) == 0
        assert D(root.xpath("string(//ram:GrandTotalAmount)", namespaces=NS)) == totals.total_incl_tax
        assert D(root.xpath("string(//ram:TaxBasisTotalAmount)", namespaces=NS)) == totals.total_excl_tax
    basicwl = etree.fromstring(cii.export(SIMPLE, SELLER, profile="BASICWL"))
    assert (
        basicwl.xpath("count(//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax)", namespaces=NS)
        == 2
    )


def test_unknown_profile_and_empty_invoice_are_refused() -> None:
    with pytest.raises(FormatError) as unknown:
        cii.export(SIMPLE, SELLER, profile="EXTENDED")
    assert unknown.value.code == "EINV-PROFILE-UNKNOWN"
    with pytest.raises(FormatError) as empty:
        cii.export(_invoice(), SELLER)
    assert empty.value.code == "EINV-NO-LINES"
    with pytest.raises(FormatError):
        ubl.export(_invoice(), SELLER)


def test_prices_keep_four_decimals_and_amounts_two() -> None:
    root = etree.fromstring(cii.export(SIMPLE, SELLER))
    assert root.xpath("//ram:ChargeAmount/text()", namespaces=NS) == ["100.00", "3.3333"]
    assert root.xpath("//ram:LineTotalAmount/text()", namespaces=NS)[:2] == ["200.00", "16.67"]


def test_seller_without_iban_has_no_payment_means_but_still_validates() -> None:
    seller = Company(name="Sans Banque", siren="552100554", vat_number=french_vat_number("552100554"))
    xml = cii.export(SIMPLE, seller)
    assert (
        etree.fromstring(xml).xpath("count(//ram:SpecifiedTradeSettlementPaymentMeans)", namespaces=NS) == 0
    )
    assert errors_only(en16931.validate_cii(xml)) == []
    assert errors_only(en16931.validate_ubl(ubl.export(SIMPLE, seller))) == []


_TAX = st.sampled_from(
    [
        (D(20), None),
        (D(10), None),
        (D("5.5"), None),
        (D("2.1"), None),
        (D(0), Exemption.REVERSE_CHARGE),
        (D(0), Exemption.EXEMPT_261),
    ]
)
_LINE = st.builds(
    lambda qty, price, tax, discount, goods: Line(
        "Article",
        qty,
        price,
        vat_rate=tax[0],
        exemption=tax[1],
        discount_percent=discount,
        nature=LineNature.GOODS if goods else LineNature.SERVICES,
    ),
    st.decimals(min_value=D("0.01"), max_value=D(500), places=2),
    st.decimals(min_value=D("0.01"), max_value=D(5000), places=4),
    _TAX,
    st.sampled_from([D(0), D(5), D("12.5")]),
    st.booleans(),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_LINE, min_size=1, max_size=6), discount=st.sampled_from([D(0), D(2), D("7.5")]))
def test_any_invoice_exports_to_valid_cii_and_ubl(lines: list[Line], discount: D) -> None:
    """Whatever the lines, rates and discounts: BR-CO-10..17 and BR-S/AE/E hold in both syntaxes."""
    invoice = _invoice(*lines, document_discount_percent=discount)
    cii_xml = cii.export(invoice, SELLER)
    assert [p.describe() for p in errors_only(en16931.validate_cii(cii_xml))] == []
    assert [p.describe() for p in errors_only(en16931.validate_ubl(ubl.export(invoice, SELLER)))] == []
    grand_total = etree.fromstring(cii_xml).xpath("string(//ram:GrandTotalAmount)", namespaces=NS)
    assert D(grand_total) == compute_totals(invoice).total_incl_tax
