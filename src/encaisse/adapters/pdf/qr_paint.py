"""The EPC QR code of an invoice, painted into the PDF as a one-bit image (EPC-QR-PAYLOAD, issue #3).

The template lays out an empty box (``<div class="qr">``, 24 mm square, see ``document.css``);
:func:`qr_finisher` draws the symbol into that box once WeasyPrint has laid the page out. Going
through WeasyPrint's ``<img>`` pipeline instead cost about 2.5 ms per invoice (PNG encoded, decoded
by Pillow, re-encoded as an RGB image); here the modules are packed one bit each in a stencil mask
(``/ImageMask``, ISO 32000-1 §8.9.6.2) painted in black: light modules leave the page as it is.

The mask spans the symbol and its quiet zone of 4 modules (ISO/IEC 18004:2015 §6.3.8), one pixel
per module, without interpolation (PDF/A forbids ``/Interpolate true``, ISO 19005-2 §6.2.8).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pydyf  # type: ignore[import-untyped]

from encaisse.adapters.pdf.engine import Finisher
from encaisse.formats.qr_symbol import QrSymbol

__all__ = ["BOX_CLASS", "QUIET_ZONE", "qr_finisher", "qr_image"]

#: The class of the element whose content box receives the symbol.
BOX_CLASS = "qr"
QUIET_ZONE = 4
_PT_PER_PX = 0.75  # WeasyPrint lays out in CSS pixels (96/in); PDF user space is in points (72/in)


def qr_image(symbol: QrSymbol) -> pydyf.Stream:
    """The symbol with its quiet zone as a stencil mask: one bit per module, 1 = dark = painted."""
    modules = np.frombuffer(b"".join(symbol.rows), dtype=np.uint8).reshape(symbol.size, symbol.size)
    framed = np.pad(modules, QUIET_ZONE)
    side = framed.shape[0]
    return pydyf.Stream(
        [np.packbits(framed, axis=1).tobytes()],  # each row starts on a byte, as PDF requires
        pydyf.Dictionary(
            {
                "Type": "/XObject",
                "Subtype": "/Image",
                "Width": side,
                "Height": side,
                "ImageMask": "true",
                "BitsPerComponent": 1,
                "Decode": pydyf.Array([1, 0]),  # sample 1 is painted (the default paints 0)
                "Interpolate": "false",
            }
        ),
        compress=True,
    )


def qr_finisher(symbol: QrSymbol) -> Finisher:
    """A WeasyPrint ``finisher`` painting ``symbol`` into every ``.qr`` box of the document."""

    def finish(document: Any, pdf: Any) -> None:
        image: pydyf.Stream | None = None
        pages = [pdf.objects[number] for number in pdf.pages["Kids"][::3]]  # [number, 0, "R"] each
        for page, boxes in zip(pages, _qr_boxes(document), strict=True):
            if not boxes:
                continue
            if image is None:
                image = qr_image(symbol)
                pdf.add_object(image)
                _object(pdf, page["Resources"])["XObject"]["QR"] = image.reference
            _paint(pdf, page, boxes)

    return finish


def _qr_boxes(document: Any) -> Iterator[list[tuple[float, float, float, float]]]:
    """Per page, the content boxes ``(x, y, width, height)`` in CSS px of the ``.qr`` elements."""
    for page in document.pages:
        found = []
        for box in page._page_box.descendants():  # WeasyPrint's laid-out boxes (see engine.py)
            element = box.element
            if element is not None and box.element_tag == "div" and element.get("class") == BOX_CLASS:
                found.append((box.content_box_x(), box.content_box_y(), box.width, box.height))
        yield found


def _paint(pdf: Any, page: Any, boxes: list[tuple[float, float, float, float]]) -> None:
    """Draw the image in default user space (origin bottom left, points) after WeasyPrint's content.

    WeasyPrint's page stream starts with a y-flip that it never restores: the whole stream is
    wrapped in ``q … Q`` so that the drawing below starts from the default coordinates.
    """
    contents = _object(pdf, page["Contents"])
    height = float(page["MediaBox"][3])
    contents.stream.insert(0, b"q")
    contents.stream.append(b"Q")
    for x, y, width, side in boxes:
        size = min(width, side) * _PT_PER_PX
        left = x * _PT_PER_PX
        bottom = height - y * _PT_PER_PX - size
        contents.stream.append(f"q 0 0 0 rg {size:f} 0 0 {size:f} {left:f} {bottom:f} cm /QR Do Q".encode())


def _object(pdf: Any, reference: bytes) -> Any:
    """The pydyf object behind an indirect reference such as ``b"12 0 R"``."""
    return pdf.objects[int(reference.split()[0])]
