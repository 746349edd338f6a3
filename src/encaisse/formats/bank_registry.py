"""Pick the bank statement format of a file and parse it.

The order of :data:`FORMATS` matters: the most specific signatures first (XML namespaces,
OFX headers, MT940 tags, CFONB fixed records), CSV — the loosest — last. Every module has the
same four verbs (``detect``, ``parse``, ``export``, ``validate``); camt.053 XML is parsed with
:mod:`encaisse.formats.xml_safety` (no DTD, no entities, size cap).

>>> from encaisse.formats import camt053
>>> from encaisse.domain.bank import Statement
>>> detect_format(camt053.export([Statement("FR7630006000011234567890189")]))
'camt053'
>>> detect_format(b"hello")
Traceback (most recent call last):
...
encaisse.domain.errors.FormatError: unknown bank statement format (expected CAMT.053/054, OFX, MT940, CFONB 120 or CSV)
"""

from __future__ import annotations

from types import ModuleType

from encaisse.domain.bank import StatementFile
from encaisse.domain.errors import FormatError
from encaisse.formats import bank_csv, camt053, cfonb120, mt940, ofx
from encaisse.formats.camt053_parts import PartMapper, parse_in_parts

FORMATS: tuple[ModuleType, ...] = (camt053, ofx, mt940, cfonb120, bank_csv)
DEFAULT_MAX_BYTES = 50_000_000
PARTS_MIN_BYTES = 8_000_000  # below this, starting a worker costs more than it saves


def detect_format(data: bytes) -> str:
    """The ``NAME`` of the first module whose ``detect`` accepts ``data``."""
    for module in FORMATS:
        if module.detect(data):
            return str(module.NAME)
    raise FormatError(
        "unknown bank statement format (expected CAMT.053/054, OFX, MT940, CFONB 120 or CSV)",
        code="BANK-FILE-UNKNOWN-FORMAT",
    )


def module_for(name: str) -> ModuleType:
    """The format module called ``name`` (``camt053``, ``ofx``, ``mt940``, ``cfonb120``, ``csv``)."""
    for module in FORMATS:
        if name == module.NAME:
            return module
    raise FormatError(f"unknown bank statement format {name!r}", code="BANK-FILE-UNKNOWN-FORMAT")


def parse_statement_file(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    account_iban: str = "",
    map_parts: PartMapper | None = None,
    parts: int = 2,
) -> StatementFile:
    """Detect the format of ``data`` and parse it; ``FormatError`` with a stable code otherwise.

    ``account_iban`` is the account of formats that carry none (CSV); files that name their
    account keep it (the caller compares it with the account the user chose). With ``map_parts``
    (e.g. one process per core), a large camt.053 is read in ``parts`` at once
    (:mod:`~encaisse.formats.camt053_parts`); the result is the same.
    """
    if len(data) > max_bytes:
        raise FormatError(
            f"statement file is {len(data):,} bytes, more than the {max_bytes:,} allowed",
            code="BANK-FILE-TOO-LARGE",
        )
    if not data.strip():
        raise FormatError("statement file is empty", code="BANK-FILE-EMPTY")
    module = module_for(detect_format(data))
    if module is camt053:
        if map_parts is not None and parts > 1 and len(data) >= PARTS_MIN_BYTES:
            whole = parse_in_parts(data, map_parts, parts=parts, max_bytes=max_bytes)
            if whole is not None:
                return whole
        return camt053.parse(data, max_bytes=max_bytes)
    if module is bank_csv:
        return bank_csv.parse(data, account_iban=account_iban)
    result = module.parse(data)
    assert isinstance(result, StatementFile)
    return result
