"""Candidate generation: indexes over open items so that no transaction scans every invoice.

One :class:`ItemIndex` per side (credits settle customer invoices and credit notes, debits settle
supplier invoices). Lookups are dictionary hits keyed by amount in cents, by reference keys
(:func:`normalize.reference_keys`), by party, and by name-token prefixes for the parties.
The index holds the *remaining* amount of each item; the engine lowers it as it allocates.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import compress, islice
from typing import NamedTuple, TypeVar

from rapidfuzz import fuzz, process

from encaisse.domain.matching.model import ItemId, ItemKind, OpenItem, PartyId
from encaisse.domain.matching.normalize import (
    Window,
    name_tokens,
    normalize_name,
    reference_keys,
    sequence_key,
)

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")
CREDIT_KINDS = frozenset({ItemKind.INVOICE, ItemKind.CREDIT_NOTE})
DEBIT_KINDS = frozenset({ItemKind.SUPPLIER_INVOICE})
_MAX_TOKEN_PARTIES = 400  # a name token shared by more parties than this says little
_MIN_PREFIX = 4
_HIT_RANK = {"rf": 0, "full": 1, "digits": 2, "groups": 3}  # keep the strongest way a number was found


def to_cents(amount: Decimal) -> int:
    """Euros → integer cents (amounts are already rounded to the cent by ``money.round_money``)."""
    return int((amount * 100).to_integral_value())


class ReferenceHit(NamedTuple):
    """How an item's number was found in a text (a named tuple: built for every hit)."""

    item_id: ItemId
    kind: str  # "rf" | "full" | "digits" | "groups" | "fuzzy" | "sequence"
    text: str  # the piece of text that matched


def item_signed_cents(item: OpenItem) -> int:
    """Remaining amount in cents, negative for a credit note."""
    cents = to_cents(item.amount_due)
    return -cents if item.kind is ItemKind.CREDIT_NOTE else cents


def item_sort_key(item: OpenItem) -> tuple[object, ...]:
    """Oldest first: due date, issue date, number, then id (deterministic whatever the input order)."""
    return (item.due_date, item.issue_date, item.number, str(item.id))


@dataclass
class ItemIndex:
    """Mutable lookup structures of one side, built once per :func:`engine.match` call.

    Per party, ``by_party`` lists every item oldest first and ``party_cents`` their remaining
    amounts slot by slot (a compact array: scanning a party's book touches no per-item object).
    """

    items: dict[ItemId, OpenItem] = field(default_factory=dict)
    remaining: dict[ItemId, int] = field(default_factory=dict)  # signed cents
    by_amount: dict[int, dict[ItemId, None]] = field(default_factory=lambda: defaultdict(dict))
    by_key: dict[str, tuple[ItemId, ...]] = field(default_factory=dict)
    keys_of: dict[ItemId, str] = field(default_factory=dict)
    digits_of: dict[ItemId, str] = field(default_factory=dict)
    sequence_of: dict[ItemId, str] = field(default_factory=dict)
    by_party: dict[PartyId, list[ItemId]] = field(default_factory=lambda: defaultdict(list))
    party_cents: dict[PartyId, array[int]] = field(default_factory=dict)
    slot: dict[ItemId, int] = field(default_factory=dict)  # position in its party's lists
    cursor: dict[PartyId, int] = field(default_factory=dict)  # first slot not yet settled
    sequence_of_party: dict[tuple[PartyId, str], tuple[ItemId, ...]] = field(default_factory=dict)
    by_sequence: dict[str, tuple[ItemId, ...]] = field(default_factory=dict)
    party_names: dict[PartyId, str] = field(default_factory=dict)
    name_index: dict[str, tuple[PartyId, ...]] = field(default_factory=dict)
    prefix_index: dict[str, tuple[PartyId, ...]] = field(default_factory=dict)
    by_party_amount: dict[tuple[PartyId, int], int] = field(default_factory=lambda: defaultdict(int))
    key_lengths: set[int] = field(default_factory=set)
    # lengths of the ``by_key`` keys, by kind of key ("rf", "full", "digits", "groups")
    probe_lengths: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    order: dict[ItemId, int] = field(default_factory=dict)  # position, oldest first
    # parties_by_name() answers, by (payer name, limit): the name indexes never change during a run
    name_matches: dict[tuple[str, int], tuple[tuple[PartyId, float], ...]] = field(default_factory=dict)

    def open_slots_of(self, party_id: PartyId, limit: int) -> list[int]:
        """Slots (in ``by_party`` / ``party_cents``) of the party's ``limit`` oldest open items."""
        cents = self.party_cents.get(party_id)
        if cents is None:
            return []
        start = self.cursor.get(party_id, 0)
        end = len(cents)
        while start < end and cents[start] == 0:
            start += 1
        self.cursor[party_id] = start  # the settled head is never scanned again
        # the open slots from there on, oldest first, at most ``limit`` (at least one)
        return list(islice(compress(range(start, end), islice(cents, start, None)), max(limit, 1)))

    def open_items_of(self, party_id: PartyId, limit: int) -> list[ItemId]:
        """The party's ``limit`` oldest open items."""
        ids = self.by_party.get(party_id, [])
        return [ids[slot] for slot in self.open_slots_of(party_id, limit)]

    def settle(self, item_id: ItemId, cents: int) -> None:
        """Lower an item's remaining amount by ``cents`` (signed like the item) and re-index it."""
        before = self.remaining[item_id]
        after = before - cents
        party_id = self.items[item_id].party_id
        self.remaining[item_id] = after
        self.party_cents[party_id][self.slot[item_id]] = after
        self.by_amount[abs(before)].pop(item_id, None)
        self.by_party_amount[(party_id, abs(before))] -= 1
        if after != 0:
            self.by_amount[abs(after)][item_id] = None
            self.by_party_amount[(party_id, abs(after))] += 1


