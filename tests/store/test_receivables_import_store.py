"""Imported receivables (``encaisse import invoices``) written by the bulk path, on SQLite and PostgreSQL.

The bulk insert converts values itself (money to cents, JSON snapshots, dates) and sends them with
one driver-level executemany: every field must read back exactly as the use case meant it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from encaisse.domain.documents import InvoiceStatus
from encaisse.services.receivables_import import import_receivables
from tests_support import new_company

CSV = (
    "number,issue_date,due_date,customer_name,customer_siren,total_incl_tax,currency\n"
    "OLD-1,2026-10-05,2026-11-04,Boulangerie Dupont SAS,552100554,1200.00,EUR\n"
    "OLD-2,2026-10-12,2026-11-11,Boulangerie Dupont SAS,552100554,240.50,EUR\n"
    "OLD-3,2026-11-02,2026-12-02,M. Jean Martin,,99.99,EUR\n"
)


def test_imported_receivables_read_back_exactly(uow: Any) -> None:
    company = new_company(uow)
    assert company.id is not None
    result = import_receivables(uow, company.id, CSV.encode())
    assert result.imported == 3
    with uow.read() as repo:
        invoices = {inv.number: inv for inv in repo.load_invoices(company.id)}
    assert sorted(invoices) == ["OLD-1", "OLD-2", "OLD-3"]
    first, third = invoices["OLD-1"], invoices["OLD-3"]
    assert first.total_incl_tax == Decimal("1200.00")
    assert third.total_incl_tax == Decimal("99.99")
    assert (first.issue_date, first.due_date) == (date(2026, 10, 5), date(2026, 11, 4))
    assert first.customer.name == "Boulangerie Dupont SAS"
    assert first.customer.siren == "552100554"
    assert first.customer.id is not None
    assert first.customer.id == invoices["OLD-2"].customer.id
    assert third.customer.name == "M. Jean Martin"
    assert first.status is InvoiceStatus.ISSUED
    assert first.amount_paid == Decimal(0)
    again = import_receivables(uow, company.id, CSV.encode())
    assert again.imported == 0
