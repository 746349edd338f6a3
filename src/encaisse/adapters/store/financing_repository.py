"""Supplier payment batches and receivables financing (mixin of ``SqlRepository``).

``FinancingRepositoryMixin`` implements the extra methods of ``services.ports_financing.FinancingRepository``
over the tables of ``tables_financing.py`` (migration 0002). Until it is mixed into ``SqlRepository``,
:class:`FinancingUnitOfWork` yields a repository with both (like ``jobs/collections_store.py``).
Repositories never commit: the use case's transaction does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from encaisse.adapters.store import tables as t
from encaisse.adapters.store import tables_financing as tf
from encaisse.adapters.store.types import utc
from encaisse.domain.payables import PayableInvoice, PaymentBatch
from encaisse.services.ports_financing import FinancingAssignmentRecord, PaymentBatchRecord


def _payable_from(r: Any) -> PayableInvoice:
    return PayableInvoice(
        id=r.id,
        supplier_id=r.supplier_id,
        supplier_name=r.supplier_name,
        number=r.number,
        issue_date=r.issue_date,
        due_date=r.due_date,
        amount_due=r.amount_due,
        amount_paid=r.amount_paid,
        currency=r.currency,
        invoice_iban=r.iban,
        supplier_iban=r.supplier_iban,
        supplier_bic=r.supplier_bic,
        status=r.status,
        approved_at=utc(r.approved_at) if r.approved_at is not None else None,
        payment_reference=r.payment_reference,
    )


class FinancingRepositoryMixin:
    conn: Connection

    # ---- payables --------------------------------------------------------------------------
    def _payables_query(self, company_id: int) -> Any:
        ri, p = t.received_invoice, t.party
        return (
            sa.select(
                ri.c.id,
                ri.c.supplier_id,
                ri.c.number,
                ri.c.issue_date,
                ri.c.due_date,
                ri.c.amount_due,
                ri.c.amount_paid,
                ri.c.currency,
                ri.c.iban,
                ri.c.status,
                ri.c.payment_reference,
                tf.received_approved_at.label("approved_at"),
                p.c.name.label("supplier_name"),
                p.c.iban.label("supplier_iban"),
                p.c.bic.label("supplier_bic"),
            )
            .select_from(ri.join(p, p.c.id == ri.c.supplier_id))
            .where(ri.c.company_id == company_id)
        )

    def list_payables(self, company_id: int) -> list[PayableInvoice]:
        ri = t.received_invoice
        q = self._payables_query(company_id).order_by(ri.c.due_date, ri.c.id)
        return [_payable_from(r) for r in self.conn.execute(q)]

    def payable_by_number(self, company_id: int, supplier_id: int, number: str) -> PayableInvoice | None:
        ri = t.received_invoice
        q = self._payables_query(company_id).where(ri.c.supplier_id == supplier_id, ri.c.number == number)
        row = self.conn.execute(q).first()
        return _payable_from(row) if row else None

    def set_received_approved(self, company_id: int, received_id: int, at: datetime | None) -> None:
        ap = tf.received_approval
        self.conn.execute(
            ap.update().where(ap.c.company_id == company_id, ap.c.id == received_id).values(approved_at=at)
        )

    def set_received_status(self, company_id: int, received_ids: Sequence[int], status: str) -> None:
        if not received_ids:
            return
        ri = t.received_invoice
        self.conn.execute(
            ri.update()
            .where(ri.c.company_id == company_id, ri.c.id.in_(list(received_ids)))
            .values(status=status)
        )

    def confirm_received_iban(self, company_id: int, supplier_id: int, iban: str) -> int:
        """Clear the "IBAN changed" flag of the supplier's invoices that carry ``iban``; how many."""
        ri = t.received_invoice
        result = self.conn.execute(
            ri.update()
            .where(
                ri.c.company_id == company_id,
                ri.c.supplier_id == supplier_id,
                ri.c.status == "iban_changed",
                ri.c.iban == iban,
            )
            .values(status="received")
        )
        return int(result.rowcount or 0)

    def batched_received_ids(self, company_id: int) -> set[int]:
        item = tf.payment_batch_item
        rows = self.conn.execute(sa.select(item.c.received_invoice_id).where(item.c.company_id == company_id))
        return {int(r[0]) for r in rows}

    def add_payment_batch(self, company_id: int, batch: PaymentBatch, *, xml: bytes, version: str) -> int:
        pb = tf.payment_batch
        batch_id = int(
            self.conn.execute(
                pb.insert()
                .values(
                    company_id=company_id,
                    created_at=batch.created_at,
                    execution_date=batch.execution_date,
                    total=batch.total,
                    count=batch.count,
                    message_id=batch.message_id,
                    version=version,
                    xml=xml,
                )
                .returning(pb.c.id)
            ).scalar_one()
        )
        items = [
            {
                "company_id": company_id,
                "batch_id": batch_id,
                "received_invoice_id": i.invoice_id,
                "amount": i.amount,
            }
            for i in batch.instructions
            if i.invoice_id is not None
        ]
        if items:
            self.conn.execute(tf.payment_batch_item.insert(), items)
        return batch_id

    def list_payment_batches(self, company_id: int) -> list[PaymentBatchRecord]:
        pb = tf.payment_batch
        rows = self.conn.execute(
            sa.select(
                pb.c.id,
                pb.c.created_at,
                pb.c.execution_date,
                pb.c.total,
                pb.c.count.label("n"),
                pb.c.message_id,
                pb.c.version,
            )
            .where(pb.c.company_id == company_id)
            .order_by(pb.c.id.desc())
        )
        return [
            PaymentBatchRecord(
                r.id, utc(r.created_at), r.execution_date, r.total, r.n, r.message_id, r.version
            )
            for r in rows
        ]

    def payment_batch_xml(self, company_id: int, batch_id: int) -> bytes | None:
        pb = tf.payment_batch
        row = self.conn.execute(
            sa.select(pb.c.xml).where(pb.c.company_id == company_id, pb.c.id == batch_id)
        ).first()
        return bytes(row.xml) if row else None

    # ---- financing ---------------------------------------------------------------------------
    def financed_invoice_ids(self, company_id: int) -> set[int]:
        fi = tf.financing_item
        rows = self.conn.execute(sa.select(fi.c.invoice_id).where(fi.c.company_id == company_id))
        return {int(r[0]) for r in rows}

    def add_financing_assignment(
        self,
        company_id: int,
        *,
        kind: str,
        bank_name: str,
        created_at: datetime,
        total: Decimal,
        bordereau_pdf: bytes | None,
        items: Sequence[tuple[int, Decimal]],
    ) -> int:
        fa = tf.financing_assignment
        assignment_id = int(
            self.conn.execute(
                fa.insert()
                .values(
                    company_id=company_id,
                    kind=kind,
                    bank_name=bank_name[:200],
                    created_at=created_at,
                    total=total,
                    bordereau_pdf=bordereau_pdf,
                )
                .returning(fa.c.id)
            ).scalar_one()
        )
        if items:
            self.conn.execute(
                tf.financing_item.insert(),
                [
                    {
                        "company_id": company_id,
                        "assignment_id": assignment_id,
                        "invoice_id": iid,
                        "amount": amt,
                    }
                    for iid, amt in items
                ],
            )
        return assignment_id

    def list_financing_assignments(self, company_id: int) -> list[FinancingAssignmentRecord]:
        fa, fi = tf.financing_assignment, tf.financing_item
        invoices: dict[int, list[int]] = defaultdict(list)
        for r in self.conn.execute(
            sa.select(fi.c.assignment_id, fi.c.invoice_id)
            .where(fi.c.company_id == company_id)
            .order_by(fi.c.id)
        ):
            invoices[int(r.assignment_id)].append(int(r.invoice_id))
        rows = self.conn.execute(
            sa.select(
                fa.c.id,
                fa.c.kind,
                fa.c.bank_name,
                fa.c.created_at,
                fa.c.total,
                fa.c.bordereau_pdf.is_not(None).label("has_bordereau"),
            )
            .where(fa.c.company_id == company_id)
            .order_by(fa.c.id.desc())
        )
        return [
            FinancingAssignmentRecord(
                r.id,
                r.kind,
                r.bank_name,
                utc(r.created_at),
                r.total,
                tuple(invoices[r.id]),
                bool(r.has_bordereau),
            )
            for r in rows
        ]
