"""Render quotes, invoices, deposit invoices, credit notes and formal notices as PDF/A-3b.

WeasyPrint renders the Jinja2 templates of ``templates/`` (autoescaped: party names may
contain HTML) straight to PDF/A-3b; for invoices the same pass embeds the CII XML as
``factur-x.xml`` with the Factur-X XMP metadata (:mod:`encaisse.adapters.pdf.facturx_embed`,
CHECKLIST EINV-FORMATS). Fonts are the system DejaVu Sans, regular and bold, subset and
embedded by WeasyPrint (PDF/A requires it). :mod:`encaisse.adapters.pdf.engine` holds the
WeasyPrint set-up, built once per thread and tuned for speed (issue #3).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from encaisse.adapters.pdf import mentions
from encaisse.adapters.pdf.engine import Finisher, engine, write_pdf
from encaisse.adapters.pdf.facturx_embed import DocumentInfo, check_facturx_xml, facturx_finisher
from encaisse.adapters.pdf.fr_format import fr_date
from encaisse.adapters.pdf.qr_paint import qr_finisher
from encaisse.adapters.pdf.views import (
    PaymentBlock,
    company_context,
    invoice_context,
    party_context,
    quote_context,
)
from encaisse.domain.documents import Invoice, Quote
from encaisse.domain.errors import EncaisseError
from encaisse.domain.parties import Company, Party

__all__ = [
    "PDF_VARIANT",
    "PaymentBlock",
    "html_to_pdfa",
    "render_html",
    "render_invoice_facturx",
    "render_invoice_pdf",
    "render_letter_pdf",
    "render_quote_pdf",
]

PDF_VARIANT = "pdf/a-3b"


def render_html(template: str, context: dict[str, Any]) -> str:
    """The HTML of a document (useful to debug a template or to show a preview page)."""
    return engine().environment.get_template(template).render(**context)


def html_to_pdfa(html: str, *, finisher: Finisher | None = None) -> bytes:
    """Render HTML with the shared stylesheet to a PDF/A-3b document.

    ``finisher`` (see WeasyPrint's ``write_pdf``) may add objects before the PDF is written,
    e.g. :func:`~encaisse.adapters.pdf.facturx_embed.facturx_finisher`.
    """
    return write_pdf(html, variant=PDF_VARIANT, finisher=finisher)


def render_invoice_pdf(
    invoice: Invoice,
    company: Company,
    *,
    xml: bytes | None,
    payment: PaymentBlock | None = None,
    today: date | None = None,
) -> bytes:
    """An invoice, deposit invoice or credit note as PDF/A-3b (CHECKLIST §1, CN-REFERENCE, DEP-FINAL).

    When ``xml`` (a CII EN 16931 document) is given it is embedded as ``factur-x.xml`` with
    ``/AFRelationship /Data`` and the Factur-X XMP extension (EINV-FORMATS). ``today`` is only
    printed on drafts ("Aperçu du …"); it defaults to the issue date (no clock is read).
    """
    context = invoice_context(invoice, company, payment, today or invoice.issue_date)
    html = render_html("invoice.html", context)
    qr = qr_finisher(payment.qr) if payment is not None and payment.qr is not None else None
    if xml is None:
        return html_to_pdfa(html, finisher=qr)
    check_facturx_xml(xml)  # before rendering: a rejected XML costs no layout
    title = mentions.document_title(invoice)
    number = invoice.number or "brouillon"
    seller = mentions.seller_display_name(company)
    info = DocumentInfo(
        title=f"{seller} : {title} {number}",
        author=seller,
        subject=f"{title} N° {number} du {fr_date(invoice.issue_date)} émise par {seller}",
        keywords=f"{title}, Factur-X",
    )
    facturx = facturx_finisher(xml, info, afrelationship="data")
    return html_to_pdfa(html, finisher=facturx if qr is None else both(qr, facturx))


def both(first: Finisher, second: Finisher) -> Finisher:
    """One WeasyPrint finisher calling two."""

    def finish(document: Any, pdf: Any) -> None:
        first(document, pdf)
        second(document, pdf)

    return finish


def render_quote_pdf(quote: Quote, company: Company) -> bytes:
    """A quote ("Devis") with its validity date and a "Bon pour accord" box (QUO-B2B, QUO-VALIDITY)."""
    return html_to_pdfa(render_html("quote.html", quote_context(quote, company)))


def render_letter_pdf(
    company: Company,
    customer: Party,
    *,
    title: str,
    paragraphs: Sequence[str],
    table: Sequence[tuple[str, ...]],
    place_date: str,
) -> bytes:
    """A formal notice (mise en demeure) or any letter on the company's letterhead (DUN-MED-CONTENT).

    ``table`` (e.g. the unpaid invoices) follows the first paragraph ending with a colon
    (« … les factures suivantes : »), or the first paragraph when none does; its first row
    is the header row (pass ``()`` for a table without header). ``place_date`` is printed
    as given, e.g. "Lyon, le 04/12/2026".
    """
    header = tuple(table[0]) if table else ()
    split = next((i + 1 for i, p in enumerate(paragraphs) if p.rstrip().endswith(":")), 1)
    context = {
        "title": title,
        "seller": company_context(company),
        "recipient": party_context(customer),
        "place_date": place_date,
        "paragraphs_before": list(paragraphs[:split]),
        "paragraphs_after": list(paragraphs[split:]),
        "table_header": header,
        "table_rows": [tuple(row) for row in table[1:]],
    }
    return html_to_pdfa(render_html("letter.html", context))


CiiExport = Callable[..., bytes]


def _cii_export() -> CiiExport:
    """``encaisse.formats.cii.export`` when that module is installed (imported lazily)."""
    try:
        module = importlib.import_module("encaisse.formats.cii")
    except ModuleNotFoundError as exc:
        raise EncaisseError(
            "the CII exporter (encaisse.formats.cii) is not available", code="PDF-CII-UNAVAILABLE"
        ) from exc
    export = getattr(module, "export", None)
    if not callable(export):
        raise EncaisseError("encaisse.formats.cii has no export()", code="PDF-CII-UNAVAILABLE")
    return export  # type: ignore[no-any-return]


def render_invoice_facturx(
    invoice: Invoice,
    company: Company,
    *,
    payment: PaymentBlock | None = None,
    today: date | None = None,
) -> bytes:
    """Factur-X EN 16931 invoice: CII from ``encaisse.formats.cii.export``, embedded in the PDF/A-3b."""
    xml = _cii_export()(invoice, company, profile="EN16931")
    if not isinstance(xml, bytes):
        raise EncaisseError("the CII exporter returned no bytes", code="PDF-CII-UNAVAILABLE")
    return render_invoice_pdf(invoice, company, xml=xml, payment=payment, today=today)
