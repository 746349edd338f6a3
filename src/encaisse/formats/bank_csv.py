"""Bank statements exported as CSV, read through declarative column maps.

There is no standard: each bank exports its own layout, so a layout is *declared* as a
:class:`CsvMap` (delimiter, encoding, date format, decimal comma, which header holds what, sign
convention) — the beangulp habit — rather than coded. Header names are matched case-, accent-
and punctuation-insensitively; ``"libelle|libelle operation"`` lists alternatives.

Built-in maps (:data:`BUILTIN_MAPS`) are **best-effort** layouts of common French exports
(Crédit Agricole, BNP Paribas, Société Générale, LCL, Qonto as seen in the wild); banks change
them without notice, so pass an explicit ``csv_map`` when detection fails. ``encaisse`` is the
lossless layout written by :func:`export`. A CSV holds no IBAN: the account comes from the
caller (``account_iban=``) unless the map has an ``account`` column.

>>> data = "Date;Libellé;Débit;Crédit\\n05/01/2026;VIR SEPA ACME F-1;;1 234,50\\n".encode()
>>> detect(data)
True
>>> tx = parse(data, account_iban="FR7630006000011234567890189").statements[0].transactions[0]
>>> tx.amount, tx.remittance
(Decimal('1234.50'), 'VIR SEPA ACME F-1')
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from encaisse.domain.bank import BankTransaction, Statement, StatementFile
from encaisse.domain.errors import FormatError, Problem

NAME = "csv"
CODE = "BANK-CSV-INVALID"
_HEADER_SEARCH_ROWS = 30


@dataclass(frozen=True)
class CsvColumns:
    """Header names (``|``-separated alternatives) of each role; empty = absent."""

    date: str
    label: str
    amount: str = ""
    debit: str = ""
    credit: str = ""
    value_date: str = ""
    counterparty: str = ""
    reference: str = ""
    currency: str = ""
    account: str = ""
    counterparty_iban: str = ""
    end_to_end_id: str = ""
    structured_reference: str = ""
    bank_code: str = ""


@dataclass(frozen=True)
class CsvMap:
    """A declared CSV layout. ``sign_convention``: ``signed`` (credits positive) or ``inverted``
    (debits positive, as in card exports); debit/credit columns are signed by their role."""

    name: str
    columns: CsvColumns
    delimiter: str = ";"
    encoding: str = "utf-8-sig"
    date_format: str = "%d/%m/%Y"
    decimal_comma: bool = True
    skip_rows: int = 0
    sign_convention: Literal["signed", "inverted"] = "signed"


_FR_DATE = "date|date operation|date de l operation|date comptable|date de comptabilisation"
_FR_LABEL = "libelle|libelle operation|libelle de l operation|libelle simplifie"
_FR_VALUE = "date de valeur|date valeur"

ENCAISSE = CsvMap(
    name="encaisse",
    delimiter=",",
    date_format="%Y-%m-%d",
    decimal_comma=False,
    columns=CsvColumns(
        date="booking_date",
        value_date="value_date",
        label="remittance",
        amount="amount",
        currency="currency",
        counterparty="counterparty_name",
        counterparty_iban="counterparty_iban",
        structured_reference="structured_reference",
        end_to_end_id="end_to_end_id",
        reference="bank_ref",
        bank_code="bank_code",
        account="account_iban",
    ),
)
FR_DEBIT_CREDIT = CsvMap(
    name="fr-debit-credit",
    columns=CsvColumns(
        date=_FR_DATE,
        value_date=_FR_VALUE,
        label=_FR_LABEL,
        debit="debit|debit euros|debit eur|montant debit",
        credit="credit|credit euros|credit eur|montant credit",
        reference="reference|reference operation",
    ),
)
FR_AMOUNT = CsvMap(
    name="fr-amount",
    columns=CsvColumns(
        date=_FR_DATE,
        value_date=_FR_VALUE,
        label=_FR_LABEL,
        amount="montant|montant operation|montant de l operation|montant eur|montant euros",
        currency="devise",
        reference="reference|reference operation",
    ),
)
QONTO = CsvMap(
    name="qonto",
    date_format="%d-%m-%Y",
    decimal_comma=False,
    columns=CsvColumns(
        date="settlement date utc|operation date utc",
        label="counterparty name",
        counterparty="counterparty name",
        amount="total amount incl vat|amount",
        currency="currency",
        reference="transaction id",
    ),
)
BUILTIN_MAPS: tuple[CsvMap, ...] = (
    ENCAISSE,
    FR_DEBIT_CREDIT,
    FR_AMOUNT,
    QONTO,
    dataclasses.replace(FR_DEBIT_CREDIT, name="fr-debit-credit-cp1252", encoding="cp1252"),
    dataclasses.replace(FR_AMOUNT, name="fr-amount-cp1252", encoding="cp1252"),
)


def normalize_header(text: str) -> str:
    """``"Date de l'opération"`` → ``"date de l operation"`` (for header matching)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9_]+", " ", plain).split())


