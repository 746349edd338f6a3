"""Import a bank statement file (``encaisse bank import``, bank page upload).

Format auto-detected by ``formats.bank_registry``. One file = one transaction: a bad file stores
nothing. Idempotent: each transaction has a dedupe key (the bank's reference, else a stable hash of
account, dates, amount, text and its position among identical ones), so re-importing a file or an
overlapping period adds nothing. Balances are checked against the transactions and mismatches are
reported as warnings.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from encaisse.domain.bank import BankTransaction, Statement, balance_problems, dedupe_key
from encaisse.domain.errors import Problem, Severity, ValidationError
from encaisse.domain.parties import compact_digits, is_valid_iban
from encaisse.formats.bank_registry import parse_statement_file
from encaisse.formats.camt053_parts import PartMapper
from encaisse.services import audit
from encaisse.services.ports import UnitOfWork

MAX_STATEMENT_BYTES = 200_000_000  # a year of a busy account in camt.053 is well below this


@dataclass(frozen=True)
class BankImportResult:
    format: str
    accounts: tuple[str, ...]
    new: int
    duplicates: int
    problems: tuple[Problem, ...]


def transaction_id_of(tx: BankTransaction, key: str) -> str:
    """The contract's ``transaction_id``: the bank's entry reference, else the stable hash key."""
    return tx.bank_ref or key.removeprefix("h:")


def import_statement(
    uow: UnitOfWork,
    company_id: int,
    data: bytes,
    *,
    filename: str = "",
    account_iban: str | None = None,
    actor: str = "",
    max_bytes: int = MAX_STATEMENT_BYTES,
    map_parts: PartMapper | None = None,
    parts: int = 2,
) -> BankImportResult:
    """Parse ``data`` and store its new transactions (``map_parts``: read a large file in ``parts``)."""
    chosen = compact_digits(account_iban or "")
    if chosen and not is_valid_iban(chosen):
        raise ValidationError(
            f"invalid IBAN {account_iban!r}",
            code="IBAN-INVALID",
            problems=[Problem("IBAN-INVALID", "invalid IBAN", field="account")],
        )
    parsed = parse_statement_file(
        data, account_iban=chosen, max_bytes=max_bytes, map_parts=map_parts, parts=parts
    )
    problems: list[Problem] = list(parsed.problems)
    statements: list[tuple[str, Statement]] = []
    for stmt in parsed.statements:
        iban = compact_digits(stmt.account_iban) or chosen
        if not iban:
            raise ValidationError(
                "this file does not name its account: pass --account IBAN", code="BANK-NO-ACCOUNT"
            )
        if chosen and iban != chosen:
            raise ValidationError(
                f"the file is for account {iban}, not {chosen}: nothing imported", code="BANK-WRONG-ACCOUNT"
            )
        for text in balance_problems(stmt):
            if not any(p.code == "BANK-BALANCE-MISMATCH" for p in problems):
                problems.append(Problem("BANK-BALANCE-MISMATCH", text, severity=Severity.WARN))
        statements.append((iban, stmt))
    return store_statements(
        uow,
        company_id,
        parsed.format,
        statements,
        problems,
        sha256=hashlib.sha256(data).hexdigest(),
        filename=filename,
        actor=actor,
    )


#: The statement-file format of a bank sync ("psd2-gocardless"), as opposed to a file's format.
SYNC_FORMAT_PREFIX = "psd2-"


def _not_from_the_other_source(
    repo: Any, company_id: int, account_id: int, fmt: str, rows: list[tuple[BankTransaction, str, str]]
) -> list[tuple[BankTransaction, str, str]]:
    """Lines a statement file and a bank sync both give are stored once.

    A file and an aggregator name the same movement differently (the bank's AcctSvcrRef/FITID is
    not the aggregator's transactionId, texts differ), so their dedupe keys differ. Lines of the
    other kind of source already stored for the account count per (booking day, amount): as many
    incoming lines of that day and amount are taken as the same movements and skipped, the rest
    are new (two equal transfers on one day, one in the file and two in the feed: one is added).
    """
    if not rows:
        return rows
    from_sync = not fmt.startswith(SYNC_FORMAT_PREFIX)  # a file meets the lines of syncs, and back
    days = sorted({tx.booking_date for tx, _, _ in rows})
    stored: Counter[tuple[date, Decimal]] = repo.line_counts_by_day_and_amount(
        company_id, account_id, days, from_sync=from_sync
    )
    kept = []
    for row in rows:
        key = (row[0].booking_date, row[0].amount)
        if stored[key] > 0:
            stored[key] -= 1
        else:
            kept.append(row)
    return kept


def store_statements(
    uow: UnitOfWork,
    company_id: int,
    fmt: str,
    statements: Sequence[tuple[str, Statement]],
    problems: Sequence[Problem] = (),
    *,
    sha256: str,
    filename: str = "",
    actor: str = "",
) -> BankImportResult:
    """Store the new transactions of ``(iban, statement)`` pairs in one transaction (files and bank
    feeds alike): dedupe keys skip what is already stored, the closing balance updates the account."""
    new_total = dup_total = 0
    with uow() as repo:
        accounts = []
        for iban, stmt in statements:
            account_id = repo.get_or_create_account(company_id, iban, bic=stmt.bic, currency=stmt.currency)
            accounts.append(iban)
            seen: Counter[str] = Counter()
            keyed: list[tuple[BankTransaction, str, str]] = []
            for tx in stmt.transactions:
                base = dedupe_key(iban, tx, 0)
                key = dedupe_key(iban, tx, seen[base])
                if tx.bank_ref and seen[base]:  # a bank that reuses a reference within one file
                    key = f"{base}#{seen[base]}"
                seen[base] += 1
                keyed.append((tx, transaction_id_of(tx, key), key))
            existing = repo.existing_dedupe_keys(company_id, account_id, [k for _, _, k in keyed])
            fresh = _not_from_the_other_source(
                repo, company_id, account_id, fmt, [row for row in keyed if row[2] not in existing]
            )
            new_total += len(fresh)
            dup_total += len(keyed) - len(fresh)
            if fresh:
                file_id = repo.add_statement_file(
                    company_id,
                    sha256=sha256,
                    filename=filename[:300],
                    fmt=fmt,
                    new=len(fresh),
                    duplicates=len(keyed) - len(fresh),
                )
                repo.add_transactions(company_id, account_id, fresh, file_id)
            if stmt.closing_balance is not None:
                day = stmt.closing_date or max((t.booking_date for t in stmt.transactions), default=None)
                if day is not None:
                    repo.set_account_balance(company_id, account_id, stmt.closing_balance, day)
        if new_total:
            audit.record(
                repo,
                company_id,
                "bank.imported",
                "statement_file",
                sha256[:16],
                {
                    "format": fmt,
                    "new": new_total,
                    "duplicates": dup_total,
                    "filename": filename[:100],
                },
                actor=actor,
            )
    return BankImportResult(fmt, tuple(accounts), new_total, dup_total, tuple(problems))
