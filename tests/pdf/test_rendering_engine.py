"""The WeasyPrint set-up tuned for speed (issue #3) renders the same documents as the plain one.

No timing here: these tests pin what the speed depends on (the templates stay well-formed XML,
so they never fall back to the HTML5 parser) and what it must not change (text, fonts,
PDF/A and Factur-X structure, the garbage collector state).
"""

from __future__ import annotations

import gc
import hashlib
import io
import threading
import zlib
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pydyf  # type: ignore[import-untyped]
import pytest
from defusedxml.ElementTree import fromstring
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from lxml import etree
from pypdf import PdfReader

from encaisse.adapters.pdf import engine, fonts
from encaisse.adapters.pdf.facturx_embed import FacturxEmbedError, check_facturx_xml, pdf_date, xmp_date
from encaisse.adapters.pdf.fonts import FAMILY, font_face_rules
from encaisse.adapters.pdf.render import html_to_pdfa, render_html, render_invoice_pdf, render_letter_pdf
from encaisse.adapters.pdf.views import PaymentBlock, invoice_context, quote_context
from encaisse.domain.documents import Exemption, Invoice, Line, Quote
from encaisse.domain.parties import Address, Company, Party

XMP = "http://ns.adobe.com/xap/1.0/"


def text_of(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_templates_are_well_formed_xml(
    make_invoice: Callable[..., Invoice],
    company: Company,
    customer: Party,
    payment: PaymentBlock,
    png: Callable[[str], bytes],
) -> None:
    """Every template, with every optional block, parses as XML (else rendering takes the slow path)."""
    seller = replace(company, logo=png("logo"), oga_member=True)
    invoice = make_invoice(
        lines=(
            Line("Carreaux", Decimal(10), Decimal(100), exemption=Exemption.INTRA_EU, item_code="C-60"),
            Line("Pose", Decimal(1), Decimal(1000), discount_percent=Decimal(5)),
        ),
        delivery_address=Address("Chantier Lumière", "", "69008", "Lyon"),
        note='Note <b>"citée"</b> & suivie\nsur deux lignes',
        vat_on_debits=True,
        deposit_numbers=("F2026-00040",),
        currency="USD",
        eur_rate=Decimal("0.9"),
    )
    quote = Quote(1, customer, date(2026, 12, 4), date(2027, 1, 3), invoice.lines, number="D1", note="x")
    documents = [
        render_html("invoice.html", invoice_context(invoice, seller, payment, date(2026, 12, 4))),
        render_html("quote.html", quote_context(quote, seller)),
    ]
    for html in documents:
        fromstring(html)


def test_letter_template_is_well_formed_xml(company: Company, customer: Party) -> None:
    parsed: list[object] = []
    original = engine.ParsedDocument.__init__

    def spy(self: engine.ParsedDocument, html: str, setup: engine.Engine) -> None:
        parsed.append(fromstring(html))
        original(self, html, setup)

    engine.ParsedDocument.__init__ = spy  # type: ignore[method-assign]
    try:
        render_letter_pdf(
            company,
            customer,
            title="Mise en demeure",
            paragraphs=["Madame, Monsieur,", "Les factures suivantes :", "Cordialement."],
            table=[("Facture", "Montant"), ("F1", "1 €")],
            place_date="Lyon",
        )
    finally:
        engine.ParsedDocument.__init__ = original  # type: ignore[method-assign]
    assert len(parsed) == 1


def test_html_that_is_not_xml_falls_back_to_the_html_parser() -> None:
    text = text_of(
        html_to_pdfa("<!DOCTYPE html><html><body data-footer=x><p>Bonjour<br>le monde</body></html>")
    )
    assert "Bonjour" in text
    assert "le monde" in text


def test_fonts_are_the_latin_cut_with_the_full_font_as_fallback(
    make_invoice: Callable[..., Invoice], company: Company, customer: Party
) -> None:
    """Latin text uses the cut of DejaVu Sans; Greek falls back to the full DejaVu Sans, embedded too."""
    if not font_face_rules():
        pytest.skip("DejaVu Sans is not installed where fonts.py looks for it")
    greek = replace(customer, name="Ελληνική Εταιρεία ΑΕ")
    pdf = render_invoice_pdf(make_invoice(customer=greek), company, xml=None)
    reader = PdfReader(io.BytesIO(pdf))
    names = set()
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        names.add(str(font["/BaseFont"]).split("+", 1)[1])
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor
    latin = FAMILY.replace(" ", "-")
    assert {latin, f"{latin}-Bold"} <= names
    assert names & {"DejaVu-Sans", "DejaVu-Sans-Bold"}  # the party name is bold
    assert "Ελληνική Εταιρεία ΑΕ" in text_of(pdf)


def test_garbage_collector_is_resumed_after_rendering(
    make_invoice: Callable[..., Invoice], company: Company
) -> None:
    assert gc.isenabled()
    render_invoice_pdf(make_invoice(), company, xml=None)
    assert gc.isenabled()


def test_collector_pause_nests_across_threads_and_errors() -> None:
    pause = engine.CollectorPause()
    inside = threading.Event()
    release = threading.Event()

    def other_render() -> None:
        with pause():
            inside.set()
            release.wait(5)

    assert gc.isenabled()
    worker = threading.Thread(target=other_render)
    worker.start()
    inside.wait(5)

    def failing_render() -> None:
        with pause():
            assert not gc.isenabled()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        failing_render()
    assert not gc.isenabled()  # the other render is still running
    release.set()
    worker.join(5)
    assert gc.isenabled()


def test_collector_pause_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with engine.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_streams_are_deflated_once_at_level_6() -> None:
    pdf = pydyf.PDF()
    content = pydyf.Stream([b"BT", b"ET"], compress=True)
    raw = pydyf.Stream([b"raw"], compress=False)
    pdf.add_object(content)
    pdf.add_object(raw)
    engine.compress_streams(pdf)
    assert content.extra["Filter"] == "/FlateDecode"
    assert not content.compress
    assert zlib.decompress(content.stream[0]) == b"BT\nET"
    assert raw.stream == [b"raw"]
    assert "Filter" not in raw.extra


def test_facturx_dates_checksum_and_page_mode(
    make_invoice: Callable[..., Invoice], company: Company, cii: Callable[[Invoice, Company], bytes]
) -> None:
    """ISO 19005-3 §6.6.2.3.1 for the dates; §6.8 for the embedded file parameters."""
    invoice = make_invoice()
    xml = cii(invoice, company)
    reader = PdfReader(io.BytesIO(render_invoice_pdf(invoice, company, xml=xml)))
    root = reader.trailer["/Root"]
    assert root["/PageMode"] == "/UseAttachments"
    info = reader.metadata
    assert info is not None
    xmp = etree.fromstring(root["/Metadata"].get_object().get_data())
    create = [el.text for el in xmp.iter(f"{{{XMP}}}CreateDate")]
    modify = [el.text for el in xmp.iter(f"{{{XMP}}}ModifyDate")]
    assert len(create) == len(modify) == 1
    assert info["/CreationDate"] == info["/ModDate"]
    assert (
        str(info["/CreationDate"]).replace("D:", "")[:14]
        == str(create[0]).replace("-", "").replace("T", "").replace(":", "")[:14]
    )
    assert [el.text for el in xmp.iter(f"{{{XMP}}}CreatorTool")] == [info["/Creator"]]
    params = root["/AF"][0].get_object()["/EF"]["/F"].get_object()["/Params"]
    checksum = params["/CheckSum"]
    assert getattr(checksum, "original_bytes", checksum) == hashlib.md5(xml).digest()
    assert params["/Size"] == len(xml)


def test_date_formats_name_the_same_instant() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    moment = datetime(2026, 12, 4, 10, 30, 5, tzinfo=timezone(timedelta(hours=1)))
    assert pdf_date(moment) == "D:20261204093005+00'00'"
    assert xmp_date(moment) == "2026-12-04T09:30:05+00:00"
    assert pdf_date(moment.astimezone(UTC)) == pdf_date(moment)


def test_malformed_xml_is_rejected_with_a_stable_code() -> None:
    with pytest.raises(FacturxEmbedError) as error:
        check_facturx_xml(b"<not-closed>")
    assert error.value.code == "PDF-FACTURX-EMBED"


def test_without_dejavu_files_there_is_no_latin_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stylesheet then falls back to the system "DejaVu Sans" (the family named after the cut)."""
    monkeypatch.setattr(fonts, "_DIRECTORIES", ())
    assert fonts.font_face_rules.__wrapped__() == ""


def test_latin_cut_keeps_the_french_characters() -> None:
    if not font_face_rules():
        pytest.skip("DejaVu Sans is not installed where fonts.py looks for it")
    path = next(
        Path(d) / "DejaVuSans.ttf" for d in fonts._DIRECTORIES if (Path(d) / "DejaVuSans.ttf").is_file()
    )
    cmap = TTFont(io.BytesIO(fonts.latin_cut(path))).getBestCmap()
    assert all(ord(char) in cmap for char in "àâçéèêëîïôöùûüÿœæÀÇÉÈŒ€«»–—’…\u202f\u00a0№²³×")
    assert ord("Ω") not in cmap