def _decode(data: bytes, csv_map: CsvMap) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4096]:
        raise FormatError(
            f"CSV file looks like UTF-16 or binary, not {csv_map.encoding}; export it as UTF-8 or Windows-1252",
            code="BANK-CSV-ENCODING",
        )
    try:
        return data.decode(csv_map.encoding)
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise FormatError(
            f"CSV file is not valid {csv_map.encoding} (byte 0x{bad} at offset {exc.start}); "
            "choose the map with the bank's encoding (e.g. cp1252) or re-export as UTF-8",
            code="BANK-CSV-ENCODING",
        ) from exc


def _rows(text: str, csv_map: CsvMap) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text), delimiter=csv_map.delimiter)
    out = []
    try:
        for row in reader:
            out.append((reader.line_num, row))
    except csv.Error as exc:
        raise FormatError(f"line {reader.line_num}: CSV syntax error: {exc}", code=CODE) from exc
    return out[csv_map.skip_rows :]


def _columns(header: list[str], csv_map: CsvMap) -> dict[str, int] | None:
    """Role → column index, or None when a required role is missing from this header row."""
    names = [normalize_header(h) for h in header]
    found: dict[str, int] = {}
    for role, spec in dataclasses.asdict(csv_map.columns).items():
        if not spec:
            continue
        for alternative in spec.split("|"):
            wanted = normalize_header(alternative)
            if wanted in names:
                found[role] = names.index(wanted)
                break
    has_amount = "amount" in found or ("debit" in found and "credit" in found)
    return found if "date" in found and "label" in found and has_amount else None


def _find_header(rows: list[tuple[int, list[str]]], csv_map: CsvMap) -> tuple[int, dict[str, int]] | None:
    for position, (_line, row) in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        columns = _columns(row, csv_map)
        if columns is not None:
            return position, columns
    return None


def _amount(text: str, csv_map: CsvMap, where: str) -> Decimal | None:
    cleaned = re.sub(r"[\s\u00a0\u202f€]|EUR", "", text)
    if not cleaned:
        return None
    if csv_map.decimal_comma:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", cleaned):
        raise FormatError(f"{where}: {text!r} is not an amount", code=CODE)
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the regex rules it out
        raise FormatError(f"{where}: {text!r} is not an amount", code=CODE) from exc


def _date(text: str, csv_map: CsvMap, where: str) -> date:
    value = text.strip()
    for candidate in (value, value.split(" ")[0], value.split("T")[0]):
        try:
            return datetime.strptime(candidate, csv_map.date_format).date()  # noqa: DTZ007 - a date only
        except ValueError:
            continue
    raise FormatError(f"{where}: {text!r} is not a date (expected {csv_map.date_format})", code=CODE)


def _transaction(
    row: list[str], columns: dict[str, int], csv_map: CsvMap, line: int, account: str
) -> BankTransaction:
    def cell(role: str) -> str:
        index = columns.get(role)
        return row[index].strip() if index is not None and index < len(row) else ""

    def where(role: str) -> str:
        return f"line {line}, column {role}"

    if "amount" in columns:
        amount = _amount(cell("amount"), csv_map, where("amount"))
        if amount is None:
            raise FormatError(f"{where('amount')}: amount is empty", code=CODE)
        if csv_map.sign_convention == "inverted":
            amount = -amount
    else:
        debit = _amount(cell("debit"), csv_map, where("debit"))
        credit = _amount(cell("credit"), csv_map, where("credit"))
        if debit is None and credit is None:
            raise FormatError(f"line {line}: both debit and credit are empty", code=CODE)
        amount = abs(credit or Decimal(0)) - abs(debit or Decimal(0))
    value_text = cell("value_date")
    return BankTransaction(
        booking_date=_date(cell("date"), csv_map, where("date")),
        amount=amount,
        currency=cell("currency").upper() or "EUR",
        value_date=_date(value_text, csv_map, where("value_date")) if value_text else None,
        counterparty_name=" ".join(cell("counterparty").split()),
        counterparty_iban=cell("counterparty_iban").replace(" ", ""),
        remittance=" ".join(cell("label").split()),
        structured_reference=cell("structured_reference"),
        end_to_end_id=cell("end_to_end_id"),
        bank_ref=cell("reference"),
        bank_code=cell("bank_code"),
        account_iban=cell("account") or account,
    )


