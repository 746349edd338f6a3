"""Read one large camt.053/camt.054 report in parts, so several processes can parse it at once.

A year of a busy account is one ``Stmt`` with ~100 000 ``Ntry``: :func:`camt053.parse` reads it
at roughly 20 000 entries per second of CPU, all in one process. :func:`split` cuts such a file at
entry boundaries into self-contained documents (the same header, account and balances, a share of
the entries, the same closing tags); :func:`parse_part` reads one part (in any process) and
:func:`merge` puts the parts back together. The result is the :class:`StatementFile` that
:func:`camt053.parse` gives for the whole file — :func:`parse_in_parts` returns ``None`` whenever
that cannot be guaranteed, and the caller then parses the whole file as usual:

* the file is split on bytes only when every ``<`` starts a tag (no comment, CDATA section,
  processing instruction or DTD) and it holds exactly one report;
* a part that raises or reports any problem other than the balance check gives up the split
  (so every error and warning, with its line number, comes from the whole-file parse);
* the balance check is made once, on the merged statement.

A part's transactions travel between processes as tuples of ``str``/``int`` (pickling dataclasses
with ``Decimal`` and ``date`` fields costs several times more than the parse saves); the part read
in the calling process is used as it is.

>>> from encaisse.formats import camt053
>>> doc = camt053.export([Statement("FR7630006000011234567890189", transactions=tuple(
...     BankTransaction(date(2026, 1, d), Decimal(d), bank_ref=f"B{d}") for d in range(1, 9)))])
>>> parts = split(doc, 3)
>>> len(parts)
3
>>> parse_in_parts(doc, lambda fn, items: [fn(i) for i in items], parts=3) == camt053.parse(doc)
True
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from encaisse.domain.bank import BankTransaction, Statement, StatementFile, balance_problems
from encaisse.domain.errors import FormatError, Problem, Severity
from encaisse.formats import camt053
from encaisse.formats.xml_safety import DEFAULT_MAX_XML_BYTES

__all__ = ["Part", "PartMapper", "merge", "parse_in_parts", "parse_part", "split"]

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741


class PartMapper(Protocol):
    """``fn`` applied to every item, results in order; the first item may run in this process."""

    def __call__(self, fn: Callable[[I], T], items: Sequence[I], /) -> list[T]: ...


_NAME = rb"(?:[A-Za-z_][\w.\-]*:)?"
_ENTRY_START = re.compile(rb"<" + _NAME + rb"Ntry[\s>]")
_ENTRY_END = re.compile(rb"</" + _NAME + rb"Ntry\s*>")
_REPORT_START = re.compile(rb"<" + _NAME + rb"(?:Stmt|Ntfctn)[\s>]")
_BALANCE = "BANK-BALANCE-MISMATCH"

# One transaction as plain values: booking and value dates as ordinals (0: none), amount as text.
PackedTransaction = tuple[int, str, str, int, str, str, str, str, str, str, str, str]


@dataclass(frozen=True)
class Part:
    """One part's statement. Sent to another process, its transactions travel as plain tuples."""

    format: str
    statement: Statement

    def __reduce__(
        self,
    ) -> tuple[Callable[[str, Statement, tuple[PackedTransaction, ...]], Part], tuple[Any, ...]]:
        s = self.statement
        return _unpacked, (
            self.format,
            replace(s, transactions=()),
            tuple(_pack(tx) for tx in s.transactions),
        )


def _unpacked(fmt: str, header: Statement, packed: tuple[PackedTransaction, ...]) -> Part:
    return Part(fmt, replace(header, transactions=tuple(_unpack(p) for p in packed)))


