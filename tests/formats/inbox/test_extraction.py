"""What the inbox reads from a supplier invoice: parties (SIREN derivation), lines, VAT, payment.

SIREN rules: legal id in ICD scheme 0002 (SIREN) or 0009 (SIRET), else FRkk+SIREN from the VAT
number when its key is right (CHECKLIST INV-SELLER-VAT, EINV-MENTION-SELLER-SIREN, EINV-DIRECTORY).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from facturx import generate_from_binary
from pypdf import PdfWriter

from encaisse.domain.errors import FormatError, Severity
from encaisse.domain.received import Container, ProfileLevel, Syntax, derive_siren
from encaisse.formats import einvoice_in

from .conftest import BUYER_SIREN, SUPPLIER_SIREN, MakeCii


def codes(data: bytes) -> list[str]:
    return [p.code for p in einvoice_in.parse(data).problems]


def test_supplier_siren_is_derived_from_the_vat_number_without_legal_id(make_cii: MakeCii) -> None:
    invoice = einvoice_in.parse(make_cii(seller_vat="FR44732829320", seller_legal_id=""))
    assert invoice.supplier.legal_id == ""
    assert invoice.supplier.siren == SUPPLIER_SIREN
    assert invoice.supplier.vat_number == "FR44732829320"
    assert invoice.problems == ()


def test_legal_id_scheme_0002_is_the_siren(make_cii: MakeCii) -> None:
    invoice = einvoice_in.parse(make_cii(seller_legal_id="732 829 320", seller_scheme="0002"))
    assert (invoice.supplier.siren, invoice.supplier.legal_id_scheme) == (SUPPLIER_SIREN, "0002")


def test_legal_id_scheme_0009_is_a_siret(make_cii: MakeCii) -> None:
    invoice = einvoice_in.parse(make_cii(seller_legal_id="73282932000074", seller_scheme="0009"))
    assert invoice.supplier.siren == SUPPLIER_SIREN


def test_wrong_vat_key_gives_no_siren_and_warnings(make_cii: MakeCii) -> None:
    invoice = einvoice_in.parse(make_cii(seller_vat="FR45732829320"))
    assert invoice.supplier.siren == ""
    found = {p.code: p.severity for p in invoice.problems}
    assert found == {"INV-SELLER-VAT": Severity.WARN, "EINV-MENTION-SELLER-SIREN": Severity.WARN}
    assert "FR44732829320" in invoice.problems[0].message  # says what the key should be


def test_legal_id_and_vat_of_different_companies(make_cii: MakeCii) -> None:
    found = codes(make_cii(seller_legal_id="552100554", seller_vat="FR44732829320"))
    assert found == ["INBOX-SIREN-VAT-MISMATCH"]


@pytest.mark.parametrize(
    ("kwargs", "siren"),
    [
        ({"vat_number": "FR 44 732 829 320"}, "732829320"),
        ({"vat_number": "DE136695976"}, ""),
        ({"legal_id": "732829320", "country": "FR"}, "732829320"),
        ({"legal_id": "732829320", "country": "DE"}, ""),  # unlabelled foreign id is not a SIREN
        ({"legal_id": "73282932000074", "vat_number": "FR44732829320"}, "732829320"),
        ({"legal_id": "12345", "legal_id_scheme": "0002", "vat_number": "FR44732829320"}, "732829320"),
    ],
)
def test_derive_siren(kwargs: dict[str, str], siren: str) -> None:
    assert derive_siren(**kwargs) == siren


def test_everything_the_inbox_needs_is_read(make_cii: MakeCii) -> None:
    data = make_cii(number="F2026-00042")
    invoice = einvoice_in.parse(data)
    assert (invoice.syntax, invoice.container, invoice.level) == (
        Syntax.CII,
        Container.XML,
        ProfileLevel.EN16931,
    )
    assert (invoice.number, invoice.type_code, invoice.currency) == ("F2026-00042", "380", "EUR")
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 9, 15), date(2026, 10, 15))
    assert invoice.supplier.iban == "FR7630006000011234567890189"
    assert invoice.supplier.bic == "AGRIFRPP"
    assert invoice.supplier.address.one_line() == "12 rue Garibaldi, 69003 Lyon"
    assert (invoice.buyer.name, invoice.buyer.siren) == ("Atelier Martin", BUYER_SIREN)
    assert invoice.payment_reference == "F2026-00042"
    assert invoice.notes == ("Pénalités de retard : 12,15 %",)
    [line] = invoice.lines
    assert (line.line_id, line.name, line.description) == (
        "1",
        "Pose de carrelage",
        "Salle de bains, 2 heures",
    )
    assert (line.quantity, line.unit, line.net_price, line.net_amount) == (
        Decimal(2),
        "HUR",
        Decimal("100.00"),
        Decimal("200.00"),
    )
    assert (line.vat_category, line.vat_rate) == ("S", Decimal("20.00"))
    [row] = invoice.vat_rows
    assert (row.category, row.rate, row.taxable_amount, row.tax_amount) == (
        "S",
        Decimal("20.00"),
        Decimal("200.00"),
        Decimal("40.00"),
    )
    assert invoice.totals.payable == Decimal("240.00")
    assert invoice.sha256 == hashlib.sha256(data).hexdigest()
    assert not invoice.is_credit_note


def test_builder_output_passes_the_official_validation(make_cii: MakeCii) -> None:
    assert einvoice_in.validate(make_cii()) == []


def test_wrong_total_is_reported_once_with_its_rule(make_cii: MakeCii) -> None:
    data = make_cii(grand_total="250.00")
    assert "BR-CO-15" in codes(data)
    problems = einvoice_in.validate(data)
    assert [p.code for p in problems].count("BR-CO-15") == 1
    assert all(p.severity is Severity.ERROR for p in problems if p.code.startswith("BR-CO"))


def test_unreadable_amount_is_a_problem_not_a_crash(make_cii: MakeCii) -> None:
    invoice = einvoice_in.parse(make_cii(price="100,00"))
    [problem] = [p for p in invoice.problems if p.code == "INBOX-AMOUNT-INVALID"]
    assert "BT-146" in problem.message
    assert "not a number" in problem.message
    assert invoice.lines[0].net_price == Decimal(0)


def test_credit_note_type(make_cii: MakeCii) -> None:
    assert einvoice_in.parse(make_cii(type_code="381")).is_credit_note


def test_ubl_supplier_siren_from_vat(corpora: Path) -> None:
    data = (corpora / "en16931" / "examples" / "ubl" / "ubl-tc434-example3.xml").read_bytes()
    data = data.replace(
        b"<cbc:CompanyID>DK16356706</cbc:CompanyID>", b"<cbc:CompanyID>FR44732829320</cbc:CompanyID>"
    )
    invoice = einvoice_in.parse(data)
    assert invoice.supplier.name == "SubscriptionSeller"  # BT-27 registration name
    assert invoice.supplier.siren == SUPPLIER_SIREN
    assert invoice.supplier.iban == "DK1212341234123412"
    assert invoice.payment_reference == "Payref1"


def test_ubl_credit_note(corpora: Path) -> None:
    invoice = einvoice_in.parse(
        (corpora / "en16931" / "examples" / "ubl" / "ubl-tc434-creditnote1.xml").read_bytes()
    )
    assert invoice.is_credit_note
    assert invoice.lines[0].quantity != 0  # cbc:CreditedQuantity is read


def _blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_factur_x_pdf_made_by_the_facturx_library_reads_cleanly(make_cii: MakeCii) -> None:
    pdf = generate_from_binary(_blank_pdf(), make_cii())
    invoice = einvoice_in.parse(pdf)
    assert (invoice.container, invoice.syntax) == (Container.PDF, Syntax.CII)
    assert invoice.problems == ()
    assert invoice.sha256 == hashlib.sha256(pdf).hexdigest()  # of the whole PDF, not the XML
    assert einvoice_in.export(invoice) == pdf


def test_pdf_with_bare_attachment_gets_packaging_warnings(make_cii: MakeCii) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("invoice.xml", make_cii())
    out = io.BytesIO()
    writer.write(out)
    problems = einvoice_in.parse(out.getvalue()).problems
    assert {p.code for p in problems} == {"FX-ATTACHMENT-NAME", "FX-AF-RELATIONSHIP", "FX-XMP-MISSING"}
    assert {p.severity for p in problems} == {Severity.WARN}


def test_export_refuses_an_altered_original(make_cii: MakeCii) -> None:
    invoice = einvoice_in.parse(make_cii())
    with pytest.raises(FormatError) as caught:
        einvoice_in.export(replace(invoice, original=invoice.original + b" "))
    assert caught.value.code == "INBOX-ORIGINAL-ALTERED"
