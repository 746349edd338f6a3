"""Hardened XML parsing for every XML format Encaisse reads (camt.053, CII, UBL, pain.001 …).

Untrusted XML is parsed with lxml configured against the classic attacks (OWASP XML
External Entity Prevention Cheat Sheet): no entity expansion (``resolve_entities=False``),
no DTD loading, no network access, no huge-tree mode (libxml2's depth and text-size limits
stay on), and a size cap checked before parsing. Any ``<!DOCTYPE`` or ``<!ENTITY``
declaration is refused outright: no business XML format Encaisse reads needs a DTD, so
"billion laughs" and external-entity files fail fast with a stable code.

Error codes (``FormatError.code``): ``XML-TOO-LARGE``, ``XML-DTD-FORBIDDEN``, ``XML-MALFORMED``.

>>> root = parse_xml(b"<a><b>1</b></a>")
>>> root.findtext("b")
'1'
>>> parse_xml(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')
Traceback (most recent call last):
...
encaisse.domain.errors.FormatError: XML declares a DTD or entities (<!DOCTYPE / <!ENTITY), which is not allowed
"""

from __future__ import annotations

import re

from lxml import etree

from encaisse.domain.errors import FormatError

DEFAULT_MAX_XML_BYTES = 200_000_000
_FORBIDDEN_RE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_WIDE_ENCODINGS = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def has_forbidden_declaration(data: bytes) -> bool:
    """True when ``data`` holds a DOCTYPE or ENTITY declaration (UTF-8/ASCII, UTF-16 or UTF-32).

    One regular-expression pass over the bytes; wide encodings (NUL bytes in the first bytes)
    are decoded first. The check after parsing (``docinfo``) stays as the second line of defence.
    """
    if _FORBIDDEN_RE.search(data):
        return True
    if b"\x00" in data[:8]:
        for encoding in _WIDE_ENCODINGS:
            text = data.decode(encoding, errors="ignore")
            if "<" in text[:16] and re.search(r"<!(?:DOCTYPE|ENTITY)", text, re.IGNORECASE):
                return True
    return False


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_XML_BYTES) -> etree._Element:
    """Parse untrusted XML bytes and return the root element, or raise ``FormatError``."""
    if len(data) > max_bytes:
        raise FormatError(
            f"XML file is {len(data):,} bytes, more than the {max_bytes:,} allowed; split it",
            code="XML-TOO-LARGE",
        )
    if has_forbidden_declaration(data):
        raise FormatError(
            "XML declares a DTD or entities (<!DOCTYPE / <!ENTITY), which is not allowed",
            code="XML-DTD-FORBIDDEN",
        )
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else "?"
        raise FormatError(f"XML is not well-formed (line {line}): {exc.msg}", code="XML-MALFORMED") from exc
    except (ValueError, LookupError) as exc:  # e.g. unknown encoding in the declaration
        raise FormatError(f"XML cannot be decoded: {exc}", code="XML-MALFORMED") from exc
    if root is None:
        raise FormatError("XML document is empty", code="XML-MALFORMED")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise FormatError(
            "XML declares a DTD or entities (<!DOCTYPE / <!ENTITY), which is not allowed",
            code="XML-DTD-FORBIDDEN",
        )
    return root
