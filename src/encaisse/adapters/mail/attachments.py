"""Render the attachment descriptors stored with queued messages into files (at sending time).

``{"kind": "invoice_pdf", "invoice_id": 1, "filename": "F2026-00001.pdf"}`` → the invoice PDF
(Factur-X, from ``adapters.pdf.documents.invoice_pdf_bytes``);
``{"kind": "formal_notice", "customer_id": 7, "title": …, "paragraphs": […], "table": [[…]],
"place_date": …}`` → the formal-notice letter (``adapters/pdf/render.render_letter_pdf``,
DUN-MED-CONTENT), with the figures frozen on the day of the notice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from encaisse.domain.documents import Invoice
from encaisse.domain.parties import Company
from encaisse.services.mail_queue import Attachment


def invoice_pdf(repo: Any, company: Company, invoice: Invoice) -> bytes:
    """The invoice PDF/A-3b with its embedded Factur-X XML (issued documents)."""
    from encaisse.adapters.pdf.documents import invoice_pdf_bytes

    return invoice_pdf_bytes(repo, company, invoice)


def render_attachment(repo: Any, company_id: int, descriptor: Mapping[str, Any]) -> Attachment | None:
    """The file of one descriptor, or None for a kind this version does not know."""
    kind = descriptor.get("kind")
    if kind == "invoice_pdf":
        company = repo.get_company(company_id)
        invoice = repo.get_invoice(company_id, int(descriptor["invoice_id"]))
        filename = str(descriptor.get("filename") or f"{invoice.number}.pdf")
        return Attachment(filename, invoice_pdf(repo, company, invoice))
    if kind == "formal_notice":
        from encaisse.adapters.pdf.render import render_letter_pdf

        company = repo.get_company(company_id)
        customer = repo.get_party(company_id, int(descriptor["customer_id"]))
        pdf = render_letter_pdf(
            company,
            customer,
            title=str(descriptor["title"]),
            paragraphs=[str(p) for p in descriptor["paragraphs"]],
            table=[tuple(str(c) for c in row) for row in descriptor["table"]],
            place_date=str(descriptor["place_date"]),
        )
        return Attachment(str(descriptor.get("filename") or "mise-en-demeure.pdf"), pdf)
    return None
