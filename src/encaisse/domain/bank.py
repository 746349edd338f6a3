"""Bank accounts, statements and transactions as plain data.

Amounts are signed from the account holder's point of view: credits positive, debits negative.
``bank_ref`` is the bank's own entry reference (CAMT AcctSvcrRef, OFX FITID, MT940 bank
reference); formats without one leave it empty and the store derives a stable dedupe key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from encaisse.domain.errors import Problem


@dataclass(frozen=True)
class BankTransaction:
    booking_date: date
    amount: Decimal
    currency: str = "EUR"
    value_date: date | None = None
    counterparty_name: str = ""
    counterparty_iban: str = ""
    remittance: str = ""  # unstructured remittance text (libellé)
    structured_reference: str = ""  # e.g. an ISO 11649 RF reference (CdtrRefInf)
    end_to_end_id: str = ""
    bank_ref: str = ""
    bank_code: str = ""  # bank transaction code / OFX TRNTYPE / CFONB operation code
    account_iban: str = ""
    id: int | None = None


@dataclass(frozen=True)
class Statement:
    """One account's statement (a file may hold several)."""

    account_iban: str
    currency: str = "EUR"
    transactions: tuple[BankTransaction, ...] = ()
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    opening_date: date | None = None
    closing_date: date | None = None
    statement_id: str = ""
    bic: str = ""
    account_holder: str = ""


@dataclass(frozen=True)
class StatementFile:
    """What a statement parser returns: the statements, the name of the format, and the
    non-fatal problems met while reading (e.g. amounts with more than 2 decimals)."""

    format: str
    statements: tuple[Statement, ...] = field(default_factory=tuple)
    problems: tuple[Problem, ...] = ()


def dedupe_key(account_iban: str, tx: BankTransaction, occurrence: int) -> str:
    """Stable key: the bank's reference, else a hash of account, dates, amount, text, occurrence.

    ``occurrence`` is the position of ``tx`` among identical transactions of the same file,
    so two genuinely identical payments on one day are both kept, and a re-import adds nothing.
    """
    if tx.bank_ref:
        return f"ref:{account_iban}:{tx.bank_ref}"
    raw = "|".join(
        [
            account_iban,
            tx.booking_date.isoformat(),
            (tx.value_date or tx.booking_date).isoformat(),
            f"{tx.amount:.2f}",
            " ".join(tx.remittance.split()),
            " ".join(tx.counterparty_name.split()),
            str(occurrence),
        ]
    )
    return "h:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def balance_problems(stmt: Statement) -> list[str]:
    """Opening + Σ transactions must equal closing when both balances are given."""
    if stmt.opening_balance is None or stmt.closing_balance is None:
        return []
    total = sum((t.amount for t in stmt.transactions), Decimal(0))
    if stmt.opening_balance + total != stmt.closing_balance:
        return [
            f"opening balance {stmt.opening_balance} + transactions {total} "
            f"!= closing balance {stmt.closing_balance}"
        ]
    return []
