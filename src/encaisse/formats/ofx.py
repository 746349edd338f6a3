"""OFX bank and credit-card statements: OFX 1.x (SGML) and OFX 2.x (XML).

Specification: Open Financial Exchange 1.0.2 (SGML) and 2.2 (XML), chapter 11 "Banking"
(``STMTRS``/``CCSTMTRS``, ``BANKTRANLIST``/``STMTTRN``, ``LEDGERBAL``). Real bank files are
often not conformant (unclosed elements in XML files, several ``BANKTRANLIST``, over-long bank
ids), so :func:`parse` is a lenient tokenizer that never resolves entities nor reads DTDs, and
:func:`validate` also reports whether the strict ``ofxtools`` parser accepts the file
(``BANK-OFX-NONCONFORMANT``, a warning: the file is still importable).

Mapping: ``FITID`` → ``bank_ref``, ``TRNTYPE`` → ``bank_code``, ``NAME`` (or ``PAYEE/NAME``) →
``counterparty_name``, ``MEMO`` → ``remittance``, ``DTPOSTED`` → booking date, ``DTAVAIL`` →
value date, ``LEDGERBAL`` → closing balance. A French ``BANKID``/``BRANCHID``/``ACCTID`` triple
becomes the account's IBAN (RIB key computed); an ``ACCTID`` that is an IBAN is kept as is.

>>> data = export([Statement("FR7630006000011234567890189", transactions=(
...     BankTransaction(date(2026, 1, 5), Decimal("-2.50"), bank_ref="F1", remittance="CB"),))])
>>> detect(data)
True
>>> st = parse(data).statements[0]
>>> st.account_iban, st.transactions[0].amount
('FR7630006000011234567890189', Decimal('-2.50'))
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from stdnum import iban as std_iban

from encaisse.domain.bank import BankTransaction, Statement, StatementFile
from encaisse.domain.errors import FormatError, Problem, Severity
from encaisse.formats.cfonb120 import iban_from_rib

NAME = "ofx"
CODE = "BANK-OFX-INVALID"
_TOKEN_RE = re.compile(r"<(/?)([A-Za-z0-9_.]+)\s*>([^<]*)")
_CDATA_RE = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_COMMENT_RE = re.compile(r"<!--.*?-->|<\?.*?\?>", re.DOTALL)
_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})")
_AMOUNT_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_LEAVES = frozenset(
    {
        "NAME",
        "MEMO",
        "FITID",
        "TRNAMT",
        "TRNTYPE",
        "DTPOSTED",
        "DTUSER",
        "DTAVAIL",
        "CHECKNUM",
        "REFNUM",
        "SIC",
        "PAYEEID",
        "CURDEF",
        "BANKID",
        "BRANCHID",
        "ACCTID",
        "ACCTTYPE",
        "BALAMT",
        "DTASOF",
        "DTSTART",
        "DTEND",
        "CODE",
        "SEVERITY",
        "MESSAGE",
        "DTSERVER",
        "LANGUAGE",
        "TRNUID",
        "CURSYM",
        "CURRATE",
        "ORG",
        "FID",
        "VALUEDATE",
        "CORRECTFITID",
        "CORRECTACTION",
        "SRVRTID",
    }
)  # elements that never hold others
_CHARSETS = {"1252": "cp1252", "ISO-8859-1": "latin-1", "8859-1": "latin-1", "NONE": "cp1252"}


@dataclass
class _Node:
    tag: str
    text: str = ""
    children: list[_Node] = field(default_factory=list)

    def find(self, path: str) -> _Node | None:
        node: _Node | None = self
        for name in path.split("/"):
            node = next((c for c in node.children if c.tag == name), None) if node else None
        return node

    def text_of(self, path: str) -> str:
        node = self.find(path)
        return node.text if node else ""

    def iter(self, tag: str) -> list[_Node]:
        found = []
        stack = [self]
        while stack:
            node = stack.pop()
            if node.tag == tag:
                found.append(node)
            stack.extend(reversed(node.children))
        return found


def detect(data: bytes) -> bool:
    """True for an OFX 1 SGML header (``OFXHEADER:``) or an OFX 2 processing instruction / root."""
    head = data[:2048].lstrip().upper()
    return head.startswith(b"OFXHEADER:") or b"<?OFX " in head or head.startswith(b"<OFX>")


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise FormatError("OFX file contains NUL bytes (UTF-16 or binary?); export it as text", code=CODE)
    head = data[:1024].decode("latin-1")
    encoding = "utf-8"
    m = re.search(r"CHARSET:\s*([\w-]+)", head)
    enc = re.search(r"ENCODING:\s*([\w-]+)", head)
    xml_enc = re.search(r"encoding=[\"']([\w-]+)[\"']", head)
    if xml_enc:
        encoding = xml_enc.group(1)
    elif enc and enc.group(1).upper() == "USASCII" and m:
        encoding = _CHARSETS.get(m.group(1).upper(), "cp1252")
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return data.decode("cp1252", errors="replace")


def _tree(text: str) -> _Node:
    """Lenient OFX tree: SGML leaves without end tags, XML, CDATA, stray end tags are all accepted."""
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise FormatError("OFX file declares a DTD or entities, which is not allowed", code=CODE)
    start = text.find("<OFX>")
    if start < 0:
        raise FormatError("no <OFX> element found", code=CODE)
    body = text[start:]
    body = _COMMENT_RE.sub("", body)
    body = _CDATA_RE.sub(lambda m: html.escape(m.group(1), quote=False), body)
    root = _Node("#root")
    stack = [root]
    tokens = _TOKEN_RE.findall(body)
    for index, (closing, raw_tag, raw_text) in enumerate(tokens):
        tag = raw_tag.upper()
        if closing:
            names = [n.tag for n in stack]
            if tag in names[1:]:
                del stack[names.index(tag) :]
            continue
        value = html.unescape(raw_text).strip()
        nxt = tokens[index + 1] if index + 1 < len(tokens) else ("", "", "")
        node = _Node(tag, value)
        stack[-1].children.append(node)
        is_leaf = tag in _LEAVES or bool(value) or (nxt[0] == "/" and nxt[1].upper() == tag)
        if not is_leaf:
            stack.append(node)
    ofx = root.find("OFX")
    if ofx is None:
        raise FormatError("no <OFX> element found", code=CODE)
    return ofx


def _date(text: str, where: str) -> date | None:
    if not text:
        return None
    m = _DATE_RE.match(text)
    try:
        if not m:
            raise ValueError(text)
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        raise FormatError(f"{where}: {text!r} is not an OFX date (YYYYMMDD…)", code=CODE) from exc


def _amount(text: str, where: str) -> Decimal:
    compact = text.replace(" ", "")
    if not _AMOUNT_RE.match(compact):
        raise FormatError(f"{where}: {text!r} is not an amount", code=CODE)
    try:
        return Decimal(compact.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the regex already rules it out
        raise FormatError(f"{where}: {text!r} is not an amount", code=CODE) from exc


def _clean(text: str) -> str:
    return " ".join(text.split())


def _account(acct: _Node | None) -> str:
    if acct is None:
        return ""
    bank, branch = acct.text_of("BANKID"), acct.text_of("BRANCHID")
    number = "".join(acct.text_of("ACCTID").split())
    if std_iban.is_valid(number):
        return number.upper()
    rib_number = number[:11]
    if (
        re.fullmatch(r"\d{5}", bank)
        and re.fullmatch(r"\d{5}", branch)
        and re.fullmatch(r"[0-9A-Z]{11}(\d{2})?", number)
    ):
        return iban_from_rib(bank, branch, rib_number)
    return number


def _statement(rs: _Node, index: int) -> Statement:
    where = f"statement #{index} ({rs.tag})"
    curdef = rs.text_of("CURDEF").upper()
    account = _account(rs.find("BANKACCTFROM") or rs.find("CCACCTFROM"))
    transactions = []
    for number, trn in enumerate(rs.iter("STMTTRN"), start=1):
        tw = f"{where}, STMTTRN #{number}"
        posted = _date(trn.text_of("DTPOSTED"), f"{tw}, DTPOSTED")
        if posted is None:
            raise FormatError(f"{tw}: DTPOSTED is missing", code=CODE)
        value = _date(trn.text_of("DTAVAIL") or trn.text_of("VALUEDATE"), f"{tw}, DTAVAIL")
        currency = trn.text_of("CURRENCY/CURSYM").upper() or curdef
        transactions.append(
            BankTransaction(
                booking_date=posted,
                amount=_amount(trn.text_of("TRNAMT"), f"{tw}, TRNAMT"),
                currency=currency or "EUR",
                value_date=value,
                counterparty_name=_clean(trn.text_of("NAME") or trn.text_of("PAYEE/NAME")),
                remittance=_clean(trn.text_of("MEMO")),
                bank_ref=_clean(trn.text_of("FITID")),
                bank_code=trn.text_of("TRNTYPE").upper(),
                account_iban=account,
            )
        )
    balance = rs.text_of("LEDGERBAL/BALAMT")
    return Statement(
        account_iban=account,
        currency=curdef or (transactions[0].currency if transactions else "EUR"),
        transactions=tuple(transactions),
        closing_balance=_amount(balance, f"{where}, LEDGERBAL/BALAMT") if balance else None,
        closing_date=_date(rs.text_of("LEDGERBAL/DTASOF"), f"{where}, LEDGERBAL/DTASOF"),
        opening_date=_date(rs.text_of("BANKTRANLIST/DTSTART"), f"{where}, DTSTART"),
    )


def parse(data: bytes) -> StatementFile:
    """Read every bank and credit-card statement of an OFX file (leniently)."""
    ofx = _tree(_decode(data))
    responses = ofx.iter("STMTRS") + ofx.iter("CCSTMTRS")
    problems = []
    for i, rs in enumerate(responses, start=1):
        if not rs.text_of("CURDEF"):
            problems.append(
                Problem("BANK-OFX-NO-CURRENCY", f"statement #{i}: CURDEF is empty", severity=Severity.WARN)
            )
        if rs.find("BANKTRANLIST") is None:
            problems.append(
                Problem(
                    "BANK-OFX-NO-TRANSACTION-LIST",
                    f"statement #{i}: no BANKTRANLIST (balance only, no transactions)",
                    severity=Severity.WARN,
                )
            )
    statements = tuple(_statement(rs, i) for i, rs in enumerate(responses, start=1))
    return StatementFile(format=NAME, statements=statements, problems=tuple(problems))


def _conformance(data: bytes) -> list[Problem]:
    """What the strict ``ofxtools`` parser says (spec conformance), as a warning."""
    import io
    import warnings

    from ofxtools.Parser import OFXTree

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = OFXTree()
            tree.parse(io.BytesIO(data))
            tree.convert()
    except Exception as exc:  # any ofxtools failure means "not conformant"
        message = f"{type(exc).__name__}: {exc}"[:300]
        return [
            Problem(
                "BANK-OFX-NONCONFORMANT",
                f"not OFX-conformant per ofxtools ({message}); imported leniently",
                severity=Severity.WARN,
            )
        ]
    return []


def validate(data: bytes) -> list[Problem]:
    """Fatal problem (ERROR), else the lenient parse's warnings plus the ofxtools conformance verdict."""
    try:
        parsed = parse(data)
    except FormatError as exc:
        return [Problem(exc.code, exc.message)]
    return list(parsed.problems) + _conformance(data)


