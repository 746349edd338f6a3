"""The cash position a forecast starts from: one balance per bank account, each with its date.

>>> from datetime import date
>>> from decimal import Decimal
>>> pos = cash_position([AccountBalance("FR76...", Decimal("1200.50"), date(2026, 3, 2)),
...                      AccountBalance("FR14...", Decimal("-200"), date(2026, 3, 3))])
>>> pos.total, pos.as_of
(Decimal('1000.50'), datetime.date(2026, 3, 3))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from encaisse.domain.bank import BankTransaction
from encaisse.domain.money import ZERO, round_money


@dataclass(frozen=True)
class AccountBalance:
    account_iban: str
    balance: Decimal  # EUR
    last_updated: date  # date of the last statement/sync that the balance reflects


@dataclass(frozen=True)
class CashPosition:
    as_of: date
    balances: tuple[AccountBalance, ...] = ()
    total: Decimal = ZERO

    @property
    def stale_accounts(self) -> tuple[AccountBalance, ...]:
        """Accounts whose balance is older than the position date (show "mis à jour le …")."""
        return tuple(b for b in self.balances if b.last_updated < self.as_of)


def cash_position(balances: Sequence[AccountBalance], as_of: date | None = None) -> CashPosition:
    """Sum of the balances; ``as_of`` defaults to the most recent update."""
    day = as_of or max((b.last_updated for b in balances), default=date.min)
    total = round_money(sum((b.balance for b in balances), ZERO))
    return CashPosition(as_of=day, balances=tuple(balances), total=total)


def balance_from_transactions(
    account_iban: str, opening: Decimal, transactions: Iterable[BankTransaction], as_of: date
) -> AccountBalance:
    """Balance of one account at the end of ``as_of`` from an opening balance and its movements."""
    moves = [t for t in transactions if t.booking_date <= as_of]
    last = max((t.booking_date for t in moves), default=as_of)
    return AccountBalance(account_iban, round_money(opening + sum((t.amount for t in moves), ZERO)), last)
