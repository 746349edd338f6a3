"""Hostile and broken inputs give a ``FormatError`` with a stable code, quickly."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from encaisse.domain.bank import Statement
from encaisse.domain.errors import FormatError
from encaisse.formats import bank_csv, bank_registry, camt053, cfonb120, mt940, ofx, xml_safety

CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE Document [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="{CAMT_NS}"><BkToCstmrStmt><GrpHdr><MsgId>&lol9;</MsgId></GrpHdr></BkToCstmrStmt></Document>
"""
XXE = f"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="{CAMT_NS}"><BkToCstmrStmt><GrpHdr><MsgId>&xxe;</MsgId></GrpHdr></BkToCstmrStmt></Document>
"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
def test_dtd_and_entities_are_refused(payload: str, encoding: str) -> None:
    text = (
        payload
        if encoding == "utf-8"
        else payload.replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{encoding}"?>')
    )
    data = text.encode(encoding)
    started = time.perf_counter()
    with pytest.raises(FormatError) as caught:
        camt053.parse(data)
    assert caught.value.code == "XML-DTD-FORBIDDEN"
    assert time.perf_counter() - started < 2
    assert "passwd" not in caught.value.message


def test_registry_refuses_the_billion_laughs_too() -> None:
    with pytest.raises(FormatError) as caught:
        bank_registry.parse_statement_file(BILLION_LAUGHS.encode())
    assert caught.value.code == "XML-DTD-FORBIDDEN"


def test_size_caps() -> None:
    with pytest.raises(FormatError) as caught:
        xml_safety.parse_xml(b"<a>" + b"x" * 200 + b"</a>", max_bytes=100)
    assert caught.value.code == "XML-TOO-LARGE"
    with pytest.raises(FormatError) as caught:
        bank_registry.parse_statement_file(b"x" * 101, max_bytes=100)
    assert caught.value.code == "BANK-FILE-TOO-LARGE"


