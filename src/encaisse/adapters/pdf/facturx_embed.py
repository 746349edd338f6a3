"""Embed a CII XML into a PDF/A-3b as ``factur-x.xml`` (Factur-X 1.0.7, profile EN 16931).

The PDF must already be a PDF/A-3b rendered by WeasyPrint: the ``factur-x`` package only
writes the XMP metadata (``pdfaid:part`` 3, ``pdfaid:conformance`` B, the ``fx:`` extension
schema with ``fx:ConformanceLevel`` "EN 16931") and the associated file with its
``/AFRelationship``; it does not convert a plain PDF (CHECKLIST EINV-FORMATS, EINV-FX-PROFILES).
The XML is checked against the Factur-X EN 16931 XSD before embedding.

PDF/A (ISO 19005-3 §6.6.2.3.1, veraPDF ≥ 1.30.1) also wants every document-information
entry to have an equal XMP property. factur-x writes an XMP packet with ``pdf:Producer``
"pypdf" and no ``pdf:Keywords`` while keeping WeasyPrint's ``/Producer`` and adding
``/Keywords``: :func:`align_document_info` fixes the information dictionary with a small
incremental update.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Literal

from facturx import generate_from_binary
from pypdf import PdfWriter

from encaisse.domain.errors import FormatError

FACTURX_FILENAME = "factur-x.xml"
FACTURX_LEVEL = "en16931"
#: pdf:Producer that factur-x writes in the XMP packet (hard-coded by the library).
FACTURX_XMP_PRODUCER = "pypdf"

AfRelationship = Literal["data", "alternative", "source"]


class FacturxEmbedError(FormatError):
    """The XML could not be embedded (not well-formed, or invalid against the Factur-X XSD)."""

    code = "PDF-FACTURX-EMBED"


def embed_facturx(
    pdf: bytes,
    xml: bytes,
    *,
    metadata: Mapping[str, str] | None = None,
    afrelationship: AfRelationship = "data",
    check_xsd: bool = True,
) -> bytes:
    """Return ``pdf`` with ``xml`` attached as ``factur-x.xml`` and Factur-X XMP metadata.

    ``metadata`` holds the document information (``author``, ``title``, ``subject``,
    ``keywords``); when omitted, factur-x derives English ones from the XML.
    ``afrelationship`` is "data" for invoices (the XML carries the same data as the
    visual representation). Raises :class:`FacturxEmbedError` when the XML is rejected.
    """
    if not pdf.startswith(b"%PDF-"):
        raise FacturxEmbedError("the document to embed the Factur-X XML into is not a PDF")
    try:
        result = generate_from_binary(
            pdf,
            xml,
            flavor="factur-x",
            level=FACTURX_LEVEL,
            check_xsd=check_xsd,
            pdf_metadata=dict(metadata) if metadata is not None else None,
            lang="fr-FR",
            afrelationship=afrelationship,
        )
    except Exception as exc:  # factur-x raises bare Exception for XSD failures
        raise FacturxEmbedError(
            f"the Factur-X XML was rejected ({exc}); fix the CII export before rendering the invoice"
        ) from exc
    if not isinstance(result, bytes):  # pragma: no cover - defensive, factur-x returns bytes
        raise FacturxEmbedError("factur-x returned no PDF")
    return align_document_info(result)


def align_document_info(pdf: bytes) -> bytes:
    """Make ``/Info`` match factur-x's XMP: ``/Producer`` "pypdf", no ``/Keywords`` (incremental update)."""
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    current = writer.metadata
    if current is None:  # pragma: no cover - factur-x always writes one
        return pdf
    entries = {key: str(value) for key, value in current.items() if key != "/Keywords"}
    entries["/Producer"] = FACTURX_XMP_PRODUCER
    writer.metadata = entries
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
