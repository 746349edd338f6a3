"""SWIFT MT940 customer statement messages (and the common bank dialects of it).

Specification: SWIFT Standards MT Category 9, MT940 "Customer Statement Message"; German ``:86:``
structured subfields per the DFÜ agreement (ZKA/DK "Mehrzweckfeld": ``?00`` posting text,
``?20``–``?29``/``?60``–``?63`` remittance, ``?30`` bank code/BIC, ``?31`` account/IBAN,
``?32``–``?33`` name, with SEPA keywords ``EREF+``/``SVWZ+``…) and the Dutch ING/ABN AMRO
``/EREF/…/CNTP/…/REMI/…`` layout. Headers and SWIFT envelopes (``{1:…}{2:…}{4:``) are skipped.

A strict little parser: every statement needs ``:20:``, ``:25:``, ``:28C:`` (or ``:28:``),
``:60F:``/``:60M:`` and ``:62F:``/``:62M:``; a malformed field raises ``BANK-MT940-INVALID``
naming its line. ``:61:`` gives the value date, the entry (booking) date, ``C``/``D``/``RC``/``RD``
(``RC`` = reversal of a credit = a debit), the amount, the type code (``bank_code``, e.g.
``NTRF``) and after ``//`` the bank's reference (``bank_ref``). ``end_to_end_id`` is ``EREF``
from ``:86:``, else the account owner's reference of ``:61:`` unless ``NONREF``.

>>> text = export([Statement("FR7630006000011234567890189", opening_balance=Decimal("10.00"),
...     transactions=(BankTransaction(date(2026, 1, 5), Decimal("-2.50"), bank_ref="X1"),))])
>>> print(text.decode().splitlines()[4])
:61:2601050105D2,50NTRFNONREF//X1
>>> parse(text).statements[0].closing_balance
Decimal('7.50')
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

NAME = "mt940"
CODE = "BANK-MT940-INVALID"
_TAG_RE = re.compile(r"^:(\d{2}[A-Z]?):(.*)$", re.DOTALL)
_END_RE = re.compile(r"^-[A-Z}]*\s*$")
_NUMBER_RE = re.compile(r"^\d{1,5}(/\d{1,5})?$")
_BALANCE_RE = re.compile(r"^([CD])(\d{6})([A-Z]{3})(\d[\d,]{0,16})$")
_LINE61_RE = re.compile(
    r"^(?P<vd>\d{6})(?P<ed>\d{4})?(?P<dc>R?[CD])(?P<funds>[A-Z])?(?P<amt>\d[\d,]{0,14})"
    r"(?P<type>[NSF][A-Z0-9]{3})(?P<rest>.*)$"
)
_SUBFIELD_RE = re.compile(r"\?(\d{2})")
_SEPA_RE = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC|COAM|OAMT|SQTP|PURP)\+")
_ING_RE = re.compile(r"/(EREF|PREF|MARF|CSID|CNTP|REMI|RTRN|ISDT|PURP|ORDP|BENM|ULTD|ULTC|IREF|SUM|TRCD)/")
_REMITTANCE_SUBFIELDS = [f"{n:02d}" for n in (*range(20, 30), *range(60, 64))]
_NOT_A_REF = {"", "NONREF", "NOTPROVIDED", "EREF", "PREF", "KREF"}
_X_CHARSET = re.compile(r"[^A-Za-z0-9/\-:().,'+ ]")


@dataclass
class _Field:
    tag: str
    lines: list[str]
    line: int

    @property
    def value(self) -> str:
        return "\n".join(self.lines)


@dataclass
class _Block:
    fields: list[_Field] = field(default_factory=list)


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise FormatError("MT940 file contains NUL bytes (UTF-16 or binary?); export it as text", code=CODE)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def detect(data: bytes) -> bool:
    """True when the head of ``data`` holds the ``:20:`` / ``:25:`` / ``:28:`` or ``:60:`` fields."""
    head = data[:4096]
    return bool(
        re.search(rb"(^|\n|\{4:\r?\n?):20:", head)
        and re.search(rb"\n:25:", head)
        and re.search(rb"\n:(28C?|60[FM]):", head)
    )


def _blocks(text: str) -> list[_Block]:
    """Split the text into statements (one per ``:20:``), fields with their continuation lines."""
    blocks: list[_Block] = []
    current: _Field | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("{"):  # SWIFT envelope blocks; the text block opens with {4:
            current = None
            continue
        if _END_RE.match(stripped):
            current = None
            continue
        m = _TAG_RE.match(line)
        if m:
            tag = m.group(1)
            if tag == "20":
                blocks.append(_Block())
            if not blocks:
                raise FormatError(f"line {number}: field :{tag}: before any :20: field", code=CODE)
            current = _Field(tag, [m.group(2)], number)
            blocks[-1].fields.append(current)
        elif current is not None:
            current.lines.append(line)
    return blocks


def _amount(text: str, where: str) -> Decimal:
    if text.count(",") > 1 or not re.fullmatch(r"\d+(,\d*)?", text):
        raise FormatError(f"{where}: {text!r} is not an MT940 amount (digits, decimal comma)", code=CODE)
    whole, _, frac = text.partition(",")
    return Decimal(f"{whole}.{frac or '0'}") if frac else Decimal(whole).quantize(Decimal("0.01"))


def _yymmdd(text: str, where: str) -> date:
    try:
        yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:6])
        return date(2000 + yy if yy < 80 else 1900 + yy, mm, dd)
    except ValueError as exc:
        raise FormatError(f"{where}: {text!r} is not a YYMMDD date", code=CODE) from exc


def _entry_date(value_date: date, mmdd: str, where: str) -> date:
    """The booking date ``MMDD`` of ``:61:``, in the year that puts it closest to the value date."""
    candidates = []
    for year in (value_date.year - 1, value_date.year, value_date.year + 1):
        try:
            candidates.append(date(year, int(mmdd[:2]), int(mmdd[2:])))
        except ValueError:
            continue
    if not candidates:
        raise FormatError(f"{where}: entry date {mmdd!r} is not a MMDD date", code=CODE)
    return min(candidates, key=lambda d: abs((d - value_date).days))


def _balance(f: _Field) -> tuple[Decimal, date, str]:
    m = _BALANCE_RE.match(f.value.strip())
    if not m:
        raise FormatError(
            f"line {f.line}: :{f.tag}: {f.value.strip()!r} is not a balance (C/D YYMMDD CCY amount)",
            code=CODE,
        )
    where = f"line {f.line}, :{f.tag}:"
    value = _amount(m.group(4), where)
    return (-value if m.group(1) == "D" else value), _yymmdd(m.group(2), where), m.group(3)


def _account(value: str) -> str:
    compact = "".join(value.split())
    if len(compact) > 3 and compact[-3:].isalpha() and std_iban.is_valid(compact[:-3]):
        return compact[:-3]
    return compact if std_iban.is_valid(compact) else value.strip()


def _clean(text: str) -> str:
    return " ".join(text.split())


def _info(lines: list[str]) -> dict[str, str]:
    """Counterparty, references and remittance from the ``:86:`` lines (structured or not).

    Structured layouts wrap their subfields anywhere, so their lines are joined without blank;
    free text (and Rabobank's several ``:86:`` fields) is joined with one.
    """
    joined = "".join(lines)
    if re.match(r"^\s?\d{3}\?", joined) or "?20" in joined:
        parts = _SUBFIELD_RE.split(joined)
        sub: dict[str, str] = {}
        for key, value in zip(parts[1::2], parts[2::2], strict=False):
            sub[key] = sub.get(key, "") + value
        text = "".join(sub.get(k, "") for k in _REMITTANCE_SUBFIELDS)
        sepa = _SEPA_RE.split(text)
        keys = dict(zip(sepa[1::2], (_clean(v) for v in sepa[2::2]), strict=False))
        others = [f"{k}+{v}" for k, v in zip(sepa[1::2], sepa[2::2], strict=False) if k != "EREF"]
        iban = next(
            (
                _clean(sub[k]).replace(" ", "")
                for k in ("31", "38")
                if k in sub and std_iban.is_valid(_clean(sub[k]).replace(" ", ""))
            ),
            "",
        )
        return {
            "remittance": keys.get("SVWZ") or _clean(sepa[0] + " ".join(others)),
            "end_to_end_id": keys.get("EREF", ""),
            "counterparty_name": _clean(sub.get("32", "") + sub.get("33", "")),
            "counterparty_iban": iban,
        }
    if joined.startswith("/") and _ING_RE.search(joined):
        parts = _ING_RE.split(joined)
        tags = dict(zip(parts[1::2], parts[2::2], strict=False))
        cntp = tags.get("CNTP", "").split("/")
        remi = tags.get("REMI", "").split("/")
        structured = remi[0] == "STRD" and len(remi) > 2
        return {
            "remittance": "" if structured else _clean("/".join(remi[2:]).rstrip("/")),
            "structured_reference": _clean(remi[2]) if structured else "",
            "end_to_end_id": _clean(tags.get("EREF", "").rstrip("/")),
            "counterparty_name": _clean(cntp[2]) if len(cntp) > 2 else "",
            "counterparty_iban": _clean(cntp[0]) if cntp and std_iban.is_valid(_clean(cntp[0])) else "",
        }
    return {"remittance": _clean(" ".join(lines))}


def _transaction(f61: _Field, info: list[str], account: str, currency: str) -> BankTransaction:
    where = f"line {f61.line}, :61:"
    first, *more = f61.lines
    m = _LINE61_RE.match(first.strip())
    if not m:
        raise FormatError(
            f"{where}: {first.strip()!r} is not a statement line (YYMMDD[MMDD]C|D amount type reference)",
            code=CODE,
        )
    value_date = _yymmdd(m.group("vd"), where)
    booking = _entry_date(value_date, m.group("ed"), where) if m.group("ed") else value_date
    amount = _amount(m.group("amt"), where)
    if m.group("dc") in ("D", "RC"):
        amount = -amount
    rest = m.group("rest")
    customer, sep, bank_ref = rest.partition("//")
    extra = " ".join(more)
    if not sep and len(customer) > 16:
        customer, extra = customer[:16], f"{customer[16:]} {extra}"
    details = _info(info) if info else {}
    customer = customer.strip()
    e2e = details.get("end_to_end_id") or ("" if customer.upper() in _NOT_A_REF else customer)
    return BankTransaction(
        booking_date=booking,
        amount=amount,
        currency=currency,
        value_date=value_date,
        counterparty_name=details.get("counterparty_name", ""),
        counterparty_iban=details.get("counterparty_iban", ""),
        remittance=details.get("remittance") or _clean(extra),
        structured_reference=details.get("structured_reference", ""),
        end_to_end_id="" if e2e.upper() in _NOT_A_REF else e2e,
        bank_ref=bank_ref.strip(),
        bank_code=m.group("type"),
        account_iban=account,
    )


def _statement(block: _Block) -> Statement:
    first = block.fields[0]
    tags = {f.tag: f for f in reversed(block.fields)}  # first occurrence of each tag wins
    number = tags.get("28C") or tags.get("28")
    for name, present in (
        ("25", "25" in tags),
        ("28C", number is not None),
        ("60F", "60F" in tags or "60M" in tags),
        ("62F", "62F" in tags or "62M" in tags),
    ):
        if not present:
            raise FormatError(f"statement at line {first.line}: missing field :{name}:", code=CODE)
    assert number is not None
    if not _NUMBER_RE.match(number.value.strip()):
        raise FormatError(
            f"line {number.line}: :{number.tag}: {number.value!r} is not a statement number (nnnnn[/nnnnn])",
            code=CODE,
        )
    opening, opening_date, currency = _balance(tags.get("60F") or tags["60M"])
    closing, closing_date, _ = _balance(tags.get("62F") or tags["62M"])
    account = _account(tags["25"].value)
    transactions: list[BankTransaction] = []
    fields = block.fields
    for index, f in enumerate(fields):
        if f.tag != "61":
            continue
        info: list[str] = []
        for nxt in fields[index + 1 :]:
            if nxt.tag != "86":
                break
            info.extend(nxt.lines)
        transactions.append(_transaction(f, info, account, currency))
    return Statement(
        account_iban=account,
        currency=currency,
        transactions=tuple(transactions),
        opening_balance=opening,
        closing_balance=closing,
        opening_date=opening_date,
        closing_date=closing_date,
        statement_id=_clean(first.value),
    )


def parse(data: bytes) -> StatementFile:
    """Read MT940 statements; raise ``FormatError`` ``BANK-MT940-INVALID`` naming the bad line."""
    blocks = _blocks(_decode(data))
    if not blocks:
        raise FormatError("no MT940 statement found (no :20: field)", code=CODE)
    statements = tuple(_statement(b) for b in blocks)
    problems = tuple(
        Problem("BANK-BALANCE-MISMATCH", f"statement {s.statement_id!r}: {msg}", severity=Severity.WARN)
        for s in statements
        for msg in balance_problems(s)
    )
    return StatementFile(format=NAME, statements=statements, problems=problems)


def validate(data: bytes) -> list[Problem]:
    """Problems of the file: the fatal one as an ERROR problem, else the warnings of :func:`parse`."""
    try:
        return list(parse(data).problems)
    except FormatError as exc:
        return [Problem(exc.code, exc.message)]


# ---------------------------------------------------------------------------------------------- export


def _x(text: str) -> str:
    """Text restricted to the SWIFT X character set (accents dropped, others replaced by '.')."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _X_CHARSET.sub(".", ascii_text)


def _money(value: Decimal) -> str:
    return f"{abs(round_money(value)):f}".replace(".", ",")


def _date6(d: date) -> str:
    if not 1980 <= d.year <= 2079:
        raise FormatError(f"date {d} cannot be written as YYMMDD (1980-2079)", code="BANK-MT940-EXPORT")
    return d.strftime("%y%m%d")


def _info_text(tx: BankTransaction) -> str:
    text = ""
    if tx.end_to_end_id:
        text += f"EREF+{_x(tx.end_to_end_id)} "
    text += f"SVWZ+{_x(tx.remittance)}" if tx.remittance else ""
    chunks = [text[i : i + 27] for i in range(0, len(text), 27)]
    if len(chunks) > len(_REMITTANCE_SUBFIELDS):
        raise FormatError(
            f"remittance of {tx.bank_ref or tx.booking_date} too long for :86:", code="BANK-MT940-EXPORT"
        )
    out = "999?00" + ("GUTSCHRIFT" if tx.amount >= 0 else "LASTSCHRIFT")
    out += "".join(f"?{key}{chunk}" for key, chunk in zip(_REMITTANCE_SUBFIELDS, chunks, strict=False))
    if tx.counterparty_iban:
        out += f"?31{_x(tx.counterparty_iban)}"
    name = _x(tx.counterparty_name)
    if name:
        out += f"?32{name[:27]}" + (f"?33{name[27:54]}" if len(name) > 27 else "")
    return "\n".join(_wrap(out, 65))


def _wrap(text: str, width: int) -> list[str]:
    """Cut ``text`` into lines of at most ``width``; no line may start with ':' or '-' (SWIFT)."""
    lines: list[str] = []
    rest = text
    while rest:
        cut = min(width, len(rest))
        while cut < len(rest) and cut > 1 and rest[cut] in ":-":
            cut -= 1
        lines.append(rest[:cut])
        rest = rest[cut:]
    return lines


def _derived(stmt: Statement) -> tuple[Decimal, Decimal]:
    total = sum((t.amount for t in stmt.transactions), Decimal(0))
    opening, closing = stmt.opening_balance, stmt.closing_balance
    if opening is None:
        opening = Decimal("0.00") if closing is None else closing - total
    return opening, opening + total if closing is None else closing


def export(statements: Sequence[Statement]) -> bytes:
    """Write MT940 (one message per statement, German ``:86:`` subfields, CRLF line ends)."""
    out: list[str] = []
    for index, stmt in enumerate(statements, start=1):
        opening, closing = _derived(stmt)
        first = min(
            (t.booking_date for t in stmt.transactions), default=stmt.closing_date or date(2000, 1, 1)
        )
        last = max((t.booking_date for t in stmt.transactions), default=first)
        ccy = stmt.currency

        def bal(tag: str, value: Decimal, when: date, ccy: str = ccy) -> str:
            return f":{tag}:{'D' if value < 0 else 'C'}{_date6(when)}{ccy}{_money(value)}"

        out += [
            f":20:{_x(stmt.statement_id or 'ENCAISSE')[:16]}",
            f":25:{_x(stmt.account_iban)[:35]}",
            f":28C:{index:05d}",
            bal("60F", opening, stmt.opening_date or first),
        ]
        for tx in stmt.transactions:
            code = tx.bank_code if re.fullmatch(r"[NSF][A-Z0-9]{3}", tx.bank_code) else "NTRF"
            ref = f"//{_x(tx.bank_ref)[:16]}" if tx.bank_ref else ""
            value_date = tx.value_date or tx.booking_date
            out.append(
                f":61:{_date6(value_date)}{tx.booking_date:%m%d}{'D' if tx.amount < 0 else 'C'}"
                f"{_money(tx.amount)}{code}NONREF{ref}"
            )
            out.append(f":86:{_info_text(tx)}")
        out += [bal("62F", closing, stmt.closing_date or last), "-"]
    return ("\r\n".join(out) + "\r\n").encode("ascii")
