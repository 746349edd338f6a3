"""Use cases over the real store, on SQLite and PostgreSQL: issuing, numbering, credit notes, payments, audit."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from encaisse.adapters.store import tables as t
from encaisse.domain.documents import InvoiceStatus, Line, LineNature
from encaisse.domain.errors import EncaisseError, TransitionError, ValidationError
from encaisse.domain.parties import Address
from encaisse.services import invoicing
from encaisse.services.audit import verify
from encaisse.services.companies import create_company
from tests_support import DAY, draft, new_company, new_customer


def test_issue_assigns_gap_free_numbers_and_freezes(uow: Any) -> None:
    company = new_company(uow)
    customer = new_customer(uow, company)
    numbers = []
    for _ in range(3):
        d = invoicing.create_draft(uow, draft(company, customer))
        numbers.append(invoicing.issue(uow, company.id or 0, d.id or 0).number)
    assert numbers == ["F2026-00001", "F2026-00002", "F2026-00003"]
    with uow() as repo:
        inv = repo.invoice_by_number(company.id, "F2026-00002")
    assert inv is not None
    assert inv.status is InvoiceStatus.ISSUED
    assert inv.total_incl_tax == Decimal("553.20")  # (288 + 173) * 1.2
    assert inv.payment_reference.startswith("RF")
    assert inv.due_date == DAY + timedelta(days=30)
    with pytest.raises(TransitionError):  # INV-IMMUTABLE
        invoicing.update_draft(uow, replace(inv, note="changed"))
    with pytest.raises(TransitionError):
        invoicing.delete_draft(uow, company.id or 0, inv.id or 0)


def test_issue_refused_with_every_problem_and_nothing_stored(uow: Any) -> None:
    company = new_company(uow)
    customer = new_customer(uow, company, siren="", address=Address())
    d = invoicing.create_draft(uow, draft(company, customer, issue_date=date(2027, 9, 1)))
    with pytest.raises(ValidationError) as err:
        invoicing.issue(uow, company.id or 0, d.id or 0)
    codes = {p.code for p in err.value.problems}
    assert {"EINV-MENTION-BUYER-SIREN", "INV-BUYER-ADDR"} <= codes
    with uow() as repo:
        again = repo.get_invoice(company.id or 0, d.id or 0)
        seq = repo.conn.execute(sa.select(sa.func.count()).select_from(t.number_sequence)).scalar_one()
    assert again.status is InvoiceStatus.DRAFT
    assert again.number == ""
    assert seq == 0  # no number consumed by a refused issue


def test_credit_note_partial_then_full_cancels(uow: Any) -> None:
    company = new_company(uow)
    customer = new_customer(uow, company)
    inv = invoicing.issue(uow, company.id or 0, invoicing.create_draft(uow, draft(company, customer)).id or 0)
    part = (Line("Disjoncteur 40 A", Decimal(1), Decimal("86.50"), nature=LineNature.GOODS),)
    note = invoicing.create_credit_note(uow, company.id or 0, inv.id or 0, DAY, lines=part)
    assert note.number == "AV2026-00001"
    assert note.corrects_number == inv.number
    with uow() as repo:
        after = repo.get_invoice(company.id or 0, inv.id or 0)
    assert after.amount_credited == Decimal("103.80")
    assert after.amount_due == Decimal("449.40")
    with pytest.raises(ValidationError):  # CN-REFERENCE: would exceed what remains
        invoicing.create_credit_note(uow, company.id or 0, inv.id or 0, DAY)
    rest = (
        Line("Pose d'un tableau électrique", Decimal(6), Decimal("48.00"), unit="HUR"),
        Line("Disjoncteur 40 A", Decimal(1), Decimal("86.50"), nature=LineNature.GOODS),
    )
    invoicing.create_credit_note(uow, company.id or 0, inv.id or 0, DAY, lines=rest)
    with uow() as repo:
        final = repo.get_invoice(company.id or 0, inv.id or 0)
    assert final.status is InvoiceStatus.CANCELLED
    assert final.amount_due == 0


def test_payments_move_status(uow: Any) -> None:
    company = new_company(uow)
    customer = new_customer(uow, company)
    inv = invoicing.issue(uow, company.id or 0, invoicing.create_draft(uow, draft(company, customer)).id or 0)
    half = invoicing.record_payment(uow, company.id or 0, inv.id or 0, Decimal("300.00"), DAY)
    assert half.status is InvoiceStatus.PARTIALLY_PAID
    assert half.amount_due == Decimal("253.20")
    full = invoicing.record_payment(uow, company.id or 0, inv.id or 0, Decimal("253.20"), DAY)
    assert full.status is InvoiceStatus.PAID
    with pytest.raises(ValidationError):
        invoicing.record_payment(uow, company.id or 0, inv.id or 0, Decimal("-1"), DAY)


def test_draft_rules_and_deletion(uow: Any) -> None:
    company = new_company(uow)
    customer = new_customer(uow, company)
    with pytest.raises(ValidationError) as err:
        invoicing.create_draft(uow, draft(company, customer, lines=(Line("x", Decimal(-1), Decimal(1)),)))
    assert err.value.problems[0].field == "lines[0].quantity"
    d = invoicing.create_draft(uow, draft(company, customer))
    invoicing.delete_draft(uow, company.id or 0, d.id or 0)
    with uow() as repo, pytest.raises(EncaisseError):
        repo.get_invoice(company.id or 0, d.id or 0)


def test_company_scoping(uow: Any) -> None:
    a = new_company(uow)
    b = create_company(uow, replace(a, id=None, siren="552100554", vat_number="", name="Autre SARL"))
    customer = new_customer(uow, a)
    inv = invoicing.create_draft(uow, draft(a, customer))
    with uow() as repo, pytest.raises(EncaisseError):
        repo.get_invoice(b.id or 0, inv.id or 0)
    with pytest.raises(EncaisseError):
        invoicing.issue(uow, b.id or 0, inv.id or 0)


def test_audit_chain_detects_tampering(uow: Any) -> None:
    company = new_company(uow)
    customer = new_customer(uow, company)
    invoicing.issue(uow, company.id or 0, invoicing.create_draft(uow, draft(company, customer)).id or 0)
    with uow() as repo:
        entries = repo.audit_entries(company.id or 0)
    assert len(entries) >= 3
    assert verify(entries) == []
    with uow() as repo:
        repo.conn.execute(
            t.audit_event.update()
            .where(t.audit_event.c.action == "invoice.issued")
            .values(payload={"number": "F2026-99999"})
        )
        tampered = repo.audit_entries(company.id or 0)
    problems = verify(tampered)
    assert any("altered" in p for p in problems)
