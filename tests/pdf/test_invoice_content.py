"""What a reader sees on the invoice: every mandatory mention of CHECKLIST §1, in French.

Text is extracted with pypdf; amounts are expected in French typography (U+202F between
thousands, U+00A0 before "€" and "%").
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from encaisse.adapters.pdf.render import PaymentBlock, render_html, render_invoice_pdf
from encaisse.adapters.pdf.views import invoice_context
from encaisse.domain.documents import (
    DocumentKind,
    Exemption,
    Invoice,
    InvoiceStatus,
    Line,
    credit_note_for,
    deposit_deduction_lines,
)
from encaisse.domain.parties import Address, Company, Party

NNBSP, NBSP = "\u202f", "\u00a0"


def eur(text: str) -> str:
    """``"1 234,56"`` written with ordinary spaces → the French typographic form with ``€``."""
    return text.replace(" ", NNBSP) + NBSP + "€"


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Line breaks made by the layout become plain spaces (U+00A0 and U+202F are kept)."""
    return re.sub(r"[ \n]+", " ", text)


def text_of(pdf: bytes) -> str:
    return flat("\n".join(pages_text(pdf)))


@pytest.fixture
def invoice_text(make_invoice: Callable[..., Invoice], company: Company, payment: PaymentBlock) -> str:
    invoice = make_invoice(vat_on_debits=True)
    return text_of(render_invoice_pdf(invoice, company, xml=None, payment=payment))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("INV-SELLER-NAME", "Atelier Dupont"),
        ("INV-SELLER-ADDR", "12 rue de la République"),
        ("INV-SELLER-FORM-CAPITAL", f"SAS au capital de 10{NNBSP}000{NBSP}€"),
        ("INV-SELLER-RCS", "RCS Lyon 732 829 320"),
        ("INV-SELLER-VAT", "N° TVA intracommunautaire : FR44732829320"),
        ("INV-BUYER-NAME", "Boulangerie Martin SARL"),
        ("INV-BUYER-ADDR", "75016 Paris"),
        ("EINV-MENTION-BUYER-SIREN", "SIREN 552 100 554"),
        ("INV-BUYER-VAT", "FR40552100554"),
        ("EINV-TYPE-CODES", "Facture"),
        ("INV-NUMBER", "N° F2026-00042"),
        ("INV-DATE-ISSUE", "Date d'émission 04/12/2026"),
        ("INV-DATE-SUPPLY", "Date de livraison / d'exécution 30/11/2026"),
        ("INV-PAY-DUE-DATE", "Date d'échéance 03/01/2027"),
        ("INV-BUYER-PO", "Bon de commande N° BC-778"),
        ("EINV-MENTION-NATURE", "Prestation de services"),
        ("INV-LINE-DESC", "Pose de carrelage – salle d'eau"),
        ("INV-LINE-UNIT-PRICE", f"2 jour {eur('617,28')} 20{NBSP}% {eur('1 234,56')}"),
        ("INV-TOTALS-PER-RATE", f"{eur('1 234,56')} 20{NBSP}% {eur('246,91')}"),
        ("INV-TOTALS-HT", f"Total HT {eur('1 234,56')}"),
        ("INV-TOTALS-TVA", f"Total TVA {eur('246,91')}"),
        ("INV-TOTALS-TTC", f"Total TTC {eur('1 481,47')}"),
        ("NET", f"Net à payer {eur('1 481,47')}"),
        ("INV-PAY-PENALTY-RATE", f"au taux annuel de 12,15{NBSP}%"),
        ("INV-PAY-INDEMNITY-40", f"frais de recouvrement due en cas de retard de paiement : 40{NBSP}€"),
        ("INV-PAY-ESCOMPTE", "Pas d'escompte pour paiement anticipé."),
        ("INV-VAT-DEBITS", "Option pour le paiement de la taxe d'après les débits"),
        ("SEPA-VOP", "Titulaire du compte Atelier Dupont SAS"),
        ("IBAN", "IBAN FR76 3000 6000 0112 3456 7890 189"),
        ("BIC", "BIC AGRIFRPP"),
        ("RF", "Référence à indiquer : RF18539007547034"),
        ("LINK", "Payer en ligne : https://pay.example/p/abc"),
        ("INV-INSURANCE", "Assurance décennale : MAAF Assurances, 79036 Niort"),
        ("FOOTER", "page 1/1"),
    ],
)
def test_mandatory_mention_is_printed(invoice_text: str, code: str, expected: str) -> None:
    assert expected in invoice_text, code


def test_legal_footer_repeats_the_identity(invoice_text: str) -> None:
    footer = (
        f"Atelier Dupont – SAS au capital de 10{NNBSP}000{NBSP}€ – 12 rue de la République, 69002 Lyon – "
        "RCS Lyon 732 829 320 – TVA FR44732829320"
    )
    assert footer in invoice_text


