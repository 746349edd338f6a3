"""Categorisation rules for bank lines that settle no invoice (fees, salaries, taxes, rent, loans).

A rule is the stable words of a libellé, a sign, an optional amount range, a category and the
French chart-of-accounts (PCG) account to post it to. A rule is learnt from ONE example: the
words that will recur next month are kept, dates, amounts and references are dropped
(SCENARIOS §4: "categorised by rules made from one example").

>>> from datetime import date
>>> tx = BankTransaction(date(2026, 3, 5), Decimal("-1843.00"),
...                      remittance="PRLV SEPA URSSAF ILE DE FRANCE /MOTIF COTISATIONS 02/2026 REF 88412")
>>> rule = rule_from_example(tx, "social_charges")
>>> sorted(rule.tokens), rule.pcg_account
(['COTISATIONS', 'FRANCE', 'ILE', 'PRLV', 'SEPA', 'URSSAF'], '431')
>>> later = BankTransaction(date(2026, 4, 5), Decimal("-1907.12"),
...                         remittance="PRLV SEPA URSSAF ILE DE FRANCE /MOTIF COTISATIONS 03/2026 REF 90215")
>>> categorize(later, [rule]).category
'social_charges'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from encaisse.domain.bank import BankTransaction
from encaisse.domain.matching.normalize import normalize_text

# Default PCG accounts by category (Plan comptable général, classes 4 and 6).
PCG_ACCOUNTS = {
    "bank_fees": "627",  # services bancaires
    "salaries": "421",  # personnel - rémunérations dues
    "social_charges": "431",  # sécurité sociale (URSSAF)
    "vat": "44551",  # TVA à décaisser
    "taxes": "447",  # autres impôts (DGFIP)
    "rent": "613",  # locations
    "loan": "164",  # emprunts auprès des établissements de crédit
    "insurance": "616",  # primes d'assurance
    "card_settlement": "58",  # virements internes / remises CB en attente
    "other": "471",  # compte d'attente
}
_NOISE = frozenset({"DE", "DU", "DES", "LA", "LE", "LES", "ET", "A", "AU", "REF", "MOTIF", "DATE", "NO", "N"})
_MONTHS = frozenset(
    {"JAN", "JANV", "JANVIER", "FEV", "FEVR", "FEVRIER", "MARS", "AVR", "AVRIL", "MAI", "JUIN", "JUIL",
     "JUILLET", "AOUT", "SEPT", "SEPTEMBRE", "OCT", "OCTOBRE", "NOV", "NOVEMBRE", "DEC", "DECEMBRE"}
)  # fmt: skip


@dataclass(frozen=True)
class CategoryRule:
    """Match when all ``tokens`` are in the libellé, the sign agrees and the amount is in range.

    ``sign`` is 1 (credits), -1 (debits) or 0 (both); bounds apply to the absolute amount.
    """

    tokens: frozenset[str]
    category: str
    pcg_account: str
    sign: int = 0
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None

    def matches(self, tx: BankTransaction, words: frozenset[str]) -> bool:
        if self.sign and (tx.amount > 0) != (self.sign > 0):
            return False
        value = abs(tx.amount)
        if self.min_amount is not None and value < self.min_amount:
            return False
        if self.max_amount is not None and value > self.max_amount:
            return False
        return self.tokens <= words


def stable_tokens(text: str) -> frozenset[str]:
    """Words likely to recur on the next occurrence: no digits, no month names, no filler."""
    return frozenset(
        t
        for t in normalize_text(text).split()
        if len(t) >= 2 and not any(c.isdigit() for c in t) and t not in _NOISE and t not in _MONTHS
    )


def _words(tx: BankTransaction) -> frozenset[str]:
    return stable_tokens(f"{tx.remittance} {tx.counterparty_name}")


def rule_from_example(
    tx: BankTransaction,
    category: str,
    *,
    pcg_account: str | None = None,
    amount_tolerance: Decimal | None = None,
) -> CategoryRule:
    """Learn a rule from ONE categorised transaction.

    Keeps the stable words of the libellé and counterparty, the sign of the amount and, when
    ``amount_tolerance`` is given (e.g. ``Decimal("0.10")`` for a fixed rent), a range of ±10 %.
    """
    tokens = _words(tx)
    if not tokens:
        raise ValueError("the libellé holds no stable word to build a rule from")
    low = high = None
    if amount_tolerance is not None:
        base = abs(tx.amount)
        low, high = base * (1 - amount_tolerance), base * (1 + amount_tolerance)
    return CategoryRule(
        tokens=tokens,
        category=category,
        pcg_account=pcg_account or PCG_ACCOUNTS.get(category, PCG_ACCOUNTS["other"]),
        sign=1 if tx.amount > 0 else -1,
        min_amount=low,
        max_amount=high,
    )


def categorize(tx: BankTransaction, rules: Iterable[CategoryRule]) -> CategoryRule | None:
    """The most specific matching rule (most words, then bounded amount), or None."""
    words = _words(tx)
    best: CategoryRule | None = None
    best_key: tuple[int, int, str] = (-1, -1, "")
    for rule in rules:
        if rule.matches(tx, words):
            key = (len(rule.tokens), int(rule.min_amount is not None), rule.category)
            if key > best_key:
                best, best_key = rule, key
    return best


DEFAULT_RULES: tuple[CategoryRule, ...] = (
    CategoryRule(frozenset({"FRAIS"}), "bank_fees", "627", sign=-1),
    CategoryRule(frozenset({"COMMISSION"}), "bank_fees", "627", sign=-1),
    CategoryRule(frozenset({"COMMISSIONS"}), "bank_fees", "627", sign=-1),
    CategoryRule(frozenset({"COTISATION"}), "bank_fees", "627", sign=-1),
    CategoryRule(frozenset({"URSSAF"}), "social_charges", "431", sign=-1),
    CategoryRule(frozenset({"DGFIP", "TVA"}), "vat", "44551", sign=-1),
    CategoryRule(frozenset({"DGFIP"}), "taxes", "447", sign=-1),
    CategoryRule(frozenset({"SALAIRE"}), "salaries", "421", sign=-1),
    CategoryRule(frozenset({"LOYER"}), "rent", "613", sign=-1),
    CategoryRule(frozenset({"ECHEANCE", "PRET"}), "loan", "164", sign=-1),
    CategoryRule(frozenset({"REMISE", "CB"}), "card_settlement", "58", sign=1),
)
