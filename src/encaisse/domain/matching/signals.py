"""Signals: how well a hypothesis (some items for one transaction) fits, as log-odds weights.

Each signal adds a weight to a logit starting at :data:`PRIOR`; the score is its logistic.
Weights are hand-set and tuned on ``bench/reconcile_inmemory.py``; they read as evidence:
a reference found in the libellé is strong, an amount alone is weak unless it is unique.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from encaisse.domain.matching.model import MatchConfig, PartyId

PRIOR = -4.0
REFERENCE_WEIGHT = {
    "rf": 9.0,
    "full": 7.5,
    "digits": 6.5,
    "groups": 6.0,
    "fuzzy": 4.5,
    "sequence": 3.5,
}
PARTY_WEIGHT = {"iban": 4.0, "alias": 4.0}
AMBIGUITY_MARGIN = 2.5


class AmountRelation(StrEnum):
    EXACT = "exact"
    ROUNDING = "rounding"
    DISCOUNT = "discount"
    FEES = "fees"
    PARTIAL = "partial"
    OVER = "over"


_DISCOUNT_PERMILLE = (10, 15, 20, 25, 30)  # 1 %, 1,5 %, 2 %, 2,5 %, 3 %


def classify_amount(paid: int, due: int, config: MatchConfig) -> AmountRelation:
    """Relation between a paid amount and the amount due (both positive cents; integer maths).

    >>> classify_amount(98000, 100000, MatchConfig())  # 2 % early-payment discount
    <AmountRelation.DISCOUNT: 'discount'>
    >>> classify_amount(99250, 100000, MatchConfig())  # 7,50 € of bank fees
    <AmountRelation.FEES: 'fees'>
    >>> classify_amount(40000, 100000, MatchConfig())
    <AmountRelation.PARTIAL: 'partial'>
    """
    gap = due - paid
    if gap == 0:
        return AmountRelation.EXACT
    if -config.rounding_cents <= gap <= config.rounding_cents:
        return AmountRelation.ROUNDING
    if gap < 0:
        return AmountRelation.OVER
    if gap * 1000 <= due * 31 and discount_rate(paid, due):
        return AmountRelation.DISCOUNT
    if gap <= config.max_fee_cents and gap * 4 <= due:
        return AmountRelation.FEES
    return AmountRelation.PARTIAL


def discount_rate(paid: int, due: int) -> Decimal:
    """The round early-payment discount rate (in %) that turns ``due`` into ``paid``, else 0.

    ``paid`` must equal ``due × (1 − rate)`` to the cent (either rounding direction).
    """
    for permille in _DISCOUNT_PERMILLE:
        if abs(due * (1000 - permille) - paid * 1000) <= 1000:
            return Decimal(permille) / 10
    return Decimal(0)


def amount_weight(relation: AmountRelation, *, referenced: bool, group_size: int) -> float:
    """Weight of the amount relation; a partial or over-payment needs a reference to be likely."""
    if relation is AmountRelation.EXACT:
        return 3.5 if group_size <= 1 else 3.0
    if relation is AmountRelation.ROUNDING:
        return 2.5
    if relation in (AmountRelation.DISCOUNT, AmountRelation.FEES):
        return 1.5 if referenced else 0.5
    if relation is AmountRelation.PARTIAL:
        return 1.0 if referenced else -2.5
    return 0.5 if referenced else -3.0  # OVER


class PartyEvidence(NamedTuple):
    """Why the transaction seems to come from a party: its IBAN, a learned alias or its name.

    A named tuple (immutable, cheap to build: several per bank line).
    """

    party_id: PartyId
    kind: str  # "iban" | "alias" | "name"
    similarity: float = 100.0  # name similarity 0-100 (100 for iban/alias)


def party_weight(evidence: PartyEvidence | None, *, name_given: bool) -> float:
    if evidence is None:
        return -1.5 if name_given else 0.0
    if evidence.kind in PARTY_WEIGHT:
        return PARTY_WEIGHT[evidence.kind]
    sim = evidence.similarity
    if sim >= 95:
        return 3.0
    if sim >= 88:
        return 2.2
    if sim >= 80:
        return 1.2
    if sim >= 72:
        return 0.4
    return -1.5 if name_given else 0.0


def uniqueness_weight(same_amount_count: int) -> float:
    """Amount-only evidence: a unique open amount helps, a common one hurts."""
    if same_amount_count <= 1:
        return 1.0
    return -math.log2(same_amount_count)


def timing_weight(booking: date, issue: date, due: date, slack_days: int = 5) -> float:
    """A payment before the invoice exists is unlikely (very, beyond a few days), long after its due date less likely."""
    if booking < issue:
        return -4.0 if (issue - booking).days > slack_days else -1.0
    if (booking - due).days > 365:
        return -1.0
    return 0.0


def logistic(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