def test_logo_and_qr_code_are_drawn(
    make_invoice: Callable[..., Invoice], company: Company, payment: PaymentBlock, png: Callable[[str], bytes]
) -> None:
    with_logo = replace(company, logo=png("logo"))
    reader = PdfReader(io.BytesIO(render_invoice_pdf(make_invoice(), with_logo, xml=None, payment=payment)))
    assert len(reader.pages[0].images) == 2
    plain = PdfReader(io.BytesIO(render_invoice_pdf(make_invoice(), company, xml=None)))
    assert len(plain.pages[0].images) == 0


def test_consumer_invoice_has_no_indemnity_nor_penalty(
    make_invoice: Callable[..., Invoice], company: Company, customer: Party
) -> None:
    """PAY-B2C / INV-PAY-INDEMNITY-40: never 40 € nor B2B penalties towards a consumer."""
    consumer = Party(
        name="Jeanne Durand", is_business=False, address=Address("3 rue Haute", "", "69001", "Lyon")
    )
    text = text_of(render_invoice_pdf(make_invoice(customer=consumer), company, xml=None))
    assert "40\u00a0€" not in text
    assert "pénalités" not in text
    assert "Pas d'escompte" in text
    assert "Option pour le paiement" not in text  # INV-VAT-DEBITS only when opted


def test_credit_note_references_the_invoice(
    make_invoice: Callable[..., Invoice], company: Company, payment: PaymentBlock
) -> None:
    """CN-REFERENCE: "Avoir relatif à la facture N° … du …", no payment request."""
    original = make_invoice()
    credit = credit_note_for(original, date(2026, 12, 20)).with_changes(number="AV2026-00003")
    text = text_of(render_invoice_pdf(credit, company, xml=None, payment=payment))
    assert "Avoir N° AV2026-00003" in text
    assert "Avoir relatif à la facture N° F2026-00042 du 04/12/2026" in text
    assert f"Montant de l'avoir {eur('1 481,47')}" in text
    assert "IBAN" not in text
    assert "Net à payer" not in text


def test_deposit_and_final_invoice(make_invoice: Callable[..., Invoice], company: Company) -> None:
    """INV-OBLIG-DEPOSIT / DEP-FINAL: the final invoice deducts the deposit and names it."""
    deposit = make_invoice(
        kind=DocumentKind.DEPOSIT,
        number="F2026-00040",
        lines=(Line("Acompte de 30 % sur le devis D2026-00007", Decimal(1), Decimal("370.37")),),
    )
    assert "Facture d'acompte N° F2026-00040" in text_of(render_invoice_pdf(deposit, company, xml=None))
    final = make_invoice(
        lines=(*make_invoice().lines, *deposit_deduction_lines(deposit)),
        deposit_numbers=("F2026-00040",),
    )
    text = text_of(render_invoice_pdf(final, company, xml=None))
    assert "Déduction de l'acompte facturé F2026-00040 du 04/12/2026" in text
    assert f"Acomptes déjà facturés et déduits : N° F2026-00040 (total HT déduit : {eur('370,37')})" in text
    # 1 234,56 − 370,37 = 864,19 HT; VAT 172,84; TTC 1 037,03
    assert f"Net à payer {eur('1 037,03')}" in text


def test_exemptions_and_document_discount(make_invoice: Callable[..., Invoice], company: Company) -> None:
    """INV-VAT-EXEMPT-ICS / INV-VAT-REVERSE mentions, INV-DISCOUNTS as a separate allowance."""
    lines = (
        Line("Carreaux", Decimal(10), Decimal(100), exemption=Exemption.INTRA_EU),
        Line("Sous-traitance BTP", Decimal(1), Decimal(1000), exemption=Exemption.REVERSE_CHARGE),
    )
    text = text_of(
        render_invoice_pdf(
            make_invoice(lines=lines, document_discount_percent=Decimal(10)), company, xml=None
        )
    )
    assert "Exonération de TVA, article 262 ter I du CGI" in text
    assert "Autoliquidation" in text
    assert f"Remise (10{NBSP}%) -{eur('200,00')}" in text
    assert f"Total HT {eur('1 800,00')}" in text
    assert f"Total TVA {eur('0,00')}" in text


def test_franchise_shows_no_vat(make_invoice: Callable[..., Invoice], company: Company) -> None:
    """INV-VAT-FRANCHISE: "TVA non applicable, art. 293 B du CGI" and no VAT amount."""
    lines = (Line("Cours de piano", Decimal(4), Decimal(30), unit="HUR", exemption=Exemption.FRANCHISE),)
    text = text_of(render_invoice_pdf(make_invoice(lines=lines), company, xml=None))
    assert "TVA non applicable, art. 293 B du CGI" in text
    assert "TVA" not in text.replace("TVA non applicable", "").replace("TVA intracommunautaire", "").replace(
        "TVA FR44", ""
    )
    assert f"Total {eur('120,00')}" in text


def test_sole_trader_name_carries_ei(make_invoice: Callable[..., Invoice]) -> None:
    """INV-SELLER-EI: "EI" right after the name of an individual entrepreneur."""
    sole = Company(
        name="Paul Marchand",
        siren="732829320",
        legal_form="EI",
        address=Address("2 rue Basse", "", "38000", "Grenoble"),
    )
    text = text_of(render_invoice_pdf(make_invoice(), sole, xml=None))
    assert "Paul Marchand EI Entrepreneur individuel" in text
    assert "SIREN 732 829 320" in text


