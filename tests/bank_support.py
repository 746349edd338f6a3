"""Shared camt.053 test material: generated statements and well-formed mutations of real files."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import strategies as st
from lxml import etree

from encaisse.domain.bank import BankTransaction, Statement, StatementFile
from encaisse.domain.errors import FormatError
from encaisse.formats import camt053

IBAN = "FR7630006000011234567890189"
TEXTS = ["", "abc", "1.234", "12.5", "0", "PDNG", "BOOK", "CRDT", "DBIT", "2026-13-01", "2026-02-03", "USD"]


def outcome(parse: object, data: bytes) -> StatementFile | tuple[str, str]:
    try:
        return parse(data)  # type: ignore[operator, no-any-return]
    except FormatError as exc:
        return (exc.code, exc.message)


def statement(count: int, *, account: str = IBAN, start: int = 0) -> Statement:
    txs = tuple(
        BankTransaction(
            booking_date=date(2026, 1, 1) + timedelta(days=i % 300),
            amount=Decimal(i % 5_000 - 2_000).scaleb(-2),
            counterparty_name=f"CLIENT {i % 97}",
            remittance=f"FACTURE F-{i:06d}",
            end_to_end_id=f"E2E-{i:08d}",
            bank_ref=f"REF{i:010d}",
            bank_code="PMNT/RCDT/ESCT",
        )
        for i in range(start, start + count)
    )
    return Statement(account, transactions=txs, opening_balance=Decimal("0.00"))


def corpus_trees(corpora: Path) -> list[etree._Element]:
    trees = []
    for path in sorted((corpora / "camt053").glob("*.xml")):
        try:
            trees.append(etree.fromstring(path.read_bytes()))
        except etree.XMLSyntaxError:
            continue  # the deliberately broken sample
    trees.append(etree.fromstring(camt053.export([statement(4), statement(3, start=10, account="12345")])))
    return trees


@st.composite
def tree_mutations(draw: st.DrawFn, trees: list[etree._Element]) -> bytes:
    """Well-formed variants: elements deleted, duplicated, moved (Acct/Bal after Ntry …), retexted."""
    root = copy.deepcopy(draw(st.sampled_from(trees)))
    for _ in range(draw(st.integers(1, 4))):
        elements = [e for e in root.iter() if isinstance(e.tag, str)][1:]
        if not elements:
            break
        el = draw(st.sampled_from(elements))
        parent = el.getparent()
        assert parent is not None
        kind = draw(st.sampled_from(["delete", "duplicate", "move", "text", "swap"]))
        if kind == "delete":
            parent.remove(el)
        elif kind == "duplicate":
            parent.insert(parent.index(el) + 1, copy.deepcopy(el))
        elif kind == "move":
            parent.remove(el)
            parent.insert(draw(st.integers(0, len(parent))), el)
        elif kind == "text" and len(el) == 0:
            el.text = draw(st.sampled_from(TEXTS))
        elif kind == "swap" and el.getnext() is not None:
            following = el.getnext()
            assert following is not None
            parent.remove(following)
            parent.insert(parent.index(el), following)
    return bytes(etree.tostring(root))
