"""The EPC QR code in a PDF/A-3b invoice (EPC-QR-PAYLOAD): sharp, small, and PDF/A-conformant.

PDF/A (ISO 19005-2 §6.2.8) requires ``/Interpolate`` to be false on every image; the QR code is
embedded at one pixel per module and drawn at 24 mm without smoothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace

from pypdf import PdfReader

from encaisse.adapters.pdf.documents import payment_block
from encaisse.adapters.pdf.render import render_invoice_pdf
from encaisse.adapters.pdf.views import PaymentBlock
from encaisse.domain.documents import Invoice
from encaisse.domain.parties import Company


def images_of(pdf: bytes) -> list[dict[str, object]]:
    reader = PdfReader(io.BytesIO(pdf))
    found = []
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        for ref in xobjects.values():
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                found.append({k: obj.get(k) for k in ("/Width", "/Height", "/Interpolate")})
    return found


def test_qr_code_is_one_pixel_per_module_without_interpolation(
    company: Company, make_invoice: Callable[..., Invoice], cii: Callable[[Invoice, Company], bytes]
) -> None:
    seller = replace(company, iban="FR7630006000011234567890189", bic="AGRIFRPP")
    invoice = make_invoice()
    block = payment_block(seller, invoice)
    assert isinstance(block, PaymentBlock)
    assert block.qr_png is not None
    pdf = render_invoice_pdf(invoice, seller, xml=cii(invoice, seller), payment=block)
    (image,) = images_of(pdf)
    assert image["/Width"] == image["/Height"]
    assert int(str(image["/Width"])) < 80  # modules + quiet zone, not an upscaled bitmap
    assert image["/Interpolate"] in (None, False)