def test_truncated_camt_is_malformed_with_a_line(corpora: Path) -> None:
    data = (corpora / "camt053" / "oca_test-camt053.xml").read_bytes()
    with pytest.raises(FormatError) as caught:
        camt053.parse(data[: len(data) // 2])
    assert caught.value.code == "XML-MALFORMED"
    assert "line" in caught.value.message


def test_camt_bad_amount_names_line_and_element(corpora: Path) -> None:
    data = (corpora / "camt053" / "oca_test-camt053.xml").read_bytes().replace(b">754.25<", b">75,425<")
    with pytest.raises(FormatError) as caught:
        camt053.parse(data)
    assert caught.value.code == "BANK-CAMT-INVALID"
    assert "line 51" in caught.value.message
    assert "Ntry/Amt" in caught.value.message


def test_camt_other_message_is_unsupported() -> None:
    data = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"><BkToCstmrAcctRpt/></Document>'
    assert not camt053.detect(data)
    with pytest.raises(FormatError) as caught:
        camt053.parse(data)
    assert caught.value.code == "BANK-CAMT-UNSUPPORTED"


def test_ofx_with_a_dtd_is_refused() -> None:
    data = b'<?OFX OFXHEADER="200"?><!DOCTYPE OFX [<!ENTITY x SYSTEM "file:///etc/passwd">]><OFX>&x;</OFX>'
    with pytest.raises(FormatError) as caught:
        ofx.parse(data)
    assert caught.value.code == "BANK-OFX-INVALID"


def test_ofx_bad_amount_is_named() -> None:
    data = ofx.export([Statement("FR7630006000011234567890189")]).replace(
        b"</BANKTRANLIST>",
        b"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260105<TRNAMT>$12<FITID>1</STMTTRN></BANKTRANLIST>",
    )
    with pytest.raises(FormatError) as caught:
        ofx.parse(data)
    assert caught.value.code == "BANK-OFX-INVALID"
    assert "TRNAMT" in caught.value.message


@pytest.mark.parametrize("module", [mt940, cfonb120, ofx], ids=["mt940", "cfonb120", "ofx"])
def test_utf16_text_formats_are_refused(module: object, corpora: Path) -> None:
    sample = {
        "mt940": "mt940/jejik_knab.sta",
        "cfonb120": "cfonb120/pennylane_example.txt",
        "ofx": "ofx/ofxparse_suncorp.ofx",
    }[module.__name__.rsplit(".", 1)[1]]  # type: ignore[attr-defined]
    data = (corpora / sample).read_bytes().decode("latin-1").encode("utf-16")
    with pytest.raises(FormatError) as caught:
        module.parse(data)  # type: ignore[attr-defined]
    assert caught.value.code.startswith("BANK-")


def test_mt940_malformed_statement_line_names_its_line(corpora: Path) -> None:
    data = (
        (corpora / "mt940" / "jejik_knab.sta")
        .read_bytes()
        .replace(b":61:1405070507C500,", b":61:14050705X7C500,")
    )
    with pytest.raises(FormatError) as caught:
        mt940.parse(data)
    assert caught.value.code == "BANK-MT940-INVALID"
    assert "line 5" in caught.value.message


def test_mt940_missing_closing_balance() -> None:
    with pytest.raises(FormatError) as caught:
        mt940.parse(b":20:X\n:25:123\n:28C:1\n:60F:C260105EUR1,00\n-\n")
    assert caught.value.code == "BANK-MT940-INVALID"
    assert ":62F:" in caught.value.message


def test_cfonb_bad_amount_and_long_record(corpora: Path) -> None:
    data = (corpora / "cfonb120" / "pennylane_example.txt").read_bytes()
    with pytest.raises(FormatError) as caught:
        cfonb120.parse(data.replace(b"0000000000322J", b"0000000000322X"))
    assert caught.value.code == "BANK-CFONB-INVALID"
    assert "line 3" in caught.value.message
    with pytest.raises(FormatError) as caught:
        cfonb120.parse(data.replace(b"150519160519    ", b"150519160519    EXTRA", 1))
    assert "line 1" in caught.value.message


def test_empty_and_unknown_files() -> None:
    with pytest.raises(FormatError) as caught:
        bank_registry.parse_statement_file(b"  \n")
    assert caught.value.code == "BANK-FILE-EMPTY"
    with pytest.raises(FormatError) as caught:
        bank_registry.parse_statement_file(b"%PDF-1.7 not a statement")
    assert caught.value.code == "BANK-FILE-UNKNOWN-FORMAT"


def test_csv_wrong_encoding_is_explained() -> None:
    data = "Date;Libellé;Débit;Crédit\n05/01/2026;CAFÉ;3,50;\n".encode("cp1252")
    with pytest.raises(FormatError) as caught:
        bank_csv.parse(data, bank_csv.FR_DEBIT_CREDIT)
    assert caught.value.code == "BANK-CSV-ENCODING"
    assert "0xe9" in caught.value.message
    assert "cp1252" in caught.value.message
    with pytest.raises(FormatError) as caught:
        bank_csv.parse("Date;Libellé;Montant\n".encode("utf-16"))
    assert caught.value.code == "BANK-CSV-ENCODING"


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
def test_parser_settings_alone_stop_entities(payload: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Second line of defence: even if the byte scan missed a DTD, lxml expands nothing."""
    monkeypatch.setattr(xml_safety, "has_forbidden_declaration", lambda data: False)
    started = time.perf_counter()
    with pytest.raises(FormatError) as caught:
        xml_safety.parse_xml(payload.encode())
    # libxml2 either refuses the amplification itself or our doctype check does.
    assert caught.value.code in {"XML-DTD-FORBIDDEN", "XML-MALFORMED"}
    assert "root:" not in caught.value.message
    assert "lollol" not in caught.value.message
    assert time.perf_counter() - started < 2
