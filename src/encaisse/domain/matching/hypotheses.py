"""Hypotheses: which items one transaction may settle, each scored with its reasons.

A hypothesis is a set of items of one party. Three sources propose them:
1. items whose number appears in the libellé (grouped per party: one or several invoices);
2. single items of the recognised party or of the exact amount;
3. grouped payments of the recognised party found by a bounded subset-sum.
Each is scored by :mod:`signals`; the best wins, penalised when a rival comes close.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import islice
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA

from encaisse.domain.matching.allocation import subset_sums
from encaisse.domain.matching.candidates import ItemIndex, ReferenceHit, name_similarity
from encaisse.domain.matching.explain import (
    amount_reason,
    party_reason,
    reference_reason,
    timing_reason,
    uniqueness_reason,
)
from encaisse.domain.matching.model import ItemId, MatchConfig, PartyId, Reason
from encaisse.domain.matching.normalize import Window, short_numbers
from encaisse.domain.matching.signals import (
    AMBIGUITY_MARGIN,
    PRIOR,
    REFERENCE_WEIGHT,
    AmountRelation,
    PartyEvidence,
    amount_weight,
    classify_amount,
    discount_rate,
    party_weight,
    timing_weight,
    uniqueness_weight,
)

_MAX_AMOUNT_CANDIDATES = 30


@dataclass
class TxView:
    """What the hypotheses need to know of one transaction, computed once."""

    paid: int  # positive cents
    booking: date
    name: str  # counterparty name as given by the bank (or parsed from the libellé)
    normalized_name: str
    text: str  # remittance + structured reference + end-to-end id
    windows: list[Window]
    exact_hits: dict[ItemId, ReferenceHit]  # including settled items (they consume their window)
    supplier: bool
    parties: dict[PartyId, PartyEvidence] = field(default_factory=dict)
    name_cache: dict[PartyId, PartyEvidence | None] = field(default_factory=dict)  # name-only evidence
    numbers: frozenset[str] | None = None  # short numbers of ``text`` (sequence_hits derives them if None)


class Hypothesis(NamedTuple):
    """One scored hypothesis (a named tuple: immutable, and cheap to build by the hundred thousand)."""

    items: tuple[ItemId, ...]
    party_id: PartyId
    logit: float
    relation: AmountRelation
    due: int  # cents, sum of the items' remaining amounts
    hits: tuple[ReferenceHit, ...]
    evidence: PartyEvidence | None
    same_amount: int  # open items of exactly this amount (amount-only hypotheses), else 0


# The highest log-odds :func:`score` can give ONE item named by no reference: exact amount, the
# strongest party evidence, a unique amount (timing weights are never positive). Once a hypothesis
# beats it by more than the ambiguity margin, such items can be neither the best nor a close rival.
UNREFERENCED_SINGLE_MAX = (
    PRIOR
    + max(amount_weight(r, referenced=False, group_size=1) for r in AmountRelation)
    + max(party_weight(PartyEvidence(0, kind), name_given=True) for kind in ("iban", "alias", "name"))
    + uniqueness_weight(1)
)
_PRUNE_ABOVE = UNREFERENCED_SINGLE_MAX + AMBIGUITY_MARGIN + 1e-6


def fuzzy_hits(
    view: TxView, index: ItemIndex, candidates: list[ItemId], *, all_windows: bool
) -> dict[ItemId, ReferenceHit]:
    """One-edit (OSA: substitution, insertion, deletion, transposition) matches of candidates' numbers.

    Only ``candidates`` are compared (a few items: the recognised party's, those of the exact
    amount). Unless ``all_windows``, windows that already name an item exactly are skipped:
    "F2026-00124" must not also fuzzily name F2026-00123. With ``all_windows`` (used for the
    exact-amount candidates) a typo that happens to name another invoice still lets the invoice
    of the right amount compete.
    """
    used = {h.text for h in view.exact_hits.values()} if not all_windows else set()
    lengths = index.key_lengths
    windows = [
        w
        for w in view.windows
        if w.raw not in used
        and (len(w.key) in lengths or len(w.key) - 1 in lengths or len(w.key) + 1 in lengths)
    ]
    hits: dict[ItemId, ReferenceHit] = {}
    if not windows:
        return hits
    pool: list[ItemId] = []
    keys: list[str] = []
    for item_id in dict.fromkeys(candidates):
        key = index.keys_of[item_id]
        if len(key) >= 6 and item_id not in view.exact_hits:
            pool.append(item_id)
            keys.append(key)
    if not pool:
        return hits
    digit_keys = [index.digits_of[i] for i in pool]
    for w in windows:
        probes = [(w.key, keys)] + ([(w.digits, digit_keys)] if w.digits else [])
        for probe, choices in probes:
            for _, distance, position in process.extract(
                probe, choices, scorer=OSA.distance, score_cutoff=1, limit=None
            ):
                if distance <= 1 and choices[position]:
                    hits.setdefault(pool[position], ReferenceHit(pool[position], "fuzzy", w.raw))
    return hits


def sequence_hits(view: TxView, index: ItemIndex, candidates: list[ItemId]) -> dict[ItemId, ReferenceHit]:
    """A bare counter ("00123") names a candidate only if it is unique among its party's open items."""
    hits: dict[ItemId, ReferenceHit] = {}
    numbers = view.numbers
    if numbers is None:
        numbers = view.numbers = frozenset(n for n in short_numbers(view.text) if len(n) >= 2)
    if not numbers:
        return hits
    # the candidates bearing one of the numbers: through the counter index when it is the shorter way
    postings = [index.by_sequence.get(n, ()) for n in sorted(numbers)]
    bearing = sum(map(len, postings))
    if bearing == 0:
        return hits
    if bearing <= len(candidates):
        wanted = set(candidates)
        named = [i for ids in postings for i in ids if i in wanted]
    else:
        named = [i for i in candidates if index.sequence_of[i] in numbers]
    for item_id in named:
        if item_id in hits:
            continue
        seq = index.sequence_of[item_id]
        party_id = index.items[item_id].party_id
        ids = [i for i in index.sequence_of_party.get((party_id, seq), ()) if index.remaining[i] != 0]
        if ids == [item_id]:
            hits[item_id] = ReferenceHit(item_id, "sequence", seq)
    return hits