def test_foreign_currency_shows_vat_in_euros(make_invoice: Callable[..., Invoice], company: Company) -> None:
    """INV-LANG-CUR: amounts in the invoice currency, total VAT also in euros."""
    text = text_of(
        render_invoice_pdf(make_invoice(currency="USD", eur_rate=Decimal("0.9")), company, xml=None)
    )
    assert "Devise USD" in text
    assert f"Total TTC 1{NNBSP}481,47{NBSP}$US" in text
    assert f"Total TVA en euros {eur('222,22')}" in text  # 246,91 × 0,9 = 222,219
    assert "1 USD = 0,9 EUR" in text


def test_delivery_address_when_different(make_invoice: Callable[..., Invoice], company: Company) -> None:
    """EINV-MENTION-DELIVERY-ADDR."""
    site = Address("Chantier Lumière", "", "69008", "Lyon")
    text = text_of(render_invoice_pdf(make_invoice(delivery_address=site), company, xml=None))
    assert "ADRESSE DE LIVRAISON Chantier Lumière 69008 Lyon" in text


def test_draft_is_marked(make_invoice: Callable[..., Invoice], company: Company) -> None:
    draft = make_invoice(number="", status=InvoiceStatus.DRAFT)
    text = text_of(render_invoice_pdf(draft, company, xml=None, today=date(2026, 12, 5)))
    assert "BROUILLON" in text
    assert "Brouillon – non numérotée" in text
    assert "Aperçu du 05/12/2026" in text


def test_html_in_names_is_escaped(
    make_invoice: Callable[..., Invoice], company: Company, customer: Party
) -> None:
    hostile = Party(name='<script>alert("x")</script> & <b>Cie</b>', address=customer.address)
    invoice = make_invoice(customer=hostile, note="<img src=x onerror=alert(1)>")
    html = render_html("invoice.html", invoice_context(invoice, company, None, date(2026, 12, 4)))
    assert "<script>" not in html
    assert "<b>Cie" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Cie&lt;/b&gt;" in html
    text = text_of(render_invoice_pdf(invoice, company, xml=None))
    assert '<script>alert("x")</script>&<b>Cie</b>' in text.replace(" ", "")  # may wrap after "</"
    assert "<img src=x onerror=alert(1)>" in text


def test_long_invoice_paginates_with_repeated_header(
    make_invoice: Callable[..., Invoice], company: Company, payment: PaymentBlock
) -> None:
    lines = tuple(
        Line(
            f"Prestation n° {i:02d} – intervention sur site",
            Decimal(1),
            Decimal(100) + i,
            discount_percent=Decimal(5) if i == 0 else Decimal(0),  # so the "Remise" column is printed
        )
        for i in range(60)
    )
    pages = [
        flat(t)
        for t in pages_text(render_invoice_pdf(make_invoice(lines=lines), company, xml=None, payment=payment))
    ]
    count = len(pages)
    assert count >= 2
    header = "Désignation Quantité Unité PU HT Remise TVA Total HT"
    for number, text in enumerate(pages, start=1):
        assert f"page {number}/{count}" in text
        assert "RCS Lyon 732 829 320 – TVA FR44732829320" in text  # legal footer on every page
    assert header in pages[0]
    assert header in pages[1]  # thead repeated on the continuation page
    assert "Prestation n° 59" in "\n".join(pages[1:])
    assert "Prestation n° 59" not in pages[0]


def link_uris(pdf: bytes) -> list[str]:
    uris = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for annot in page.get("/Annots", []):
            action = annot.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    return uris


def test_payment_link_is_clickable_only_for_http(
    make_invoice: Callable[..., Invoice], company: Company, payment: PaymentBlock
) -> None:
    pdf = render_invoice_pdf(make_invoice(), company, xml=None, payment=payment)
    assert link_uris(pdf) == ["https://pay.example/p/abc"]
    hostile = replace(payment, payment_url="javascript:alert(1)")
    pdf = render_invoice_pdf(make_invoice(), company, xml=None, payment=hostile)
    assert link_uris(pdf) == []
    assert "Payer en ligne : javascript:alert(1)" in text_of(pdf)


def test_discount_column_only_when_a_line_has_a_discount(
    make_invoice: Callable[..., Invoice], company: Company
) -> None:
    """INV-DISCOUNTS: the per-line discount is printed when there is one; no empty column otherwise."""
    plain = text_of(render_invoice_pdf(make_invoice(), company, xml=None))
    assert "Désignation Quantité Unité PU HT TVA Total HT" in plain
    assert "Remise" not in plain
    line = Line("Pose", Decimal(2), Decimal(100), discount_percent=Decimal("12.5"))
    text = text_of(render_invoice_pdf(make_invoice(lines=(line,)), company, xml=None))
    assert "Désignation Quantité Unité PU HT Remise TVA Total HT" in text
    assert f"2 u. {eur('100,00')} 12,5{NBSP}% 20{NBSP}% {eur('175,00')}" in text
