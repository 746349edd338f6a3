"""FEC — Fichier des Écritures Comptables, flat-file form (LPF L47 A; LPF A47 A-1; BOI-CF-IOR-60-40-20).

The 18 columns of CHECKLIST §5.1 in their exact order and spelling, a header line, one record per
entry line, tab separated (never inside a value), ISO 8859-15, CR LF line ends, dates ``YYYYMMDD``,
amounts with a decimal comma and no thousands separator (FEC-FORMAT, FEC-ENCODING, FEC-DATE,
FEC-AMOUNT). The file is named ``<SIREN>FEC<closing date>.txt`` (FEC-FILENAME).

Same four verbs as every format: :func:`detect`, :func:`parse`, :func:`export`, :func:`validate`.

>>> filename("732 829 320", date(2026, 12, 31))
'732829320FEC20261231.txt'
>>> clean_text("Dupont\\tSARL\\n “Élec” – 2 €")
'Dupont SARL "Élec" - 2 €'
>>> format_amount(Decimal("-1234.5"))
'-1234,50'
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from encaisse.domain.errors import FormatError, Problem, Severity
from encaisse.domain.ledger import JOURNALS, Entry, EntryLine, Period
from encaisse.domain.money import ZERO, round_money

COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
#: Extra columns of the cash-basis variants (FEC-CASH-BASIS), accepted after the 18.
CASH_BASIS_COLUMNS = ("DateRglt", "ModeRglt", "NatOp", "IdClient")
ENCODING = "iso-8859-15"
SEPARATOR = "\t"
FILENAME_RE = re.compile(r"^(\d{9})FEC(\d{8})(\.txt|\.xml)?$")
_REQUIRED = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "ValidDate",
)
_AMOUNT_RE = re.compile(r"^[+-]?\d+(,\d+)?$")
_TYPOGRAPHY = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "‑": "-", "…": "..."}
)
_BOM = b"\xef\xbb\xbf"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def filename(siren: str, year_end: date) -> str:
    """``<SIREN>FEC<YYYYMMDD>.txt`` with the fiscal year's closing date (FEC-FILENAME)."""
    digits = "".join(ch for ch in siren if ch.isdigit())
    if len(digits) != 9:
        raise FormatError(f"a FEC file name needs the 9-digit SIREN, not {siren!r}", code="FEC-FILENAME")
    return f"{digits}FEC{year_end:%Y%m%d}.txt"


@functools.lru_cache(maxsize=8192)
def clean_text(value: str) -> str:
    """A value that fits the file: no separator, line break or control character (runs of
    whitespace become one space), typographic quotes and dashes made plain, characters outside
    ISO 8859-15 transliterated or replaced by ``?`` (FEC-ENCODING). ``œ``, ``€``, ``Š`` are kept."""
    text = " ".join(_CONTROL.sub(" ", value).split()).translate(_TYPOGRAPHY)
    if _encodable(text):
        return text
    out = []
    for ch in text:
        if _encodable(ch):
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if _encodable(c))
        out.append(base or "?")
    return " ".join("".join(out).split())


def _encodable(text: str) -> bool:
    try:
        text.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def format_amount(value: Decimal) -> str:
    """Decimal comma, two places, no thousands separator, sign first (FEC-AMOUNT)."""
    return f"{round_money(value):.2f}".replace(".", ",")


def format_date(value: date | None) -> str:
    return "" if value is None else f"{value:%Y%m%d}"


def records(entries: list[Entry]) -> list[list[str]]:
    """The values of every line, in :data:`COLUMNS` order, cleaned (also used for CSV journals)."""
    rows = []
    for e in entries:
        journal_label = e.journal_label or JOURNALS.get(e.journal, e.journal)
        for ln in e.lines:
            values = [
                e.journal,
                journal_label,
                e.number,
                format_date(e.date),
                ln.account,
                ln.account_label,
                ln.aux_account,
                ln.aux_label,
                e.piece_ref,
                format_date(e.piece_date),
                ln.label or e.label,
                format_amount(ln.debit),
                format_amount(ln.credit),
                ln.lettering,
                format_date(ln.lettering_date if ln.lettering else None),
                format_date(e.valid_date or e.date),
                "" if ln.currency_amount is None else format_amount(ln.currency_amount),
                ln.currency if ln.currency_amount is not None else "",
            ]
            rows.append([clean_text(v) for v in values])
    return rows


