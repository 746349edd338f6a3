"""Supplier payments over the real store (SQLite and PostgreSQL), from the inbox to the pain.001 file."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from encaisse.adapters.store import tables_financing as tf
from encaisse.domain.errors import EncaisseError, NotFoundError, ValidationError
from encaisse.domain.parties import Company, Party, PartyKind
from encaisse.formats import pain001
from encaisse.services import payables
from encaisse.services.inbox import import_einvoice
from encaisse.services.payables import approve, confirm_iban, create_batch
from financing.financing_support import OTHER_IBAN, SUPPLIER_IBAN, add_received, new_supplier

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 4)


def statuses(fuow: Any, company: Company) -> dict[str, str]:
    with fuow() as repo:
        return {p.number: p.status for p in repo.list_payables(company.id)}


def test_scenario_factur_x_from_the_inbox_to_a_sepa_batch(fuow: Any, company: Company, corpora: Path) -> None:
    """SCENARIOS §7: a supplier's Factur-X invoice arrives, is approved and paid on its due date in a SEPA
    batch; the next invoice carries another IBAN: it is flagged and held until the IBAN is confirmed."""
    cid = company.id or 0
    first = (corpora / "facturx" / "valid" / "xml" / "factur-x-en16931.xml").read_bytes()
    imported = import_einvoice(fuow, cid, first, filename="F20260023.xml")
    assert (imported.status, imported.number, imported.due_date) == (
        "imported",
        "F20260023",
        date(2026, 3, 2),
    )
    assert not imported.iban_changed
    # same supplier, next invoice, and a bank account the company has never seen
    second = first.replace(b"<ram:ID>F20260023</ram:ID>", b"<ram:ID>F20260024</ram:ID>").replace(
        b"FR20 1254 2547 2569 8542 5874 698", b"DE89 3704 0044 0532 0130 00"
    )
    flagged = import_einvoice(fuow, cid, second, filename="F20260024.xml")
    assert flagged.iban_changed

    siren = "123456782"  # the supplier of the corpus invoice
    approve(fuow, cid, "F20260023", siren, now=NOW)
    approve(fuow, cid, "F20260024", siren, now=NOW)
    result = create_batch(fuow, cid, until=date(2026, 3, 2), today=date(2026, 3, 1), now=NOW)
    assert [i.creditor_iban for i in result.batch.instructions] == ["FR2012542547256985425874698"]
    assert result.batch.total == Decimal("104.90")
    assert [p.code for p in result.blocked] == ["PAY-IBAN-CHANGED"]
    assert result.batch.execution_date == date(2026, 3, 2)  # Sunday 1 March → Monday
    assert pain001.validate(result.xml) == []
    assert pain001.parse(result.xml) == result.batch
    assert statuses(fuow, company) == {"F20260023": "payment_transmitted", "F20260024": "iban_changed"}

    with pytest.raises(ValidationError) as held:
        create_batch(fuow, cid, until=date(2026, 3, 31), today=date(2026, 3, 1), now=NOW)
    assert held.value.code == "PAY-NOTHING-TO-PAY"
    assert [p.code for p in held.value.problems] == ["PAY-IBAN-CHANGED"]

    assert confirm_iban(fuow, cid, siren, "DE89 3704 0044 0532 0130 00", now=NOW) == 1
    again = create_batch(fuow, cid, until=date(2026, 3, 31), today=date(2026, 3, 2), now=NOW)
    assert [(i.creditor_iban, i.amount) for i in again.batch.instructions] == [
        ("DE89370400440532013000", Decimal("104.90"))
    ]
    assert [b.count for b in payables.list_batches(fuow, cid)] == [1, 1]
    assert payables.batch_xml(fuow, cid, again.batch_id) == again.xml
    with fuow() as repo:
        actions = [e.action for e in repo.audit_entries(cid)]
    assert actions.count("payables.batch_created") == 2
    assert "payables.iban_confirmed" in actions


def test_batches_never_pay_an_invoice_twice(fuow: Any, company: Company) -> None:
    cid = company.id or 0
    supplier = new_supplier(fuow, company)
    add_received(fuow, company, supplier, "A-1", due=date(2026, 12, 1))
    add_received(fuow, company, supplier, "A-2", due=date(2026, 12, 10))
    approve(fuow, cid, "A-1", supplier.siren, now=NOW)
    approve(fuow, cid, "A-2", supplier.siren, now=NOW)
    first = create_batch(fuow, cid, until=date(2026, 12, 31), today=TODAY, now=NOW)
    assert [i.remittance for i in first.batch.instructions] == ["Facture A-1", "Facture A-2"]
    with pytest.raises(ValidationError) as nothing:
        create_batch(fuow, cid, until=date(2026, 12, 31), today=TODAY, now=NOW)
    assert nothing.value.code == "PAY-NOTHING-TO-PAY"
    add_received(fuow, company, supplier, "A-3", due=date(2026, 12, 20))
    approve(fuow, cid, "A-3", supplier.siren, now=NOW)
    second = create_batch(fuow, cid, until=date(2026, 12, 31), today=TODAY, now=NOW)
    assert [i.remittance for i in second.batch.instructions] == ["Facture A-3"]
    assert first.batch.message_id != second.batch.message_id
    # and the database itself refuses a second batch line for the same invoice
    with fuow() as repo:
        a1 = next(p.id for p in repo.list_payables(cid) if p.number == "A-1")
    with pytest.raises(sa.exc.IntegrityError), fuow() as repo:
        repo.conn.execute(
            tf.payment_batch_item.insert().values(
                company_id=cid, batch_id=second.batch_id, received_invoice_id=a1, amount=Decimal("1.00")
            )
        )


def test_a_bad_iban_never_reaches_a_file(fuow: Any, company: Company) -> None:
    cid = company.id or 0
    with fuow() as repo:  # straight into the store: the party form would refuse this IBAN
        crook = repo.add_party(
            cid,
            Party(
                name="Fournitures Douteuses",
                kind=PartyKind.SUPPLIER,
                siren="404833048",
                iban="FR7630004000031234567890144",
            ),
        )
    good = new_supplier(fuow, company)
    add_received(fuow, company, crook, "X-1", due=date(2026, 12, 1), iban="FR7630004000031234567890144")
    add_received(fuow, company, good, "G-1", due=date(2026, 12, 1))
    approve(fuow, cid, "X-1", crook.siren, now=NOW)
    approve(fuow, cid, "G-1", good.siren, now=NOW)
    result = create_batch(fuow, cid, until=date(2026, 12, 31), today=TODAY, now=NOW)
    assert [i.creditor_iban for i in result.batch.instructions] == [SUPPLIER_IBAN]
    assert b"FR7630004000031234567890144" not in result.xml
    assert [p.code for p in result.blocked] == ["PAY-IBAN-INVALID"]
    assert statuses(fuow, company)["X-1"] == "received"


def test_a_company_without_a_valid_iban_produces_no_file(fuow: Any, company: Company) -> None:
    cid = company.id or 0
    with fuow() as repo:
        repo.update_company(replace(company, iban=""))
    supplier = new_supplier(fuow, company)
    add_received(fuow, company, supplier, "A-1", due=date(2026, 12, 1))
    approve(fuow, cid, "A-1", supplier.siren, now=NOW)
    with pytest.raises(ValidationError) as err:
        create_batch(fuow, cid, until=date(2026, 12, 31), today=TODAY, now=NOW)
    assert err.value.code == "PAY-DEBTOR-IBAN"
    assert payables.list_batches(fuow, cid) == []
    assert statuses(fuow, company) == {"A-1": "received"}


def test_approval_is_required_idempotent_and_audited(fuow: Any, company: Company) -> None:
    cid = company.id or 0
    supplier = new_supplier(fuow, company)
    add_received(fuow, company, supplier, "A-1", due=date(2026, 12, 1))
    with pytest.raises(ValidationError) as err:
        create_batch(fuow, cid, until=date(2026, 12, 31), today=TODAY, now=NOW)
    assert err.value.code == "PAY-NOTHING-TO-PAY"
    assert err.value.problems == []
    approved = approve(fuow, cid, "A-1", supplier.siren, now=NOW)
    later = approve(fuow, cid, "A-1", supplier.siren, now=datetime(2026, 12, 5, tzinfo=UTC))
    assert approved.approved_at == later.approved_at == NOW
    with fuow() as repo:
        assert [e.action for e in repo.audit_entries(cid)].count("payables.approved") == 1
    with pytest.raises(NotFoundError):
        approve(fuow, cid, "NOPE", supplier.siren)
    with pytest.raises(NotFoundError):
        approve(fuow, cid, "A-1", "552100554")


def test_execution_date_moves_to_a_business_day_and_version_09(fuow: Any, company: Company) -> None:
    cid = company.id or 0
    supplier = new_supplier(fuow, company, iban=OTHER_IBAN, bic="COBADEFFXXX")
    add_received(fuow, company, supplier, "A-1", due=date(2026, 12, 24), iban=OTHER_IBAN)
    approve(fuow, cid, "A-1", supplier.siren, now=NOW)
    result = create_batch(
        fuow,
        cid,
        until=date(2026, 12, 31),
        today=TODAY,
        execution_day=date(2026, 12, 25),
        version="09",
        now=NOW,
    )
    assert result.batch.execution_date == date(2026, 12, 28)
    assert b"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09" in result.xml
    assert b"<BICFI>COBADEFFXXX</BICFI>" in result.xml
    assert pain001.validate(result.xml) == []
    with pytest.raises(EncaisseError):
        confirm_iban(fuow, cid, supplier.siren, "DE88370400440532013000")
