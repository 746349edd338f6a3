"""Streaming camt.053/054 parsing (issue 5, "Bank"): same result as a whole-tree parse, flat memory.

``camt053.parse`` streams with ``iterparse``; ``camt053._parse_tree`` (the whole-tree path behind
``validate``) is the reference: for any well-formed input both give the same ``StatementFile`` or
the same ``FormatError`` (code and message).
"""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from encaisse.domain.bank import BankTransaction, Statement, StatementFile
from encaisse.domain.errors import FormatError
from encaisse.formats import camt053, xml_safety

IBAN = "FR7630006000011234567890189"
TEXTS = ["", "abc", "1.234", "12.5", "0", "PDNG", "BOOK", "CRDT", "DBIT", "2026-13-01", "2026-02-03", "USD"]


def _outcome(parse: object, data: bytes) -> StatementFile | tuple[str, str]:
    try:
        return parse(data)  # type: ignore[operator, no-any-return]
    except FormatError as exc:
        return (exc.code, exc.message)


def _whole_tree(data: bytes) -> StatementFile:
    message, report_name, p, version = camt053._open(data, xml_safety.DEFAULT_MAX_XML_BYTES)
    return camt053._parse_tree(message, report_name, p, version)


def _statement(count: int, *, account: str = IBAN, start: int = 0) -> Statement:
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


def _corpus_trees(corpora: Path) -> list[etree._Element]:
    trees = []
    for path in sorted((corpora / "camt053").glob("*.xml")):
        try:
            trees.append(etree.fromstring(path.read_bytes()))
        except etree.XMLSyntaxError:
            continue  # the deliberately broken sample
    trees.append(etree.fromstring(camt053.export([_statement(4), _statement(3, start=10, account="12345")])))
    return trees


@st.composite
def _tree_mutations(draw: st.DrawFn, trees: list[etree._Element]) -> bytes:
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


def test_corpus_files_give_the_whole_tree_result(corpora: Path) -> None:
    paths = sorted((corpora / "camt053").glob("*.xml"))
    assert len(paths) >= 8
    for path in paths:
        data = path.read_bytes()
        expected = _outcome(_whole_tree, data)
        assert _outcome(camt053.parse, data) == expected, path.name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_statements_give_the_whole_tree_result(data: st.DataObject, corpora: Path) -> None:
    mutated = data.draw(_tree_mutations(_corpus_trees(corpora)))
    assert _outcome(camt053.parse, mutated) == _outcome(_whole_tree, mutated)


def test_entries_are_dropped_once_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """While streaming, the entries read before are gone from the tree, except the previous one
    (cleared): memory does not grow with the number of entries."""
    sizes: list[int] = []
    read_entry = camt053._entry

    def spy(ntry: etree._Element, *args: object) -> list[BankTransaction]:
        sizes.append(sum(1 for c in ntry.itersiblings(preceding=True) if c.tag == ntry.tag))
        assert all(len(c) == 0 for c in ntry.itersiblings(preceding=True) if c.tag == ntry.tag)
        return read_entry(ntry, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(camt053, "_entry", spy)
    stmts = [_statement(300), _statement(200, start=300, account="FR7630006000019999999999914")]
    parsed = camt053.parse(camt053.export(stmts))
    assert [len(s.transactions) for s in parsed.statements] == [300, 200]
    assert len(sizes) == 500
    assert sizes[:2] == [0, 1]
    assert max(sizes) == 1


def test_account_after_the_entries_is_still_read() -> None:
    """Non-ISO order (``Acct`` after the ``Ntry``): entries kept until the statement ends."""
    data = camt053.export([_statement(3)])
    root = etree.fromstring(data)
    ns = {"c": camt053.EXPORT_NAMESPACE}
    stmt = root.find("c:BkToCstmrStmt/c:Stmt", ns)
    acct = root.find("c:BkToCstmrStmt/c:Stmt/c:Acct", ns)
    assert stmt is not None
    assert acct is not None
    stmt.remove(acct)
    stmt.append(acct)
    moved = etree.tostring(root)
    parsed = camt053.parse(moved)
    assert parsed == camt053.parse(data) == _whole_tree(moved)
    assert parsed.statements[0].account_iban == IBAN


def test_first_error_is_the_whole_tree_one() -> None:
    """An entry error is raised only after the balance checks and after the whole file was read."""
    data = camt053.export([_statement(5)])
    assert data.count(b">19.99<") == 1  # the second entry's amount
    bad_entry = data.replace(b">19.99<", b">19,99<")
    with pytest.raises(FormatError) as caught:
        camt053.parse(bad_entry)
    assert caught.value.code == "BANK-CAMT-INVALID"
    assert "Ntry/Amt" in caught.value.message
    # ... but a balance error comes first even when the broken balance follows the entries
    root = etree.fromstring(bad_entry)
    ns = {"c": camt053.EXPORT_NAMESPACE}
    stmt = root.find("c:BkToCstmrStmt/c:Stmt", ns)
    bal = root.find("c:BkToCstmrStmt/c:Stmt/c:Bal/c:Amt", ns)
    assert stmt is not None
    assert bal is not None
    bal.text = "x"
    balance = bal.getparent()
    assert balance is not None
    stmt.remove(balance)
    stmt.append(balance)
    with pytest.raises(FormatError) as caught:
        camt053.parse(etree.tostring(root))
    assert "Bal/Amt" in caught.value.message
    assert (caught.value.code, caught.value.message) == _outcome(_whole_tree, etree.tostring(root))
    # ... and a file that is also truncated further on is malformed, not invalid
    with pytest.raises(FormatError) as caught:
        camt053.parse(bad_entry[:-40])
    assert caught.value.code == "XML-MALFORMED"


def test_size_cap_and_entities_without_the_byte_check(monkeypatch: pytest.MonkeyPatch) -> None:
    data = camt053.export([_statement(2)])
    with pytest.raises(FormatError) as caught:
        camt053.parse(data, max_bytes=len(data) - 1)
    assert caught.value.code == "XML-TOO-LARGE"
    # Second line of defence: the iterparse settings alone expand nothing.
    monkeypatch.setattr(camt053, "has_forbidden_declaration", lambda data: False)
    entity = data.replace(
        b"<Document", b'<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document', 1
    ).replace(b">FACTURE F-000000<", b">&x;<")
    assert entity.count(b"&x;") == 1
    with pytest.raises(FormatError) as caught:
        camt053.parse(entity)
    assert caught.value.code == "XML-DTD-FORBIDDEN"


@pytest.mark.slow
def test_peak_memory_stays_flat(tmp_path: Path) -> None:
    """30,000 entries (about 32 MB): a whole tree needs about 350 MB more, streaming well under 100."""
    path = tmp_path / "big.xml"
    path.write_bytes(camt053.export([_statement(30_000)]))
    script = textwrap.dedent(
        f"""
        import resource
        from encaisse.formats import camt053
        data = open({str(path)!r}, "rb").read()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        parsed = camt053.parse(data)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert len(parsed.statements[0].transactions) == 30_000
        print((after - before) // 1024)  # ru_maxrss is in kB on Linux
        """
    )
    grown = int(subprocess.run([sys.executable, "-c", script], check=True, capture_output=True).stdout)
    assert grown < 100, f"peak memory grew by {grown} MB"
