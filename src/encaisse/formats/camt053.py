"""ISO 20022 bank-to-customer statements: camt.053 (001.02 to 001.08+) and camt.054 notifications.

Specification: ISO 20022 message definitions ``camt.053.001.NN`` (BankToCustomerStatement) and
``camt.054.001.NN`` (BankToCustomerDebitCreditNotification); any ``urn:iso:std:iso:20022:tech:
xsd:camt.05[34].001.NN`` namespace is accepted, the entry structure being the same. The XSDs are
not shipped: :func:`validate` checks the structure Encaisse relies on in code.

Mapping (one :class:`~encaisse.domain.bank.BankTransaction` per booked ``Ntry``):

* sign from ``CdtDbtInd`` (``CRDT`` positive, ``DBIT`` negative); ``RvslInd`` does not flip it
  (ISO: the indicator already gives the direction of the reversal booking);
* a batch entry with several ``TxDtls`` that each carry an amount summing to the entry amount
  gives one transaction per ``TxDtls``; ``bank_ref`` is then ``<AcctSvcrRef>#<n>`` (n from 1);
* ``bank_ref`` = entry ``AcctSvcrRef``, else ``TxDtls/Refs/AcctSvcrRef``;
* counterparty = ``Dbtr``/``DbtrAcct`` of a credit, ``Cdtr``/``CdtrAcct`` of a debit;
* ``remittance`` = every ``Ustrd`` joined by a blank (else ``AddtlTxInf``, else ``AddtlNtryInf``);
  ``structured_reference`` = ``Strd/CdtrRefInf/Ref``;
* ``bank_code`` = ``Domn/Fmly/SubFmlyCd`` as ``PMNT/RCDT/ESCT``, else ``Prtry/Cd``;
* entries whose status is not ``BOOK`` (pending, information) are skipped with an INFO problem;
* amounts keep the precision written in the file; more than 2 decimals gives a WARN problem.

>>> doc = export([Statement("FR7630006000011234567890189", opening_balance=Decimal("10.00"),
...     closing_balance=Decimal("22.50"), transactions=(BankTransaction(date(2026, 1, 5),
...     Decimal("12.50"), remittance="FACTURE F-1", bank_ref="B1"),))])
>>> detect(doc)
True
>>> tx = parse(doc).statements[0].transactions[0]
>>> tx.amount, tx.bank_ref, tx.remittance
(Decimal('12.50'), 'B1', 'FACTURE F-1')
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from encaisse.domain.bank import BankTransaction, Statement, StatementFile, balance_problems
from encaisse.domain.errors import FormatError, Problem, Severity
from encaisse.formats.xml_safety import DEFAULT_MAX_XML_BYTES, has_forbidden_declaration, parse_xml

NAME = "camt053"
CODE = "BANK-CAMT-INVALID"
EXPORT_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
_NS_RE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.05([34])\.001\.(\d{2})$")
_AMOUNT_RE = re.compile(r"^\s*\d{1,18}(\.\d{1,18})?\s*$")
_DATE_RE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")
_DOMAIN_CODE_RE = re.compile(r"^[^/]{1,4}/[^/]{1,4}/[^/]{1,4}$")
_MESSAGES = {"3": ("BkToCstmrStmt", "Stmt"), "4": ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}
_NOT_PROVIDED = {"NOTPROVIDED", "NONREF"}
_EMPTY_CODE = "NTAV"

Path = Callable[[str], str]


def detect(data: bytes) -> bool:
    """True when the first bytes declare a camt.053 or camt.054 namespace."""
    head = data[:4096]
    return b"urn:iso:std:iso:20022:tech:xsd:camt.053." in head or (
        b"urn:iso:std:iso:20022:tech:xsd:camt.054." in head
    )


def _path_maker(ns: str) -> Path:
    cache: dict[str, str] = {}
    prefix = "{" + ns + "}"

    def path(names: str) -> str:
        found = cache.get(names)
        if found is None:
            found = cache[names] = "/".join(prefix + n for n in names.split("/"))
        return found

    return path


def _clean(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _path(el: etree._Element) -> str:
    """Local element names from the root, e.g. ``Document/BkToCstmrStmt/Stmt/Ntry/Amt``."""
    names = []
    node: etree._Element | None = el
    while node is not None:
        names.append(etree.QName(node).localname)
        node = node.getparent()
    return "/".join(reversed(names))


def _where(el: etree._Element) -> str:
    """A readable location for error messages: source line and element path."""
    return f"line {el.sourceline}, {_path(el)}"


Flat = dict[str, str]
# Containers Encaisse never reads: skipped without visiting their (many) descendants.
_UNREAD = frozenset(
    {
        "PstlAdr",
        "RltdAgts",
        "Chrgs",
        "Tax",
        "RltdDts",
        "RltdPric",
        "RltdQties",
        "CardTx",
        "Avlbty",
        "Intrst",
        "CorpActn",
        "SfkpgAcct",
        "CshDpst",
        "FinInstrmId",
        "Purp",
        "RtrInf",
        "SplmtryData",
        "TechInptChanl",
    }
)


def _flatten(
    el: etree._Element, strip: int, skip: str = "", found: list[etree._Element] | None = None
) -> Flat:
    """Leaf texts under ``el`` by relative local path (``"RltdPties/Dbtr/Nm"``), in one pass.

    Repeated leaves (``RmtInf/Ustrd``) are joined with a newline; ``Amt`` leaves also give
    ``"<path>@Ccy"``. The ``skip`` subtree is not read, its children go to ``found``. One pass
    per entry is several times faster than one ``find`` per field.
    """
    out: Flat = {}
    stack = [(el, "")]
    while stack:
        node, prefix = stack.pop()
        for child in node:
            tag = child.tag
            if tag.__class__ is not str:  # comments, processing instructions
                continue
            local = tag[strip:]
            name = prefix + local
            if len(child):
                if local in _UNREAD:
                    continue
                if name != skip:
                    stack.append((child, name + "/"))
                elif found is not None:
                    found.extend(child)
                continue
            text = child.text or ""
            if name in out:
                out[name] += "\n" + text
            else:
                out[name] = text
                if name[-3:] == "Amt":
                    out[name + "@Ccy"] = child.get("Ccy") or ""
    return out


def _fail(el: etree._Element, p: Path, child: str, message: str) -> FormatError:
    """An error naming the line of ``el/child`` (or of ``el`` when the child is absent)."""
    found = el.find(p(child)) if child else None
    target = found if found is not None else el
    return FormatError(f"line {target.sourceline}, {_path(el)}/{child}: {message}", code=CODE)


def _flat_amount(f: Flat, key: str, el: etree._Element, p: Path, problems: list[Problem]) -> Decimal:
    text = f.get(key)
    if text is None or not _AMOUNT_RE.match(text):
        raise _fail(el, p, key, f"{text!r} is not an amount")
    value = Decimal(text.strip())
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        found = el.find(p(key))
        problems.append(
            Problem(
                "BANK-CAMT-AMOUNT-DECIMALS",
                f"{_path(el)}/{key}: amount {value} has more than 2 decimals (kept as written)",
                field=key.rsplit("/", 1)[-1],
                severity=Severity.WARN,
                line=found.sourceline if found is not None else el.sourceline,
            )
        )
    return value


def _flat_date(f: Flat, key: str, el: etree._Element, p: Path) -> date | None:
    text = f.get(f"{key}/Dt") or f.get(f"{key}/DtTm")
    if text is None:
        return None
    m = _DATE_RE.match(text)
    try:
        if not m:
            raise ValueError(text)
        return date.fromisoformat(m.group(1))
    except ValueError as exc:
        raise _fail(el, p, key, f"{text!r} is not an ISO date") from exc


def _bank_code(f: Flat) -> str:
    domain = f.get("BkTxCd/Domn/Cd")
    if domain:
        family = f.get("BkTxCd/Domn/Fmly/Cd", "").strip()
        sub = f.get("BkTxCd/Domn/Fmly/SubFmlyCd", "").strip()
        return f"{domain.strip()}/{family}/{sub}"
    code = _clean(f.get("BkTxCd/Prtry/Cd"))
    return "" if code == _EMPTY_CODE else code


def _details(f: Flat, credit: bool) -> dict[str, str]:
    role = "Dbtr" if credit else "Cdtr"
    e2e = _clean(f.get("Refs/EndToEndId"))
    ustrd = _clean(f.get("RmtInf/Ustrd"))
    return {
        "counterparty_name": _clean(f.get(f"RltdPties/{role}/Nm") or f.get(f"RltdPties/{role}/Pty/Nm")),
        "counterparty_iban": f.get(f"RltdPties/{role}Acct/Id/IBAN", "").strip(),
        "end_to_end_id": "" if e2e.upper() in _NOT_PROVIDED else e2e,
        "remittance": ustrd or _clean(f.get("AddtlTxInf")),
        "structured_reference": _clean(f.get("RmtInf/Strd/CdtrRefInf/Ref")),
        "tx_ref": _clean(f.get("Refs/AcctSvcrRef")),
        "bank_code": _bank_code(f),
    }


def _tx_amount(
    f: Flat, tx: etree._Element, p: Path, entry_credit: bool, problems: list[Problem]
) -> Decimal | None:
    key = "Amt" if "Amt" in f else "AmtDtls/TxAmt/Amt"
    if key not in f:
        return None
    value = _flat_amount(f, key, tx, p, problems)
    ind = f.get("CdtDbtInd")
    credit = entry_credit if ind is None else ind.strip() == "CRDT"
    return value if credit else -value


def _entry(
    ntry: etree._Element, p: Path, strip: int, account: str, ccy: str, problems: list[Problem]
) -> list[BankTransaction]:
    details_children: list[etree._Element] = []
    f = _flatten(ntry, strip, skip="NtryDtls", found=details_children)
    status = _clean(f.get("Sts") or f.get("Sts/Cd"))
    if status and status != "BOOK":
        problems.append(
            Problem(
                "BANK-CAMT-ENTRY-NOT-BOOKED",
                f"{_path(ntry)}: entry with status {status} skipped (only booked entries are imported)",
                severity=Severity.INFO,
                line=ntry.sourceline,
            )
        )
        return []
    if "Amt" not in f:
        raise _fail(ntry, p, "Amt", "entry has no amount")
    value = _flat_amount(f, "Amt", ntry, p, problems)
    indicator = f.get("CdtDbtInd", "").strip()
    if indicator not in ("CRDT", "DBIT"):
        raise _fail(ntry, p, "CdtDbtInd", f"{indicator!r} is neither CRDT nor DBIT")
    credit = indicator == "CRDT"
    value_date = _flat_date(f, "ValDt", ntry, p)
    booking = _flat_date(f, "BookgDt", ntry, p) or value_date
    if booking is None:
        raise _fail(ntry, p, "", "entry has neither BookgDt nor ValDt")
    currency = (f.get("Amt@Ccy") or ccy).strip()
    ref = _clean(f.get("AcctSvcrRef"))
    code = _bank_code(f)
    tx_tag = p("TxDtls")
    txs = [c for c in details_children if c.tag == tx_tag]
    flats = [_flatten(tx, strip) for tx in txs]
    signed = value if credit else -value

    def make(
        amount: Decimal, d: dict[str, str], bank_ref: str, bank_code: str, remittance: str
    ) -> BankTransaction:
        return BankTransaction(
            booking_date=booking,
            amount=amount,
            currency=currency,
            value_date=value_date,
            counterparty_name=d.get("counterparty_name", ""),
            counterparty_iban=d.get("counterparty_iban", ""),
            remittance=remittance,
            structured_reference=d.get("structured_reference", ""),
            end_to_end_id=d.get("end_to_end_id", ""),
            bank_ref=bank_ref,
            bank_code=bank_code,
            account_iban=account,
        )

    if len(txs) > 1:
        amounts = [_tx_amount(tf, tx, p, credit, problems) for tf, tx in zip(flats, txs, strict=True)]
        split = [a for a in amounts if a is not None]
        if len(split) == len(txs) and sum(split, Decimal(0)) == signed:
            out = []
            for index, (tf, amount) in enumerate(zip(flats, split, strict=True), start=1):
                d = _details(tf, amount > 0 or (amount == 0 and credit))
                bank_ref = f"{ref}#{index}" if ref else d["tx_ref"]
                out.append(make(amount, d, bank_ref, d["bank_code"] or code, d["remittance"]))
            return out
        problems.append(
            Problem(
                "BANK-CAMT-BATCH-NOT-SPLIT",
                f"{_path(ntry)}: batch of {len(txs)} TxDtls kept as one transaction "
                "(amounts missing or not summing to the entry amount)",
                severity=Severity.INFO,
                line=ntry.sourceline,
            )
        )
    details = [_details(tf, credit) for tf in flats]
    first = details[0] if details else {}
    remittance = " ".join(dict.fromkeys(d["remittance"] for d in details if d["remittance"]))
    remittance = remittance or _clean(f.get("AddtlNtryInf"))
    return [
        make(signed, first, ref or first.get("tx_ref", ""), code or first.get("bank_code", ""), remittance)
    ]


def _balance(bal: etree._Element, p: Path, strip: int) -> tuple[str, Decimal, date | None]:
    f = _flatten(bal, strip)
    code = (f.get("Tp/CdOrPrtry/Cd") or f.get("Tp/CdOrPrtry/Prtry") or "").strip()
    if "Amt" not in f:
        raise _fail(bal, p, "Amt", "balance has no amount")
    value = _flat_amount(f, "Amt", bal, p, [])
    if f.get("CdtDbtInd", "").strip() == "DBIT":
        value = -value
    return code, value, _flat_date(f, "Dt", bal, p)


class _Entries:
    """The ``Ntry`` of one report (``Stmt``/``Ntfctn``), read one by one while streaming.

    When the report's ``Acct`` comes before its first entry (the ISO 20022 order), each entry is
    turned into transactions as soon as it ends, then cleared and dropped from the tree, so memory
    stays flat. Otherwise the entries stay in the tree and :func:`_statement` reads them when the
    report ends, as a whole-tree parse would. An entry's ``FormatError`` is kept and raised by
    :func:`_statement` after the account and balance checks: the error is the one the whole-tree
    parse gives.
    """

    def __init__(self, report: etree._Element) -> None:
        self.report = report
        self.decided = False  # set by the first entry: streamed or left in the tree
        self.streamed = False
        self.account = ""
        self.ccy = ""
        self.first_ccy: str | None = None  # ``Ccy`` of the first ``Ntry/Amt`` (the fallback currency)
        self.transactions: list[BankTransaction] = []
        self.error: FormatError | None = None
        self.done: etree._Element | None = None

    def add(self, ntry: etree._Element, p: Path, strip: int, problems: list[Problem]) -> None:
        if self.first_ccy is None:
            amt = ntry.find(p("Amt"))
            if amt is not None:
                self.first_ccy = amt.get("Ccy") or "EUR"
        if not self.decided:
            self.decided = True
            acct = self.report.find(p("Acct"))
            if acct is None:
                return  # entries before the account: left in the tree, read when the report ends
            self.streamed = True
            self.account = _account_id(acct, p)
            self.ccy = _clean(acct.findtext(p("Ccy")))
        if not self.streamed:
            return
        if self.account and self.error is None:  # no account: _statement raises, entries unread
            try:
                ccy = self.ccy or self.first_ccy or "EUR"
                self.transactions.extend(_entry(ntry, p, strip, self.account, ccy, problems))
            except FormatError as exc:
                self.error = exc
        ntry.clear()
        if self.done is not None:
            self.report.remove(self.done)
        self.done = ntry


def _account_id(acct: etree._Element, p: Path) -> str:
    return _clean(acct.findtext(p("Id/IBAN")) or acct.findtext(p("Id/Othr/Id")))


def _statement(
    stmt: etree._Element, p: Path, problems: list[Problem], entries: _Entries | None = None
) -> Statement:
    """One report; its entries come from ``entries`` when they were streamed, else from the tree."""
    acct = stmt.find(p("Acct"))
    if acct is None:
        raise _fail(stmt, p, "Acct", "statement has no account")
    account = _account_id(acct, p)
    if not account:
        raise _fail(acct, p, "Id", "account has neither IBAN nor Othr/Id")
    ccy = _clean(acct.findtext(p("Ccy")))
    balances: dict[str, tuple[Decimal, date | None]] = {}
    strip = len(p("Ntry")) - len("Ntry")  # length of the "{namespace}" prefix
    for bal in stmt.iterfind(p("Bal")):
        code, value, when = _balance(bal, p, strip)
        balances.setdefault(code, (value, when))
    opening = balances.get("OPBD") or balances.get("PRCD")
    closing = balances.get("CLBD")
    if not ccy and entries is not None:
        ccy = entries.first_ccy or "EUR"
    elif not ccy:
        first_amt = stmt.find(p("Ntry/Amt"))
        ccy = (first_amt.get("Ccy") if first_amt is not None else None) or "EUR"
    transactions: list[BankTransaction] = []
    if entries is not None and entries.streamed:
        if entries.error is not None:
            raise entries.error
        transactions = entries.transactions
    else:
        for ntry in stmt.iterfind(p("Ntry")):
            transactions.extend(_entry(ntry, p, strip, account, ccy, problems))
    statement = Statement(
        account_iban=account,
        currency=ccy,
        transactions=tuple(transactions),
        opening_balance=opening[0] if opening else None,
        closing_balance=closing[0] if closing else None,
        opening_date=opening[1] if opening else None,
        closing_date=closing[1] if closing else None,
        statement_id=_clean(stmt.findtext(p("Id"))),
        bic=_clean(acct.findtext(p("Svcr/FinInstnId/BIC")) or acct.findtext(p("Svcr/FinInstnId/BICFI"))),
        account_holder=_clean(acct.findtext(p("Ownr/Nm")) or acct.findtext(p("Nm"))),
    )
    problems.extend(
        Problem(
            "BANK-BALANCE-MISMATCH", f"{_path(stmt)}: {msg}", severity=Severity.WARN, line=stmt.sourceline
        )
        for msg in balance_problems(statement)
    )
    return statement


def _message_of(root: etree._Element) -> tuple[str, str, Path, str]:
    """Message and report element names, path maker and version of a camt Document root."""
    qname = etree.QName(root)
    m = _NS_RE.match(qname.namespace or "")
    if not m or qname.localname != "Document":
        raise FormatError(
            f"root element {root.tag!r} is not a camt.053/camt.054 Document", code="BANK-CAMT-UNSUPPORTED"
        )
    message_name, report_name = _MESSAGES[m.group(1)]
    return (
        message_name,
        report_name,
        _path_maker(qname.namespace or ""),
        f"camt.05{m.group(1)}.001.{m.group(2)}",
    )


def _message(root: etree._Element, p: Path, message_name: str) -> etree._Element:
    message = root.find(p(message_name))
    if message is None:
        raise FormatError(f"line {root.sourceline}: Document has no {message_name}", code=CODE)
    return message


def _second_message(message: etree._Element, message_name: str) -> FormatError:
    """A Document holds one message (ISO 20022 schema): the reports of a second one would be lost."""
    return FormatError(
        f"line {message.sourceline}: a second {message_name} in the Document; a statement file holds "
        f"one {message_name} (ask the bank for one file per message)",
        code=CODE,
    )


def _open(data: bytes, max_bytes: int) -> tuple[etree._Element, str, Path, str]:
    """Whole-tree parse (for :func:`validate`): the message element, report name, path maker, version."""
    root = parse_xml(data, max_bytes=max_bytes)
    message_name, report_name, p, version = _message_of(root)
    return _message(root, p, message_name), report_name, p, version


def _file(version: str, statements: Sequence[Statement], problems: Sequence[Problem]) -> StatementFile:
    return StatementFile(
        format=NAME if version.startswith("camt.053") else "camt054",
        statements=tuple(statements),
        problems=tuple(problems),
    )


def _no_report(message: etree._Element, report_name: str) -> FormatError:
    return FormatError(
        f"{_where(message)}: no {report_name} element (a statement file needs at least one)", code=CODE
    )


def _parse_tree(message: etree._Element, report_name: str, p: Path, version: str) -> StatementFile:
    """The statements of a whole parsed tree (what :func:`parse` gives, without streaming)."""
    reports = message.findall(p(report_name))
    problems: list[Problem] = []
    statements = [_statement(r, p, problems) for r in reports]  # their errors first, as when streaming
    root = message.getparent()
    tag = etree.QName(message)
    others = [] if root is None else root.findall(tag)[1:]
    if others:
        raise _second_message(others[0], tag.localname)
    if not reports:
        raise _no_report(message, report_name)
    return _file(version, statements, problems)


class _Stream:
    """State of one streamed file. Errors found on the way are kept and raised at the end, so a
    file that is also malformed further on gives ``XML-MALFORMED``, as a whole-tree parse does."""

    def __init__(self) -> None:
        self.root: etree._Element | None = None
        self.failure: FormatError | None = None
        self.names = ("", "", "")  # message, report, entry tags
        self.p: Path = _path_maker("")
        self.strip = 0
        self.version = ""
        self.message_name = self.report_name = ""
        self.current: _Entries | None = None
        self.statements: list[Statement] = []
        self.problems: list[Problem] = []

    def start(self, root: etree._Element) -> None:
        self.root = root
        docinfo = root.getroottree().docinfo
        try:
            if docinfo.doctype or docinfo.internalDTD is not None:
                raise FormatError(
                    "XML declares a DTD or entities (<!DOCTYPE / <!ENTITY), which is not allowed",
                    code="XML-DTD-FORBIDDEN",
                )
            self.message_name, self.report_name, p, self.version = _message_of(root)
        except FormatError as exc:
            self.failure = exc
            return
        self.p = p
        self.names = (p(self.message_name), p(self.report_name), p("Ntry"))
        self.strip = len(p("Ntry")) - len("Ntry")

    def is_report(self, el: etree._Element | None) -> bool:
        """``el`` is a report of the first message element, as ``message.findall(report)`` sees it."""
        if el is None or el.tag != self.names[1]:
            return False
        parent, root = el.getparent(), self.root
        if parent is None or root is None or parent.getparent() is not root:
            return False
        return root.find(self.names[0]) is parent

    def feed(self, el: etree._Element) -> None:
        if self.root is None:
            self.start(el.getroottree().getroot())
        if self.failure is not None:  # only well-formedness is left to check: keep memory flat
            el.clear()
            parent = el.getparent()
            while parent is not None and el.getprevious() is not None:
                del parent[0]
            return
        message_tag, report_tag, entry_tag = self.names
        if el.tag == entry_tag:
            current = self.current
            report = el.getparent()
            if current is None or report is not current.report:
                if report is None or not self.is_report(report):
                    return
                current = self.current = _Entries(report)
            current.add(el, self.p, self.strip, self.problems)
        elif el.tag == report_tag and self.is_report(el):
            current = self.current if self.current is not None and self.current.report is el else _Entries(el)
            self.current = None
            try:
                self.statements.append(_statement(el, self.p, self.problems, current))
            except FormatError as exc:
                self.failure = exc
            el.clear()
        elif el.tag == message_tag and self._is_second_message(el):
            self.failure = _second_message(el, self.message_name)  # its reports were not read

    def _is_second_message(self, el: etree._Element) -> bool:
        root = self.root
        return root is not None and el.getparent() is root and root.find(etree.QName(el)) is not el

    def finish(self, root: etree._Element | None) -> StatementFile:
        if self.root is None:
            if root is None:
                raise FormatError("XML document is empty", code="XML-MALFORMED")
            self.start(root)
        if self.failure is not None:
            raise self.failure
        assert self.root is not None
        message = _message(self.root, self.p, self.message_name)
        if not self.statements:
            raise _no_report(message, self.report_name)
        return _file(self.version, self.statements, self.problems)


_STREAM_TAGS = ("{*}Ntry", "{*}Stmt", "{*}Ntfctn", "{*}BkToCstmrStmt", "{*}BkToCstmrDbtCdtNtfctn")


def parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_XML_BYTES) -> StatementFile:
    """Read a camt.053/camt.054 file; raise ``FormatError`` (``BANK-CAMT-INVALID`` …) if unreadable.

    Streams with ``lxml.etree.iterparse`` under the settings of :mod:`~encaisse.formats.xml_safety`
    (size cap and DTD/entity refusal first, no entity expansion, no network, no huge tree): each
    ``Ntry`` is read when it ends, then dropped, so memory does not grow with the number of entries.
    """
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
    events = etree.iterparse(
        io.BytesIO(data),
        events=("end",),
        tag=_STREAM_TAGS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    stream = _Stream()
    try:
        for _event, el in events:
            stream.feed(el)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else "?"
        raise FormatError(f"XML is not well-formed (line {line}): {exc.msg}", code="XML-MALFORMED") from exc
    except (ValueError, LookupError) as exc:  # e.g. unknown encoding in the declaration
        raise FormatError(f"XML cannot be decoded: {exc}", code="XML-MALFORMED") from exc
    return stream.finish(events.root)


_REQUIRED = {
    "GrpHdr": ("MsgId", "CreDtTm"),
    "report": ("Id", "CreDtTm", "Acct"),
    "Ntry": ("Amt", "CdtDbtInd", "Sts", "BkTxCd"),
}


def _schema_problems(message: etree._Element, report_name: str, p: Path) -> list[Problem]:
    """The XSD rules Encaisse cares about, checked in code (no XSD at runtime)."""
    problems: list[Problem] = []

    def require(el: etree._Element, children: Sequence[str]) -> None:
        for child in children:
            if el.find(p(child)) is None:
                problems.append(
                    Problem(
                        "BANK-CAMT-SCHEMA", f"{_path(el)}: missing {child}", field=child, line=el.sourceline
                    )
                )

    header = message.find(p("GrpHdr"))
    if header is None:
        problems.append(Problem("BANK-CAMT-SCHEMA", f"{_where(message)}: missing GrpHdr", field="GrpHdr"))
    else:
        require(header, _REQUIRED["GrpHdr"])
    for report in message.iterfind(p(report_name)):
        require(report, _REQUIRED["report"])
        for ntry in report.iterfind(p("Ntry")):
            require(ntry, _REQUIRED["Ntry"])
    return problems


def validate(data: bytes, *, max_bytes: int = DEFAULT_MAX_XML_BYTES) -> list[Problem]:
    """Every problem found: fatal ones (as a single ERROR problem), schema gaps, warnings."""
    try:
        message, report_name, p, version = _open(data, max_bytes)
        parsed = _parse_tree(message, report_name, p, version)
    except FormatError as exc:
        return [Problem(exc.code, exc.message)]
    return _schema_problems(message, report_name, p) + list(parsed.problems)


# ---------------------------------------------------------------------------------------------- export


def derived_balances(stmt: Statement) -> tuple[Decimal, Decimal]:
    """Opening and closing balances, deriving a missing one from the other and the transactions
    (both missing: opening 0). Formats that require balances (camt.053, MT940, CFONB) use this."""
    total = sum((t.amount for t in stmt.transactions), Decimal(0))
    opening, closing = stmt.opening_balance, stmt.closing_balance
    if opening is None:
        opening = Decimal("0.00") if closing is None else closing - total
    if closing is None:
        closing = opening + total
    return opening, closing


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    el = etree.SubElement(parent, "{%s}%s" % (EXPORT_NAMESPACE, tag), attrib)  # noqa: UP031
    if text is not None:
        el.text = text
    return el


def _checked(text: str, limit: int, field: str) -> str:
    if len(text) > limit:
        raise FormatError(
            f"{field} {text[:40]!r}… is longer than {limit} characters", code="BANK-CAMT-EXPORT"
        )
    return text


def _chunks(text: str, size: int) -> list[str]:
    """Split on blanks into pieces of at most ``size`` characters (re-joined with one blank)."""
    pieces: list[str] = []
    for word in text.split(" "):
        while len(word) > size:
            pieces.append(word[:size])
            word = word[size:]
        if pieces and len(pieces[-1]) + 1 + len(word) <= size:
            pieces[-1] += " " + word
        else:
            pieces.append(word)
    return [x for x in pieces if x]


def _export_amount(parent: etree._Element, tag: str, value: Decimal, ccy: str) -> None:
    _sub(
        parent,
        tag,
        f"{abs(value):f}" if abs(value).as_tuple().exponent != 0 else f"{abs(value):.2f}",
        Ccy=ccy,
    )
    _sub(parent, "CdtDbtInd", "DBIT" if value < 0 else "CRDT")


def _export_balance(stmt_el: etree._Element, code: str, value: Decimal, when: date, ccy: str) -> None:
    bal = _sub(stmt_el, "Bal")
    _sub(_sub(_sub(bal, "Tp"), "CdOrPrtry"), "Cd", code)
    _export_amount(bal, "Amt", value, ccy)
    _sub(_sub(bal, "Dt"), "Dt", when.isoformat())


def _export_entry(stmt_el: etree._Element, tx: BankTransaction, ccy: str) -> None:
    ntry = _sub(stmt_el, "Ntry")
    _export_amount(ntry, "Amt", tx.amount, tx.currency or ccy)
    _sub(ntry, "Sts", "BOOK")
    _sub(_sub(ntry, "BookgDt"), "Dt", tx.booking_date.isoformat())
    if tx.value_date:
        _sub(_sub(ntry, "ValDt"), "Dt", tx.value_date.isoformat())
    if tx.bank_ref:
        _sub(ntry, "AcctSvcrRef", _checked(tx.bank_ref, 35, "AcctSvcrRef"))
    code = _sub(ntry, "BkTxCd")
    if _DOMAIN_CODE_RE.match(tx.bank_code):
        domain, family, sub = tx.bank_code.split("/")
        domn = _sub(code, "Domn")
        _sub(domn, "Cd", domain)
        fmly = _sub(domn, "Fmly")
        _sub(fmly, "Cd", family)
        _sub(fmly, "SubFmlyCd", sub)
    else:
        _sub(_sub(code, "Prtry"), "Cd", _checked(tx.bank_code or _EMPTY_CODE, 35, "BkTxCd/Prtry/Cd"))
    detail = _sub(_sub(ntry, "NtryDtls"), "TxDtls")
    if tx.end_to_end_id:
        _sub(_sub(detail, "Refs"), "EndToEndId", _checked(tx.end_to_end_id, 35, "EndToEndId"))
    if tx.counterparty_name or tx.counterparty_iban:
        role = "Cdtr" if tx.amount < 0 else "Dbtr"
        parties = _sub(detail, "RltdPties")
        if tx.counterparty_name:
            _sub(_sub(parties, role), "Nm", _checked(tx.counterparty_name, 140, f"{role}/Nm"))
        if tx.counterparty_iban:
            _sub(_sub(_sub(parties, role + "Acct"), "Id"), "IBAN", tx.counterparty_iban)
    if tx.remittance or tx.structured_reference:
        rmt = _sub(detail, "RmtInf")
        for piece in _chunks(tx.remittance, 140):
            _sub(rmt, "Ustrd", piece)
        if tx.structured_reference:
            ref = _checked(tx.structured_reference, 35, "CdtrRefInf/Ref")
            _sub(_sub(_sub(rmt, "Strd"), "CdtrRefInf"), "Ref", ref)


def export(statements: Sequence[Statement], *, created_at: datetime | None = None) -> bytes:
    """Write camt.053.001.02. ``created_at`` defaults to the last statement date (no clock here)."""
    dates = [d for s in statements for d in (s.closing_date, *(t.booking_date for t in s.transactions)) if d]
    stamp = created_at or datetime.combine(max(dates, default=date(2000, 1, 1)), datetime.min.time())
    created = stamp.strftime("%Y-%m-%dT%H:%M:%S")
    root = etree.Element("{%s}Document" % EXPORT_NAMESPACE, nsmap={None: EXPORT_NAMESPACE})  # noqa: UP031
    message = _sub(root, "BkToCstmrStmt")
    header = _sub(message, "GrpHdr")
    digest = hashlib.sha256("|".join(f"{s.account_iban}{s.statement_id}" for s in statements).encode())
    _sub(header, "MsgId", f"ENCAISSE-{created[:10]}-{digest.hexdigest()[:12]}")
    _sub(header, "CreDtTm", created)
    for index, stmt in enumerate(statements, start=1):
        stmt_el = _sub(message, "Stmt")
        _sub(stmt_el, "Id", _checked(stmt.statement_id or f"STMT-{index}", 35, "Stmt/Id"))
        _sub(stmt_el, "CreDtTm", created)
        acct = _sub(stmt_el, "Acct")
        acct_id = _sub(acct, "Id")
        if re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}", stmt.account_iban):
            _sub(acct_id, "IBAN", stmt.account_iban)
        else:
            _sub(_sub(acct_id, "Othr"), "Id", _checked(stmt.account_iban, 34, "Acct/Id/Othr/Id"))
        _sub(acct, "Ccy", stmt.currency)
        if stmt.account_holder:
            _sub(_sub(acct, "Ownr"), "Nm", _checked(stmt.account_holder, 140, "Ownr/Nm"))
        if stmt.bic:
            _sub(_sub(_sub(acct, "Svcr"), "FinInstnId"), "BIC", stmt.bic)
        opening, closing = derived_balances(stmt)
        first = min((t.booking_date for t in stmt.transactions), default=stamp.date())
        last = max((t.booking_date for t in stmt.transactions), default=stamp.date())
        _export_balance(stmt_el, "OPBD", opening, stmt.opening_date or first, stmt.currency)
        _export_balance(stmt_el, "CLBD", closing, stmt.closing_date or last, stmt.currency)
        for tx in stmt.transactions:
            _export_entry(stmt_el, tx, stmt.currency)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
