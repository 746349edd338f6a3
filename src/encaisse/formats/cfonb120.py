"""CFONB 120: the French "relevé de compte sur 120 caractères".

Specification: CFONB, *Relevé de compte sur support informatique*, brochure of 2004-07 and the
2007 SEPA evolutions (record ``05`` qualifiers). Fixed 120-character records:

* ``01`` old balance, ``07`` new balance (date in 35-40, amount in 91-104);
* ``04`` operation: interbank operation code (33-34, ``bank_code``), booking date (35-40),
  value date (43-48), label (49-79), amount (91-104), reference (105-120, ``bank_ref``);
* ``05`` complement of the preceding ``04``: qualifier (46-48) and 70 characters (49-118):
  ``LIB``/``LCC``/``LC2`` add to the label, ``NPY``/``NBE`` name the payer/beneficiary,
  ``RCN`` holds the end-to-end reference (35 characters), ``LCS`` a structured reference.

Amounts are 13 digits and a sign character (``{``, ``A``–``I`` positive last digit 0-9; ``}``,
``J``–``R`` negative) scaled by the number of decimals in position 20; dates are ``DDMMYY``.
The account (bank + branch + 11-character number) is turned into a French IBAN (RIB key
computed) so statements meet the accounts users type in.

>>> decode_amount("0000000001904}", 2)
Decimal('-190.40')
>>> iban_from_rib("30006", "00001", "12345678901")
'FR7630006000011234567890189'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from stdnum import iban as std_iban

from encaisse.domain.bank import BankTransaction, Statement, StatementFile, balance_problems
from encaisse.domain.errors import FormatError, Problem, Severity
from encaisse.domain.money import round_money

NAME = "cfonb120"
CODE = "BANK-CFONB-INVALID"
_POSITIVE = "{ABCDEFGHI"
_NEGATIVE = "}JKLMNOPQR"
_RIB_LETTERS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")
_RECORD_RE = re.compile(r"^(01|04|05|07)\d{5}")


def decode_amount(text: str, decimals: int) -> Decimal:
    """13 digits + a sign-and-digit character, scaled by ``decimals`` (ValueError if malformed)."""
    last = text[-1:]
    digits = text[:-1].replace(" ", "0")
    if len(text) != 14 or not digits.isdigit() or not last or last not in _POSITIVE + _NEGATIVE:
        raise ValueError(f"{text!r} is not a CFONB amount")
    if last in _POSITIVE:
        value = int(digits + str(_POSITIVE.index(last)))
    else:
        value = -int(digits + str(_NEGATIVE.index(last)))
    return Decimal(value).scaleb(-decimals)


def encode_amount(value: Decimal) -> str:
    """The 14-character field of ``value`` rounded to the cent (2 decimals)."""
    units = int(round_money(value) * 100)
    digits = f"{abs(units):014d}"
    if len(digits) > 14:
        raise FormatError(f"amount {value} too large for CFONB 120", code="BANK-CFONB-EXPORT")
    table = _NEGATIVE if units < 0 else _POSITIVE
    return digits[:13] + table[int(digits[13])]


def rib_key(bank: str, branch: str, account: str) -> str:
    """The 2-digit RIB key of a French bank account (letters of the account mapped to digits)."""
    number = int(account.upper().translate(_RIB_LETTERS))
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * number) % 97:02d}"


def iban_from_rib(bank: str, branch: str, account: str) -> str:
    """French IBAN of a RIB (bank code, branch code, 11-character account number)."""
    bban = f"{bank}{branch}{account.upper()}{rib_key(bank, branch, account)}"
    return f"FR{std_iban.calc_check_digits('FR00' + bban)}{bban}"


def _account_iban(bank: str, branch: str, account: str) -> str:
    if bank.isdigit() and branch.isdigit() and re.fullmatch(r"[0-9A-Za-z]{11}", account):
        return iban_from_rib(bank, branch, account)
    return f"{bank} {branch} {account}".strip()


def _date(text: str, where: str) -> date:
    try:
        if not text.isdigit():
            raise ValueError(text)
        yy = int(text[4:6])
        return date(2000 + yy if yy < 80 else 1900 + yy, int(text[2:4]), int(text[0:2]))
    except ValueError as exc:
        raise FormatError(f"{where}: {text!r} is not a DDMMYY date", code=CODE) from exc


def _clean(text: str) -> str:
    return " ".join(text.split())


@dataclass
class _Operation:
    line: int
    record: str
    complements: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Open:
    account: str
    currency: str
    opening: Decimal | None = None
    opening_date: date | None = None
    operations: list[_Operation] = field(default_factory=list)


def _records(data: bytes) -> list[tuple[int, str]]:
    if b"\x00" in data:
        raise FormatError("CFONB 120 file contains NUL bytes (UTF-16 or binary?)", code=CODE)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    lines = text.splitlines()
    if len(lines) == 1 and len(lines[0]) > 120 and len(lines[0]) % 120 == 0:  # records without line ends
        lines = [lines[0][i : i + 120] for i in range(0, len(lines[0]), 120)]
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record = line.rstrip("\r\n")
        if len(record.rstrip()) > 120:
            raise FormatError(
                f"line {number}: a CFONB 120 record has 120 characters, not {len(record)}", code=CODE
            )
        record = record.rstrip().ljust(120)
        if not _RECORD_RE.match(record):
            raise FormatError(
                f"line {number}: unknown record {record[:2]!r} (expected 01, 04, 05 or 07)", code=CODE
            )
        out.append((number, record))
    return out


def _decimals(record: str, where: str) -> int:
    if not record[19].isdigit():
        raise FormatError(f"{where}: number of decimals {record[19]!r} is not a digit", code=CODE)
    return int(record[19])


def _record_amount(record: str, where: str) -> Decimal:
    try:
        return decode_amount(record[90:104], _decimals(record, where))
    except ValueError as exc:
        raise FormatError(f"{where}: {exc}", code=CODE) from exc


def _transaction(op: _Operation, account: str, currency: str) -> BankTransaction:
    r, where = op.record, f"line {op.line}"
    amount = _record_amount(r, where)
    label = [_clean(r[48:79])]
    names = {"NPY": "", "NBE": ""}
    e2e = structured = ""
    for qualifier, text in op.complements:
        if qualifier in ("LIB", "LCC", "LC2"):
            label.append(_clean(text))
        elif qualifier in names:
            names[qualifier] = names[qualifier] or _clean(text)
        elif qualifier == "RCN":
            e2e = _clean(text[:35])
        elif qualifier == "LCS":
            structured = _clean(text[:35])
    value_text = r[42:48]
    return BankTransaction(
        booking_date=_date(r[34:40], f"{where}, booking date (35-40)"),
        amount=amount,
        currency=currency,
        value_date=_date(value_text, f"{where}, value date (43-48)") if value_text.strip() else None,
        counterparty_name=(names["NPY"] or names["NBE"]) if amount >= 0 else (names["NBE"] or names["NPY"]),
        remittance=" ".join(x for x in label if x),
        structured_reference=structured,
        end_to_end_id="" if e2e.upper() == "NOTPROVIDED" else e2e,
        bank_ref=_clean(r[104:120]),
        bank_code=r[32:34].strip(),
        account_iban=account,
    )


def _close(current: _Open, closing: Decimal | None, closing_date: date | None) -> Statement:
    txs = tuple(_transaction(op, current.account, current.currency) for op in current.operations)
    return Statement(
        account_iban=current.account,
        currency=current.currency,
        transactions=txs,
        opening_balance=current.opening,
        closing_balance=closing,
        opening_date=current.opening_date,
        closing_date=closing_date,
    )


def parse(data: bytes) -> StatementFile:
    """Read CFONB 120 statements; raise ``BANK-CFONB-INVALID`` naming the bad line."""
    records = _records(data)
    if not records:
        raise FormatError("empty CFONB 120 file", code=CODE)
    statements: list[Statement] = []
    problems: list[Problem] = []
    current: _Open | None = None
    for number, r in records:
        kind, where = r[:2], f"line {number}"
        account = _account_iban(r[2:7], r[11:16], r[21:32].strip())
        currency = r[16:19].strip() or "EUR"
        if kind == "01":
            if current is not None:
                raise FormatError(
                    f"{where}: old balance (01) before the new balance (07) of the previous statement",
                    code=CODE,
                )
            current = _Open(
                account, currency, _record_amount(r, where), _date(r[34:40], f"{where}, date (35-40)")
            )
        elif kind == "04":
            if current is None:
                problems.append(
                    Problem(
                        "BANK-CFONB-NO-BALANCE",
                        "operation without an old balance (01) record; balances unknown",
                        severity=Severity.WARN,
                        line=number,
                    )
                )
                current = _Open(account, currency)
            current.operations.append(_Operation(number, r))
        elif kind == "05":
            if current is None or not current.operations:
                raise FormatError(
                    f"{where}: complement record (05) without a preceding operation (04)", code=CODE
                )
            current.operations[-1].complements.append((r[45:48], r[48:118]))
        else:  # 07
            if current is None:
                raise FormatError(f"{where}: new balance (07) without an old balance (01) record", code=CODE)
            statements.append(
                _close(current, _record_amount(r, where), _date(r[34:40], f"{where}, date (35-40)"))
            )
            current = None
    if current is not None:
        if current.opening is not None:
            problems.append(
                Problem(
                    "BANK-CFONB-NO-BALANCE",
                    "statement without its new balance (07) record",
                    severity=Severity.WARN,
                )
            )
        statements.append(_close(current, None, None))
    problems.extend(
        Problem("BANK-BALANCE-MISMATCH", f"account {s.account_iban}: {msg}", severity=Severity.WARN)
        for s in statements
        for msg in balance_problems(s)
    )
    return StatementFile(format=NAME, statements=tuple(statements), problems=tuple(problems))


def detect(data: bytes) -> bool:
    """True when the first non-blank line is a 120-character ``01`` or ``04`` record."""
    for line in data[:2048].splitlines():
        if line.strip():
            text = line.rstrip(b"\r\n").decode("latin-1")
            return len(text.rstrip()) <= 120 and len(text) >= 90 and bool(re.match(r"^0[14]\d{5}", text))
    return False


def validate(data: bytes) -> list[Problem]:
    """Problems of the file: the fatal one as an ERROR problem, else the warnings of :func:`parse`."""
    try:
        return list(parse(data).problems)
    except FormatError as exc:
        return [Problem(exc.code, exc.message)]


# ---------------------------------------------------------------------------------------------- export


def _ascii(value: str) -> str:
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()


def _text(value: str, width: int) -> str:
    return _ascii(value)[:width].ljust(width)


def _words(text: str, first: int, size: int) -> list[str]:
    """Split ``text`` on blanks into a piece of ``first`` characters, then pieces of ``size``."""

    def limit(index: int) -> int:
        return first if index == 0 else size

    pieces: list[str] = []
    for word in _ascii(text).split():
        if pieces and len(pieces[-1]) + 1 + len(word) <= limit(len(pieces) - 1):
            pieces[-1] += " " + word
            continue
        while len(word) > limit(len(pieces)):
            cut = limit(len(pieces))
            pieces.append(word[:cut])
            word = word[cut:]
        if word:
            pieces.append(word)
    return pieces


def _rib(iban: str) -> tuple[str, str, str]:
    compact = "".join(iban.split()).upper()
    if not (compact.startswith("FR") and len(compact) == 27 and std_iban.is_valid(compact)):
        raise FormatError(
            f"account {iban!r} is not a French IBAN; CFONB 120 needs a RIB", code="BANK-CFONB-EXPORT"
        )
    return compact[4:9], compact[9:14], compact[14:25]


def _head(kind: str, bank: str, branch: str, ccy: str, account: str, code: str = "  ") -> str:
    return f"{kind}{bank}    {branch}{ccy:3}2 {account}{code}"


def _derived(stmt: Statement) -> tuple[Decimal, Decimal]:
    total = sum((t.amount for t in stmt.transactions), Decimal(0))
    opening, closing = stmt.opening_balance, stmt.closing_balance
    if opening is None:
        opening = Decimal("0.00") if closing is None else closing - total
    return opening, opening + total if closing is None else closing


def export(statements: Sequence[Statement]) -> bytes:
    """Write CFONB 120 (accounts must be French IBANs); CRLF line ends, 120 characters per record."""
    lines: list[str] = []
    for stmt in statements:
        bank, branch, account = _rib(stmt.account_iban)
        opening, closing = _derived(stmt)
        first = min(
            (t.booking_date for t in stmt.transactions), default=stmt.closing_date or date(2000, 1, 1)
        )
        last = max((t.booking_date for t in stmt.transactions), default=first)
        ccy = stmt.currency
        lines.append(
            f"{_head('01', bank, branch, ccy, account)}{(stmt.opening_date or first):%d%m%y}"
            f"{'':50}{encode_amount(opening)}{'':16}"
        )
        for tx in stmt.transactions:
            code = (tx.bank_code + "  ")[:2]
            head = _head("04", bank, branch, ccy, account, code)
            value = f"{tx.value_date:%d%m%y}" if tx.value_date else "      "
            label, *rest = _words(tx.remittance, 31, 70) or [""]
            lines.append(
                f"{head}{tx.booking_date:%d%m%y}  {value}{_text(label, 31)}{'':11}"
                f"{encode_amount(tx.amount)}{_text(tx.bank_ref, 16)}"
            )
            head5 = f"{_head('05', bank, branch, ccy, account, code)}{tx.booking_date:%d%m%y}     "
            complements = [("LIB", piece) for piece in rest]
            if tx.counterparty_name:
                complements.append(("NPY" if tx.amount >= 0 else "NBE", tx.counterparty_name))
            if tx.end_to_end_id:
                complements.append(("RCN", tx.end_to_end_id))
            if tx.structured_reference:
                complements.append(("LCS", tx.structured_reference))
            lines.extend(f"{head5}{q}{_text(t, 70)}  " for q, t in complements)
        lines.append(
            f"{_head('07', bank, branch, ccy, account)}{(stmt.closing_date or last):%d%m%y}"
            f"{'':50}{encode_amount(closing)}{'':16}"
        )
    assert all(len(x) == 120 for x in lines), [len(x) for x in lines]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")
