"""E-invoice lifecycle statuses (CHECKLIST EINV-STATUS-MANDATORY / -OPTIONAL / -REFUSED, DUN-RELANCE-PRACTICE)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encaisse.domain.einvoice_status import (
    ANNOTATIONS,
    FINAL,
    SENT_BY_US,
    TRANSITIONS,
    Direction,
    EInvoiceStatus,
    StatusHistory,
    allowed_next,
    apply_status,
    blocks_dunning,
    history_blocks_dunning,
    is_final,
)
from encaisse.domain.errors import TransitionError

S = EInvoiceStatus
T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

#: The official table (CHECKLIST §2.6), written out independently of the module.
OFFICIAL = {
    200: "Déposée",
    201: "Émise par la plateforme",
    202: "Reçue par la plateforme",
    203: "Mise à disposition",
    204: "Prise en charge",
    205: "Approuvée",
    206: "Approuvée partiellement",
    207: "En litige",
    208: "Suspendue",
    209: "Complétée",
    210: "Refusée",
    211: "Paiement transmis",
    212: "Encaissée",
    213: "Rejetée",
    214: "Visée",
    220: "Annulée",
    225: "Affacturée",
    226: "Affacturée confidentiel",
    227: "Changement de compte à payer",
    228: "Non affacturée",
}


def run(direction: Direction, *steps: EInvoiceStatus | tuple[EInvoiceStatus, str]) -> StatusHistory:
    history = StatusHistory(direction)
    for minutes, step in enumerate(steps):
        status, reason = step if isinstance(step, tuple) else (step, "")
        history = apply_status(history, status, T0 + timedelta(minutes=minutes), reason)
    return history


def test_codes_and_french_labels_are_the_official_ones() -> None:
    assert {s.code: s.label_fr for s in EInvoiceStatus} == OFFICIAL
    assert all(EInvoiceStatus.from_code(s.code) is s for s in EInvoiceStatus)
    with pytest.raises(ValueError, match="unknown"):
        EInvoiceStatus.from_code(299)


def test_the_four_mandatory_statuses() -> None:
    assert {s.code for s in EInvoiceStatus if s.is_mandatory} == {200, 210, 212, 213}


def test_an_issued_invoice_from_deposit_to_collection() -> None:
    history = run(
        Direction.ISSUED,
        S.DEPOSITED,
        S.ISSUED,
        S.RECEIVED,
        S.MADE_AVAILABLE,
        S.TAKEN_OVER,
        S.APPROVED,
        S.PAYMENT_TRANSMITTED,
        S.COLLECTED,
        S.COLLECTED,  # a second partial payment
    )
    assert history.current is S.COLLECTED
    assert [c.at for c in history.changes] == sorted(c.at for c in history.changes)


def test_a_platform_rejection_comes_before_delivery_only() -> None:
    delivered = run(Direction.ISSUED, S.DEPOSITED, S.ISSUED, S.MADE_AVAILABLE)
    with pytest.raises(TransitionError) as caught:
        apply_status(delivered, S.REJECTED, T0 + timedelta(hours=1), "Format")
    assert caught.value.code == "EINV-STATUS-TRANSITION"
    assert "Rejetée (213) cannot follow Mise à disposition (203)" in caught.value.message


def test_a_received_invoice_starts_when_our_platform_makes_it_available() -> None:
    history = run(
        Direction.RECEIVED, S.MADE_AVAILABLE, S.TAKEN_OVER, (S.SUSPENDED, "Bon de commande manquant")
    )
    history = apply_status(history, S.COMPLETED, T0 + timedelta(days=1))
    history = apply_status(history, S.APPROVED, T0 + timedelta(days=2))
    assert history.current is S.APPROVED
    with pytest.raises(TransitionError) as caught:
        run(Direction.RECEIVED, S.DEPOSITED)
    assert caught.value.code == "EINV-STATUS-TRANSITION"


@pytest.mark.parametrize(
    "path",
    [
        (S.DEPOSITED, S.ISSUED, S.MADE_AVAILABLE, (S.DISPUTED, "Prix"), (S.REFUSED, "Prix")),
        (S.DEPOSITED, S.ISSUED, (S.REJECTED, "Format")),  # a platform rejects before delivery
        (S.DEPOSITED, S.ISSUED, S.MADE_AVAILABLE, S.CANCELLED),
    ],
    ids=["refused", "rejected", "cancelled"],
)
def test_nothing_follows_a_final_status(
    path: tuple[EInvoiceStatus | tuple[EInvoiceStatus, str], ...],
) -> None:
    history = run(Direction.ISSUED, *path)
    assert is_final(history.current)
    for status in EInvoiceStatus:
        with pytest.raises(TransitionError) as caught:
            apply_status(history, status, T0 + timedelta(hours=2), "motif")
        assert caught.value.code == "EINV-STATUS-FINAL"
        assert "EINV-STATUS-REFUSED" in caught.value.message


@pytest.mark.parametrize("status", [S.REFUSED, S.DISPUTED, S.SUSPENDED])
def test_buyer_decisions_against_the_supplier_need_a_reason(status: EInvoiceStatus) -> None:
    history = run(Direction.RECEIVED, S.MADE_AVAILABLE)
    with pytest.raises(TransitionError) as caught:
        apply_status(history, status, T0 + timedelta(hours=1), "  ")
    assert caught.value.code == "EINV-STATUS-REASON-REQUIRED"
    assert (
        apply_status(history, status, T0 + timedelta(hours=1), " Prix erroné ").changes[-1].reason
        == "Prix erroné"
    )


def test_a_status_cannot_be_dated_before_the_previous_one() -> None:
    history = run(Direction.ISSUED, S.DEPOSITED)
    with pytest.raises(TransitionError) as caught:
        apply_status(history, S.ISSUED, T0 - timedelta(seconds=1))
    assert caught.value.code == "EINV-STATUS-CLOCK"


def test_factoring_annotations_do_not_move_the_lifecycle() -> None:
    history = run(Direction.ISSUED, S.DEPOSITED, S.ISSUED, S.MADE_AVAILABLE, S.FACTORED)
    assert history.current is S.FACTORED
    assert history.business_status is S.MADE_AVAILABLE
    assert allowed_next(history) == allowed_next(
        run(Direction.ISSUED, S.DEPOSITED, S.ISSUED, S.MADE_AVAILABLE)
    )
    assert history_blocks_dunning(history)  # the factor collects
    history = apply_status(history, S.NOT_FACTORED, T0 + timedelta(hours=1))
    assert not history.is_factored
    assert not history_blocks_dunning(history)
    history = apply_status(history, S.FACTORED_CONFIDENTIAL, T0 + timedelta(hours=2))
    assert history.is_factored
    assert not history_blocks_dunning(history)


def test_which_statuses_stop_reminders() -> None:
    assert {s for s in EInvoiceStatus if blocks_dunning(s)} == {
        S.DISPUTED,
        S.SUSPENDED,
        S.REFUSED,
        S.REJECTED,
        S.CANCELLED,
        S.FACTORED,
    }
    assert not blocks_dunning(None)
    disputed = run(Direction.ISSUED, S.DEPOSITED, S.ISSUED, S.MADE_AVAILABLE, (S.DISPUTED, "Quantités"))
    assert history_blocks_dunning(disputed)
    assert not history_blocks_dunning(apply_status(disputed, S.APPROVED, T0 + timedelta(days=1)))


def _reachable(direction: Direction) -> set[EInvoiceStatus]:
    table = TRANSITIONS[direction]
    seen: set[EInvoiceStatus] = set()
    todo = list(table[None])
    while todo:
        status = todo.pop()
        if status not in seen:
            seen.add(status)
            todo.extend(table.get(status, frozenset()))
    return seen


def test_table_shape() -> None:
    assert _reachable(Direction.ISSUED) | ANNOTATIONS == set(EInvoiceStatus)
    assert S.DEPOSITED not in _reachable(Direction.RECEIVED)
    for direction, table in TRANSITIONS.items():
        for status, following in table.items():
            assert not (following & ANNOTATIONS), (direction, status)
            if status is not None and status not in FINAL:
                assert following, f"{status} is a dead end"
        assert all(not table.get(s) for s in FINAL)
    assert S.COLLECTED in SENT_BY_US[Direction.ISSUED]
    assert S.REFUSED in SENT_BY_US[Direction.RECEIVED]
    assert not SENT_BY_US[Direction.ISSUED] & SENT_BY_US[Direction.RECEIVED]


@given(
    direction=st.sampled_from(list(Direction)),
    attempts=st.lists(st.tuples(st.sampled_from(list(EInvoiceStatus)), st.booleans()), max_size=30),
)
def test_any_sequence_of_attempts_keeps_a_legal_history(
    direction: Direction, attempts: list[tuple[EInvoiceStatus, bool]]
) -> None:
    history = StatusHistory(direction)
    for minutes, (status, with_reason) in enumerate(attempts):
        before = history
        try:
            history = apply_status(
                history, status, T0 + timedelta(minutes=minutes), "motif" if with_reason else ""
            )
        except TransitionError as exc:
            code = exc.code
            assert code.startswith("EINV-STATUS-")
            assert history is before
            continue
        assert before.changes == history.changes[:-1]  # the old history is untouched
    state = None
    for change in history.changes:
        if change.status in ANNOTATIONS:
            assert state is not None
            assert state not in FINAL
            continue
        assert change.status in TRANSITIONS[direction][state]
        state = change.status