def detect_map(data: bytes) -> CsvMap | None:
    """The first built-in map whose encoding decodes ``data`` and whose header is found."""
    for csv_map in BUILTIN_MAPS:
        try:
            text = _decode(data[:65536], csv_map)
        except FormatError:
            continue
        if _find_header(_rows(_safe_head(text), csv_map), csv_map) is not None:
            return csv_map
    return None


def _safe_head(text: str) -> str:
    """The first lines of ``text`` (a cut inside a multi-byte character or quote is harmless)."""
    return "\n".join(text.splitlines()[:_HEADER_SEARCH_ROWS])


def detect(data: bytes) -> bool:
    try:
        return detect_map(data) is not None
    except FormatError:
        return False


def parse(data: bytes, csv_map: CsvMap | None = None, *, account_iban: str = "") -> StatementFile:
    """Read a CSV export with ``csv_map`` (detected from the header when None)."""
    chosen = csv_map or detect_map(data)
    if chosen is None:
        _decode(data[:4096], FR_AMOUNT)  # explains UTF-16 / binary input
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            hint = "it is not UTF-8 and no Windows-1252 layout matched either"
        else:
            hint = "no built-in layout matches its header"
        raise FormatError(
            f"CSV layout not recognised ({hint}); pass an explicit CsvMap", code="BANK-CSV-UNKNOWN-LAYOUT"
        )
    rows = _rows(_decode(data, chosen), chosen)
    header = _find_header(rows, chosen)
    if header is None:
        raise FormatError(
            f"no header row with the columns of map {chosen.name!r} in the first {_HEADER_SEARCH_ROWS} rows",
            code=CODE,
        )
    position, columns = header
    by_account: dict[str, list[BankTransaction]] = {}
    for line, row in rows[position + 1 :]:
        if not any(c.strip() for c in row):
            continue
        date_index = columns["date"]
        if date_index >= len(row) or not row[date_index].strip():
            continue  # footer lines (totals, balances) have no date
        tx = _transaction(row, columns, chosen, line, account_iban)
        by_account.setdefault(tx.account_iban, []).append(tx)
    statements = tuple(
        Statement(account_iban=account, currency=txs[0].currency, transactions=tuple(txs))
        for account, txs in by_account.items()
    ) or (Statement(account_iban=account_iban),)
    return StatementFile(format=NAME, statements=statements)


def validate(data: bytes, csv_map: CsvMap | None = None) -> list[Problem]:
    try:
        return list(parse(data, csv_map).problems)
    except FormatError as exc:
        return [Problem(exc.code, exc.message)]


def export(statements: Sequence[Statement]) -> bytes:
    """Write the lossless ``encaisse`` layout (UTF-8, comma, ISO dates, dot decimal)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = dataclasses.asdict(ENCAISSE.columns)
    roles = [
        "date",
        "value_date",
        "amount",
        "currency",
        "label",
        "counterparty",
        "counterparty_iban",
        "structured_reference",
        "end_to_end_id",
        "reference",
        "bank_code",
        "account",
    ]
    writer.writerow([columns[r] for r in roles])
    for stmt in statements:
        for tx in stmt.transactions:
            writer.writerow(
                [
                    tx.booking_date.isoformat(),
                    tx.value_date.isoformat() if tx.value_date else "",
                    f"{tx.amount:f}",
                    tx.currency,
                    tx.remittance,
                    tx.counterparty_name,
                    tx.counterparty_iban,
                    tx.structured_reference,
                    tx.end_to_end_id,
                    tx.bank_ref,
                    tx.bank_code,
                    tx.account_iban or stmt.account_iban,
                ]
            )
    return out.getvalue().encode("utf-8")
