"""Plain data of the reconciliation engine: open items in, proposals out.

An *open item* is whatever a bank movement can settle: a customer invoice, a customer credit note
(a negative receivable, netted inside a grouped payment) or a supplier invoice (settled by a debit).
Amounts of an :class:`Allocation` are in the item's own sign: positive for invoices and supplier
invoices, negative for a credit note taken into a grouped payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

PartyId = int | str
ItemId = int | str
TransactionKey = int | str


class ItemKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    SUPPLIER_INVOICE = "supplier_invoice"


@dataclass(frozen=True)
class OpenItem:
    """One open receivable or payable, as the engine needs to see it.

    ``amount_due`` is what remains to be paid (positive, also for credit notes: the kind gives the
    sign); ``total`` is the document's total including tax.
    """

    id: ItemId
    number: str
    kind: ItemKind
    party_id: PartyId
    party_name: str
    amount_due: Decimal
    total: Decimal
    issue_date: date
    due_date: date
    party_siren: str = ""
    payment_reference: str = ""  # ISO 11649 "RF…" creditor reference, or ""
    currency: str = "EUR"


@dataclass(frozen=True)
class Alias:
    """A counterparty text (normalized, see :func:`normalize.normalize_name`) known to be a party."""

    text_normalized: str
    party_id: PartyId


@dataclass(frozen=True)
class Allocation:
    """Part of a transaction applied to one item (in the item's sign, see module docstring)."""

    item_id: ItemId
    number: str
    amount: Decimal


@dataclass(frozen=True)
class Reason:
    """One piece of evidence: a stable code and its French wording for the user."""

    code: str
    text_fr: str


@dataclass(frozen=True)
class Proposal:
    """The engine's best explanation of one bank transaction.

    ``writeoff`` is a small difference the engine explains (bank fees, early-payment discount,
    rounding): the items are considered settled and the difference goes to an expense account.
    ``excess`` is an over-payment left unallocated (to refund or keep as a customer credit).
    """

    transaction_id: TransactionKey
    allocations: tuple[Allocation, ...]
    score: float
    reasons: tuple[Reason, ...]
    explanation_fr: str
    confident: bool
    party_id: PartyId | None = None
    writeoff: Decimal = Decimal("0.00")
    writeoff_kind: str = ""  # "fees" | "discount" | "rounding" | ""
    excess: Decimal = Decimal("0.00")

    @property
    def allocated(self) -> Decimal:
        return sum((a.amount for a in self.allocations), Decimal("0.00"))


@dataclass(frozen=True)
class MatchResult:
    """Proposals (confident or to review) and the keys of transactions with no candidate at all."""

    proposals: tuple[Proposal, ...]
    unmatched: tuple[TransactionKey, ...]

    def confident(self) -> tuple[Proposal, ...]:
        return tuple(p for p in self.proposals if p.confident)


@dataclass(frozen=True)
class MatchConfig:
    """Tunable bounds of the engine (defaults tuned on ``bench/reconcile_inmemory.py``)."""

    threshold: float = 0.97
    max_fee_cents: int = 3000  # bank fees deducted by the payer's or an intermediary bank
    rounding_cents: int = 2
    max_subset_items: int = 12  # the party's oldest open items searched for a grouped payment
    max_subset_size: int = 6
    issue_slack_days: int = 5  # a payment may be booked a few days before the invoice date
    max_party_items: int = 40
    name_min_similarity: float = 72.0
    skip_search_logit: float = 4.0  # no subset search once a hypothesis is this likely
