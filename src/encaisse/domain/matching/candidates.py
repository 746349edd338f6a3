"""Candidate generation: indexes over open items so that no transaction scans every invoice.

One :class:`ItemIndex` per side (credits settle customer invoices and credit notes, debits settle
supplier invoices). Lookups are dictionary hits keyed by amount in cents, by reference keys
(:func:`normalize.reference_keys`), by party, and by name-token prefixes for the parties.
The index holds the *remaining* amount of each item; the engine lowers it as it allocates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

from rapidfuzz import fuzz, process

from encaisse.domain.matching.model import ItemId, ItemKind, OpenItem, PartyId
from encaisse.domain.matching.normalize import (
    Window,
    name_tokens,
    normalize_name,
    reference_keys,
    sequence_key,
)

CREDIT_KINDS = frozenset({ItemKind.INVOICE, ItemKind.CREDIT_NOTE})
DEBIT_KINDS = frozenset({ItemKind.SUPPLIER_INVOICE})
_MAX_TOKEN_PARTIES = 400  # a name token shared by more parties than this says little
_MIN_PREFIX = 4
_HIT_RANK = {"rf": 0, "full": 1, "digits": 2, "groups": 3}  # keep the strongest way a number was found


def to_cents(amount: Decimal) -> int:
    """Euros → integer cents (amounts are already rounded to the cent by ``money.round_money``)."""
    return int((amount * 100).to_integral_value())


@dataclass(frozen=True)
class ReferenceHit:
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
    """Mutable lookup structures of one side, built once per :func:`engine.match` call."""

    items: dict[ItemId, OpenItem] = field(default_factory=dict)
    remaining: dict[ItemId, int] = field(default_factory=dict)  # signed cents
    by_amount: dict[int, dict[ItemId, None]] = field(default_factory=lambda: defaultdict(dict))
    by_key: dict[str, list[ItemId]] = field(default_factory=lambda: defaultdict(list))
    keys_of: dict[ItemId, str] = field(default_factory=dict)
    digits_of: dict[ItemId, str] = field(default_factory=dict)
    sequence_of: dict[ItemId, str] = field(default_factory=dict)
    by_party: dict[PartyId, list[ItemId]] = field(default_factory=lambda: defaultdict(list))
    sequence_of_party: dict[tuple[PartyId, str], list[ItemId]] = field(
        default_factory=lambda: defaultdict(list)
    )
    party_names: dict[PartyId, str] = field(default_factory=dict)
    name_index: dict[str, list[PartyId]] = field(default_factory=lambda: defaultdict(list))
    prefix_index: dict[str, list[PartyId]] = field(default_factory=lambda: defaultdict(list))
    by_party_amount: dict[tuple[PartyId, int], int] = field(default_factory=lambda: defaultdict(int))
    cursor: dict[PartyId, int] = field(default_factory=dict)
    key_lengths: set[int] = field(default_factory=set)
    order: dict[ItemId, int] = field(default_factory=dict)  # position, oldest first

    def open_items_of(self, party_id: PartyId, limit: int) -> list[ItemId]:
        """The party's ``limit`` oldest open items (a cursor skips the settled head of the list)."""
        ids = self.by_party.get(party_id, [])
        start = self.cursor.get(party_id, 0)
        while start < len(ids) and self.remaining[ids[start]] == 0:
            start += 1
        self.cursor[party_id] = start
        out: list[ItemId] = []
        for item_id in islice(ids, start, None):
            if self.remaining[item_id] != 0:
                out.append(item_id)
                if len(out) >= limit:
                    break
        return out

    def settle(self, item_id: ItemId, cents: int) -> None:
        """Lower an item's remaining amount by ``cents`` (signed like the item) and re-index it."""
        before = self.remaining[item_id]
        after = before - cents
        party_id = self.items[item_id].party_id
        self.remaining[item_id] = after
        self.by_amount[abs(before)].pop(item_id, None)
        self.by_party_amount[(party_id, abs(before))] -= 1
        if after != 0:
            self.by_amount[abs(after)][item_id] = None
            self.by_party_amount[(party_id, abs(after))] += 1


def build_index(items: Iterable[OpenItem], kinds: frozenset[ItemKind]) -> ItemIndex:
    index = ItemIndex()
    for item in sorted((i for i in items if i.kind in kinds), key=item_sort_key):
        cents = item_signed_cents(item)
        if cents == 0:
            continue
        index.items[item.id] = item
        index.remaining[item.id] = cents
        index.by_amount[abs(cents)][item.id] = None
        index.by_party_amount[(item.party_id, abs(cents))] += 1
        index.order[item.id] = len(index.order)
        full, digits, groups = reference_keys(item.number)
        index.keys_of[item.id] = full
        index.digits_of[item.id] = digits
        index.key_lengths.add(len(full))
        for key in {full, "d:" + digits if digits else "", "g:" + groups if groups else ""}:
            if key and len(key) >= 4:
                index.by_key[key].append(item.id)
        if item.payment_reference:
            index.by_key["rf:" + reference_keys(item.payment_reference)[0]].append(item.id)
        index.by_party[item.party_id].append(item.id)
        index.sequence_of[item.id] = sequence_key(item.number)
        index.sequence_of_party[(item.party_id, index.sequence_of[item.id])].append(item.id)
        if item.party_id not in index.party_names:
            normalized = normalize_name(item.party_name)
            index.party_names[item.party_id] = normalized
            for token in set(name_tokens(normalized)):
                index.name_index[token].append(item.party_id)
                for size in range(_MIN_PREFIX, len(token)):
                    index.prefix_index[token[:size]].append(item.party_id)
    return index


def reference_hits(
    index: ItemIndex, windows: Iterable[Window], *, include_settled: bool = False
) -> dict[ItemId, ReferenceHit]:
    """Items whose number (or RF reference) appears in the text's windows, exactly up to folding.

    ``windows`` come from :func:`normalize.text_windows`.
    """
    hits: dict[ItemId, ReferenceHit] = {}
    for window in windows:
        probes = [("full", window.key)]
        if window.key.startswith("RF"):
            probes.insert(0, ("rf", "rf:" + window.key))
        if window.digits:
            probes.append(("digits", "d:" + window.digits))
        if window.groups:
            probes.append(("groups", "g:" + window.groups))
        for kind, key in probes:
            for item_id in index.by_key.get(key, ()):
                if not include_settled and index.remaining[item_id] == 0:
                    continue
                known = hits.get(item_id)
                if known is None or _HIT_RANK[kind] < _HIT_RANK[known.kind]:
                    hits[item_id] = ReferenceHit(item_id, kind, window.raw)
    return hits


def parties_by_name(index: ItemIndex, name: str, limit: int = 8) -> list[tuple[PartyId, float]]:
    """Parties whose normalized name resembles ``name`` (0-100), best first.

    The rarer name tokens (and, for the last token, which the bank may have truncated, its
    4+ character prefix) select a few parties through the inverted index; rapidfuzz then
    scores only those.
    """
    query = normalize_name(name)
    tokens = name_tokens(query)
    if not tokens:
        return []
    postings: list[list[PartyId]] = []
    for n, token in enumerate(tokens):
        parties = index.name_index.get(token)
        if not parties and n == len(tokens) - 1 and len(token) >= _MIN_PREFIX:
            parties = index.prefix_index.get(token)
        if parties and len(parties) <= _MAX_TOKEN_PARTIES:
            postings.append(parties)
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
