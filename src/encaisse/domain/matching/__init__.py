"""Reconciliation of bank transactions with open invoices (SCENARIOS §4 "The bank, reconciled").

Pipeline of small stages, each a module: :mod:`.normalize` (names, libellés, references) →
:mod:`.candidates` (indexes by amount, reference, party) → :mod:`.hypotheses` scored by
:mod:`.signals` → :mod:`.allocation` (spread, subset-sum) → :mod:`.explain` (French reasons);
:mod:`.engine` runs them. :mod:`.rules` categorises lines that settle no invoice;
:mod:`.learning` turns a confirmation into an alias.
"""

from encaisse.domain.matching.engine import match, transaction_key
from encaisse.domain.matching.learning import learn_alias, learn_iban
from encaisse.domain.matching.model import (
    Alias,
    Allocation,
    ItemKind,
    MatchConfig,
    MatchResult,
    OpenItem,
    Proposal,
    Reason,
)
from encaisse.domain.matching.rules import DEFAULT_RULES, CategoryRule, categorize, rule_from_example

__all__ = [
    "DEFAULT_RULES",
    "Alias",
    "Allocation",
    "CategoryRule",
    "ItemKind",
    "MatchConfig",
    "MatchResult",
    "OpenItem",
    "Proposal",
    "Reason",
    "categorize",
    "learn_alias",
    "learn_iban",
    "match",
    "rule_from_example",
    "transaction_key",
]