# ---------------------------------------------------------------------------------------------- export


def _leaf(tag: str, value: str) -> str:
    return f"<{tag}>{html.escape(value, quote=False)}</{tag}>"


def _ofx_date(d: date) -> str:
    return d.strftime("%Y%m%d")


def _account_xml(iban: str) -> str:
    compact = "".join(iban.split()).upper()
    if compact.startswith("FR") and len(compact) == 27 and std_iban.is_valid(compact):
        bank, branch, number = compact[4:9], compact[9:14], compact[14:25]
        return (
            f"<BANKACCTFROM>{_leaf('BANKID', bank)}{_leaf('BRANCHID', branch)}{_leaf('ACCTID', number)}"
            "<ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>"
        )
    return (
        f"<BANKACCTFROM>{_leaf('BANKID', compact[4:8] or '0')}{_leaf('ACCTID', compact[:22])}"
        "<ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>"
    )


_TRNTYPES = {
    "CREDIT",
    "DEBIT",
    "INT",
    "DIV",
    "FEE",
    "SRVCHG",
    "DEP",
    "ATM",
    "POS",
    "XFER",
    "CHECK",
    "PAYMENT",
    "CASH",
    "DIRECTDEP",
    "DIRECTDEBIT",
    "REPEATPMT",
    "HOLD",
    "OTHER",
}