def split(data: bytes, parts: int) -> list[bytes] | None:
    """``parts`` well-formed documents holding consecutive shares of the entries, or ``None``.

    Each part is ``header + entries + tail``: the bytes before the first ``Ntry`` (declaration,
    message header, report header, account, balances), a run of whole entries, and the bytes after
    the last one. ``None`` when the file is not the simple shape this relies on.
    """
    if parts < 2 or b"<!" in data:
        return None
    declaration = data.find(b"<?")
    if declaration != -1 and data.find(b"<?", declaration + 2) != -1:
        return None
    first = _ENTRY_START.search(data)
    if first is None:
        return None
    start = first.start()
    # One report opens before the first entry. Another report further on would make some part
    # hold two statements, which parse_part() turns down: the middle needs no scan of its own.
    if len(_REPORT_START.findall(data, 0, start)) != 1:
        return None
    last_end = _last_match(_ENTRY_END, data)
    if last_end is None or _ENTRY_START.search(data, last_end.end()) is not None:
        return None
    end = last_end.end()
    cuts = [start]
    for k in range(1, parts):
        found = _ENTRY_START.search(data, start + (end - start) * k // parts)
        if found is None or found.start() <= cuts[-1] or found.start() >= end:
            return None
        cuts.append(found.start())
    cuts.append(end)
    header, tail = data[:start], data[end:]
    return [header + data[a:b] + tail for a, b in itertools.pairwise(cuts)]


def _last_match(pattern: re.Pattern[bytes], data: bytes) -> re.Match[bytes] | None:
    """The last match of ``pattern``, looked for in growing windows from the end of ``data``."""
    window = 1 << 16
    while True:
        low = max(0, len(data) - window)
        found = None
        for found in pattern.finditer(data, low):  # noqa: B007 - keeps the last one
            pass
        if found is not None or low == 0:
            return found
        window <<= 4


def _pack(tx: BankTransaction) -> PackedTransaction:
    return (
        tx.booking_date.toordinal(),
        str(tx.amount),
        tx.currency,
        tx.value_date.toordinal() if tx.value_date else 0,
        tx.counterparty_name,
        tx.counterparty_iban,
        tx.remittance,
        tx.structured_reference,
        tx.end_to_end_id,
        tx.bank_ref,
        tx.bank_code,
        tx.account_iban,
    )


def _unpack(p: PackedTransaction) -> BankTransaction:
    return BankTransaction(
        date.fromordinal(p[0]),
        Decimal(p[1]),
        p[2],
        date.fromordinal(p[3]) if p[3] else None,
        *p[4:],
    )


def parse_part(data: bytes) -> Part | None:
    """One part read by :func:`camt053.parse`; ``None`` if it has anything to say."""
    try:
        parsed = camt053.parse(data)
    except FormatError:
        return None
    if len(parsed.statements) != 1 or any(p.code != _BALANCE for p in parsed.problems):
        return None
    return Part(parsed.format, parsed.statements[0])


def merge(data: bytes, parts: Sequence[Part | None]) -> StatementFile | None:
    """The whole file's result from its parts' results (``None`` if a part gave up or they differ)."""
    if not parts or parts[0] is None:
        return None
    first = parts[0]
    header = replace(first.statement, transactions=())
    transactions: list[BankTransaction] = []
    for part in parts:
        if part is None or part.format != first.format:
            return None
        if replace(part.statement, transactions=()) != header:
            return None
        transactions.extend(part.statement.transactions)
    statement = replace(header, transactions=tuple(transactions))
    report = _REPORT_START.search(data)
    assert report is not None  # split() found it
    line = data.count(b"\n", 0, report.start()) + 1
    fmt = first.format
    message, name = ("BkToCstmrStmt", "Stmt") if fmt == camt053.NAME else ("BkToCstmrDbtCdtNtfctn", "Ntfctn")
    problems = tuple(
        Problem(_BALANCE, f"Document/{message}/{name}: {msg}", severity=Severity.WARN, line=line)
        for msg in balance_problems(statement)
    )
    return StatementFile(format=fmt, statements=(statement,), problems=problems)


def parse_in_parts(
    data: bytes, map_parts: PartMapper, *, parts: int = 2, max_bytes: int = DEFAULT_MAX_XML_BYTES
) -> StatementFile | None:
    """What :func:`camt053.parse` gives for ``data``, read in ``parts`` by ``map_parts``; or ``None``."""
    if len(data) > max_bytes:
        return None  # camt053.parse gives the error
    # No DTD/entity scan here: split() declines any file holding "<!" (so any DOCTYPE or ENTITY),
    # and a UTF-16/32 file has no byte-level entry tags to cut at; each part's parse checks again.
    chunks = split(data, parts)
    if chunks is None:
        return None
    return merge(data, map_parts(parse_part, chunks))
