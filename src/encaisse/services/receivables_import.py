"""Import open receivables from another tool (``encaisse import invoices FILE.csv``).

Columns: ``number,issue_date,due_date,customer_name,customer_siren,total_incl_tax,currency``.
One transaction: any bad row and nothing is imported, every bad row is reported with its line
number and field. Re-importing the same file changes nothing (rows whose number exists are skipped
when identical, reported when they differ).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from encaisse.domain.documents import DocumentKind, Invoice, InvoiceStatus
from encaisse.domain.errors import Problem, ValidationError
from encaisse.domain.money import ZERO, parse_amount, round_money
from encaisse.domain.parties import Party, PartyKind, compact_digits, is_valid_siren
from encaisse.services import audit
from encaisse.services.ports import UnitOfWork

COLUMNS = (
    "number",
    "issue_date",
    "due_date",
    "customer_name",
    "customer_siren",
    "total_incl_tax",
    "currency",
)
MAX_BYTES = 50_000_000


@dataclass(frozen=True)
class ImportRow:
    line: int
    number: str
    issue_date: date
    due_date: date
    customer_name: str
    customer_siren: str
    total: Decimal
    currency: str


@dataclass(frozen=True)
class ImportResult:
    imported: int
    skipped: int
    customers_created: int


def parse_date(text: str) -> date:
    text = text.strip()
    if len(text) == 10 and text[4] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    raise ValueError(f"invalid date {text!r} (expected YYYY-MM-DD)")


def parse_rows(data: bytes) -> tuple[list[ImportRow], list[Problem]]:
    if len(data) > MAX_BYTES:
        raise ValidationError("file is larger than 50 MB", code="IMPORT-TOO-LARGE")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"file is not UTF-8 (byte {exc.start}); save it as CSV UTF-8 and try again",
            code="IMPORT-ENCODING",
        ) from exc
    if "\x00" in text:
        raise ValidationError("file contains NUL bytes: not a CSV text file", code="IMPORT-NOT-CSV")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ValidationError("file is empty", code="IMPORT-EMPTY") from None
    except csv.Error as exc:
        raise ValidationError(f"line 1: malformed CSV ({exc})", code="IMPORT-MALFORMED") from exc
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append("missing columns: " + ", ".join(missing))
        if unknown:
            parts.append("unknown columns: " + ", ".join(unknown))
        raise ValidationError(
            f"line 1: {'; '.join(parts)} (expected header {','.join(COLUMNS)})",
            code="IMPORT-COLUMNS",
            problems=[Problem("IMPORT-COLUMNS", "; ".join(parts), line=1)],
        )
    idx = {name: header.index(name) for name in COLUMNS}
    rows: list[ImportRow] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    try:
        for line_no, raw in enumerate(reader, start=2):
            if not raw or all(not c.strip() for c in raw):
                continue
            if len(raw) != len(header):
                problems.append(
                    Problem(
                        "IMPORT-ROW-SHAPE", f"expected {len(header)} fields, found {len(raw)}", line=line_no
                    )
                )
                continue
            row, row_problems = _parse_row(line_no, raw, idx)
            problems.extend(row_problems)
            if row is not None:
                if row.number in seen:
                    problems.append(
                        Problem(
                            "IMPORT-DUPLICATE",
                            f"number {row.number} already on line {seen[row.number]}",
                            field="number",
                            line=line_no,
                        )
                    )
                    continue
                seen[row.number] = line_no
                rows.append(row)
    except csv.Error as exc:
        problems.append(Problem("IMPORT-MALFORMED", f"malformed CSV ({exc})", line=reader.line_num))
    return rows, problems


def _parse_row(line: int, raw: list[str], idx: dict[str, int]) -> tuple[ImportRow | None, list[Problem]]:
    problems: list[Problem] = []

    def get(name: str) -> str:
        return raw[idx[name]].strip()

    number = get("number")
    if not number or len(number) > 40:
        problems.append(
            Problem("IMPORT-NUMBER", "number is required (at most 40 characters)", field="number", line=line)
        )
    dates: dict[str, date] = {}
    for name in ("issue_date", "due_date"):
        try:
            dates[name] = parse_date(get(name))
        except ValueError as exc:
            problems.append(Problem("IMPORT-DATE", str(exc), field=name, line=line))
    if len(dates) == 2 and dates["due_date"] < dates["issue_date"]:
        problems.append(Problem("IMPORT-DATE", "due date is before issue date", field="due_date", line=line))
    name = get("customer_name")
    if not name or len(name) > 200:
        problems.append(
            Problem(
                "IMPORT-CUSTOMER",
                "customer name is required (at most 200 characters)",
                field="customer_name",
                line=line,
            )
        )
    siren = compact_digits(get("customer_siren"))
    if siren and not is_valid_siren(siren):
        problems.append(
            Problem(
                "SIREN-INVALID",
                f"invalid SIREN {get('customer_siren')!r} (9 digits, Luhn)",
                field="customer_siren",
                line=line,
            )
        )
    total = ZERO
    try:
        total = parse_amount(get("total_incl_tax"))
        if total <= 0:
            problems.append(
                Problem("IMPORT-AMOUNT", "total must be positive", field="total_incl_tax", line=line)
            )
        elif total != round_money(total):
            problems.append(
                Problem("IMPORT-AMOUNT", "total has more than 2 decimals", field="total_incl_tax", line=line)
            )
    except ValueError:
        problems.append(
            Problem(
                "IMPORT-AMOUNT",
                f"invalid amount {get('total_incl_tax')!r}",
                field="total_incl_tax",
                line=line,
            )
        )
    currency = get("currency").upper() or "EUR"
    if len(currency) != 3 or not currency.isalpha():
        problems.append(
            Problem("IMPORT-CURRENCY", f"invalid currency {get('currency')!r}", field="currency", line=line)
        )
    if problems:
        return None, problems
    return ImportRow(line, number, dates["issue_date"], dates["due_date"], name, siren, total, currency), []


def _same(stored: tuple[Decimal, str], row: ImportRow) -> bool:
    """A stored invoice is the same receivable when the amount and the customer (by SIREN, else name) agree."""
    total, customer_key = stored
    return total == row.total and customer_key == (row.customer_siren or row.customer_name.lower())


def import_receivables(uow: UnitOfWork, company_id: int, data: bytes, *, actor: str = "") -> ImportResult:
    rows, problems = parse_rows(data)
    if problems:
        raise ValidationError(
            f"{len(problems)} problem(s) in the file, nothing imported",
            code="IMPORT-INVALID",
            problems=problems,
        )
    with uow() as repo:
        existing = repo.existing_imported(company_id, [r.number for r in rows])
        conflicts = [
            Problem(
                "IMPORT-CONFLICT",
                f"invoice {r.number} already exists with other values",
                field="number",
                line=r.line,
            )
            for r in rows
            if r.number in existing and not _same(existing[r.number], r)
        ]
        if conflicts:
            raise ValidationError(
                f"{len(conflicts)} conflicting row(s), nothing imported",
                code="IMPORT-INVALID",
                problems=conflicts,
            )
        new_rows = [r for r in rows if r.number not in existing]
        by_siren, by_name = repo.customer_index(company_id)
        parties: dict[tuple[str, str], Party] = {}
        missing: dict[tuple[str, str], Party] = {}
        for r in new_rows:
            key = (r.customer_siren, r.customer_name.lower() if not r.customer_siren else "")
            if key in parties or key in missing:
                continue
            found = (
                by_siren.get(r.customer_siren) if r.customer_siren else by_name.get(r.customer_name.lower())
            )
            if found is None:
                missing[key] = Party(
                    name=r.customer_name,
                    siren=r.customer_siren,
                    kind=PartyKind.CUSTOMER,
                    is_business=bool(r.customer_siren),
                )
            else:
                parties[key] = found
        created = len(missing)
        parties.update(zip(missing, repo.add_parties_bulk(company_id, list(missing.values())), strict=True))
        invoices = [
            Invoice(
                company_id=company_id,
                customer=parties[(r.customer_siren, r.customer_name.lower() if not r.customer_siren else "")],
                issue_date=r.issue_date,
                due_date=r.due_date,
                kind=DocumentKind.INVOICE,
                status=InvoiceStatus.ISSUED,
                number=r.number,
                currency=r.currency,
                total_incl_tax_override=r.total,
            )
            for r in new_rows
        ]
        repo.add_imported_invoices(invoices)
        if new_rows:
            audit.record(
                repo,
                company_id,
                "receivables.imported",
                "import",
                len(new_rows),
                {"count": len(new_rows), "numbers": [r.number for r in new_rows[:50]]},
                actor=actor,
            )
        return ImportResult(
            imported=len(new_rows), skipped=len(rows) - len(new_rows), customers_created=created
        )