def build_index(items: Iterable[OpenItem], kinds: frozenset[ItemKind]) -> ItemIndex:
    index = ItemIndex()
    name_index: dict[str, list[PartyId]] = defaultdict(list)  # a common word names many parties
    prefix_index: dict[str, list[PartyId]] = defaultdict(list)
    for item in sorted((i for i in items if i.kind in kinds), key=item_sort_key):
        cents = item_signed_cents(item)
        if cents == 0:
            continue
        item_id, party_id = item.id, item.party_id
        index.items[item_id] = item
        index.remaining[item_id] = cents
        index.by_amount[abs(cents)][item_id] = None
        index.by_party_amount[(party_id, abs(cents))] += 1
        index.order[item_id] = len(index.order)
        full, digits, groups = reference_keys(item.number)
        index.keys_of[item_id] = full
        index.digits_of[item_id] = digits
        index.key_lengths.add(len(full))
        for kind, key in (
            ("full", full),
            ("digits", "d:" + digits if digits else ""),
            ("groups", "g:" + groups if groups else ""),
        ):
            if len(key) >= 4:
                _append(index.by_key, key, item_id)
                index.probe_lengths[kind].add(len(key))
        if item.payment_reference:
            key = "rf:" + reference_keys(item.payment_reference)[0]
            _append(index.by_key, key, item_id)
            index.probe_lengths["rf"].add(len(key))
        party_items = index.by_party[party_id]
        index.slot[item_id] = len(party_items)
        party_items.append(item_id)
        if party_id not in index.party_cents:
            index.party_cents[party_id] = array("q")
        index.party_cents[party_id].append(cents)
        sequence = index.sequence_of[item_id] = sequence_key(item.number)
        _append(index.sequence_of_party, (party_id, sequence), item_id)
        _append(index.by_sequence, sequence, item_id)
        if party_id not in index.party_names:
            normalized = normalize_name(item.party_name)
            index.party_names[party_id] = normalized
            for token in set(name_tokens(normalized)):
                name_index[token].append(party_id)
                for size in range(_MIN_PREFIX, len(token)):
                    prefix_index[token[:size]].append(party_id)
    index.name_index = {token: tuple(parties) for token, parties in name_index.items()}
    index.prefix_index = {prefix: tuple(parties) for prefix, parties in prefix_index.items()}
    return index


def _append(postings: dict[_K, tuple[_V, ...]], key: _K, value: _V) -> None:
    """Add ``value`` to the postings of ``key``.

    Postings are tuples, not lists: most hold one or two values, and a tuple of strings and
    integers drops out of the garbage collector's sight, which then no longer rescans a big index.
    """
    postings[key] = (*postings.get(key, ()), value)


