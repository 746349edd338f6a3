"""The engine's fast paths give exactly what the plain definitions give (issue "Bank": 100 000
invoices reconciled in time without losing accuracy).

Each optimisation is checked against a straightforward reference: windows of a text, reference
lookups without the length filter, a party's open items after random settlements, bare counters,
name look-ups memoised, cents to euros, and whole runs with the hypothesis pruning switched off.
"""

from __future__ import annotations

import functools
import gc
import importlib.util
import random
import re
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from encaisse.domain.bank import BankTransaction
from encaisse.domain.matching import engine
from encaisse.domain.matching import hypotheses as hyp
from encaisse.domain.matching.candidates import (
    CREDIT_KINDS,
    ItemIndex,
    ReferenceHit,
    _parties_by_name,
    build_index,
    parties_by_name,
    reference_hits,
)
from encaisse.domain.matching.explain import cents_to_eur
from encaisse.domain.matching.model import ItemId, ItemKind, MatchConfig, OpenItem, PartyId
from encaisse.domain.matching.normalize import normalize_text, short_numbers, text_windows
from encaisse.domain.matching.signals import PartyEvidence, logistic

BENCH = Path(__file__).resolve().parents[3] / "bench"

# --- windows of a text ---------------------------------------------------------------------

_OCR = str.maketrans({"O": "0", "Q": "0", "I": "1", "L": "1", "S": "5", "Z": "2", "B": "8", "G": "6"})


def _reference_windows(text: str, max_tokens: int = 3) -> list[tuple[str, str, str, str]]:
    """The straightforward definition: every run of 1..3 tokens, kept when it holds a digit."""
    tokens = re.findall(r"[A-Z0-9]+", normalize_text(text))
    out: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()
    for start in range(len(tokens)):
        for end in range(start, min(start + max_tokens, len(tokens))):
            run = tokens[start : end + 1]
            key = "".join(t.translate(_OCR) for t in run)
            groups = [g for t in run for g in re.findall(r"[0-9]+", t)]
            if len(key) > 24:
                break
            if len(key) < 4 or not groups or key in seen:
                continue
            seen.add(key)
            digits = re.sub(r"^[A-Z]+", "", key)
            grouped = ""
            if len(groups) >= 2 and groups[-1][0] != "0" and len("".join(groups)) >= 6:
                grouped = ".".join(g.lstrip("0") or "0" for g in groups)
            out.append((" ".join(run), key, digits if len(digits) >= 6 else "", grouped))
    return out


_TEXT = st.lists(
    st.sampled_from(
        ["F2026", "00123", "2026", "123", "FACT", "-", " ", "/", "O", "S", "Z1", "RF18", "é", "REF"]
    ),
    max_size=14,
).map("".join)


@settings(max_examples=300)
@example("FACT REF 00123")
@example("VIR /MOTIF FACTURE F2026-00123 /REF 88")
@example("F2026 00123 ET 2026.7")
@given(_TEXT)
def test_windows_match_the_plain_definition(text: str) -> None:
    assert [tuple(w) for w in text_windows(text)] == _reference_windows(text)


@given(_TEXT)
def test_short_numbers_match_the_plain_definition(text: str) -> None:
    expected = [
        t.lstrip("0") for t in re.findall(r"[A-Z0-9]+", normalize_text(text)) if t.isdigit() and len(t) <= 6
    ]
    assert short_numbers(text) == expected


@given(st.integers(-(10**12), 10**12))
def test_cents_to_eur_is_the_quantized_division(cents: int) -> None:
    expected = (Decimal(cents) / 100).quantize(Decimal("0.01"))
    assert cents_to_eur(cents).as_tuple() == expected.as_tuple()


# --- index lookups ---------------------------------------------------------------------------


def _book(n: int, seed: int) -> list[OpenItem]:
    rng = random.Random(seed)
    names = ["Boulangerie Dupont", "Garage Martin SAS", "Cabinet Roux", "Dupont Bâtiment", "Transports Roux"]
    out = []
    for k in range(n):
        party = rng.randrange(len(names))
        cents = rng.choice([9900, 12000, 35000, rng.randrange(100, 500000)])
        issue = date(2026, 1, 1) + timedelta(days=rng.randrange(120))
        number = rng.choice([f"F2026-{k + 1:05d}", f"FA{k + 1:04d}", f"2026/{k + 1}"])
        out.append(
            OpenItem(
                id=k,
                number=number,
                kind=ItemKind.CREDIT_NOTE if rng.random() < 0.1 else ItemKind.INVOICE,
                party_id=f"P{party}",
                party_name=names[party],
                amount_due=Decimal(cents) / 100,
                total=Decimal(cents) / 100,
                issue_date=issue,
                due_date=issue + timedelta(days=30),
                payment_reference=f"RF18{k:06d}" if k % 7 == 0 else "",
            )
        )
    return out


