"""The reconciliation engine: bank transactions × open items → proposals with French reasons.

Pipeline (each stage a module, testable alone): :mod:`normalize` → :mod:`candidates` (indexes)
→ :mod:`hypotheses` (signals from :mod:`signals`) → :mod:`allocation` → :mod:`explain`.

Two passes, both in a canonical order (booking date, then transaction key), so the result does not
depend on the order of the inputs:

1. transactions whose libellé names an open item; their confident matches settle the items and
   teach the engine the payer's IBAN (for this run only);
2. all other transactions, with those IBANs known.

Only confident proposals settle items (lowering what later transactions can take); the others
are suggestions for a person to confirm (SCENARIOS §4: "what is uncertain waits for one click").
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from itertools import islice

from encaisse.domain.bank import BankTransaction
from encaisse.domain.matching.allocation import spread
from encaisse.domain.matching.candidates import (
    CREDIT_KINDS,
    DEBIT_KINDS,
    ItemIndex,
    ReferenceHit,
    build_index,
    parties_by_name,
    reference_hits,
    to_cents,
)
from encaisse.domain.matching.explain import ambiguity_reason, cents_to_eur, explanation
from encaisse.domain.matching.hypotheses import Hypothesis, TxView, fuzzy_hits, generate, sequence_hits
from encaisse.domain.matching.hypotheses import reasons as hypothesis_reasons
from encaisse.domain.matching.model import (
    Alias,
    Allocation,
    ItemId,
    MatchConfig,
    MatchResult,
    OpenItem,
    PartyId,
    Proposal,
    Reason,
    TransactionKey,
)
from encaisse.domain.matching.normalize import (
    normalize_name,
    normalize_text,
    parse_libelle,
    token_numbers,
    token_windows,
)
from encaisse.domain.matching.signals import AMBIGUITY_MARGIN, AmountRelation, PartyEvidence, logistic

_WRITEOFF = {
    AmountRelation.FEES: "fees",
    AmountRelation.DISCOUNT: "discount",
    AmountRelation.ROUNDING: "rounding",
}
_MAX_NAME_PARTIES = 3
_MAX_AMOUNT_CANDIDATES = 30


def transaction_key(tx: BankTransaction) -> TransactionKey:
    """The transaction's identity in proposals: its store id, else the bank's reference."""
    return tx.id if tx.id is not None else tx.bank_ref


def compact_iban(iban: str) -> str:
    return "".join(iban.split()).upper()


@dataclass
class _Run:
    """Mutable state of one :func:`match` call (never escapes it)."""

    config: MatchConfig
    credit: ItemIndex
    debit: ItemIndex
    aliases: dict[str, PartyId]
    ibans: dict[str, PartyId]


def match(
    transactions: Iterable[BankTransaction],
    items: Iterable[OpenItem],
    *,
    aliases: Iterable[Alias] = (),
    ibans: Mapping[str, PartyId] | None = None,
    today: date,
    threshold: float | None = None,
    config: MatchConfig | None = None,
) -> MatchResult:
    """Propose, for each transaction, the items it settles (see module docstring).

    ``ibans`` maps known IBANs to parties; ``aliases`` are confirmed counterparty texts.
    Items issued after ``today`` (drafts dated ahead) are ignored. ``threshold`` overrides
    ``config.threshold``: a proposal is ``confident`` when its score reaches it.
    """
    with _collector_paused():
        return _match(transactions, items, aliases, ibans, today, threshold, config)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector during a run, as it was before afterwards.

    A run allocates millions of small objects, almost none in a reference cycle (reference
    counting frees them; the few cycles wait for the collector to resume); each full collection
    would still walk every live object of the process: about a tenth of a run at 100 000 items.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _match(
    transactions: Iterable[BankTransaction],
    items: Iterable[OpenItem],
    aliases: Iterable[Alias],
    ibans: Mapping[str, PartyId] | None,
    today: date,
    threshold: float | None,
    config: MatchConfig | None,
) -> MatchResult:
    cfg = config or MatchConfig()
    if threshold is not None:
        cfg = replace(cfg, threshold=threshold)
    current = [i for i in items if i.issue_date <= today]
    run = _Run(
        config=cfg,
        credit=build_index(current, CREDIT_KINDS),
        debit=build_index(current, DEBIT_KINDS),
        aliases={
            a.text_normalized: a.party_id
            for a in sorted(aliases, key=lambda a: (a.text_normalized, str(a.party_id)))
        },
        ibans={compact_iban(k): v for k, v in sorted((ibans or {}).items())},
    )
    ordered = sorted((t for t in transactions if t.amount != 0), key=_tx_order)
    proposals: dict[int, Proposal] = {}
    later: dict[int, TxView] = {}  # views kept for pass 2 only (memory: 100k+ transactions)
    learned: dict[str, set[PartyId]] = {}
    for position, tx in enumerate(ordered):
        view = _view(tx, run)
        if view.exact_hits:
            _add_party_evidence(tx, view, run)
            proposal = _evaluate(tx, view, run)
            if proposal is not None:
                proposals[position] = proposal
                if proposal.confident:
                    if tx.counterparty_iban and proposal.party_id is not None:
                        learned.setdefault(compact_iban(tx.counterparty_iban), set()).add(proposal.party_id)
                    continue
        later[position] = view
    for iban, parties in sorted(learned.items()):
        if len(parties) == 1 and iban not in run.ibans:
            run.ibans[iban] = next(iter(parties))
    for position, view in later.items():
        tx = ordered[position]
        _add_party_evidence(tx, view, run)
        proposal = _evaluate(tx, view, run)
        if proposal is not None:
            proposals[position] = proposal
        del view.windows[:]  # done with this transaction's text
    unmatched = tuple(transaction_key(tx) for pos, tx in enumerate(ordered) if pos not in proposals)
    return MatchResult(tuple(proposals[p] for p in sorted(proposals)), unmatched)


def _tx_order(tx: BankTransaction) -> tuple[object, ...]:
    return (tx.booking_date, str(transaction_key(tx)), tx.amount, tx.remittance, tx.counterparty_name)


def _view(tx: BankTransaction, run: _Run) -> TxView:
    supplier = tx.amount < 0
    index = run.debit if supplier else run.credit
    name = tx.counterparty_name or parse_libelle(tx.remittance).name
    extra = tx.end_to_end_id if tx.end_to_end_id.upper() != "NOTPROVIDED" else ""
    text = " ".join(p for p in (tx.remittance, tx.structured_reference, extra) if p)
    tokens = normalize_text(text).split()
    windows = token_windows(tokens)
    exact = reference_hits(index, windows, include_settled=True)
    return TxView(
        paid=abs(to_cents(tx.amount)),
        booking=tx.booking_date,
        name=name,
        normalized_name=normalize_name(name),
        text=text,
        windows=windows,
        exact_hits=exact,
        supplier=supplier,
        numbers=frozenset(n for n in token_numbers(tokens) if len(n) >= 2),
    )


def _add_party_evidence(tx: BankTransaction, view: TxView, run: _Run) -> None:
    index = run.debit if view.supplier else run.credit
    parties: dict[PartyId, PartyEvidence] = {}
    iban_party = run.ibans.get(compact_iban(tx.counterparty_iban)) if tx.counterparty_iban else None
    if iban_party is not None and iban_party in index.by_party:
        parties[iban_party] = PartyEvidence(iban_party, "iban")
    alias_party = run.aliases.get(view.normalized_name) if view.normalized_name else None
    if alias_party is not None and alias_party in index.by_party and alias_party not in parties:
        parties[alias_party] = PartyEvidence(alias_party, "alias")
    if view.name:
        for party_id, sim in parties_by_name(index, view.name, limit=_MAX_NAME_PARTIES):
            if sim >= run.config.name_min_similarity and party_id not in parties:
                parties[party_id] = PartyEvidence(party_id, "name", sim)
    view.parties = parties


def _evaluate(tx: BankTransaction, view: TxView, run: _Run) -> Proposal | None:
    index = run.debit if view.supplier else run.credit
    hits: dict[ItemId, ReferenceHit] = {i: h for i, h in view.exact_hits.items() if index.remaining[i] != 0}
    party_items: dict[PartyId, list[ItemId]] = {}
    party_cents: dict[PartyId, list[int]] = {}
    for party_id in view.parties:
        slots = index.open_slots_of(party_id, run.config.max_party_items)
        if slots:
            ids, cents = index.by_party[party_id], index.party_cents[party_id]
            party_items[party_id] = [ids[s] for s in slots]
            party_cents[party_id] = [cents[s] for s in slots]
        else:
            party_items[party_id], party_cents[party_id] = [], []
    by_party = [i for items in party_items.values() for i in items]
    same_amount = index.by_amount.get(view.paid, {})
    by_amount = [i for i in islice(same_amount, _MAX_AMOUNT_CANDIDATES) if i not in hits]
    found = fuzzy_hits(view, index, by_amount, all_windows=True) if by_amount else {}
    if not hits and by_party:
        found.update(fuzzy_hits(view, index, by_party, all_windows=False))
    if view.numbers is None or view.numbers:  # a bare counter may name a candidate
        found.update(sequence_hits(view, index, by_amount + by_party))
    for item_id, hit in found.items():
        hits.setdefault(item_id, hit)
    hypotheses = generate(view, index, run.config, hits, party_items, party_cents=party_cents)
    if not hypotheses:
        return None
    order = index.order

    def rank(h: Hypothesis) -> tuple[float, list[int]]:  # most likely first, then oldest items
        return (-h.logit, [order[i] for i in h.items])

    best = min(hypotheses, key=rank)  # ranks are distinct: no two hypotheses hold the same items
    reasons = hypothesis_reasons(best, view, index)
    logit = best.logit
    best_items = set(best.items)
    rival = min((h for h in hypotheses if set(h.items) != best_items), key=rank, default=None)
    if rival is not None:
        penalty = max(0.0, AMBIGUITY_MARGIN - (best.logit - rival.logit))
        if penalty > 0:
            logit -= penalty
            reasons.append(ambiguity_reason([index.items[i].number for i in rival.items]))
    return _proposal(tx, view, index, run.config, best, logit, reasons)


def _proposal(
    tx: BankTransaction,
    view: TxView,
    index: ItemIndex,
    config: MatchConfig,
    best: Hypothesis,
    logit: float,
    reasons: Sequence[Reason],
) -> Proposal:
    score = round(logistic(logit), 6)
    confident = score >= config.threshold
    cents, excess = spread(view.paid, [(i, index.remaining[i]) for i in best.items])
    writeoff_kind = _WRITEOFF.get(best.relation, "") if view.paid < best.due else ""
    writeoff = best.due - view.paid if writeoff_kind else 0
    allocations = tuple(
        Allocation(item_id, index.items[item_id].number, cents_to_eur(amount)) for item_id, amount in cents
    )
    if confident:
        for item_id, amount in cents:
            index.settle(item_id, amount)
        if writeoff:  # the explained difference closes the items
            for item_id in best.items:
                if index.remaining[item_id] != 0:
                    index.settle(item_id, index.remaining[item_id])
    reason_tuple = tuple(reasons)
    return Proposal(
        transaction_id=transaction_key(tx),
        allocations=allocations,
        score=score,
        reasons=reason_tuple,
        explanation_fr=explanation(reason_tuple),
        confident=confident,
        party_id=best.party_id,
        writeoff=cents_to_eur(writeoff),
        writeoff_kind=writeoff_kind,
        excess=cents_to_eur(excess) if excess else Decimal("0.00"),
    )
