"""Legal mention texts (CHECKLIST §1.2, §1.5, CN-REFERENCE)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from encaisse.adapters.pdf import mentions
from encaisse.domain.documents import DocumentKind, Invoice
from encaisse.domain.parties import Company


def test_seller_identity(company: Company) -> None:
    assert mentions.form_and_capital(company) == "SAS au capital de 10\u202f000\u00a0€"
    assert mentions.form_and_capital(replace(company, capital_variable=True)) == "SAS à capital variable"
    assert mentions.registration(company) == "RCS Lyon 732 829 320"
    assert mentions.registration(replace(company, rcs_city="")) == "SIREN 732 829 320"
    artisan = replace(company, rcs_city="", rm_mention="RM 69 (Chambre de métiers du Rhône)")
    assert mentions.registration(artisan) == "SIREN 732 829 320 – RM 69 (Chambre de métiers du Rhône)"


def test_sole_trader_name() -> None:
    """INV-SELLER-EI: "EI" is added once, never twice."""
    ei = Company(name="Paul Marchand", siren="732829320", legal_form="EI")
    assert mentions.seller_display_name(ei) == "Paul Marchand EI"
    assert mentions.seller_display_name(replace(ei, name="Paul Marchand EI")) == "Paul Marchand EI"
    assert mentions.seller_display_name(replace(ei, legal_form="SARL")) == "Paul Marchand"


def test_payment_terms(make_invoice: Callable[..., Invoice], company: Company) -> None:
    terms = mentions.payment_terms(make_invoice(penalty_rate=Decimal("10")), company)
    assert terms[0] == "Date d'échéance : 03/01/2027."
    assert terms[1] == mentions.NO_ESCOMPTE
    assert terms[2].endswith("au taux annuel de 10\u00a0%.")
    assert terms[3] == mentions.RECOVERY_INDEMNITY
    escompte = "Escompte de 1 % pour paiement sous 8 jours."
    no_indemnity = make_invoice(recovery_indemnity=False, early_payment_discount=escompte)
    terms = mentions.payment_terms(no_indemnity, company)
    assert escompte in terms
    assert mentions.RECOVERY_INDEMNITY not in terms


def test_tax_mentions(make_invoice: Callable[..., Invoice], company: Company) -> None:
    assert mentions.tax_mentions(make_invoice(), company) == []
    both = mentions.tax_mentions(make_invoice(vat_on_debits=True), replace(company, oga_member=True))
    assert both == [mentions.VAT_ON_DEBITS, mentions.OGA_MENTION]


def test_titles(make_invoice: Callable[..., Invoice]) -> None:
    assert mentions.document_title(make_invoice(kind=DocumentKind.DEPOSIT)) == "Facture d'acompte"
    credit = make_invoice(kind=DocumentKind.CREDIT_NOTE, corrects_number="F2026-00001")
    assert mentions.document_title(credit) == "Avoir"
    assert mentions.credit_note_reference(credit) == "Avoir relatif à la facture N° F2026-00001"
    assert mentions.credit_note_reference(make_invoice()) == ""
