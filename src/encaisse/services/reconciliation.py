"""Reconciliation use cases: propose, auto-apply, review (accept / reject), unmatch, categorise, export.

The pure engine (``domain/matching``) proposes; here proposals become allocations and payments.
``reconcile(auto=True)`` applies only confident proposals (score ≥ threshold); the others wait in
``match_proposal`` for the review page. Every applied match creates the payment, updates the
invoice status and is reversible (``unmatch``). Confirmations teach aliases and IBANs.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from encaisse.domain.bank import BankTransaction
from encaisse.domain.documents import InvoiceStatus
from encaisse.domain.errors import EncaisseError, ValidationError
from encaisse.domain.lifecycle import status_after_payments
from encaisse.domain.matching import (
    DEFAULT_RULES,
    Alias,
    CategoryRule,
    ItemKind,
    OpenItem,
    Proposal,
    categorize,
    learn_alias,
    learn_iban,
    match,
    rule_from_example,
)
from encaisse.domain.money import ZERO
from encaisse.services import audit
from encaisse.services.invoicing import apply_payment_in, remove_payment_in
from encaisse.services.ports import ProposalRecord, Repository, StoredTransaction, UnitOfWork

WRITEOFF_METHOD = {"fees": "bank_fees", "discount": "discount", "rounding": "rounding"}


@dataclass(frozen=True)
class ReconcileResult:
    transactions: int
    confident: int
    applied: int
    allocations: int
    to_review: int
    categorized: int
    unmatched: int


def _open_items(repo: Repository, company_id: int) -> tuple[list[OpenItem], dict[int, Decimal]]:
    """Open customer invoices as the engine sees them, and what was already paid on each."""
    items = []
    paid: dict[int, Decimal] = {}
    for r in repo.open_items_rows(company_id):
        due = r.total_incl_tax - r.amount_paid - r.amount_credited
        if due <= 0 or r.kind == "credit_note":
            continue
        snap = r.customer_snapshot or {}
        paid[r.id] = r.amount_paid
        items.append(
            OpenItem(
                id=r.id,
                number=r.number or "",
                kind=ItemKind.INVOICE,
                party_id=r.customer_id or 0,
                party_name=snap.get("name", ""),
                amount_due=due,
                total=r.total_incl_tax,
                issue_date=r.issue_date,
                due_date=r.due_date or r.issue_date,
                party_siren=snap.get("siren", ""),
                payment_reference=r.payment_reference or "",
                currency=r.currency,
            )
        )
    return items, paid


def _remaining(s: StoredTransaction) -> BankTransaction:
    """The transaction as the engine should see it: only what is not allocated yet."""
    left = abs(s.tx.amount) - s.amount_allocated
    return replace(s.tx, id=s.id, amount=left if s.tx.amount > 0 else -left)


def _user_rules(repo: Repository, company_id: int) -> list[CategoryRule]:
    rules = []
    for _, category, d in repo.list_rules(company_id):
        rules.append(
            CategoryRule(
                tokens=frozenset(d.get("tokens", [])),
                category=category,
                pcg_account=d.get("pcg_account", ""),
                sign=int(d.get("sign", 0)),
                min_amount=Decimal(d["min_amount"]) if d.get("min_amount") else None,
                max_amount=Decimal(d["max_amount"]) if d.get("max_amount") else None,
            )
        )
    return rules


def apply_proposal_in(
    repo: Repository,
    company_id: int,
    tx: StoredTransaction,
    allocations: list[dict[str, Any]],
    *,
    how: str,
    score: float | None,
    explanation: str,
    day: date,
    writeoff: Decimal = ZERO,
    writeoff_kind: str = "",
) -> int:
    """Create allocations + payments for one transaction; returns the number of allocations."""
    left = abs(tx.tx.amount) - tx.amount_allocated
    total = sum((Decimal(str(a["amount"])) for a in allocations), ZERO)
    if total > left:
        raise ValidationError(
            f"allocations ({total}) exceed what is left on the transaction ({left})",
            code="MATCH-OVER-ALLOCATED",
        )
    count = 0
    for a in allocations:
        amount = Decimal(str(a["amount"]))
        inv = repo.get_invoice(company_id, int(a["invoice_id"]))
        if inv.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID):
            raise ValidationError(
                f"invoice {inv.number} is {inv.status.value}: it cannot take a payment",
                code="MATCH-INVOICE-CLOSED",
            )
        alloc_id = repo.add_allocation(
            company_id, tx.id, inv.id or 0, amount, how=how, score=score, explanation=explanation
        )
        apply_payment_in(
            repo, inv, amount, tx.tx.booking_date or day, method="transfer", allocation_id=alloc_id
        )
        count += 1
    if writeoff > 0 and len(allocations) >= 1:
        inv = repo.get_invoice(company_id, int(allocations[-1]["invoice_id"]))
        if inv.status is not InvoiceStatus.PAID:
            apply_payment_in(
                repo,
                inv,
                min(writeoff, inv.amount_due),
                tx.tx.booking_date,
                method=WRITEOFF_METHOD.get(writeoff_kind, "writeoff"),
            )
    return count


class _Batch:
    """Confident proposals applied in bulk: allocations, payments, invoice and transaction updates."""

    def __init__(
        self, items: dict[Any, OpenItem], txs: dict[int, StoredTransaction], paid_before: dict[int, Decimal]
    ) -> None:
        self.items = items
        self.paid_before = paid_before
        self.txs = txs
        self.paid: dict[int, Decimal] = {}
        self.allocated: dict[int, Decimal] = {}
        self.allocs: list[dict[str, Any]] = []
        self.payments: list[dict[str, Any]] = []
        self.paid_on: dict[int, date] = {}

    def add(self, p: Proposal, tx_id: int) -> int:
        tx = self.txs[tx_id]
        day = tx.tx.booking_date
        left = abs(tx.tx.amount) - self.allocated.get(tx_id, tx.amount_allocated)
        used = ZERO
        for a in p.allocations:
            item = self.items[a.item_id]
            due = item.amount_due - (self.paid.get(int(a.item_id), ZERO))
            amount = min(a.amount, due, left - used)
            if amount <= 0:
                continue
            used += amount
            self.paid[int(a.item_id)] = self.paid.get(int(a.item_id), ZERO) + amount
            self.paid_on[int(a.item_id)] = day
            self.allocs.append(
                {
                    "transaction_id": tx_id,
                    "invoice_id": int(a.item_id),
                    "amount": amount,
                    "how": "auto",
                    "score": p.score,
                    "explanation": p.explanation_fr,
                }
            )
            self.payments.append(
                {
                    "invoice_id": int(a.item_id),
                    "date": day,
                    "amount": amount,
                    "method": "transfer",
                    "alloc_index": len(self.allocs) - 1,
                }
            )
        if p.writeoff > 0 and p.allocations:
            last = int(p.allocations[-1].item_id)
            rest = self.items[last].amount_due - self.paid.get(last, ZERO)
            wo = min(p.writeoff, rest)
            if wo > 0:
                self.paid[last] = self.paid.get(last, ZERO) + wo
                self.payments.append(
                    {
                        "invoice_id": last,
                        "date": day,
                        "amount": wo,
                        "method": WRITEOFF_METHOD.get(p.writeoff_kind, "writeoff"),
                        "alloc_index": None,
                    }
                )
        self.allocated[tx_id] = self.allocated.get(tx_id, tx.amount_allocated) + used
        return len(p.allocations)

    def flush(self, repo: Repository, company_id: int) -> None:
        invoices = []
        for item_id, extra in self.paid.items():
            item = self.items[item_id]
            paid = self.paid_before[item_id] + extra
            owed = paid + item.amount_due - extra  # total minus credit notes
            status = status_after_payments(InvoiceStatus.ISSUED, owed, paid)
            invoices.append(
                {
                    "id": item_id,
                    "amount_paid": self.paid_before[item_id] + extra,
                    "status": status.value,
                    "paid_on": self.paid_on.get(item_id) if status is InvoiceStatus.PAID else None,
                }
            )
        repo.bulk_apply(
            company_id,
            self.allocs,
            self.payments,
            invoices,
            [{"id": k, "amount_allocated": v} for k, v in self.allocated.items()],
        )


def _as_dicts(p: Proposal) -> list[dict[str, Any]]:
    return [{"invoice_id": a.item_id, "number": a.number, "amount": str(a.amount)} for a in p.allocations]


@contextmanager
def _bulk_work() -> Iterator[None]:
    """Large runs allocate hundreds of thousands of short-lived objects and no reference cycles:
    the cyclic garbage collector only slows them down, so it is paused and restored as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def reconcile(
    uow: UnitOfWork,
    company_id: int,
    today: date,
    *,
    auto: bool = False,
    threshold: float | None = None,
    actor: str = "",
) -> ReconcileResult:
    with _bulk_work(), uow() as repo:
        stored = list(repo.list_transactions(company_id, unmatched_only=True))
        items, paid_before = _open_items(repo, company_id)
        aliases = [Alias(text, pid) for text, pid in repo.list_aliases(company_id)]
        ibans = dict(repo.party_ibans(company_id))
        result = match(
            [_remaining(s) for s in stored],
            items,
            aliases=aliases,
            ibans=ibans,
            today=today,
            threshold=threshold,
        )
        applied = allocations = confident = 0
        pending: list[ProposalRecord] = []
        matched: set[int] = set()
        batch = _Batch({i.id: i for i in items}, {s.id: s for s in stored}, paid_before)
        for p in result.proposals:
            tx_id = int(p.transaction_id)
            if not p.allocations or any(a.amount <= 0 for a in p.allocations):
                continue
            matched.add(tx_id)
            confident += int(p.confident)
            if auto and p.confident:
                allocations += batch.add(p, tx_id)
                applied += 1
            else:
                pending.append(ProposalRecord(tx_id, _as_dicts(p), p.score, p.explanation_fr))
        batch.flush(repo, company_id)
        repo.replace_proposals(company_id, pending)
        categorized = 0
        if auto:
            rules = _user_rules(repo, company_id) + list(DEFAULT_RULES)
            found = [
                (s.id, rule.category)
                for s in stored
                if s.id not in matched
                and not s.amount_allocated
                and (rule := categorize(s.tx, rules)) is not None
            ]
            repo.set_categories(company_id, found)
            categorized = len(found)
        if applied or categorized:
            audit.record(
                repo,
                company_id,
                "bank.reconciled",
                "company",
                company_id,
                {"applied": applied, "allocations": allocations, "categorized": categorized},
                actor=actor,
            )
    return ReconcileResult(
        len(stored),
        confident,
        applied,
        allocations,
        len(pending),
        categorized,
        len(stored) - len(matched) - categorized,
    )


