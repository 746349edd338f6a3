"""Lifecycle statuses of an e-invoice under the French reform, and the TABLE of their transitions.

Codes and labels: CHECKLIST EINV-STATUS-MANDATORY (Déposée 200, Refusée 210, Encaissée 212,
Rejetée 213) and EINV-STATUS-OPTIONAL (201..209, 211, 214, 220, factoring 225..228), after the
DGFiP external specifications. ``Direction.ISSUED`` is the life of an invoice we sent (we are the
supplier); ``Direction.RECEIVED`` the life of a supplier invoice in our inbox (we are the buyer).

Histories are immutable: :func:`apply_status` returns a new one or raises ``TransitionError``.
Factoring statuses (225..228) and "Visée" (214) are annotations: they never change which business
status comes next.

>>> from datetime import datetime, UTC
>>> h = StatusHistory(Direction.ISSUED)
>>> h = apply_status(h, EInvoiceStatus.DEPOSITED, datetime(2026, 9, 1, tzinfo=UTC))
>>> h = apply_status(h, EInvoiceStatus.MADE_AVAILABLE, datetime(2026, 9, 1, tzinfo=UTC))
Traceback (most recent call last):
...
encaisse.domain.errors.TransitionError: status Mise à disposition (203) cannot follow Déposée (200) ...
>>> h = apply_status(h, EInvoiceStatus.ISSUED, datetime(2026, 9, 1, tzinfo=UTC))
>>> h = apply_status(h, EInvoiceStatus.MADE_AVAILABLE, datetime(2026, 9, 2, tzinfo=UTC))
>>> h = apply_status(h, EInvoiceStatus.DISPUTED, datetime(2026, 9, 3, tzinfo=UTC), "8 livrés, 10 facturés")
>>> h.current.label_fr, blocks_dunning(h.current)
('En litige', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from encaisse.domain.errors import TransitionError


class Direction(StrEnum):
    ISSUED = "issued"  # our sales invoice, statuses come back from the platforms and the buyer
    RECEIVED = "received"  # a supplier invoice in our inbox, we produce the buyer's statuses


class EInvoiceStatus(StrEnum):
    """Reform lifecycle statuses; values are machine-readable English, ``code``/``label_fr`` official."""

    DEPOSITED = "deposited"
    ISSUED = "issued"
    RECEIVED = "received"
    MADE_AVAILABLE = "made_available"
    TAKEN_OVER = "taken_over"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    DISPUTED = "disputed"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    REFUSED = "refused"
    PAYMENT_TRANSMITTED = "payment_transmitted"
    COLLECTED = "collected"
    REJECTED = "rejected"
    CERTIFIED = "certified"
    CANCELLED = "cancelled"
    FACTORED = "factored"
    FACTORED_CONFIDENTIAL = "factored_confidential"
    PAYEE_ACCOUNT_CHANGED = "payee_account_changed"
    NOT_FACTORED = "not_factored"

    @property
    def code(self) -> int:
        return _CODES[self]

    @property
    def label_fr(self) -> str:
        return _LABELS_FR[self]

    @property
    def is_mandatory(self) -> bool:
        """One of the four statuses transmitted to the administration (EINV-STATUS-MANDATORY)."""
        return self in MANDATORY

    @classmethod
    def from_code(cls, code: int) -> EInvoiceStatus:
        for status, value in _CODES.items():
            if value == code:
                return status
        raise ValueError(f"unknown e-invoice status code {code}")


E = EInvoiceStatus

_CODES: dict[EInvoiceStatus, int] = {
    E.DEPOSITED: 200,
    E.ISSUED: 201,
    E.RECEIVED: 202,
    E.MADE_AVAILABLE: 203,
    E.TAKEN_OVER: 204,
    E.APPROVED: 205,
    E.PARTIALLY_APPROVED: 206,
    E.DISPUTED: 207,
    E.SUSPENDED: 208,
    E.COMPLETED: 209,
    E.REFUSED: 210,
    E.PAYMENT_TRANSMITTED: 211,
    E.COLLECTED: 212,
    E.REJECTED: 213,
    E.CERTIFIED: 214,
    E.CANCELLED: 220,
    E.FACTORED: 225,
    E.FACTORED_CONFIDENTIAL: 226,
    E.PAYEE_ACCOUNT_CHANGED: 227,
    E.NOT_FACTORED: 228,
}

_LABELS_FR: dict[EInvoiceStatus, str] = {
    E.DEPOSITED: "Déposée",
    E.ISSUED: "Émise par la plateforme",
    E.RECEIVED: "Reçue par la plateforme",
    E.MADE_AVAILABLE: "Mise à disposition",
    E.TAKEN_OVER: "Prise en charge",
    E.APPROVED: "Approuvée",
    E.PARTIALLY_APPROVED: "Approuvée partiellement",
    E.DISPUTED: "En litige",
    E.SUSPENDED: "Suspendue",
    E.COMPLETED: "Complétée",
    E.REFUSED: "Refusée",
    E.PAYMENT_TRANSMITTED: "Paiement transmis",
    E.COLLECTED: "Encaissée",
    E.REJECTED: "Rejetée",
    E.CERTIFIED: "Visée",
    E.CANCELLED: "Annulée",
    E.FACTORED: "Affacturée",
    E.FACTORED_CONFIDENTIAL: "Affacturée confidentiel",
    E.PAYEE_ACCOUNT_CHANGED: "Changement de compte à payer",
    E.NOT_FACTORED: "Non affacturée",
}

MANDATORY = frozenset({E.DEPOSITED, E.REFUSED, E.COLLECTED, E.REJECTED})

#: Statuses that may be added at any non-final point without moving the business status.
ANNOTATIONS = frozenset(
    {E.CERTIFIED, E.FACTORED, E.FACTORED_CONFIDENTIAL, E.PAYEE_ACCOUNT_CHANGED, E.NOT_FACTORED}
)

#: Nothing may follow these (EINV-STATUS-REFUSED: a refused invoice is replaced, never edited).
FINAL = frozenset({E.REFUSED, E.REJECTED, E.CANCELLED})

#: A person must say why (the platforms require a reason with these statuses).
REASON_REQUIRED = frozenset({E.REFUSED, E.REJECTED, E.DISPUTED, E.SUSPENDED})

_BUYER_DECISIONS = frozenset(
    {
        E.TAKEN_OVER,
        E.APPROVED,
        E.PARTIALLY_APPROVED,
        E.DISPUTED,
        E.SUSPENDED,
        E.REFUSED,
        E.PAYMENT_TRANSMITTED,
    }
)
_AFTER_APPROVAL = frozenset({E.PAYMENT_TRANSMITTED, E.COLLECTED, E.DISPUTED, E.CANCELLED})

#: The business part of the lifecycle, shared by both directions: status -> allowed next statuses.
_LIFECYCLE: dict[EInvoiceStatus | None, frozenset[EInvoiceStatus]] = {
    E.DEPOSITED: frozenset({E.ISSUED, E.REJECTED, E.CANCELLED}),
    E.ISSUED: frozenset({E.RECEIVED, E.MADE_AVAILABLE, E.REJECTED}),
    E.RECEIVED: frozenset({E.MADE_AVAILABLE, E.REJECTED}),
    E.MADE_AVAILABLE: _BUYER_DECISIONS | {E.COLLECTED, E.CANCELLED},
    E.TAKEN_OVER: (_BUYER_DECISIONS - {E.TAKEN_OVER}) | {E.COLLECTED, E.CANCELLED},
    E.APPROVED: _AFTER_APPROVAL,
    E.PARTIALLY_APPROVED: _AFTER_APPROVAL | {E.APPROVED, E.REFUSED},
    E.DISPUTED: frozenset(
        {E.APPROVED, E.PARTIALLY_APPROVED, E.REFUSED, E.SUSPENDED, E.CANCELLED, E.COLLECTED}
    ),
    E.SUSPENDED: frozenset({E.COMPLETED, E.REFUSED, E.CANCELLED}),
    E.COMPLETED: (_BUYER_DECISIONS - {E.PAYMENT_TRANSMITTED}) | {E.CANCELLED},
    E.PAYMENT_TRANSMITTED: frozenset({E.COLLECTED, E.DISPUTED}),
    E.COLLECTED: frozenset({E.COLLECTED}),  # a further partial payment (EINV-STATUS-MANDATORY)
    E.REFUSED: frozenset(),
    E.REJECTED: frozenset(),
    E.CANCELLED: frozenset(),
}

#: (direction) -> {current business status, or None for a new invoice -> allowed next statuses}.
TRANSITIONS: dict[Direction, dict[EInvoiceStatus | None, frozenset[EInvoiceStatus]]] = {
    Direction.ISSUED: {None: frozenset({E.DEPOSITED, E.REJECTED}), **_LIFECYCLE},
    Direction.RECEIVED: {
        None: frozenset({E.RECEIVED, E.MADE_AVAILABLE, E.REJECTED}),
        **{s: nxt for s, nxt in _LIFECYCLE.items() if s not in (E.DEPOSITED, E.ISSUED)},
    },
}

#: Statuses our own side produces and sends to the platform, per direction.
SENT_BY_US: dict[Direction, frozenset[EInvoiceStatus]] = {
    Direction.ISSUED: frozenset({E.COMPLETED, E.COLLECTED, E.CANCELLED}) | (ANNOTATIONS - {E.CERTIFIED}),
    Direction.RECEIVED: _BUYER_DECISIONS | {E.CERTIFIED},
}


@dataclass(frozen=True)
class StatusChange:
    status: EInvoiceStatus
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class StatusHistory:
    """Every status an e-invoice went through, oldest first."""

    direction: Direction
    changes: tuple[StatusChange, ...] = ()

    @property
    def current(self) -> EInvoiceStatus | None:
        """The latest status, annotations included (what the user sees)."""
        return self.changes[-1].status if self.changes else None

    @property
    def business_status(self) -> EInvoiceStatus | None:
        """The latest status that is not an annotation: it decides what may come next."""
        for change in reversed(self.changes):
            if change.status not in ANNOTATIONS:
                return change.status
        return None

    @property
    def factoring(self) -> EInvoiceStatus | None:
        """The latest of Affacturée / Affacturée confidentiel / Non affacturée, if any."""
        for change in reversed(self.changes):
            if change.status in (E.FACTORED, E.FACTORED_CONFIDENTIAL, E.NOT_FACTORED):
                return change.status
        return None

    @property
    def is_factored(self) -> bool:
        """Assigned to a factor and not taken back (CHECKLIST DUN-RELANCE-PRACTICE)."""
        return self.factoring in (E.FACTORED, E.FACTORED_CONFIDENTIAL)


def allowed_next(history: StatusHistory) -> frozenset[EInvoiceStatus]:
    """Statuses that may follow ``history`` (the TRANSITIONS table plus annotations)."""
    state = history.business_status
    table = TRANSITIONS[history.direction]
    allowed = table.get(state, frozenset())
    if state is not None and state not in FINAL:
        allowed |= ANNOTATIONS
    return allowed


def apply_status(
    history: StatusHistory, new: EInvoiceStatus, at: datetime, reason: str = ""
) -> StatusHistory:
    """Return ``history`` with ``new`` appended, or raise ``TransitionError`` with a stable code.

    Codes: EINV-STATUS-TRANSITION (not allowed from the current status), EINV-STATUS-FINAL (after
    Refusée/Rejetée/Annulée, EINV-STATUS-REFUSED), EINV-STATUS-REASON-REQUIRED, EINV-STATUS-CLOCK
    (earlier than the previous status).
    """
    state = history.business_status
    if state is not None and state in FINAL:
        raise TransitionError(
            f"the invoice is {state.label_fr} ({state.code}): no status may follow "
            "(issue a new invoice or a credit note, EINV-STATUS-REFUSED)",
            code="EINV-STATUS-FINAL",
        )
    if new not in allowed_next(history):
        before = f"{state.label_fr} ({state.code})" if state else "a new invoice"
        raise TransitionError(
            f"status {new.label_fr} ({new.code}) cannot follow {before} "
            f"(direction: {history.direction.value})",
            code="EINV-STATUS-TRANSITION",
        )
    if new in REASON_REQUIRED and not reason.strip():
        raise TransitionError(
            f"status {new.label_fr} ({new.code}) needs a reason", code="EINV-STATUS-REASON-REQUIRED"
        )
    if history.changes and at < history.changes[-1].at:
        raise TransitionError(
            f"status {new.label_fr} is dated {at.isoformat()}, before the previous status "
            f"({history.changes[-1].at.isoformat()})",
            code="EINV-STATUS-CLOCK",
        )
    return StatusHistory(history.direction, (*history.changes, StatusChange(new, at, reason.strip())))


def is_final(status: EInvoiceStatus | None) -> bool:
    """No status may follow (Refusée, Rejetée, Annulée)."""
    return status in FINAL


def blocks_dunning(status: EInvoiceStatus | None) -> bool:
    """Automated reminders stop (CHECKLIST DUN-RELANCE-PRACTICE): disputed, suspended, refused, …

    Also rejected and cancelled invoices (never validly received / withdrawn) and factored ones
    (the factor collects). Confidential factoring leaves collection to the supplier.
    """
    return status in {E.DISPUTED, E.SUSPENDED, E.REFUSED, E.REJECTED, E.CANCELLED, E.FACTORED}


def history_blocks_dunning(history: StatusHistory) -> bool:
    """Reminders stop for the business status or while openly factored (DUN-RELANCE-PRACTICE)."""
    return blocks_dunning(history.business_status) or history.factoring is E.FACTORED
