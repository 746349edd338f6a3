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
from encaisse.domain.documents import Invoice, Quote, QuoteStatus
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


#: Header of ``encaisse invoice list --format csv`` (DESIGN.md CLI contract) and of the web CSV export.
INVOICE_CSV_HEADER = (
    "number",
    "kind",
    "status",
    "customer_name",
    "customer_siren",
    "issue_date",
    "due_date",
    "total_incl_tax",
    "amount_due",
    "currency",
)


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

    def contract_values(self) -> dict[str, str]:
        """The row as the CLI contract prints it: ISO dates, amounts with a dot and two decimals."""
        return {
            "number": self.number,
            "kind": self.kind,
            "status": self.status,
            "customer_name": self.customer_name,
            "customer_siren": self.customer_siren,
            "issue_date": self.issue_date.isoformat(),
            "due_date": self.due_date.isoformat() if self.due_date else "",
            "total_incl_tax": f"{self.total_incl_tax:.2f}",
            "amount_due": f"{self.amount_due:.2f}",
            "currency": self.currency,
        }


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
class AccountRecord:
    id: int
    iban: str
    bic: str
    name: str
    currency: str
    balance: Decimal | None
    balance_date: date | None


@dataclass(frozen=True)
class AllocationRecord:
    id: int
    transaction_db_id: int
    transaction_id: str  # the bank's reference (contract transaction_id)
    invoice_id: int
    invoice_number: str
    amount: Decimal
    how: str
    score: float | None
    explanation: str


