"""WeasyPrint, set up once per thread and tuned for many small documents (issue #3).

A one-page invoice costs WeasyPrint's work per element and per line of text, plus fixed costs
per document; measured with ``bench/render_pdf.py``, cProfile and instruction counts:

- the font configuration, the parsed stylesheets, the fonts and the Jinja environment are
  built once per thread (:func:`engine`) and reused;
- the templates are well-formed XHTML, parsed by expat (:class:`ParsedDocument`):
  WeasyPrint's pure-Python HTML5 parser takes 3 ms per invoice;
- WeasyPrint's HTML5 user-agent stylesheet is replaced by ``templates/user-agent.css``:
  the former gives every element six pseudo-elements (``::marker``, ``::footnote-call``...)
  whose styles are computed for every document;
- the font is a Latin cut of DejaVu Sans (:mod:`encaisse.adapters.pdf.fonts`);
- computed styles are shared between the documents of a thread
  (:mod:`encaisse.adapters.pdf.style_cache`);
- the cyclic garbage collector is paused while a document is rendered (:data:`collector_paused`);
- PDF streams are deflated at zlib level 6 rather than pydyf's level 9 (:func:`compress_streams`).

Rendering never reads the network or the disk for a document: images (logo, EPC QR code)
are inlined as ``data:`` URIs and any other URL is refused.
"""

from __future__ import annotations

import gc
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any
from xml.etree.ElementTree import ParseError

import cssselect2  # type: ignore[import-untyped]
import pydyf  # type: ignore[import-untyped]
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from jinja2 import Environment, PackageLoader, StrictUndefined
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from encaisse.adapters.pdf import style_cache
from encaisse.adapters.pdf.fonts import font_face_rules
from encaisse.domain.errors import EncaisseError

__all__ = ["ZLIB_LEVEL", "Engine", "Finisher", "ParsedDocument", "collector_paused", "engine", "write_pdf"]

_PACKAGE = "encaisse.adapters.pdf"

#: A WeasyPrint ``finisher``: called with the document and the ``pydyf.PDF`` before it is written.
Finisher = Callable[[Any, Any], None]


@dataclass(frozen=True)
class Engine:
    """What is expensive to build and safe to share between the renders of one thread."""

    environment: Environment
    fonts: FontConfiguration
    stylesheet: CSS
    user_agent: CSS
    fetcher: URLFetcher
    styles: style_cache.SharedStyles


_local = threading.local()


def engine() -> Engine:
    """The engine of the current thread (WeasyPrint's font configuration is not shared across threads)."""
    current: Engine | None = getattr(_local, "engine", None)
    if current is None:
        current = _local.engine = _build_engine()
    return current


def _build_engine() -> Engine:
    environment = Environment(
        loader=PackageLoader(_PACKAGE, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    style_cache.install()
    fonts = FontConfiguration()
    fetcher = data_only_fetcher()
    templates = resources.files(_PACKAGE).joinpath("templates")

    def sheet(name: str, prefix: str = "") -> CSS:
        text = prefix + templates.joinpath(name).read_text(encoding="utf-8")
        return CSS(string=text, font_config=fonts, url_fetcher=fetcher)

    return Engine(
        environment=environment,
        fonts=fonts,
        stylesheet=sheet("document.css", prefix=font_face_rules()),
        user_agent=sheet("user-agent.css"),
        fetcher=fetcher,
        styles=style_cache.SharedStyles(),
    )


def data_only_fetcher() -> URLFetcher:
    """A fetcher that resolves ``data:`` URIs only (no file, no network: no SSRF, no local reads)."""
    return URLFetcher(allowed_protocols=("data",), fail_on_errors=False)


class ParsedDocument(HTML):  # type: ignore[misc]  # WeasyPrint is untyped
    """A WeasyPrint HTML document parsed by the XML parser, with the engine's user-agent stylesheet.

    The templates produce well-formed XHTML without namespace, which expat (through
    ``defusedxml``: no entity declarations) parses in 0.15 ms instead of the 3 ms of
    tinyhtml5; the tree is the one tinyhtml5 builds for WeasyPrint
    (``namespace_html_elements=False``). Anything that is not well-formed XML (a control
    character in a party name...) goes through tinyhtml5 as before.
    """

    def __init__(self, html: str, setup: Engine) -> None:
        try:
            root = fromstring(html)
        except (ParseError, DefusedXmlException):
            super().__init__(string=html, url_fetcher=setup.fetcher)
        else:  # what HTML.__init__ sets, from the parsed tree
            self.base_url = None
            self.url_fetcher = setup.fetcher
            self.media_type = "print"
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
            self.etree_element = self.wrapper_element.etree_element
        self._user_agent = [setup.user_agent]
        self.shared_styles = setup.styles

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return self._user_agent


class CollectorPause:
    """Pauses Python's cyclic garbage collector while documents are rendered, in any thread.

    WeasyPrint allocates tens of thousands of boxes, styles and layouts per page, which start a
    collection every 700 allocations: with the collector paused a one-page invoice costs about
    9 % less CPU. Reference counting still frees almost everything; the few cycles wait for
    the first collection after the pause. The collector is resumed, if it was running, when
    the last of the concurrent renders ends.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._renders = 0
        self._resume = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._renders == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._renders += 1
        try:
            yield
        finally:
            with self._lock:
                self._renders -= 1
                if self._renders == 0 and self._resume:
                    gc.enable()


collector_paused = CollectorPause()

#: zlib level of the PDF streams. pydyf deflates at level 9, which costs about 5 % of a
#: one-page invoice for 0.5 % of its size; 6 is zlib's default level.
ZLIB_LEVEL = 6


def compress_streams(pdf: Any) -> None:
    """Deflate at :data:`ZLIB_LEVEL` the streams that pydyf would deflate at level 9 when writing."""
    for item in pdf.objects:
        if (
            isinstance(item, pydyf.Stream)
            and item.compress
            and all(isinstance(b, bytes) for b in item.stream)
        ):
            item.stream = [zlib.compress(b"\n".join(item.stream), ZLIB_LEVEL)]
            item.extra["Filter"] = "/FlateDecode"
            item.compress = False


def write_pdf(html: str, *, variant: str, finisher: Finisher | None = None) -> bytes:
    """Render ``html`` with the document stylesheet to a PDF of ``variant`` (e.g. "pdf/a-3b").

    ``finisher`` may add objects to the PDF before it is written (see WeasyPrint's
    ``write_pdf``); streams are compressed after it.
    """
    current = engine()

    def finish(document: Any, pdf: Any) -> None:
        if finisher is not None:
            finisher(document, pdf)
        compress_streams(pdf)

    with collector_paused():
        pdf = ParsedDocument(html, current).write_pdf(
            stylesheets=[current.stylesheet],
            font_config=current.fonts,
            pdf_variant=variant,
            finisher=finish,
        )
    if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf without target returns bytes
        raise EncaisseError("WeasyPrint returned no PDF", code="PDF-RENDER")
    return pdf
