"""Streaming camt.053/054 parsing (issue 5, "Bank"): same result as a whole-tree parse, flat memory.

``camt053.parse`` streams with ``iterparse``; ``camt053._parse_tree`` (the whole-tree path behind
``validate``) is the reference: for any well-formed input both give the same ``StatementFile`` or
the same ``FormatError`` (code and message).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from bank_support import IBAN, corpus_trees, outcome, statement, tree_mutations
from encaisse.domain.bank import BankTransaction, StatementFile
from encaisse.domain.errors import FormatError
from encaisse.formats import camt053, xml_safety


def _whole_tree(data: bytes) -> StatementFile:
    message, report_name, p, version = camt053._open(data, xml_safety.DEFAULT_MAX_XML_BYTES)
    return camt053._parse_tree(message, report_name, p, version)


def test_corpus_files_give_the_whole_tree_result(corpora: Path) -> None:
    paths = sorted((corpora / "camt053").glob("*.xml"))
    assert len(paths) >= 8
    for path in paths:
        data = path.read_bytes()
        expected = outcome(_whole_tree, data)
        assert outcome(camt053.parse, data) == expected, path.name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_statements_give_the_whole_tree_result(data: st.DataObject, corpora: Path) -> None:
    mutated = data.draw(tree_mutations(corpus_trees(corpora)))
    assert outcome(camt053.parse, mutated) == outcome(_whole_tree, mutated)


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
    stmts = [statement(300), statement(200, start=300, account="FR7630006000019999999999914")]
    parsed = camt053.parse(camt053.export(stmts))
    assert [len(s.transactions) for s in parsed.statements] == [300, 200]
    assert len(sizes) == 500
    assert sizes[:2] == [0, 1]
    assert max(sizes) == 1


def test_account_after_the_entries_is_still_read() -> None:
    """Non-ISO order (``Acct`` after the ``Ntry``): entries kept until the statement ends."""
    data = camt053.export([statement(3)])
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
    data = camt053.export([statement(5)])
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
    assert (caught.value.code, caught.value.message) == outcome(_whole_tree, etree.tostring(root))
    # ... and a file that is also truncated further on is malformed, not invalid
    with pytest.raises(FormatError) as caught:
        camt053.parse(bad_entry[:-40])
    assert caught.value.code == "XML-MALFORMED"


def test_size_cap_and_entities_without_the_byte_check(monkeypatch: pytest.MonkeyPatch) -> None:
    data = camt053.export([statement(2)])
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
    path.write_bytes(camt053.export([statement(30_000)]))
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


@pytest.mark.parametrize("second", ["copy", "header only"])
def test_a_second_message_in_the_document_is_refused_not_dropped(corpora: Path, second: str) -> None:
    """The schema allows one BkToCstmrStmt per Document: its reports were silently left unread."""
    data = (corpora / "camt053" / "genkgo_camt053.v3.xml").read_bytes()
    start, end = data.index(b"<BkToCstmrStmt>"), data.index(b"</BkToCstmrStmt>") + len(b"</BkToCstmrStmt>")
    extra = data[start:end] if second == "copy" else b"<BkToCstmrStmt><GrpHdr/></BkToCstmrStmt>"
    doubled = data[:end] + b"\n" + extra + data[end:]
    with pytest.raises(FormatError) as caught:
        camt053.parse(doubled)
    assert caught.value.code == camt053.CODE
    assert "a second BkToCstmrStmt" in caught.value.message
    assert outcome(_whole_tree, doubled) == (caught.value.code, caught.value.message)
    assert [p.code for p in camt053.validate(doubled)] == [camt053.CODE]
