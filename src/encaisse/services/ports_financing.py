"""What the payables and financing use cases need from storage (implemented by
``adapters.store.financing_repository.FinancingRepositoryMixin``), on top of :class:`Repository`.

Every method is scoped by ``company_id``; repositories never commit (the use case's transaction does).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from encaisse.domain.payables import PayableInvoice, PaymentBatch
from encaisse.services.ports import Repository


@dataclass(frozen=True)
class PaymentBatchRecord:
    """A stored pain.001 batch (the XML itself is read with ``payment_batch_xml``)."""

    id: int
    created_at: datetime
    execution_date: date
    total: Decimal
    count: int
    message_id: str
    version: str


@dataclass(frozen=True)
class FinancingAssignmentRecord:
    """A Dailly assignment or a factoring remittance, with the invoices it holds."""

    id: int
    kind: str  # dailly | factoring
    bank_name: str
    created_at: datetime
    total: Decimal
    invoice_ids: tuple[int, ...]
    has_bordereau: bool


class FinancingRepository(Repository, Protocol):
    # payables (supplier invoices of the inbox)
    def list_payables(self, company_id: int) -> list[PayableInvoice]: ...
    def payable_by_number(self, company_id: int, supplier_id: int, number: str) -> PayableInvoice | None: ...
    def set_received_approved(self, company_id: int, received_id: int, at: datetime | None) -> None: ...
    def set_received_status(self, company_id: int, received_ids: Sequence[int], status: str) -> None: ...
    def confirm_received_iban(self, company_id: int, supplier_id: int, iban: str) -> int: ...
    def batched_received_ids(self, company_id: int) -> set[int]: ...
    def add_payment_batch(self, company_id: int, batch: PaymentBatch, *, xml: bytes, version: str) -> int: ...
    def list_payment_batches(self, company_id: int) -> list[PaymentBatchRecord]: ...
    def payment_batch_xml(self, company_id: int, batch_id: int) -> bytes | None: ...

    # receivables financing (Dailly, factoring)
    def financed_invoice_ids(self, company_id: int) -> set[int]: ...
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
    ) -> int: ...
    def list_financing_assignments(self, company_id: int) -> list[FinancingAssignmentRecord]: ...


class FinancingUnitOfWork(Protocol):
    def __call__(self) -> AbstractContextManager[FinancingRepository]: ...