def _transaction_xml(tx: BankTransaction, fallback_ref: str) -> str:
    kind = tx.bank_code if tx.bank_code in _TRNTYPES else ("CREDIT" if tx.amount >= 0 else "DEBIT")
    parts = [_leaf("TRNTYPE", kind), _leaf("DTPOSTED", _ofx_date(tx.booking_date))]
    if tx.value_date:
        parts.append(_leaf("DTAVAIL", _ofx_date(tx.value_date)))
    parts += [_leaf("TRNAMT", f"{tx.amount:f}"), _leaf("FITID", tx.bank_ref or fallback_ref)]
    if tx.counterparty_name:
        parts.append(_leaf("NAME", tx.counterparty_name[:32]))
    if tx.remittance:
        parts.append(_leaf("MEMO", tx.remittance[:255]))
    return "<STMTTRN>" + "".join(parts) + "</STMTTRN>"


def export(statements: Sequence[Statement]) -> bytes:
    """Write OFX 2.2 XML (one ``STMTTRNRS`` per statement); FITID falls back to ``<stmt>-<n>``."""
    dates = [t.booking_date for s in statements for t in s.transactions] or [date(2000, 1, 1)]
    server = _ofx_date(max(dates)) + "000000"
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
        '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>',
        "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>"
        f"<DTSERVER>{server}</DTSERVER><LANGUAGE>FRA</LANGUAGE></SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1>",
    ]
    for index, stmt in enumerate(statements, start=1):
        first = min((t.booking_date for t in stmt.transactions), default=max(dates))
        last = max((t.booking_date for t in stmt.transactions), default=max(dates))
        out.append(
            f"<STMTTRNRS><TRNUID>{index}</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY>"
            f"</STATUS><STMTRS>{_leaf('CURDEF', stmt.currency)}{_account_xml(stmt.account_iban)}"
            f"<BANKTRANLIST>{_leaf('DTSTART', _ofx_date(stmt.opening_date or first))}"
            f"{_leaf('DTEND', _ofx_date(last))}"
        )
        out += [_transaction_xml(tx, f"{index}-{n}") for n, tx in enumerate(stmt.transactions, start=1)]
        out.append("</BANKTRANLIST>")
        if stmt.closing_balance is not None:
            out.append(
                f"<LEDGERBAL>{_leaf('BALAMT', f'{stmt.closing_balance:f}')}"
                f"{_leaf('DTASOF', _ofx_date(stmt.closing_date or last))}</LEDGERBAL>"
            )
        out.append("</STMTRS></STMTTRNRS>")
    out.append("</BANKMSGSRSV1></OFX>")
    return ("\n".join(out) + "\n").encode("utf-8")