def _naive_open_items(index: ItemIndex, party: PartyId, limit: int) -> list[ItemId]:
    return [i for i in index.by_party[party] if index.remaining[i] != 0][:limit]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.tuples(st.integers(0, 59), st.floats(0.0, 1.0)), max_size=80))
def test_open_items_after_random_settlements(seed: int, moves: list[tuple[int, float]]) -> None:
    index = build_index(_book(60, seed), CREDIT_KINDS)
    ids = list(index.items)
    for position, share in moves:
        item_id = ids[position % len(ids)]
        left = index.remaining[item_id]
        if left:
            index.settle(item_id, left if share > 0.5 else int(left * share))
        party = index.items[item_id].party_id
        assert index.open_items_of(party, 5) == _naive_open_items(index, party, 5)
    for party, slots in index.party_cents.items():
        assert list(slots) == [index.remaining[i] for i in index.by_party[party]]
        assert index.open_items_of(party, 1000) == _naive_open_items(index, party, 1000)
    assert all(
        set(index.by_amount[abs(c)]) >= {i} for i, c in index.remaining.items() if c != 0
    )  # re-indexed by what is left


def _naive_reference_hits(index: ItemIndex, text: str) -> dict[object, ReferenceHit]:
    rank = {"rf": 0, "full": 1, "digits": 2, "groups": 3}
    hits: dict[object, ReferenceHit] = {}
    for w in text_windows(text):
        probes = [("rf", "rf:" + w.key)] if w.key.startswith("RF") else []
        probes += [("full", w.key), ("digits", "d:" + w.digits), ("groups", "g:" + w.groups)]
        for kind, probe in probes:
            for item_id in index.by_key.get(probe, ()):
                known = hits.get(item_id)
                if index.remaining[item_id] != 0 and (known is None or rank[kind] < rank[known.kind]):
                    hits[item_id] = ReferenceHit(item_id, kind, w.raw)
    return hits


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 59), st.sampled_from(["{}", "FACT {}", "{} ET 2026.7", "VIR /MOTIF {} /REF 88"]))
def test_reference_hits_equal_unfiltered_probing(position: int, template: str) -> None:
    items = _book(60, 1)
    index = build_index(items, CREDIT_KINDS)
    target = items[position]
    for written in (target.number, target.number.replace("-", " "), target.payment_reference or "RF00"):
        text = template.format(written)
        assert reference_hits(index, text_windows(text)) == _naive_reference_hits(index, text)


def test_sequence_hits_take_either_path_to_the_same_answer() -> None:
    items = _book(80, 2)
    index = build_index(items, CREDIT_KINDS)
    view = hyp.TxView(12000, date(2026, 3, 1), "", "", "REGLEMENT 12 13 14 15 40 41 42", [], {}, False)
    candidates = list(index.items)
    numbers = {"12", "13", "14", "15", "40", "41", "42"}
    expected = {
        i: ReferenceHit(i, "sequence", index.sequence_of[i])
        for i in candidates
        if index.sequence_of[i] in numbers
        and [
            j
            for j in index.sequence_of_party[(index.items[i].party_id, index.sequence_of[i])]
            if index.remaining[j]
        ]
        == [i]
    }
    assert expected  # the book does have bare counters unique within their party
    assert hyp.sequence_hits(view, index, candidates) == expected  # scans the candidates
    few = list(expected)[:2]
    assert hyp.sequence_hits(view, index, few) == {i: expected[i] for i in few}  # goes through the counters


def test_parties_by_name_memo_gives_the_computed_answer_and_a_fresh_list() -> None:
    index = build_index(_book(40, 3), CREDIT_KINDS)
    for written in ("BOULANGERIE DUPO", "SARL GARAGE MARTIN", "ROUX", "M. DUPONT", ""):
        first = parties_by_name(index, written)
        assert first == _parties_by_name(index, written, 8)
        first.clear()
        assert parties_by_name(index, written) == _parties_by_name(index, written, 8)


# --- the pruning of hypotheses and whole runs ------------------------------------------------


def test_unreferenced_single_bound_is_reached_and_never_exceeded() -> None:
    item = _book(1, 4)[0]
    index = build_index([item], CREDIT_KINDS)
    paid = abs(index.remaining[item.id])
    view = hyp.TxView(paid, item.issue_date, "X", "X", "", [], {}, False)
    view.parties = {item.party_id: PartyEvidence(item.party_id, "iban")}
    best = hyp.score(view, index, MatchConfig(), (item.id,), {})
    assert best.logit == hyp.UNREFERENCED_SINGLE_MAX  # exact amount, known IBAN, unique, on time
    for kind, similarity in (("alias", 100.0), ("name", 100.0), ("name", 75.0)):
        view.parties = {item.party_id: PartyEvidence(item.party_id, kind, similarity)}
        for late in (-30, 0, 400):
            view.booking = item.issue_date + timedelta(days=late)
            assert hyp.score(view, index, MatchConfig(), (item.id,), {}).logit <= hyp.UNREFERENCED_SINGLE_MAX