def generate(
    view: TxView,
    index: ItemIndex,
    config: MatchConfig,
    hits: dict[ItemId, ReferenceHit],
    party_items: dict[PartyId, list[ItemId]],
    *,
    party_cents: dict[PartyId, list[int]] | None = None,
    prune: bool = True,
) -> list[Hypothesis]:
    """The scored hypotheses for one transaction (unsorted); ``party_items`` are the open items
    of the parties in ``view.parties`` (oldest first), ``party_cents`` their remaining amounts
    (looked up in the index when not given).

    With ``prune``, single items named by no reference are not scored once a hypothesis beats
    :data:`UNREFERENCED_SINGLE_MAX` by more than the ambiguity margin: they could be neither the
    best nor a rival close enough to matter, so the decision is the same as without pruning.
    """
    out: list[Hypothesis] = []
    seen: set[tuple[ItemId, ...]] = set()
    best = -math.inf
    remaining = index.remaining

    def add(key: tuple[ItemId, ...], unique_group: bool | None = None) -> None:
        nonlocal best
        if key not in seen:
            seen.add(key)
            hypothesis = score(view, index, config, key, hits, unique_group)
            out.append(hypothesis)
            best = max(best, hypothesis.logit)

    by_party: dict[PartyId, list[ItemId]] = defaultdict(list)
    for item_id in sorted(hits, key=index.order.__getitem__) if hits else ():
        by_party[index.items[item_id].party_id].append(item_id)
    for ids in by_party.values():
        ids = ids[: config.max_subset_items]
        add(tuple(ids))
        if len(ids) > 1:
            for single in ids:
                add((single,))
            pool = [(i, remaining[i]) for i in ids]
            for combo in subset_sums(view.paid, pool, max_size=len(ids) - 1):
                add(combo)

    paid = view.paid
    # close enough to be a full settlement (fees, discount, rounding), or the only open item
    low, high = paid - config.rounding_cents, paid + max(config.max_fee_cents, paid // 30)
    if party_cents is None:
        party_cents = {p: [remaining[i] for i in items] for p, items in party_items.items()}
    for party_id, items in party_items.items():
        if len(items) == 1:
            close = items
        else:
            close = [items[k] for k, cents in enumerate(party_cents[party_id]) if low <= cents <= high]
        for item_id in close:
            if not (prune and best > _PRUNE_ABOVE) or item_id in hits:
                add((item_id,))
    for item_id in islice(index.by_amount.get(paid, {}), _MAX_AMOUNT_CANDIDATES):
        if prune and best > _PRUNE_ABOVE and item_id not in hits:
            continue  # cannot matter (see above): spare the lookups
        if remaining[item_id] > 0:
            add((item_id,))

    if best >= config.skip_search_logit:
        return out  # a grouped payment would not beat what is already there
    strongest = sorted(
        view.parties.values(), key=lambda e: (e.kind == "name", -e.similarity, str(e.party_id))
    )
    for evidence in strongest[:1]:
        if evidence.kind == "name" and evidence.similarity < 80:
            continue
        items, amounts = party_items[evidence.party_id], party_cents[evidence.party_id]
        if paid in amounts:
            continue
        pool = list(zip(items[: config.max_subset_items], amounts, strict=False))
        combos = subset_sums(paid, pool, max_size=config.max_subset_size)
        for combo in combos:
            add(combo, unique_group=len(combos) == 1)
    return out


def _evidence_for(
    view: TxView, index: ItemIndex, config: MatchConfig, party_id: PartyId
) -> PartyEvidence | None:
    evidence = view.parties.get(party_id)
    if evidence is None and view.normalized_name:
        if party_id in view.name_cache:
            return view.name_cache[party_id]
        sim = name_similarity(view.normalized_name, index.party_names[party_id])
        if sim >= config.name_min_similarity:
            evidence = PartyEvidence(party_id, "name", sim)
        view.name_cache[party_id] = evidence
    return evidence


def score(
    view: TxView,
    index: ItemIndex,
    config: MatchConfig,
    ids: tuple[ItemId, ...],
    hits: dict[ItemId, ReferenceHit],
    unique_group: bool | None = None,
) -> Hypothesis:
    """Log-odds of one hypothesis; the evidence is kept so :func:`reasons` can word it later."""
    first = index.items[ids[0]]
    logit = PRIOR
    if len(ids) == 1:
        hit = hits.get(ids[0])
        item_hits: tuple[ReferenceHit, ...] = () if hit is None else (hit,)
        due = index.remaining[ids[0]]
    else:
        item_hits = tuple(hits[i] for i in ids if i in hits)
        due = sum(index.remaining[i] for i in ids)
    if item_hits:
        weights = [REFERENCE_WEIGHT[h.kind] for h in item_hits]
        logit += min(weights) if len(item_hits) == len(ids) else max(weights) - 2.0
    paid = view.paid
    if due == paid:
        relation = AmountRelation.EXACT
    else:
        relation = classify_amount(paid, due, config) if due > 0 else AmountRelation.OVER
    logit += amount_weight(relation, referenced=bool(item_hits), group_size=len(ids))
    evidence = _evidence_for(view, index, config, first.party_id)
    logit += party_weight(evidence, name_given=bool(view.normalized_name))
    same_amount = 0
    if not item_hits and len(ids) == 1 and relation is AmountRelation.EXACT:
        if evidence is not None and party_weight(evidence, name_given=True) >= 2.0:
            # the payer is known: only its own items of this amount compete
            same_amount = index.by_party_amount.get((first.party_id, paid), 0)
        else:
            same_amount = len(index.by_amount.get(paid, {}))
        logit += uniqueness_weight(same_amount)
    if unique_group is not None and len(ids) > 1 and not item_hits:
        logit += 1.5 if unique_group else -1.0
    logit += timing_weight(view.booking, first.issue_date, first.due_date, config.issue_slack_days)
    return Hypothesis(ids, first.party_id, logit, relation, due, item_hits, evidence, same_amount)


def reasons(h: Hypothesis, view: TxView, index: ItemIndex) -> list[Reason]:
    """The French reasons of a scored hypothesis, strongest evidence first."""
    out = [reference_reason(hit.kind, index.items[hit.item_id].number, hit.text) for hit in h.hits]
    rate = discount_rate(view.paid, h.due) if h.relation is AmountRelation.DISCOUNT else Decimal(0)
    out.append(amount_reason(h.relation, paid=view.paid, due=h.due, count=len(h.items), rate=rate))
    ev = h.evidence
    if ev is not None and party_weight(ev, name_given=True) > 0:
        out.append(party_reason(ev.kind, supplier=view.supplier, name=view.name, similarity=ev.similarity))
    elif view.normalized_name:
        out.append(party_reason("other", supplier=view.supplier, name=view.name))
    if h.same_amount:
        out.append(uniqueness_reason(h.same_amount))
    first = index.items[h.items[0]]
    if timing_weight(view.booking, first.issue_date, first.due_date) < 0:
        out.append(timing_reason(late=view.booking > first.due_date))
    return out