def categorize_all(uow: UnitOfWork, company_id: int, *, before: date | None = None) -> int:
    """Apply the categorisation rules (the user's, then the defaults) to uncategorised, unmatched lines."""
    with uow() as repo:
        rules = _user_rules(repo, company_id) + list(DEFAULT_RULES)
        found = [
            (s.id, rule.category)
            for s in repo.list_transactions(company_id, unmatched_only=True)
            if not s.amount_allocated
            and (before is None or s.tx.booking_date < before)
            and (rule := categorize(s.tx, rules)) is not None
        ]
        repo.set_categories(company_id, found)
    return len(found)


def accept_proposal(
    uow: UnitOfWork, company_id: int, proposal_id: int, today: date, *, actor: str = ""
) -> int:
    """The user confirms a proposal: apply it and learn the payer's name and IBAN."""
    with uow() as repo:
        p = repo.set_proposal_status(company_id, proposal_id, "accepted")
        tx = repo.get_transaction(company_id, p.transaction_id)
        n = apply_proposal_in(
            repo,
            company_id,
            tx,
            p.allocations,
            how="manual",
            score=p.score,
            explanation=p.explanation,
            day=today,
        )
        _learn(repo, company_id, tx, p.allocations)
        audit.record(
            repo,
            company_id,
            "bank.match_accepted",
            "bank_transaction",
            tx.id,
            {"allocations": p.allocations},
            actor=actor,
        )
        return n