@dataclass(frozen=True)
class ProposalRecord:
    transaction_id: int  # bank_transaction primary key
    allocations: list[dict[str, Any]]  # [{"invoice_id", "number", "amount"}]
    score: float
    explanation: str
    id: int | None = None


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
    def customer_index(self, company_id: int) -> tuple[dict[str, Party], dict[str, Party]]: ...
    def add_parties_bulk(self, company_id: int, parties: Sequence[Party]) -> list[Party]: ...
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
    def set_sequence(self, company_id: int, series: str, fiscal_year: int, last_value: int) -> None: ...
    def add_item(
        self,
        company_id: int,
        *,
        code: str,
        description: str,
        unit: str,
        unit_price: Decimal,
        vat_rate: Decimal,
        nature: str,
    ) -> int: ...
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
    def answer_quote(self, quote: Quote, *, expected: QuoteStatus) -> bool: ...
    def quote_link_nonce(self, company_id: int, quote_id: int) -> str | None: ...
    def set_quote_link_nonce(self, company_id: int, quote_id: int, nonce: str | None) -> None: ...
    def quote_of_link_nonce(self, nonce: str) -> tuple[int, int] | None: ...
    def get_quote(self, company_id: int, quote_id: int) -> Quote: ...
    def list_quotes(
        self, company_id: int, *, status: str | None = None, limit: int | None = None
    ) -> list[Quote]: ...
    def next_quote_number(self, company_id: int, year: int) -> int: ...
    def set_invoice_flags(self, company_id: int, invoice_id: int, **flags: Any) -> None: ...

    # bank
    def get_or_create_account(
        self, company_id: int, iban: str, *, bic: str = "", name: str = "", currency: str = "EUR"
    ) -> int: ...
    def list_accounts(self, company_id: int) -> list[AccountRecord]: ...
    def set_account_balance(self, company_id: int, account_id: int, balance: Decimal, day: date) -> None: ...
    def existing_dedupe_keys(self, company_id: int, account_id: int, keys: Sequence[str]) -> set[str]: ...
    def add_statement_file(
        self, company_id: int, *, sha256: str, filename: str, fmt: str, new: int, duplicates: int
    ) -> int: ...
    def add_transactions(
        self,
        company_id: int,
        account_id: int,
        rows: Sequence[tuple[BankTransaction, str, str]],
        statement_file_id: int | None,
    ) -> None: ...
    def list_transactions(
        self,
        company_id: int,
        *,
        account_iban: str | None = None,
        unmatched_only: bool = False,
        credits_only: bool = False,
        limit: int | None = None,
        offset: int = 0,
        ids: Sequence[int] | None = None,
    ) -> list[StoredTransaction]: ...
    def count_transactions(self, company_id: int, *, unmatched_only: bool = False) -> int: ...
    def get_transaction(self, company_id: int, tx_id: int) -> StoredTransaction: ...
    def set_transaction_category(self, company_id: int, tx_id: int, category: str | None) -> None: ...
    def set_categories(self, company_id: int, categories: Sequence[tuple[int, str | None]]) -> None: ...
    def add_allocation(
        self,
        company_id: int,
        tx_id: int,
        invoice_id: int,
        amount: Decimal,
        *,
        how: str,
        score: float | None,
        explanation: str,
    ) -> int: ...
    def delete_allocation(self, company_id: int, allocation_id: int) -> AllocationRecord: ...
    def bulk_apply(
        self,
        company_id: int,
        allocations: Sequence[dict[str, Any]],
        payments: Sequence[dict[str, Any]],
        invoices: Sequence[dict[str, Any]],
        transactions: Sequence[dict[str, Any]],
    ) -> None: ...
    def get_allocation(self, company_id: int, allocation_id: int) -> AllocationRecord: ...
    def list_allocations(
        self, company_id: int, *, transaction_id: int | None = None, invoice_id: int | None = None
    ) -> list[AllocationRecord]: ...
    def replace_proposals(self, company_id: int, proposals: Sequence[ProposalRecord]) -> None: ...
    def list_proposals(self, company_id: int, *, status: str = "pending") -> list[ProposalRecord]: ...
    def set_proposal_status(self, company_id: int, proposal_id: int, status: str) -> ProposalRecord: ...
    def list_aliases(self, company_id: int) -> list[tuple[str, int]]: ...
    def add_alias(self, company_id: int, text: str, party_id: int) -> None: ...
    def list_rules(self, company_id: int) -> list[tuple[int, str, dict[str, Any]]]: ...
    def add_rule(self, company_id: int, category: str, definition: dict[str, Any]) -> int: ...
    def party_ibans(self, company_id: int) -> list[tuple[str, int]]: ...
    def open_items_rows(self, company_id: int) -> Iterable[Any]: ...

    def load_invoices(self, company_id: int) -> list[Invoice]: ...
    def all_payments(self, company_id: int) -> list[tuple[str, date, Decimal]]: ...

    # inbox (supplier e-invoices)
    def find_received(self, company_id: int, supplier_id: int, number: str) -> int | None: ...
    def add_received(self, company_id: int, values: dict[str, Any]) -> int: ...
    def list_received(self, company_id: int, *, open_only: bool = False) -> list[dict[str, Any]]: ...
    def get_received_original(self, company_id: int, received_id: int) -> tuple[str, bytes] | None: ...

    # e-invoicing lifecycle statuses
    def status_events(self, company_id: int, *, invoice_id: int) -> list[tuple[str, datetime, str]]: ...
    def add_status_event(
        self, company_id: int, *, invoice_id: int, status: str, at: datetime, reason: str
    ) -> None: ...

    # audit
    def last_audit(self, company_id: int) -> AuditEntry | None: ...
    def add_audit(self, company_id: int, entry: AuditEntry) -> None: ...
    def audit_entries(self, company_id: int) -> list[AuditEntry]: ...

    # web read models, catalogue, API tokens and memberships (web issue)
    def list_items(self, company_id: int) -> list[ItemRecord]: ...
    def invoice_totals(self, company_id: int, flt: InvoiceFilter) -> tuple[int, Decimal]: ...
    def receivables_summary(self, company_id: int, today: date) -> tuple[int, Decimal, int, Decimal]: ...
    def invoices_due_between(
        self, company_id: int, start: date, end: date, limit: int
    ) -> list[InvoiceRow]: ...
    def customer_rows(
        self,
        company_id: int,
        today: date,
        *,
        search: str = "",
        sort: str = "name",
        limit: int | None = None,
        offset: int = 0,
    ) -> list[CustomerRow]: ...
    def payment_delays(self, company_id: int, customer_id: int) -> list[tuple[date, date]]: ...
    def invoice_ids_of_quote(self, company_id: int, quote_number: str) -> list[int]: ...
    def add_api_token(self, company_id: int, user_id: int, name: str, token_hash: str) -> int: ...
    def api_token_by_hash(self, token_hash: str) -> ApiTokenRecord | None: ...
    def list_api_tokens(self, company_id: int) -> list[ApiTokenRecord]: ...
    def revoke_api_token(self, company_id: int, token_id: int) -> bool: ...
    def set_membership_role(self, user_id: int, company_id: int, role: str) -> None: ...
    def remove_membership(self, user_id: int, company_id: int) -> None: ...
    # cash alerts (forecast issue): the company's low-balance threshold, None when not set
    def get_low_balance_threshold(self, company_id: int) -> Decimal | None: ...
    def set_low_balance_threshold(self, company_id: int, value: Decimal | None) -> None: ...


class UnitOfWork(Protocol):
    def __call__(self) -> AbstractContextManager[Repository]: ...


@dataclass(frozen=True)
class ItemRecord:
    """A catalogue item (article) offered on quotes and invoices."""

    id: int
    code: str
    description: str
    unit: str
    unit_price: Decimal
    vat_rate: Decimal
    nature: str


@dataclass(frozen=True)
class CustomerRow:
    """A customer with what it owes, for the customer list."""

    id: int
    name: str
    siren: str
    city: str
    email: str
    open_invoices: int
    outstanding: Decimal
    overdue: Decimal


@dataclass(frozen=True)
class ApiTokenRecord:
    """A REST API token; only the SHA-256 of the secret is stored."""

    id: int
    company_id: int
    user_id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None
