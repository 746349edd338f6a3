"""The EN 16931 validator runs the official CEN artefacts: reference samples pass, broken copies fail.

The samples are CEN/TC 434's own examples (shared/corpora/en16931/examples, EUPL 1.2).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from encaisse.domain.errors import Severity, errors_only
from encaisse.formats import en16931

RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CII_NS = {"ram": RAM, "rsm": en16931.CII_NS}


def _examples(corpora: Path, syntax: str) -> list[Path]:
    files = sorted((corpora / "en16931" / "examples" / syntax).glob("*.xml"))
    assert files, f"no {syntax} examples found"
    return files


def _set_text(xml: bytes, xpath: str, value: str, namespaces: dict[str, str]) -> bytes:
    root = etree.fromstring(xml)
    nodes = root.xpath(xpath, namespaces=namespaces)
    assert nodes, xpath
    nodes[0].text = value
    return bytes(etree.tostring(root))


def test_artefacts_dir_points_at_the_shared_corpus(corpora: Path) -> None:
    assert en16931.artefacts_dir().resolve() == (corpora / "en16931").resolve()
    assert (en16931.artefacts_dir() / "xslt" / "EN16931-CII-validation.xslt").is_file()


def test_artefacts_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ENCAISSE_EN16931_DIR", str(tmp_path))
    assert en16931.artefacts_dir() == tmp_path
    problems = en16931.validate_cii(b'<rsm:CrossIndustryInvoice xmlns:rsm="%s"/>' % en16931.CII_NS.encode())
    assert [p.code for p in problems] == [en16931.ARTEFACTS_CODE]


def test_cii_reference_examples_pass(corpora: Path) -> None:
    for path in _examples(corpora, "cii"):
        xml = path.read_bytes()
        assert en16931.detect_syntax(xml) == "cii", path.name
        fatal = errors_only(en16931.validate_cii(xml))
        assert fatal == [], f"{path.name}: {[p.describe() for p in fatal]}"


def test_ubl_reference_examples_pass(corpora: Path) -> None:
    for path in _examples(corpora, "ubl"):
        xml = path.read_bytes()
        assert en16931.detect_syntax(xml) == "ubl", path.name
        fatal = errors_only(en16931.validate_ubl(xml))
        assert fatal == [], f"{path.name}: {[p.describe() for p in fatal]}"


def test_cii_with_a_wrong_grand_total_fails_br_co_15(corpora: Path) -> None:
    xml = (corpora / "en16931" / "examples" / "cii" / "CII_example4.xml").read_bytes()
    broken = _set_text(xml, "//ram:GrandTotalAmount", "4676", CII_NS)
    problems = en16931.validate_cii(broken)
    br_co_15 = [p for p in problems if p.code == "BR-CO-15"]
    assert len(br_co_15) == 1
    assert br_co_15[0].severity is Severity.ERROR
    assert "Invoice total amount with VAT (BT-112)" in br_co_15[0].message
    assert br_co_15[0].field == "/rsm:CrossIndustryInvoice[1]"  # the rule's context
    assert br_co_15[0].args["flag"] == "fatal"


def test_cii_with_a_wrong_line_total_fails_br_co_10(corpora: Path) -> None:
    xml = (corpora / "en16931" / "examples" / "cii" / "CII_example4.xml").read_bytes()
    broken = _set_text(xml, "//ram:IncludedSupplyChainTradeLineItem[1]//ram:LineTotalAmount", "999", CII_NS)
    br_co_10 = [p for p in errors_only(en16931.validate_cii(broken)) if p.code == "BR-CO-10"]
    assert br_co_10
    assert br_co_10[0].field.endswith("/ram:SpecifiedTradeSettlementHeaderMonetarySummation[1]")


def test_ubl_with_a_wrong_payable_amount_fails_br_co_15(corpora: Path) -> None:
    xml = (corpora / "en16931" / "examples" / "ubl" / "ubl-tc434-example1.xml").read_bytes()
    broken = _set_text(xml, "//cbc:TaxInclusiveAmount", "1.00", {"cbc": CBC})
    codes = {p.code for p in errors_only(en16931.validate_ubl(broken))}
    assert "BR-CO-15" in codes


def test_xsd_violation_is_reported_with_its_line(corpora: Path) -> None:
    xml = (corpora / "en16931" / "examples" / "cii" / "CII_example4.xml").read_bytes()
    root = etree.fromstring(xml)
    document = root.find(f"{{{en16931.CII_NS}}}ExchangedDocument")
    assert document is not None
    etree.SubElement(document, f"{{{RAM}}}NotAnElement").text = "x"
    problems = en16931.validate_cii(etree.tostring(root))
    xsd = [p for p in problems if p.code == en16931.XSD_CODE]
    assert xsd
    assert "NotAnElement" in xsd[0].message
    assert xsd[0].line is not None


def test_ubl_xsd_violation_is_reported(corpora: Path) -> None:
    xml = (corpora / "en16931" / "examples" / "ubl" / "ubl-tc434-example1.xml").read_bytes()
    broken = xml.replace(b"<cbc:IssueDate>", b"<cbc:Unknown>x</cbc:Unknown><cbc:IssueDate>", 1)
    codes = [p.code for p in en16931.validate_ubl(broken)]
    assert en16931.XSD_CODE in codes


def test_warnings_are_not_errors(corpora: Path) -> None:
    """CII-SR-001 is flagged ``warning`` by CEN: reported, but with severity WARN."""
    xml = (corpora / "en16931" / "examples" / "cii" / "CII_example4.xml").read_bytes()
    root = etree.fromstring(xml)
    context = root.find(f"{{{en16931.CII_NS}}}ExchangedDocumentContext")
    assert context is not None
    context.insert(0, etree.Element(f"{{{RAM}}}SpecifiedTransactionID"))
    context[0].text = "T1"
    problems = en16931.validate_cii(etree.tostring(root))
    warning = [p for p in problems if p.code == "CII-SR-001"]
    assert warning
    assert warning[0].severity is Severity.WARN
    assert errors_only(problems) == []


def test_malformed_and_wrong_syntax() -> None:
    malformed = en16931.validate_cii(b"<rsm:CrossIndustryInvoice")
    assert [p.code for p in malformed] == [en16931.MALFORMED_CODE]
    ubl_root = b'<Invoice xmlns="%s"/>' % en16931.UBL_INVOICE_NS.encode()
    assert [p.code for p in en16931.validate_cii(ubl_root)] == [en16931.WRONG_SYNTAX_CODE]
    cii_root = b'<x:CrossIndustryInvoice xmlns:x="%s"/>' % en16931.CII_NS.encode()
    assert [p.code for p in en16931.validate_ubl(cii_root)] == [en16931.WRONG_SYNTAX_CODE]


def test_doctype_is_refused_before_any_entity_is_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">'
        b"&b;</rsm:CrossIndustryInvoice>"
    )
    problems = en16931.validate_cii(bomb)
    assert [p.code for p in problems] == [en16931.MALFORMED_CODE]
    assert "DOCTYPE" in problems[0].message


def test_detect_syntax() -> None:
    assert (
        en16931.detect_syntax(
            b'<?xml version="1.0"?>\n<CreditNote xmlns="%s"/>' % (en16931.UBL_CREDIT_NOTE_NS.encode())
        )
        == "ubl"
    )
    assert en16931.detect_syntax(b"<Invoice/>") is None  # no UBL namespace
    assert (
        en16931.detect_syntax(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'/>") is None
    )
    assert en16931.detect_syntax(b"%PDF-1.7") is None
