"""The EPC QR code in a PDF/A-3b invoice (EPC-QR-PAYLOAD): readable, in its box, small, PDF/A-conformant.

The symbol is painted after layout by ``adapters/pdf/qr_paint.py`` as a stencil mask, one pixel
per module, without interpolation (PDF/A, ISO 19005-2 §6.2.8, forbids ``/Interpolate true``).
The page is rasterised with poppler (``pdftoppm``) and the QR code read back with zxing-cpp: the
test fails if the code is misplaced, mirrored, upside down, masked wrongly or not drawn at all.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import zxingcpp  # type: ignore[import-untyped]
from PIL import Image
from pypdf import PdfReader

from encaisse.adapters.pdf.documents import payment_block
from encaisse.adapters.pdf.render import render_invoice_pdf
from encaisse.adapters.pdf.views import PaymentBlock
from encaisse.domain.documents import Invoice, Line
from encaisse.domain.parties import Company
from encaisse.formats import epc_qr

MM_PER_INCH = 25.4
DPI = 150


def images_of(pdf: bytes) -> list[dict[str, object]]:
    reader = PdfReader(io.BytesIO(pdf))
    found = []
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        for ref in xobjects.values():
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                found.append({k: obj.get(k) for k in ("/Width", "/Height", "/Interpolate", "/ImageMask")})
    return found


def first_page(pdf: bytes, tmp_path: Path) -> Image.Image:
    if shutil.which("pdftoppm") is None:  # pragma: no cover - scripts/setup-env --test installs poppler-utils
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    (tmp_path / "doc.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-f", "1", "-l", "1", "-png", "doc.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    (png,) = tmp_path.glob("page*.png")
    return Image.open(png)


@pytest.fixture
def seller(company: Company) -> Company:
    return replace(company, iban="FR7630006000011234567890189", bic="AGRIFRPP")


def test_qr_code_is_one_pixel_per_module_without_interpolation(
    seller: Company, make_invoice: Callable[..., Invoice], cii: Callable[[Invoice, Company], bytes]
) -> None:
    invoice = make_invoice()
    block = payment_block(seller, invoice)
    assert isinstance(block, PaymentBlock)
    assert block.qr is not None
    pdf = render_invoice_pdf(invoice, seller, xml=cii(invoice, seller), payment=block)
    (image,) = images_of(pdf)
    assert image["/Width"] == image["/Height"] == block.qr.size + 8  # modules + quiet zone
    assert image["/Interpolate"] in (None, False)
    assert bool(image["/ImageMask"])


def test_the_printed_qr_code_reads_back_as_the_epc_payload_of_the_amount_due(
    seller: Company,
    make_invoice: Callable[..., Invoice],
    cii: Callable[[Invoice, Company], bytes],
    tmp_path: Path,
) -> None:
    invoice = make_invoice()
    block = payment_block(seller, invoice)
    assert block is not None
    assert block.qr is not None
    page = first_page(render_invoice_pdf(invoice, seller, xml=cii(invoice, seller), payment=block), tmp_path)

    (found,) = zxingcpp.read_barcodes(page)
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    fields = epc_qr.parse(found.text)
    assert epc_qr.validate(found.text) == []
    assert fields["iban"] == "FR7630006000011234567890189"
    assert fields["amount"] == invoice.amount_due
    # In the 24 mm box at the right of the payment block, in the lower part of the A4 page.
    mm = MM_PER_INCH / DPI
    xs = [point.x * mm for point in (found.position.top_left, found.position.bottom_right)]
    ys = [point.y * mm for point in (found.position.top_left, found.position.bottom_right)]
    assert (
        196 - 28 < xs[0] < xs[1] < 196
    )  # inside the payment box, at the right of the page area (210 − 14 mm)
    assert 16 < ys[0] < ys[1] < 297 - 24
    assert 15 < xs[1] - xs[0] < 24  # the symbol without its quiet zone: 24 mm × 41/49


def test_a_qr_code_on_a_two_page_invoice_is_drawn_once_on_the_page_holding_the_payment_block(
    seller: Company, make_invoice: Callable[..., Invoice], tmp_path: Path
) -> None:
    lines = tuple(Line(f"Prestation {k}", Decimal(1), Decimal(10)) for k in range(60))
    invoice = make_invoice(lines=lines)
    block = payment_block(seller, invoice)
    assert block is not None
    assert block.qr is not None
    pdf = render_invoice_pdf(invoice, seller, xml=None, payment=block)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    drawn = [page.get_contents().get_data().count(b"/QR Do") for page in reader.pages]
    assert sum(drawn) == 1
    assert drawn[0] == 0


def test_no_qr_code_no_image(
    seller: Company, make_invoice: Callable[..., Invoice], cii: Callable[[Invoice, Company], bytes]
) -> None:
    invoice = make_invoice()
    block = replace(payment_block(seller, invoice) or PaymentBlock("", "", "", ""), qr=None)
    pdf = render_invoice_pdf(invoice, seller, xml=cii(invoice, seller), payment=block)
    assert images_of(pdf) == []
    assert b"/QR Do" not in b"".join(p.get_contents().get_data() for p in PdfReader(io.BytesIO(pdf)).pages)