def test_a_close_unreferenced_rival_is_still_weighed(make_item: Any, make_tx: Any) -> None:
    """Best: F2026-00001 written without prefix (logit 6.0); rival: the other 500 € invoice of
    the payer known by IBAN (4.5), within the ambiguity margin, so it must not be pruned."""
    items = [
        make_item("F2026-00001", "500.00", "P1", "Boulangerie Dupont"),
        make_item("F2026-00458", "500.00", "P2", "Garage Martin"),
    ]
    tx = make_tx("T1", "500.00", text="VIR /MOTIF 2026 00001", iban="FR76 P2")
    proposal = engine.match([tx], items, ibans={"FR76P2": "P2"}, today=date(2026, 6, 30)).proposals[0]
    assert [a.number for a in proposal.allocations] == ["F2026-00001"]
    assert "AMBIGUOUS" in [r.code for r in proposal.reasons]
    assert proposal.score == round(logistic(6.0 - 1.0), 6)


def _load_generator() -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("gen_reconciliation", BENCH / "gen_reconciliation.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_reconciliation"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def datasets() -> list[tuple[list[BankTransaction], list[OpenItem], date]]:
    gen = _load_generator()
    out = []
    for seed in (21, 22, 23):
        ds = gen.generate(seed, 500)
        items = [
            OpenItem(
                id=inv.number,
                number=inv.number,
                kind=ItemKind.INVOICE,
                party_id=inv.customer.siren,
                party_name=inv.customer.name,
                amount_due=inv.total,
                total=inv.total,
                issue_date=inv.issue,
                due_date=inv.due,
            )
            for inv in ds.invoices
        ]
        out.append((ds.transactions, items, ds.transactions[-1].booking_date + timedelta(days=1)))
    return out


def test_pruning_changes_no_proposal(
    datasets: list[tuple[list[BankTransaction], list[OpenItem], date]], monkeypatch: pytest.MonkeyPatch
) -> None:
    pruned = [engine.match(t, i, today=d) for t, i, d in datasets]
    calls = 0

    def unpruned(*args: Any, **kwargs: Any) -> list[hyp.Hypothesis]:
        nonlocal calls
        calls += 1
        return hyp.generate(*args, **{**kwargs, "prune": False})

    monkeypatch.setattr(engine, "generate", unpruned)
    full = [engine.match(t, i, today=d) for t, i, d in datasets]
    assert calls > 1000
    assert all(r.proposals for r in full)
    assert pruned == full


def _statement(items: list[OpenItem], seed: int) -> tuple[list[BankTransaction], dict[str, PartyId]]:
    """Payments of a small book: exact, with fees or a discount, grouped, mistyped, misnamed, decoys."""
    rng = random.Random(seed)
    ibans: dict[str, PartyId] = {
        f"FR76{p}": p for p in sorted({str(i.party_id) for i in items}) if rng.random() < 0.5
    }
    by_party = {p: f for f, p in ibans.items()}
    out = []
    for k in range(30):
        first, second = rng.sample(items, 2)
        cents = int(first.amount_due * 100)
        cents = rng.choice(
            [cents, cents - 250, cents - cents // 50, cents + 1000, cents + int(second.amount_due * 100)]
        )
        reference = rng.choice(
            [first.number, first.number[:-1] + "7", second.number, "", "FACTURE", "00" + first.number[-2:]]
        )
        name = rng.choice([first.party_name.upper(), second.party_name, "", "HOLDING X"])
        out.append(
            BankTransaction(
                booking_date=first.issue_date + timedelta(days=rng.randrange(-10, 60)),
                amount=Decimal(max(cents, 1)) / 100,
                counterparty_name=name,
                counterparty_iban=by_party.get(str(first.party_id), "") if rng.random() < 0.5 else "",
                remittance=f"VIR /MOTIF {reference}",
                bank_ref=f"T{k}",
            )
        )
    return out, ibans


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 100_000))
def test_pruning_changes_no_proposal_on_random_statements(seed: int) -> None:
    items = _book(25, seed)
    transactions, ibans = _statement(items, seed)
    today = date(2026, 12, 31)
    pruned = engine.match(transactions, items, ibans=ibans, today=today)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "generate", functools.partial(hyp.generate, prune=False))
        assert engine.match(transactions, items, ibans=ibans, today=today) == pruned


def _failing(transactions: list[BankTransaction]) -> Iterator[BankTransaction]:
    yield from transactions
    raise RuntimeError("statement cut short")


@pytest.mark.parametrize("enabled", [True, False])
def test_match_leaves_the_garbage_collector_as_it_found_it(
    datasets: list[tuple[list[BankTransaction], list[OpenItem], date]], enabled: bool
) -> None:
    transactions, items, today = datasets[0]
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        engine.match(transactions[:50], items, today=today)
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError):
            engine.match(_failing(transactions[:5]), items, today=today)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
