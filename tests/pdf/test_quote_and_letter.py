"""Quotes (QUO-B2B, QUO-VALIDITY, QUO-INSURANCE) and formal-notice letters (DUN-MED-CONTENT)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from pypdf import PdfReader

from encaisse.adapters.pdf.render import render_letter_pdf, render_quote_pdf
from encaisse.domain.documents import Invoice, Line, Quote
from encaisse.domain.parties import Company, Party

NNBSP, NBSP = "\u202f", "\u00a0"


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"[ \n]+", " ", "\n".join(page.extract_text() for page in reader.pages))


def is_pdfa_3b(pdf: bytes) -> bool:
    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    return b"pdfaid:part>3<" in xmp or b'pdfaid:part="3"' in xmp


def test_quote_pdf(company: Company, customer: Party) -> None:
    quote = Quote(
        company_id=1,
        customer=customer,
        issue_date=date(2026, 12, 4),
        validity_date=date(2027, 1, 3),
        number="D2026-00007",
        lines=(
            Line("Dépose de l'ancien carrelage", Decimal(8), Decimal(45), unit="HUR"),
            Line(
                "Carreaux grès cérame 60×60",
                Decimal("12.5"),
                Decimal("38.9"),
                unit="MTK",
                vat_rate=Decimal(10),
            ),
        ),
        note="Travaux réalisables sous 3 semaines après acceptation.",
    )
    pdf = render_quote_pdf(quote, company)
    assert is_pdfa_3b(pdf)
    assert PdfReader(io.BytesIO(pdf)).attachments == {}
    text = text_of(pdf)
    assert "Devis N° D2026-00007" in text
    assert "Valable jusqu'au 03/01/2027" in text
    assert "BON POUR ACCORD" in text
    assert "« Bon pour accord »" in text
    assert f"12,5 m² 38,90{NBSP}€ 10{NBSP}% 486,25{NBSP}€" in text
    # 360,00 + 486,25 = 846,25 HT; VAT 72,00 + 48,63 = 120,63; TTC 966,88
    assert f"Total HT 846,25{NBSP}€ Total TVA 120,63{NBSP}€ Total TTC 966,88{NBSP}€" in text
    assert "Assurance décennale : MAAF Assurances" in text  # QUO-INSURANCE
    assert "RCS Lyon 732 829 320" in text
    assert "page 1/1" in text


def test_formal_notice_letter(
    company: Company, customer: Party, make_invoice: Callable[..., Invoice]
) -> None:
    pdf = render_letter_pdf(
        company,
        customer,
        title="Mise en demeure de payer",
        paragraphs=[
            "Madame, Monsieur,",
            "Sauf erreur de notre part, les factures suivantes restent impayées à ce jour :",
            "Nous vous mettons en demeure de régler la somme de 1 481,47 € sous huit jours.",
        ],
        table=[
            ("Facture", "Date", "Échéance", "Montant dû"),
            ("F2026-00042", "04/12/2026", "03/01/2027", "1 481,47 €"),
        ],
        place_date="Lyon, le 20/01/2027",
    )
    assert is_pdfa_3b(pdf)
    text = text_of(pdf)
    assert "Mise en demeure de payer" in text
    assert "Boulangerie Martin SARL 1 avenue Foch 75016 Paris" in text
    assert "Lyon, le 20/01/2027" in text
    # the table follows the paragraph announcing it, the demand comes after
    assert re.search(
        r"impayées à ce jour : Facture Date Échéance Montant dû F2026-00042 04/12/2026 03/01/2027 1 481,47 € "
        r"Nous vous mettons en demeure",
        text,
    ), text


def test_letter_escapes_html(company: Company, customer: Party) -> None:
    pdf = render_letter_pdf(
        company,
        customer,
        title="<h1>Relance</h1>",
        paragraphs=["<script>x()</script>"],
        table=[],
        place_date="Lyon",
    )
    text = text_of(pdf)
    assert "<h1>Relance</h1>" in text
    assert "<script>x()</script>" in text


def test_renders_from_several_threads(company: Company, customer: Party) -> None:
    """Web workers render concurrently: each thread gets its own WeasyPrint font configuration."""
    from concurrent.futures import ThreadPoolExecutor

    def render(i: int) -> str:
        quote = Quote(1, customer, date(2026, 12, 4), date(2027, 1, 3), number=f"D2026-{i:05d}")
        return text_of(render_quote_pdf(quote, company))

    with ThreadPoolExecutor(max_workers=3) as pool:
        texts = list(pool.map(render, range(6)))
    assert [f"N° D2026-{i:05d}" in text for i, text in enumerate(texts)] == [True] * 6
