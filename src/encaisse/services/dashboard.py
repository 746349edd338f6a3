"""Read model of the dashboard: cash today, what customers owe, what is late, what to do today.

SCENARIOS 1 ("the dashboard immediately shows the cash position, what customers owe, and what is
late") and 3 ("the owner sees each morning the short list of calls to make"). Aggregates are
computed in SQL (``invoice_totals``) so the page stays fast with 100,000 invoices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from encaisse.domain.money import ZERO
from encaisse.services.ports import AccountRecord, InvoiceFilter, InvoiceRow, Repository

#: How many days ahead "due soon" looks.
DUE_SOON_DAYS = 7
#: How many overdue invoices the "calls to make" list shows.
CALLS_TO_MAKE = 5


@dataclass(frozen=True)
class Todo:
    """One thing to do today: a stable ``kind`` (the page words it), how many, how much."""

    kind: str  # overdue_calls | drafts | quotes_sent | quotes_accepted | bank_unmatched
    count: int
    amount: Decimal | None = None


@dataclass(frozen=True)
class Dashboard:
    today: date
    accounts: list[AccountRecord]
    open_count: int
    open_amount: Decimal
    overdue_count: int
    overdue_amount: Decimal
    calls_to_make: list[InvoiceRow]
    due_soon: list[InvoiceRow]
    todos: list[Todo] = field(default_factory=list)

    @property
    def cash(self) -> Decimal | None:
        """Sum of the known bank balances (None when no account has a balance yet)."""
        known = [a.balance for a in self.accounts if a.balance is not None]
        return sum(known, ZERO) if known else None

    @property
    def cash_date(self) -> date | None:
        """The oldest balance date: the cash figure is true at least as of that day."""
        dates = [a.balance_date for a in self.accounts if a.balance_date is not None]
        return min(dates) if dates else None

    @property
    def due_not_late_amount(self) -> Decimal:
        return self.open_amount - self.overdue_amount


def dashboard(repo: Repository, company_id: int, today: date) -> Dashboard:
    """Everything the dashboard shows, from one read-only repository."""
    open_count, open_amount, overdue_count, overdue_amount = repo.receivables_summary(company_id, today)
    calls = repo.list_invoices(
        company_id, InvoiceFilter(overdue_on=today, sort="-total", limit=CALLS_TO_MAKE)
    )
    due_soon = repo.invoices_due_between(company_id, today, today + timedelta(days=DUE_SOON_DAYS), 10)
    drafts = repo.count_invoices(company_id, InvoiceFilter(status="draft"))
    sent = repo.list_quotes(company_id, status="sent")
    accepted = repo.list_quotes(company_id, status="accepted")
    unmatched = repo.count_transactions(company_id, unmatched_only=True)
    todos = [
        Todo("overdue_calls", overdue_count, overdue_amount),
        Todo("drafts", drafts),
        Todo("quotes_accepted", len(accepted)),
        Todo("quotes_sent", len(sent)),
        Todo("bank_unmatched", unmatched),
    ]
    return Dashboard(
        today=today,
        accounts=repo.list_accounts(company_id),
        open_count=open_count,
        open_amount=open_amount,
        overdue_count=overdue_count,
        overdue_amount=overdue_amount,
        calls_to_make=calls,
        due_soon=due_soon,
        todos=[t for t in todos if t.count],
    )
