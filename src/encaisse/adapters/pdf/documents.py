"""Stored documents → PDF bytes: the invoice PDF with its payment block (IBAN, RF reference, EPC QR code)
and embedded Factur-X EN 16931 XML for issued documents; drafts render as previews without XML.
"""

from __future__ import annotations

from datetime import date

from encaisse.adapters.pdf.render import PaymentBlock, render_invoice_pdf, render_quote_pdf
from encaisse.domain.documents import DocumentKind, Invoice, InvoiceStatus
from encaisse.domain.errors import EncaisseError
from encaisse.domain.parties import Company
from encaisse.formats import cii, epc_qr
from encaisse.formats.qr_symbol import QrSymbol
from encaisse.services.ports import Repository, UnitOfWork


def payment_block(company: Company, invoice: Invoice, payment_url: str = "") -> PaymentBlock | None:
    """IBAN/BIC, the RF reference and an EPC QR code for the amount due (EPC069-12)."""
    if invoice.kind is DocumentKind.CREDIT_NOTE or not company.iban:
        return None
    reference = invoice.payment_reference or invoice.number
    qr: QrSymbol | None = None
    amount = invoice.amount_due if invoice.status is not InvoiceStatus.DRAFT else invoice.total_incl_tax
    if invoice.currency == "EUR" and amount > 0:
        try:
            payload = epc_qr.payload(
                name=(company.account_holder or company.name)[:70],
                iban=company.iban,
                bic=company.bic,
                amount=amount,
                reference=invoice.payment_reference,
                text="" if invoice.payment_reference else f"Facture {invoice.number}"[:140],
            )
            qr = epc_qr.symbol(payload)
        except EncaisseError:
            qr = None
    return PaymentBlock(
        iban=company.iban,
        bic=company.bic,
        account_holder=company.account_holder or company.name,
        reference=reference,
        qr=qr,
        payment_url=payment_url,
    )


def invoice_pdf_bytes(
    repo: Repository, company: Company, invoice: Invoice, *, payment_url: str = "", today: date | None = None
) -> bytes:
    """The PDF/A-3b of a stored invoice; issued documents carry their Factur-X XML."""
    xml = None if invoice.status is InvoiceStatus.DRAFT else cii.export(invoice, company)
    return render_invoice_pdf(
        invoice, company, xml=xml, payment=payment_block(company, invoice, payment_url), today=today
    )


def invoice_pdf(uow: UnitOfWork, company_id: int, invoice_id: int, *, payment_url: str = "") -> bytes:
    with uow() as repo:
        company = repo.get_company(company_id)
        invoice = repo.get_invoice(company_id, invoice_id)
        return invoice_pdf_bytes(repo, company, invoice, payment_url=payment_url)


def quote_pdf(uow: UnitOfWork, company_id: int, quote_id: int) -> bytes:
    with uow() as repo:
        company = repo.get_company(company_id)
        return render_quote_pdf(repo.get_quote(company_id, quote_id), company)


def kind_label(kind: DocumentKind) -> str:
    return {"invoice": "facture", "deposit": "facture d'acompte", "credit_note": "avoir"}[kind.value]