def reference_hits(
    index: ItemIndex, windows: Iterable[Window], *, include_settled: bool = False
) -> dict[ItemId, ReferenceHit]:
    """Items whose number (or RF reference) appears in the text's windows, exactly up to folding.

    ``windows`` come from :func:`normalize.text_windows`.
    """
    hits: dict[ItemId, ReferenceHit] = {}
    by_key, remaining = index.by_key, index.remaining
    lengths = index.probe_lengths
    rf, full, digits, groups = (lengths.get(kind, set()) for kind in ("rf", "full", "digits", "groups"))
    for window in windows:
        key = window.key
        # the length tests spare most lookups of a big dictionary
        probes: list[tuple[str, str]] = []
        if len(key) + 3 in rf and key.startswith("RF"):
            probes.append(("rf", "rf:" + key))
        if len(key) in full:
            probes.append(("full", key))
        if window.digits and len(window.digits) + 2 in digits:
            probes.append(("digits", "d:" + window.digits))
        if window.groups and len(window.groups) + 2 in groups:
            probes.append(("groups", "g:" + window.groups))
        for kind, probe in probes:
            for item_id in by_key.get(probe, ()):
                if not include_settled and remaining[item_id] == 0:
                    continue
                known = hits.get(item_id)
                if known is None or _HIT_RANK[kind] < _HIT_RANK[known.kind]:
                    hits[item_id] = ReferenceHit(item_id, kind, window.raw)
    return hits


def parties_by_name(index: ItemIndex, name: str, limit: int = 8) -> list[tuple[PartyId, float]]:
    """Parties whose normalized name resembles ``name`` (0-100), best first.

    The rarer name tokens (and, for the last token, which the bank may have truncated, its
    4+ character prefix) select a few parties through the inverted index; rapidfuzz then
    scores only those. Answers are memoised on the index (its name indexes never change).
    """
    cache_key = (normalize_name(name), limit)  # what the answer depends on
    known = index.name_matches.get(cache_key)
    if known is None:
        known = index.name_matches[cache_key] = tuple(_parties_by_name(index, name, limit))
    return list(known)


def _parties_by_name(index: ItemIndex, name: str, limit: int) -> list[tuple[PartyId, float]]:
    query = normalize_name(name)
    tokens = name_tokens(query)
    if not tokens:
        return []
    postings: list[tuple[PartyId, ...]] = []
    for n, token in enumerate(tokens):
        posting = index.name_index.get(token)
        if not posting and n == len(tokens) - 1 and len(token) >= _MIN_PREFIX:
            posting = index.prefix_index.get(token)
        if posting and len(posting) <= _MAX_TOKEN_PARTIES:
            postings.append(posting)
    if not postings:
        return []
    postings.sort(key=len)
    rarest = postings[0]
    if len(rarest) > 12 and len(postings) > 1:
        both = set(rarest).intersection(postings[1])  # common words: keep parties having the two rarest
        pool: Iterable[PartyId] = both or rarest
    else:
        pool = rarest
    others = [set(p) for p in postings[1:3]]
    weight = {party: sum(party in other for other in others) for party in dict.fromkeys(pool)}
    if len(weight) <= limit + 2:
        shortlist = list(weight)
    else:  # many parties share the words: let rapidfuzz (C) pick the closest names among them
        parties = sorted(weight, key=lambda p: (-weight[p], str(p)))[:_MAX_TOKEN_PARTIES]
        names = [index.party_names[p] for p in parties]
        found = process.extract(query, names, scorer=fuzz.token_set_ratio, limit=limit + 2)
        shortlist = [parties[position] for _, _, position in found]
    scored = [(p, name_similarity(query, index.party_names[p])) for p in shortlist]
    scored.sort(key=lambda ps: (-ps[1], str(ps[0])))
    return scored[:limit]


def name_similarity(query: str, party: str) -> float:
    """0-100 similarity of two normalized names, tolerant of the bank's truncation.

    A subset of tokens ("DUPONT" for "DUPONT BATIMENT") is capped at 88: it identifies the party
    only when the amount agrees.
    """
    if not query or not party:
        return 0.0
    if query == party:
        return 100.0
    best = float(fuzz.token_sort_ratio(query, party))
    if len(query) >= 10 and len(query) < len(party):
        best = max(best, float(fuzz.ratio(query, party[: len(query)])) - 2.0)
    best = max(best, 0.88 * float(fuzz.token_set_ratio(query, party)))
    return best