def export(entries: list[Entry], *, siren: str, year_end: date) -> bytes:
    """The FEC bytes of ``entries`` (already numbered, see ``ledger.ledger_for_period``)."""
    filename(siren, year_end)  # the SIREN must make a valid file name
    lines = [SEPARATOR.join(COLUMNS), *(SEPARATOR.join(r) for r in records(entries))]
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING)


def detect(data: bytes) -> bool:
    """A FEC flat file starts with the ``JournalCode`` column name and a tab or pipe."""
    head = data.removeprefix(_BOM)[:12]
    return head in (b"JournalCode\t", b"JournalCode|")


# ---- reading ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    line: int  # 1-based line number in the file (the header is line 1)
    values: dict[str, str]


@dataclass(frozen=True)
class FecFile:
    """What :func:`parse` returns: the entries read and the problems met (unreadable rows skipped)."""

    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...]
    separator: str = SEPARATOR


def _decode(data: bytes) -> tuple[str, list[Problem]]:
    problems: list[Problem] = []
    if data.startswith(_BOM):
        problems.append(Problem("FEC-ENCODING", "the file starts with a UTF-8 byte-order mark"))
        data = data[len(_BOM) :]
    if any(b >= 0x80 for b in data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            problems.append(Problem("FEC-ENCODING", "the file looks UTF-8 encoded: write it in ISO 8859-15"))
    return data.decode(ENCODING), problems


def read_rows(data: bytes) -> tuple[str, list[Row], list[Problem]]:
    """Separator, rows as column -> value, and the structural problems (FEC-FORMAT, FEC-ENCODING)."""
    text, problems = _decode(data)
    lines = re.split(r"\r\n|\r|\n", text)
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        return SEPARATOR, [], [*problems, Problem("FEC-FORMAT", "the file is empty")]
    header = lines[0]
    sep = "\t" if "\t" in header else "|" if "|" in header else ""
    if not sep:
        return (
            SEPARATOR,
            [],
            [*problems, Problem("FEC-FORMAT", "the header has no tab or pipe separator", line=1)],
        )
    names = header.split(sep)
    extra = names[len(COLUMNS) :]
    if tuple(names[: len(COLUMNS)]) != COLUMNS or any(n not in CASH_BASIS_COLUMNS for n in extra):
        problems.append(
            Problem(
                "FEC-FORMAT",
                "the header must be the 18 columns " + ", ".join(COLUMNS) + f" (found {', '.join(names)})",
                line=1,
            )
        )
        if len(names) < len(COLUMNS):
            return sep, [], problems
        names = [*COLUMNS, *extra]  # read the rest by position so every other check still runs
    rows: list[Row] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split(sep)
        if len(fields) != len(names):
            problems.append(
                Problem(
                    "FEC-FORMAT",
                    f"{len(fields)} fields instead of {len(names)}: a separator or line break inside a value?",
                    line=number,
                )
            )
            continue
        rows.append(Row(number, dict(zip(names, fields, strict=True))))
    return sep, rows, problems


def _date(value: str) -> date | None:
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def _amount(value: str) -> Decimal | None:
    if not _AMOUNT_RE.match(value):
        return None
    try:
        return Decimal(value.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern already excludes it
        return None


def parse(data: bytes) -> FecFile:
    """Entries of a FEC flat file: consecutive lines with the same journal and number form an entry."""
    sep, rows, problems = read_rows(data)
    entries: list[Entry] = []
    current: list[tuple[Row, EntryLine]] = []

    def flush() -> None:
        if not current:
            return
        first = current[0][0].values
        label = first["EcritureLib"]
        lines = tuple(ln if ln.label != label else replace(ln, label="") for _, ln in current)
        entries.append(
            Entry(
                journal=first["JournalCode"],
                number=first["EcritureNum"],
                date=_date(first["EcritureDate"]) or date.min,
                piece_ref=first["PieceRef"],
                piece_date=_date(first["PieceDate"]) or date.min,
                label=label,
                lines=lines,
                journal_label=first["JournalLib"],
                valid_date=_date(first["ValidDate"]),
            )
        )
        current.clear()

    for row in rows:
        v = row.values
        debit, credit = _amount(v["Debit"]), _amount(v["Credit"])
        currency_amount = _amount(v["Montantdevise"]) if v["Montantdevise"] else None
        if debit is None or credit is None or _date(v["EcritureDate"]) is None:
            problems.append(Problem("FEC-AMOUNT", "unreadable amount or date: line skipped", line=row.line))
            continue
        line = EntryLine(
            account=v["CompteNum"],
            account_label=v["CompteLib"],
            aux_account=v["CompAuxNum"],
            aux_label=v["CompAuxLib"],
            debit=debit,
            credit=credit,
            lettering=v["EcritureLet"],
            lettering_date=_date(v["DateLet"]),
            currency_amount=currency_amount,
            currency=v["Idevise"],
            label=v["EcritureLib"],
        )
        if current and (current[0][0].values["JournalCode"], current[0][0].values["EcritureNum"]) != (
            v["JournalCode"],
            v["EcritureNum"],
        ):
            flush()
        current.append((row, line))
    flush()
    return FecFile(tuple(entries), tuple(problems), sep)


# ---- validation (CHECKLIST §11, FEC-*) ------------------------------------------------------------------------
def validate_filename(name: str, year_end: date | None = None) -> list[Problem]:
    """FEC-FILENAME: ``^\\d{9}FEC\\d{8}(.txt|.xml)?$`` and the date is the closing date."""
    found = FILENAME_RE.match(name)
    if not found:
        return [Problem("FEC-FILENAME", f"{name!r} is not named <SIREN>FEC<YYYYMMDD>.txt", field="filename")]
    if _date(found.group(2)) is None:
        return [Problem("FEC-FILENAME", f"{found.group(2)} is not a date", field="filename")]
    if year_end is not None and found.group(2) != format_date(year_end):
        return [
            Problem(
                "FEC-FILENAME",
                f"the name's date {found.group(2)} is not the closing date {format_date(year_end)}",
                field="filename",
            )
        ]
    return []


def _row_problems(row: Row, period: Period | None) -> list[Problem]:
    v, n = row.values, row.line
    out: list[Problem] = []
    for name in _REQUIRED:
        if not v[name].strip():
            out.append(Problem("FEC-FORMAT", f"{name} is empty", field=name, line=n))
    for name, value in v.items():
        if _CONTROL.search(value):
            out.append(Problem("FEC-ENCODING", f"{name} holds a control character", field=name, line=n))
    for name in ("EcritureDate", "PieceDate", "ValidDate", "DateLet"):
        if v[name] and _date(v[name]) is None:
            out.append(Problem("FEC-DATE", f"{name} {v[name]!r} is not a YYYYMMDD date", field=name, line=n))
    for name in ("Debit", "Credit", "Montantdevise"):
        if (v[name] or name != "Montantdevise") and _amount(v[name]) is None:
            out.append(
                Problem(
                    "FEC-AMOUNT",
                    f"{name} {v[name]!r}: digits with a decimal comma, no thousands separator",
                    field=name,
                    line=n,
                )
            )
    debit, credit = _amount(v["Debit"]) or ZERO, _amount(v["Credit"]) or ZERO
    if debit and credit:
        out.append(
            Problem(
                "FEC-AMOUNT", "both Debit and Credit are set", field="Debit", line=n, severity=Severity.WARN
            )
        )
    account = v["CompteNum"]
    if not (account[:3].isdigit() and len(account) >= 3 and account[0] in "1234567"):
        out.append(
            Problem(
                "FEC-ACCOUNT",
                f"account {account!r} does not start with 3 digits of a PCG class 1-7 account",
                field="CompteNum",
                line=n,
            )
        )
    elif account.startswith("411") and not v["CompAuxNum"].strip():
        out.append(
            Problem(
                "FEC-ACCOUNT",
                "a 411 customer line without CompAuxNum",
                field="CompAuxNum",
                line=n,
                severity=Severity.WARN,
            )
        )
    day = _date(v["EcritureDate"])
    if period is not None and day is not None and day not in period:
        out.append(
            Problem(
                "FEC-SEQUENCE",
                f"EcritureDate {v['EcritureDate']} outside the fiscal year {period.start} - {period.end}",
                field="EcritureDate",
                line=n,
            )
        )
    return out


def _sequence_problems(rows: list[Row]) -> list[Problem]:
    """FEC-BALANCED per entry and overall; FEC-SEQUENCE: contiguous entries, continuous numbers."""
    out: list[Problem] = []
    sums: dict[tuple[str, str], list[Decimal]] = {}
    first_line: dict[tuple[str, str], int] = {}
    order: dict[str, list[str]] = defaultdict(list)
    previous: tuple[str, str] | None = None
    total_debit = total_credit = ZERO
    for row in rows:
        v = row.values
        key = (v["JournalCode"], v["EcritureNum"])
        if key != previous and key in sums:
            out.append(
                Problem(
                    "FEC-SEQUENCE", f"entry {key[1]} of journal {key[0]} is split in the file", line=row.line
                )
            )
        if key not in sums:
            sums[key] = [ZERO, ZERO]
            first_line[key] = row.line
            order[key[0]].append(key[1])
        debit, credit = _amount(v["Debit"]) or ZERO, _amount(v["Credit"]) or ZERO
        sums[key][0] += debit
        sums[key][1] += credit
        total_debit += debit
        total_credit += credit
        previous = key
    for key, (debit, credit) in sums.items():
        if debit != credit:
            out.append(
                Problem(
                    "FEC-BALANCED",
                    f"entry {key[1]} of journal {key[0]}: debit {debit} != credit {credit}",
                    line=first_line[key],
                )
            )
    if total_debit != total_credit:
        out.append(
            Problem(
                "FEC-BALANCED", f"the file does not balance: debit {total_debit} != credit {total_credit}"
            )
        )
    for journal, numbers in order.items():
        out += _continuity(journal, numbers, first_line)
    return out


def _continuity(journal: str, numbers: list[str], first_line: dict[tuple[str, str], int]) -> list[Problem]:
    out: list[Problem] = []
    last: int | None = None
    for number in numbers:
        digits = number[len(number.rstrip("0123456789")) :]
        if not digits:
            out.append(
                Problem(
                    "FEC-SEQUENCE",
                    f"journal {journal}: EcritureNum {number!r} has no sequence number",
                    line=first_line[(journal, number)],
                    severity=Severity.WARN,
                )
            )
            continue
        if last is not None and int(digits) != last + 1:
            out.append(
                Problem(
                    "FEC-SEQUENCE",
                    f"journal {journal}: EcritureNum {number} follows {last} (gap or disorder)",
                    line=first_line[(journal, number)],
                )
            )
        last = int(digits)
    return out


def validate(data: bytes, *, period: Period | None = None, name: str = "") -> list[Problem]:
    """Every FEC-* check of CHECKLIST §11 on the bytes (and the file ``name`` when given).

    ``period`` is the fiscal year: each EcritureDate must fall within it.
    """
    problems: list[Problem] = validate_filename(name, period.end if period else None) if name else []
    _, rows, structural = read_rows(data)
    problems += structural
    for row in rows:
        problems += _row_problems(row, period)
    problems += _sequence_problems(rows)
    return problems
