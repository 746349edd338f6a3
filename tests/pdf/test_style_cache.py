"""Computed styles shared across documents (``adapters/pdf/style_cache.py``) change no drawn byte.

Varied documents (rich and plain invoices, a two-page invoice, a credit note in a foreign
currency, a draft with its watermark, a quote, a formal-notice letter, a document in another
language, the same element under parents of different font sizes) are rendered once each as
WeasyPrint alone renders them, then in a mixed order with the table filled by the others: every
page's drawing operators (hence the page count and the text) must be the same. A style shared by mistake (a wrong key, a style amended in place by WeasyPrint) shows as
a moved line, a page counter that skips, or a wrong footer.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
import weasyprint
import weasyprint.css
from pypdf import PdfReader

from encaisse.adapters.pdf import style_cache
from encaisse.adapters.pdf.engine import engine
from encaisse.adapters.pdf.render import html_to_pdfa, render_invoice_pdf, render_letter_pdf, render_quote_pdf
from encaisse.adapters.pdf.views import PaymentBlock
from encaisse.domain.documents import DocumentKind, Exemption, Invoice, InvoiceStatus, Line, Quote
from encaisse.domain.parties import Address, Company, Party

Render = Callable[[], bytes]


def drawn(pdf: bytes) -> list[bytes]:
    """Each page's content stream, decompressed: every glyph, rule, box and image placement."""
    return [page.get_contents().get_data() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture
def documents(
    make_invoice: Callable[..., Invoice],
    company: Company,
    customer: Party,
    payment: PaymentBlock,
    png: Callable[[str], bytes],
) -> dict[str, Render]:
    seller = replace(company, logo=png("logo"), oga_member=True)
    rich = make_invoice(
        lines=(
            Line("Carreaux", Decimal(10), Decimal(100), exemption=Exemption.INTRA_EU, item_code="C-60"),
            Line("Pose", Decimal(1), Decimal(1000), discount_percent=Decimal(5)),
        ),
        delivery_address=Address("Chantier Lumière", "", "69008", "Lyon"),
        note="Note sur\ndeux lignes",
        vat_on_debits=True,
        deposit_numbers=("F2026-00040",),
    )
    long = make_invoice(lines=tuple(Line(f"Prestation {k}", Decimal(k), Decimal(10)) for k in range(1, 70)))
    credit = make_invoice(
        kind=DocumentKind.CREDIT_NOTE,
        number="A2026-00003",
        corrects_number="F2026-00042",
        corrects_date=date(2026, 12, 1),
        currency="USD",
        eur_rate=Decimal("0.9"),
    )
    draft = make_invoice(number="", status=InvoiceStatus.DRAFT)
    quote = Quote(1, customer, date(2026, 12, 4), date(2027, 1, 3), rich.lines, number="D1", note="x")
    return {
        "rich invoice": lambda: render_invoice_pdf(rich, seller, xml=None, payment=payment),
        "plain invoice": lambda: render_invoice_pdf(make_invoice(), company, xml=None),
        "other seller (other footer)": lambda: render_invoice_pdf(
            make_invoice(), replace(company, name="Menuiserie Martin", rcs_city="Nantes"), xml=None
        ),
        "several pages": lambda: render_invoice_pdf(long, company, xml=None, payment=payment),
        "credit note": lambda: render_invoice_pdf(credit, company, xml=None),
        "draft": lambda: render_invoice_pdf(
            draft, seller, xml=None, payment=payment, today=date(2026, 12, 4)
        ),
        "quote": lambda: render_quote_pdf(quote, seller),
        "letter": lambda: render_letter_pdf(
            company,
            customer,
            title="Mise en demeure",
            paragraphs=["Madame, Monsieur,", "Les factures suivantes :", "Cordialement."],
            table=[("Facture", "Montant"), ("F1", "1 €")],
            place_date="Lyon, le 04/12/2026",
        ),
        "other language": lambda: html_to_pdfa(
            '<html lang="de"><body data-footer="Fußzeile"><p>Zahlung fällig</p></body></html>'
        ),
        "same element, other parents": lambda: html_to_pdfa(
            '<html lang="fr"><body data-footer="Pied">'
            '<div class="te"><b>petit</b></div><div class="no"><b>grand</b></div><h1><b>titre</b></h1>'
            "</body></html>"
        ),
    }


def test_shared_styles_draw_the_same_pages(documents: dict[str, Render]) -> None:
    shared = engine().styles
    shared.enabled = False
    try:
        alone = {name: drawn(render()) for name, render in documents.items()}
    finally:
        shared.enabled = True
    assert len(alone["several pages"]) >= 2

    shared.clear()
    hits = shared.hits
    for name in [*documents, *reversed(documents), *documents]:
        assert drawn(documents[name]()) == alone[name], name
    assert shared.hits > hits  # the table was used, not bypassed


def test_the_table_is_emptied_whole_when_full(documents: dict[str, Render]) -> None:
    shared = engine().styles
    shared.clear()
    expected = drawn(documents["rich invoice"]())
    full = len(shared)
    previous, shared.limit = shared.limit, full + 3
    try:
        for _ in range(3):
            assert len(shared) <= shared.limit
            assert drawn(documents["rich invoice"]()) == expected
    finally:
        shared.limit = previous


def test_weasyprint_uses_the_sharing_class_and_plain_documents_share_nothing() -> None:
    style_cache.install()
    assert weasyprint.css.StyleFor is style_cache.SharingStyleFor
    shared = engine().styles
    before = len(shared), shared.hits, shared.misses
    assert weasyprint.HTML(string="<p>Bonjour</p>").render().pages  # not through the engine: no table
    assert (len(shared), shared.hits, shared.misses) == before
