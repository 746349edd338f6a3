"""Computed CSS styles shared between the documents of one rendering thread (issue #3).

WeasyPrint computes a style per element lazily, property by property (``ComputedStyle.__missing__``),
and already shares one computed style between the elements of a document that match the same
rules under the same parent style. Every invoice has the same structure and the same stylesheets,
so this module extends that sharing across documents: an element whose cascaded declarations
are the same objects (same rules of the same parsed stylesheets) as those of an element of an
earlier document, under the same parent style, gets that document's style object, with every
property already computed. That is about a fifth of the CPU time of a one-page invoice.

What makes it safe:

- a computed style depends only on its cascaded declarations, its parent style, the root style,
  the base URL and the font configuration (WeasyPrint's ``ComputedStyle`` holds no element);
  ``attr()`` values (the footer's ``string-set``) are resolved per box, from the element;
- the key holds each declaration value (its identity when it is not hashable) and the identity
  of the parent style, and the entry holds references to them, so no identity is reused while
  the entry lives; the table is emptied as a whole when it is full, never entry by entry;
- only elements are shared: page and margin-box styles (which WeasyPrint amends in place while
  paginating, e.g. ``counter-increment``) and pseudo-elements are computed per document as before;
- the table belongs to the thread's engine (:mod:`encaisse.adapters.pdf.engine`), whose
  stylesheets and font configuration never change.

``tests/pdf/test_style_cache.py`` renders varied documents with and without the table and
compares the pages' drawing operators byte for byte.

It relies on WeasyPrint 70's ``StyleFor`` (``get_all_computed_styles`` creates it by its module
name, which :func:`install` points at :class:`SharingStyleFor`); a document without a table
(any WeasyPrint use other than the engine's) is styled exactly as before.
"""

from __future__ import annotations

import threading
from typing import Any
from xml.etree.ElementTree import Element

import weasyprint.css

__all__ = ["SharedStyles", "SharingStyleFor", "install"]

_StyleKey = tuple[int, object, tuple[tuple[str, object, object], ...]]


class SharedStyles:
    """Computed styles by (parent style, base URL, cascaded declarations); emptied whole when full."""

    def __init__(self, limit: int = 2_000) -> None:
        self.limit = limit
        self.enabled = True  # False: documents are styled as WeasyPrint alone styles them
        self._entries: dict[_StyleKey, tuple[Any, dict[str, Any], Any]] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def get(self, key: _StyleKey, parent_style: Any) -> Any:
        entry = self._entries.get(key)
        if entry is None or entry[0] is not parent_style:
            self.misses += 1
            return None
        self.hits += 1
        return entry[2]

    def put(self, key: _StyleKey, parent_style: Any, cascaded: dict[str, Any], style: Any) -> None:
        if len(self._entries) >= self.limit:
            self.clear()
        self._entries[key] = (parent_style, cascaded, style)


class SharingStyleFor(weasyprint.css.StyleFor):  # type: ignore[misc]  # WeasyPrint is untyped
    """WeasyPrint's ``StyleFor``, reusing the computed styles of ``html.shared_styles`` when present."""

    def __init__(self, html: Any, *args: Any, **kwargs: Any) -> None:
        shared: SharedStyles | None = getattr(html, "shared_styles", None)
        self._shared = shared if shared is not None and shared.enabled else None
        super().__init__(html, *args, **kwargs)

    def set_computed_styles(
        self,
        element: Any,
        parent: Any,
        root: Any = None,
        pseudo_type: str | None = None,
        base_url: str | None = None,
        target_collector: Any = None,
    ) -> None:
        shared = self._shared
        if shared is None or pseudo_type is not None or not isinstance(element, Element):
            super().set_computed_styles(element, parent, root, pseudo_type, base_url, target_collector)
            return
        computed = self.get_computed_styles()
        parent_style = None if parent is None else computed[parent, None]
        cascaded = self.get_cascaded_styles().get((element, None), {})
        key = (
            id(parent_style),
            base_url,
            tuple((name, _identity(values), weight) for name, (values, weight) in cascaded.items()),
        )
        style = shared.get(key, parent_style)
        if style is None:
            super().set_computed_styles(element, parent, root, pseudo_type, base_url, target_collector)
            shared.put(key, parent_style, cascaded, computed[element, None])
            return
        computed[element, None] = style
        if target_collector and style["anchor"]:  # as WeasyPrint does for a new style
            target_collector.collect_anchor(style["anchor"])


def _identity(values: Any) -> object:
    """A declaration value as a key: itself when hashable (those WeasyPrint makes from the element's
    ``lang`` or ``id`` attribute are new tuples in every document), else its identity."""
    try:
        hash(values)
    except TypeError:
        return id(values)
    return values


_installed = threading.Lock()


def install() -> None:
    """Make WeasyPrint create :class:`SharingStyleFor` (idempotent)."""
    with _installed:
        if weasyprint.css.StyleFor is not SharingStyleFor:
            weasyprint.css.StyleFor = SharingStyleFor
