"""What the use cases need from storage, as Protocols (implemented in ``adapters/store``).

Use cases own transactions: ``with uow() as repo:`` is one transaction that commits on success.
Repositories never commit. Every method is scoped by ``company_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from encaisse.domain.bank import BankTransaction
from encaisse.domain.documents import Invoice, Quote
from encaisse.domain.parties import Company, Party


@dataclass(frozen=True)
class InvoiceFilter:
    status: str | None = None
    kind: str | None = None
    customer_id: int | None = None
    search: str = ""
    overdue_on: date | None = None
    open_only: bool = False
    sort: str = "-issue_date"
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True)
class InvoiceRow:
    """A light invoice row for lists (no lines)."""

    id: int
    number: str
    kind: str
    status: str
    customer_id: int | None
    customer_name: str
    customer_siren: str
    issue_date: date
    due_date: date | None
    total_excl_tax: Decimal
    total_incl_tax: Decimal
    amount_paid: Decimal
    amount_credited: Decimal
    currency: str
    payment_reference: str = ""
    disputed: bool = False

    @property
    def amount_due(self) -> Decimal:
        if self.status in ("draft", "cancelled"):
            return Decimal("0.00")
        return max(Decimal("0.00"), self.total_incl_tax - self.amount_paid - self.amount_credited)


@dataclass(frozen=True)
class StoredTransaction:
    tx: BankTransaction
    id: int
    account_id: int
    account_iban: str
    transaction_id: str
    amount_allocated: Decimal
    category: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class UserRecord:
    id: int
    email: str
    name: str
    password_hash: str
    memberships: tuple[tuple[int, str], ...] = field(default_factory=tuple)  # (company_id, role)


class Repository(Protocol):
    # companies and users
    def add_company(self, company: Company) -> Company: ...
    def get_company(self, company_id: int) -> Company: ...
    def update_company(self, company: Company) -> Company: ...
    def list_companies(self) -> list[Company]: ...
    def company_by_siren(self, siren: str) -> Company | None: ...
    def add_user(self, email: str, name: str, password_hash: str) -> int: ...
    def user_by_email(self, email: str) -> UserRecord | None: ...
    def user_by_id(self, user_id: int) -> UserRecord | None: ...
    def set_password_hash(self, user_id: int, password_hash: str) -> None: ...
    def add_membership(self, user_id: int, company_id: int, role: str) -> None: ...
    def list_members(self, company_id: int) -> list[tuple[UserRecord, str]]: ...

    # parties
    def add_party(self, company_id: int, party: Party) -> Party: ...
    def update_party(self, company_id: int, party: Party) -> Party: ...
    def get_party(self, company_id: int, party_id: int) -> Party: ...
    def find_party(
        self, company_id: int, *, siren: str = "", name: str = "", kind: str = ""
    ) -> Party | None: ...
    def list_parties(
        self, company_id: int, kind: str, *, search: str = "", limit: int | None = None, offset: int = 0
    ) -> list[Party]: ...
    def count_parties(self, company_id: int, kind: str, *, search: str = "") -> int: ...

    # documents
    def add_invoice(self, invoice: Invoice) -> Invoice: ...
    def add_invoices_bulk(self, invoices: Sequence[Invoice]) -> None: ...
    def add_imported_invoices(self, invoices: Sequence[Invoice]) -> None: ...
    def existing_imported(
        self, company_id: int, numbers: Sequence[str]
    ) -> dict[str, tuple[Decimal, str]]: ...
    def update_invoice(self, invoice: Invoice) -> Invoice: ...
    def delete_invoice(self, company_id: int, invoice_id: int) -> None: ...
    def get_invoice(self, company_id: int, invoice_id: int) -> Invoice: ...
    def invoice_by_number(self, company_id: int, number: str) -> Invoice | None: ...
    def invoice_numbers(self, company_id: int, numbers: Iterable[str]) -> set[str]: ...
    def list_invoices(self, company_id: int, flt: InvoiceFilter) -> list[InvoiceRow]: ...
    def count_invoices(self, company_id: int, flt: InvoiceFilter) -> int: ...
    def next_number(self, company_id: int, series: str, fiscal_year: int) -> int: ...
    def set_invoice_settlement(
        self,
        company_id: int,
        invoice_id: int,
        *,
        amount_paid: Decimal,
        amount_credited: Decimal,
        status: str,
        paid_on: date | None,
    ) -> None: ...
    def add_payment(
        self,
        company_id: int,
        invoice_id: int,
        day: date,
        amount: Decimal,
        *,
        method: str = "transfer",
        allocation_id: int | None = None,
        note: str = "",
    ) -> int: ...
    def payments_of(self, company_id: int, invoice_id: int) -> list[tuple[int, date, Decimal, str]]: ...
    def delete_payments_of_allocation(self, company_id: int, allocation_id: int) -> None: ...
    def add_quote(self, quote: Quote) -> Quote: ...
    def update_quote(self, quote: Quote) -> Quote: ...
    def get_quote(self, company_id: int, quote_id: int) -> Quote: ...
    def list_quotes(
        self, company_id: int, *, status: str | None = None, limit: int | None = None
    ) -> list[Quote]: ...
    def next_quote_number(self, company_id: int, year: int) -> int: ...
    def set_invoice_flags(self, company_id: int, invoice_id: int, **flags: Any) -> None: ...

    # audit
    def last_audit(self, company_id: int) -> AuditEntry | None: ...
    def add_audit(self, company_id: int, entry: AuditEntry) -> None: ...
    def audit_entries(self, company_id: int) -> list[AuditEntry]: ...


class UnitOfWork(Protocol):
    def __call__(self) -> AbstractContextManager[Repository]: ...
