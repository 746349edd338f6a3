"""Bank import and reconciliation over the real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from encaisse.adapters.store import tables as t
from encaisse.domain.bank import BankTransaction, Statement
from encaisse.domain.documents import InvoiceStatus
from encaisse.domain.errors import EncaisseError
from encaisse.formats import camt053
from encaisse.services import invoicing
from encaisse.services.bank_import import import_statement
from encaisse.services.reconciliation import accept_proposal, match_rows, reconcile, unmatch
from tests_support import DAY, draft, new_company, new_customer

IBAN = "FR7630006000011234567890189"


def statement(*txs: BankTransaction, opening: Decimal = Decimal("1000.00")) -> bytes:
    closing = opening + sum((x.amount for x in txs), Decimal(0))
    return camt053.export(
        [Statement(IBAN, "EUR", txs, opening, closing, date(2026, 12, 1), date(2026, 12, 20), "STMT-1")]
    )


def counts(uow: Any) -> tuple[int, int, int]:
    with uow() as repo:
        c = repo.conn
        return (
            c.execute(sa.select(sa.func.count()).select_from(t.bank_transaction)).scalar_one(),
            c.execute(sa.select(sa.func.count()).select_from(t.allocation)).scalar_one(),
            c.execute(sa.select(sa.func.count()).select_from(t.payment)).scalar_one(),
        )


def test_import_is_idempotent_and_atomic(uow: Any) -> None:
    company = new_company(uow)
    tx = BankTransaction(
        date(2026, 12, 10),
        Decimal("553.20"),
        counterparty_name="BOULANGERIE DUPONT",
        remittance="FACTURE F2026-00001",
        bank_ref="REF-1",
    )
    data = statement(tx)
    first = import_statement(uow, company.id or 0, data, filename="releve.xml")
    assert (first.format, first.new, first.duplicates) == ("camt053", 1, 0)
    again = import_statement(uow, company.id or 0, data, filename="releve.xml")
    assert (again.new, again.duplicates) == (0, 1)
    with pytest.raises(EncaisseError) as err:
        import_statement(uow, company.id or 0, data, account_iban="FR7610107001011234567890129")
    assert err.value.code == "BANK-WRONG-ACCOUNT"
    with pytest.raises(EncaisseError):
        import_statement(uow, company.id or 0, data[: len(data) // 2])
    assert counts(uow)[0] == 1
    with uow() as repo:
        (account,) = repo.list_accounts(company.id or 0)
    assert account.balance == Decimal("1553.20")


def test_reconcile_auto_pays_invoices_and_unmatch_reverses(uow: Any) -> None:
    company = new_company(uow)
    customer = new_customer(uow, company)
    a = invoicing.issue(uow, company.id or 0, invoicing.create_draft(uow, draft(company, customer)).id or 0)
    b = invoicing.issue(uow, company.id or 0, invoicing.create_draft(uow, draft(company, customer)).id or 0)
    grouped = BankTransaction(
        date(2026, 12, 10),
        Decimal("1106.40"),
        counterparty_name="BOULANGERIE DUPONT SAS",
        remittance=f"REGLEMENT FACTURES {a.number} {b.number}",
        bank_ref="REF-G",
    )
    noise = BankTransaction(
        date(2026, 12, 11), Decimal("-12.50"), remittance="FRAIS TENUE DE COMPTE", bank_ref="REF-F"
    )
    import_statement(uow, company.id or 0, statement(grouped, noise))
    res = reconcile(uow, company.id or 0, DAY, auto=True)
    assert res.applied == 1
    assert res.allocations == 2
    rows = sorted(match_rows(uow, company.id or 0), key=lambda r: r["invoice_number"])
    assert rows == [
        {"transaction_id": "REF-G", "invoice_number": a.number, "amount": "553.20"},
        {"transaction_id": "REF-G", "invoice_number": b.number, "amount": "553.20"},
    ]
    with uow() as repo:
        assert repo.get_invoice(company.id or 0, a.id or 0).status is InvoiceStatus.PAID
        allocs = repo.list_allocations(company.id or 0)
        assert "F2026-0000" in allocs[0].explanation
    again = reconcile(uow, company.id or 0, DAY, auto=True)
    assert again.applied == 0
    assert counts(uow)[1] == 2
    unmatch(uow, company.id or 0, allocs[0].id)
    with uow() as repo:
        back = repo.get_invoice(company.id or 0, allocs[0].invoice_id)
        assert back.status is InvoiceStatus.ISSUED
        assert back.amount_paid == 0
    assert counts(uow)[1:] == (1, 1)


def test_uncertain_match_waits_for_review_then_is_learned(uow: Any) -> None:
    company = new_company(uow)
    customer = new_customer(uow, company)
    inv = invoicing.issue(uow, company.id or 0, invoicing.create_draft(uow, draft(company, customer)).id or 0)
    vague = BankTransaction(
        date(2026, 12, 10),
        Decimal("553.20"),
        counterparty_name="SCI LES TILLEULS",
        remittance="VIREMENT",
        bank_ref="REF-V",
    )
    import_statement(uow, company.id or 0, statement(vague))
    res = reconcile(uow, company.id or 0, DAY, auto=True)
    with uow() as repo:
        proposals = repo.list_proposals(company.id or 0)
    if res.applied:  # a unique exact amount may be confident enough; then nothing waits
        assert not proposals
        return
    assert len(proposals) == 1
    assert proposals[0].allocations[0]["number"] == inv.number
    accept_proposal(uow, company.id or 0, proposals[0].id or 0, DAY)
    with uow() as repo:
        assert repo.get_invoice(company.id or 0, inv.id or 0).status is InvoiceStatus.PAID
        assert repo.list_aliases(company.id or 0)


def test_a_reference_reused_within_one_file_keeps_both_lines(uow: Any) -> None:
    company = new_company(uow)
    one = BankTransaction(date(2026, 12, 10), Decimal("10.00"), remittance="A", bank_ref="SAME")
    two = BankTransaction(date(2026, 12, 11), Decimal("20.00"), remittance="B", bank_ref="SAME")
    data = statement(one, two)
    assert import_statement(uow, company.id or 0, data).new == 2
    assert import_statement(uow, company.id or 0, data).new == 0