def reject_proposal(uow: UnitOfWork, company_id: int, proposal_id: int, *, actor: str = "") -> None:
    with uow() as repo:
        repo.set_proposal_status(company_id, proposal_id, "rejected")


def manual_match(
    uow: UnitOfWork,
    company_id: int,
    tx_id: int,
    allocations: list[dict[str, Any]],
    today: date,
    *,
    actor: str = "",
) -> int:
    """Match a transaction by hand (search + split): ``[{"invoice_id", "amount"}]``."""
    with uow() as repo:
        tx = repo.get_transaction(company_id, tx_id)
        if tx.tx.amount <= 0:
            raise ValidationError("only credits can settle customer invoices", code="MATCH-DEBIT")
        n = apply_proposal_in(
            repo,
            company_id,
            tx,
            allocations,
            how="manual",
            score=None,
            explanation="rapprochement manuel",
            day=today,
        )
        _learn(repo, company_id, tx, allocations)
        audit.record(
            repo,
            company_id,
            "bank.match_manual",
            "bank_transaction",
            tx.id,
            {"allocations": [{k: str(v) for k, v in a.items()} for a in allocations]},
            actor=actor,
        )
        return n


def _learn(
    repo: Repository, company_id: int, tx: StoredTransaction, allocations: list[dict[str, Any]]
) -> None:
    if not allocations:
        return
    inv = repo.get_invoice(company_id, int(allocations[0]["invoice_id"]))
    party_id = inv.customer.id
    if party_id is None:
        return
    try:
        alias = learn_alias(tx.tx, party_id)
        repo.add_alias(company_id, alias.text_normalized, int(alias.party_id))
    except EncaisseError:
        pass
    pair = learn_iban(tx.tx, party_id)
    if pair is not None:
        party = repo.get_party(company_id, party_id)
        if not party.iban:
            repo.update_party(company_id, replace(party, iban=pair[0][:40]))


