"""camt.053 read in parts by several processes (issue 5, "Bank", import speed): same result or none.

``camt053_parts.parse_in_parts`` must give exactly what ``camt053.parse`` gives for the whole file
(statements, transactions, problems with their lines), or ``None`` so the caller parses the whole
file; it must never give a different answer.
"""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bank_support import IBAN, corpus_trees, outcome, statement, tree_mutations
from encaisse.adapters.parallel import forked_map
from encaisse.domain.bank import BankTransaction, Statement
from encaisse.formats import bank_registry, camt053, camt053_parts

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741


def serial(fn: Callable[[I], T], items: Sequence[I], /) -> list[T]:
    return [fn(item) for item in items]


def _big(count: int, *, closing: Decimal | None = None) -> bytes:
    stmt = statement(count)
    if closing is not None:
        stmt = Statement(
            stmt.account_iban,
            transactions=stmt.transactions,
            opening_balance=Decimal(0),
            closing_balance=closing,
        )
    return camt053.export([stmt])


@pytest.mark.parametrize("parts", [2, 3, 4, 7])
def test_parts_give_the_whole_file_result(parts: int) -> None:
    data = _big(500, closing=Decimal("1.00"))  # a wrong closing balance: one warning, with its line
    whole = camt053.parse(data)
    assert [p.code for p in whole.problems] == ["BANK-BALANCE-MISMATCH"]
    in_parts = camt053_parts.parse_in_parts(data, serial, parts=parts)
    assert in_parts is not None
    assert in_parts == whole
    chunks = camt053_parts.split(data, parts)
    assert chunks is not None
    assert len(chunks) == parts
    assert sum(len(camt053.parse(c).statements[0].transactions) for c in chunks) == 500


def test_corpus_files_give_the_whole_result_or_none(corpora: Path) -> None:
    taken = 0
    for path in sorted((corpora / "camt053").glob("*.xml")):
        data = path.read_bytes()
        for parts in (2, 3):
            got = camt053_parts.parse_in_parts(data, serial, parts=parts)
            if got is not None:
                taken += 1
                assert got == camt053.parse(data), path.name
    assert taken > 0  # some corpus files do take the split path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_files_give_the_whole_result_or_none(data: st.DataObject, corpora: Path) -> None:
    mutated = data.draw(tree_mutations(corpus_trees(corpora)))
    got = camt053_parts.parse_in_parts(mutated, serial, parts=data.draw(st.integers(2, 4)))
    if got is not None:
        assert got == outcome(camt053.parse, mutated)


def test_a_warning_inside_an_entry_falls_back_to_the_whole_file() -> None:
    txs = tuple(
        BankTransaction(date(2026, 1, 1) + timedelta(days=i), Decimal("10.00"), bank_ref=f"R{i}")
        for i in range(40)
    )
    data = camt053.export([Statement(IBAN, transactions=txs)])
    data = data.replace(b">10.00<", b">10.001<", 1)  # more than 2 decimals: a warning with a line number
    assert camt053_parts.parse_in_parts(data, serial, parts=2) is None
    whole = camt053.parse(data)
    assert [p.code for p in whole.problems] == ["BANK-CAMT-AMOUNT-DECIMALS", "BANK-BALANCE-MISMATCH"]


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.replace(b"<Ntry>", b"<!-- c --><Ntry>", 1),  # a comment: no byte-level split
        lambda d: d.replace(b"<Document", b"<!DOCTYPE x [<!ENTITY e 'E'>]><Document", 1),  # refused anyway
        lambda d: d.replace(b"</Stmt>", b"</Stmt><Stmt><Id>2</Id></Stmt>", 1),  # two reports
        lambda d: d.replace(b"<Ntry>", b"", 1),  # not well-formed
    ],
)
def test_files_of_another_shape_are_not_split(change: Callable[[bytes], bytes]) -> None:
    data = change(_big(30))
    assert camt053_parts.parse_in_parts(data, serial, parts=2) is None


def test_forked_workers_give_the_same_result() -> None:
    data = _big(3_000, closing=Decimal("5.00"))
    assert camt053_parts.parse_in_parts(data, forked_map, parts=2) == camt053.parse(data)


def test_registry_reads_large_files_in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _big(200)
    calls: list[int] = []

    def counting(fn: Callable[[I], T], items: Sequence[I], /) -> list[T]:
        calls.append(len(items))
        return serial(fn, items)

    monkeypatch.setattr(bank_registry, "PARTS_MIN_BYTES", 1_000)
    got = bank_registry.parse_statement_file(data, map_parts=counting, parts=3)
    assert calls == [3]
    assert got == camt053.parse(data)
    monkeypatch.setattr(bank_registry, "PARTS_MIN_BYTES", len(data) + 1)
    assert bank_registry.parse_statement_file(data, map_parts=counting, parts=3) == got
    assert calls == [3]  # small files are read in one go


def test_forked_map_runs_here_when_other_threads_run() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert forked_map(lambda _: os.getpid(), [1, 2, 3]) == [os.getpid()] * 3
    finally:
        stop.set()
        other.join()


@pytest.mark.parametrize("parts", [2, 3, 5])
def test_a_second_report_between_the_entries_is_never_split_apart(parts: int) -> None:
    """Two statements, the second starting among the entries: no part may read it with the first's header."""
    data = camt053.export([statement(30), statement(30, start=100, account="FR7630001007941234567890185")])
    got = camt053_parts.parse_in_parts(data, serial, parts=parts)
    assert got is None
    assert len(camt053.parse(data).statements) == 2


def test_a_part_sent_to_another_process_arrives_unchanged() -> None:
    part = camt053_parts.parse_part(_big(50))
    assert part is not None
    assert len(part.statement.transactions) == 50
    assert pickle.loads(pickle.dumps(part)) == part  # transactions travel as plain tuples
