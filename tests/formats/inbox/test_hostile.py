"""Hostile and broken files: each gets its own FormatError code, nothing else ever escapes.

OWASP XXE / "billion laughs" cases, truncated and XML-less PDFs, oversized files, XML of another
kind, and a hypothesis fuzz over mutated samples (result with problems, or FormatError).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter
from pypdf.generic import StreamObject

from encaisse.domain.errors import FormatError
from encaisse.domain.received import ReceivedInvoice
from encaisse.formats import einvoice_in

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">&lol4;</rsm:CrossIndustryInvoice>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:ID>&xxe;</cbc:ID></Invoice>
"""

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'


def _pdf(attachments: dict[str, bytes] | None = None, *, compress: bool = False) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    for name, content in (attachments or {}).items():
        writer.add_attachment(name, content)
    if compress:  # FlateDecode the embedded files, as real Factur-X producers do
        for i, obj in enumerate(writer._objects):
            if isinstance(obj, StreamObject) and obj.get("/Type") == "/EmbeddedFile":
                writer._objects[i] = obj.flate_encode()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _code(data: bytes, **kwargs: int) -> str:
    with pytest.raises(FormatError) as caught:
        einvoice_in.parse(data, **kwargs)
    assert not einvoice_in.detect(data)
    assert [p.code for p in einvoice_in.validate(data)] == [caught.value.code]
    return caught.value.code


def test_billion_laughs_is_refused_before_expansion() -> None:
    assert _code(BILLION_LAUGHS) == "INBOX-XML-UNSAFE"


def test_external_entity_is_refused_and_never_read() -> None:
    with pytest.raises(FormatError) as caught:
        einvoice_in.parse(EXTERNAL_ENTITY)
    assert caught.value.code == "INBOX-XML-UNSAFE"
    assert "root:" not in caught.value.message


def test_utf16_doctype_is_refused() -> None:
    assert _code(EXTERNAL_ENTITY.replace(b'<?xml version="1.0"?>', b"").decode().encode("utf-16")) == (
        "INBOX-XML-UNSAFE"
    )


def test_xml_bomb_inside_a_pdf_is_refused() -> None:
    assert _code(_pdf({"factur-x.xml": BILLION_LAUGHS})) == "INBOX-XML-UNSAFE"


def test_truncated_pdf(corpora: Path) -> None:
    data = (corpora / "facturx" / "valid" / "pdf" / "EN16931_Einfach.pdf").read_bytes()
    assert _code(data[: len(data) // 2]) == "INBOX-PDF-TRUNCATED"


def test_pdf_with_a_broken_body(corpora: Path) -> None:
    data = (corpora / "facturx" / "valid" / "pdf" / "EN16931_Einfach.pdf").read_bytes()
    assert _code(data[: len(data) // 2] + b"\n%%EOF\n") == "INBOX-PDF-INVALID"


def test_pdf_without_xml() -> None:
    assert _code(_pdf()) == "INBOX-PDF-NO-XML"
    assert _code(_pdf({"photo.png": b"\x89PNG\r\n"})) == "INBOX-PDF-NO-XML"


def test_50_mb_file_is_refused_on_size(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    with big.open("wb") as handle:
        handle.write(b"<a>")
        handle.write(b"x" * (50 * 1024 * 1024))
        handle.write(b"</a>")
    assert _code(big.read_bytes()) == "INBOX-TOO-LARGE"


def test_embedded_xml_over_the_limit_is_refused_after_inflating() -> None:
    xml = b"<a>" + b" " * 2_000_000 + b"</a>"
    pdf = _pdf({"factur-x.xml": xml}, compress=True)
    assert len(pdf) < 20_000
    with pytest.raises(FormatError) as caught:
        einvoice_in.parse(pdf, max_bytes=100_000)
    assert caught.value.code == "INBOX-TOO-LARGE"


@pytest.mark.slow
def test_compressed_bomb_inside_a_pdf_is_capped() -> None:
    pdf = _pdf({"factur-x.xml": b" " * 80_000_000}, compress=True)  # inflates past pypdf's 75 MB cap
    assert _code(pdf) == "INBOX-TOO-LARGE"


def test_xml_of_another_kind(corpora: Path) -> None:
    camt = next((corpora / "camt053").glob("*.xml")).read_bytes()
    assert _code(camt) == "INBOX-NOT-AN-INVOICE"
    assert _code(SVG) == "INBOX-NOT-AN-INVOICE"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "INBOX-NOT-PDF-OR-XML"),
        (b"\x00\x01\x02 binary", "INBOX-NOT-PDF-OR-XML"),
        (b"number;total\nF1;12.00\n", "INBOX-NOT-PDF-OR-XML"),
        (b"<rsm:CrossIndustryInvoice", "INBOX-XML-INVALID"),
        (b"<a><b></a>", "INBOX-XML-INVALID"),
    ],
)
def test_not_readable(data: bytes, code: str) -> None:
    assert _code(data) == code


def _samples(corpora: Path) -> list[bytes]:
    return [
        (corpora / "en16931" / "examples" / "cii" / "CII_example3.xml").read_bytes(),
        (corpora / "en16931" / "examples" / "ubl" / "ubl-tc434-example3.xml").read_bytes(),
        (corpora / "facturx" / "valid" / "pdf" / "EN16931_Einfach.pdf").read_bytes(),
    ]


@st.composite
def _mutation(draw: st.DrawFn) -> tuple[int, list[tuple[str, float, bytes]]]:
    sample = draw(st.integers(0, 2))
    edits = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["flip", "insert", "delete", "truncate"]),
                st.floats(0, 1),
                st.binary(min_size=1, max_size=8),
            ),
            min_size=1,
            max_size=4,
        )
    )
    return sample, edits


def _apply(data: bytes, edits: list[tuple[str, float, bytes]]) -> bytes:
    for kind, where, payload in edits:
        at = int(where * max(len(data) - 1, 0))
        if kind == "flip":
            data = data[:at] + payload + data[at + len(payload) :]
        elif kind == "insert":
            data = data[:at] + payload + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + len(payload) * 16 :]
        else:
            data = data[:at]
    return data


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=_mutation())
def test_fuzzed_samples_give_a_result_or_a_format_error(
    corpora: Path, mutation: tuple[int, list[tuple[str, float, bytes]]]
) -> None:
    sample, edits = mutation
    data = _apply(_samples(corpora)[sample], edits)
    try:
        invoice = einvoice_in.parse(data)
    except FormatError as exc:
        code = exc.code
        assert code.startswith("INBOX-")
        return
    assert isinstance(invoice, ReceivedInvoice)
    assert einvoice_in.export(invoice) == data