def unmatch(uow: UnitOfWork, company_id: int, allocation_id: int, *, actor: str = "") -> None:
    """Reverse one applied allocation: its payment is removed and the invoice status recomputed."""
    with uow() as repo:
        rec = repo.get_allocation(company_id, allocation_id)
        inv = repo.get_invoice(company_id, rec.invoice_id)
        repo.delete_allocation(company_id, allocation_id)
        remove_payment_in(repo, inv, rec.amount)
        audit.record(
            repo,
            company_id,
            "bank.unmatched",
            "allocation",
            allocation_id,
            {"invoice": rec.invoice_number, "amount": str(rec.amount)},
            actor=actor,
        )


def add_rule_from_example(
    uow: UnitOfWork, company_id: int, tx_id: int, category: str, *, pcg_account: str = "", actor: str = ""
) -> int:
    """Create a categorisation rule from one example transaction and apply it to that transaction."""
    with uow() as repo:
        tx = repo.get_transaction(company_id, tx_id)
        rule = rule_from_example(tx.tx, category, pcg_account=pcg_account or None)
        rid = repo.add_rule(
            company_id,
            category,
            {
                "tokens": sorted(rule.tokens),
                "pcg_account": rule.pcg_account,
                "sign": rule.sign,
                "min_amount": str(rule.min_amount) if rule.min_amount is not None else None,
                "max_amount": str(rule.max_amount) if rule.max_amount is not None else None,
            },
        )
        repo.set_transaction_category(company_id, tx_id, category)
        audit.record(
            repo,
            company_id,
            "bank.rule_created",
            "category_rule",
            rid,
            {"category": category, "tokens": sorted(rule.tokens)},
            actor=actor,
        )
        return rid


def match_rows(uow: UnitOfWork, company_id: int) -> list[dict[str, str]]:
    """``transaction_id,invoice_number,amount``: one row per allocation (contract of ``export matches``)."""
    with uow() as repo:
        return [
            {
                "transaction_id": a.transaction_id,
                "invoice_number": a.invoice_number,
                "amount": f"{a.amount:.2f}",
            }
            for a in repo.list_allocations(company_id)
        ]
