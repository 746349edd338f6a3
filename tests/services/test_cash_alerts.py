"""Cash alerts from the forecast and their daily email job (issue 7 §3, SCENARIOS §5).

A company with 1 000 € in the bank, a 5 000 € threshold and one 9 600 € invoice due in 40 days:
the current week is short, that invoice is the one to collect early, and assigning it by Dailly
today would cost the fee (0.5 %) plus 5.5 % a year for 40 days, act/360 (CMF L313-23, DAILLY-*).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from encaisse.adapters.store import tables as t
from encaisse.adapters.store.db import make_engine
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.domain.bank import BankTransaction
from encaisse.domain.documents import Line
from encaisse.domain.money import ZERO, round_money
from encaisse.services import invoicing
from encaisse.services.accounts import hash_password
from encaisse.services.cash_alerts import (
    cash_picture,
    due_buckets,
    job_cash_alerts,
    job_cash_alerts_all,
    past_balances,
    week_key,
)
from encaisse.services.forecast import StoreHistory
from encaisse.services.mail_queue import enqueue
from tests_support import DAY, draft, new_company, new_customer

AMOUNT = Decimal("9600.00")  # 8 000 € HT + 20 % VAT
DUE = DAY + timedelta(days=40)


@pytest.fixture
def shop(db_url: str) -> Iterator[dict[str, Any]]:
    engine = make_engine(db_url)
    uow = SqlUnitOfWork(engine)
    company = new_company(uow)
    cid = company.id or 0
    customer = new_customer(uow, company, email="compta@dupont.example")
    inv = invoicing.create_draft(
        uow, draft(company, customer, due_date=DUE, lines=(Line("Chantier", Decimal(1), Decimal("8000.00")),))
    )
    issued = invoicing.issue(uow, cid, inv.id or 0)
    with uow() as repo:
        owner_id = repo.add_user("gerant@martin.example", "Gérant", hash_password("x" * 12))
        repo.add_membership(owner_id, cid, "owner")
        staff_id = repo.add_user("staff@martin.example", "Staff", hash_password("x" * 12))
        repo.add_membership(staff_id, cid, "staff")
        account = repo.get_or_create_account(cid, company.iban, bic="", name="Compte courant")
        repo.set_account_balance(cid, account, Decimal("1000.00"), DAY)
    yield {"uow": uow, "cid": cid, "owner_id": owner_id, "number": issued.number, "invoice_id": issued.id}
    engine.dispose()


def emails(uow: SqlUnitOfWork, cid: int) -> list[Any]:
    with uow.read() as repo:
        return repo.list_emails(cid)


def test_threshold_is_stored_and_cleared(shop: dict[str, Any]) -> None:
    uow, cid = shop["uow"], shop["cid"]
    with uow.read() as repo:
        assert repo.get_low_balance_threshold(cid) is None
    with uow() as repo:
        repo.set_low_balance_threshold(cid, Decimal("5000.50"))
    with uow.read() as repo:
        assert repo.get_low_balance_threshold(cid) == Decimal("5000.50")
        assert repo.get_company(cid).name == "Électricité Martin"  # the rest of the row is untouched
    with uow() as repo:
        repo.set_low_balance_threshold(cid, None)
    with uow.read() as repo:
        assert repo.get_low_balance_threshold(cid) is None


def test_shortfall_names_the_invoice_and_its_dailly_cost(shop: dict[str, Any]) -> None:
    uow, cid = shop["uow"], shop["cid"]
    with uow() as repo:
        repo.set_low_balance_threshold(cid, Decimal("5000.00"))
    alerts = cash_picture(uow, cid, DAY).alerts
    assert alerts.threshold == Decimal("5000.00")
    assert alerts.threshold_set
    detail = alerts.shortfall
    assert detail is not None
    assert detail.week_start == DAY - timedelta(days=DAY.weekday())  # this very week
    assert detail.alert.expected_balance == Decimal("1000.00")
    assert detail.alert.gap == Decimal("4000.00")
    assert [(i.number, i.amount, i.due_date, i.invoice_id) for i in detail.invoices] == [
        (shop["number"], AMOUNT, DUE, shop["invoice_id"])
    ]
    # Dailly: fee 0.5 % + 5.5 % a year for 40 days (act/360)
    cash = round_money(AMOUNT - AMOUNT * Decimal("0.005") - AMOUNT * Decimal("0.055") * 40 / 360)
    assert detail.dailly_cash == cash == Decimal("9493.33")
    assert detail.dailly_cost == Decimal("106.67")
    assert detail.balance_after_dailly == Decimal("1000.00") + cash  # the gap is closed
    assert alerts.surplus is None
    assert alerts.sentences_fr()[0].startswith("⚠ Solde prévu de 1\u202f000,00\xa0€ la semaine du 30/11/2026")


def test_job_emails_the_owner_once_per_week(shop: dict[str, Any]) -> None:
    uow, cid = shop["uow"], shop["cid"]
    with uow() as repo:
        repo.set_low_balance_threshold(cid, Decimal("5000.00"))
    run = job_cash_alerts(uow, cid, DAY, base_url="https://app.example")
    sent = emails(uow, cid)
    assert len(sent) == 1
    assert run.email_ids == (sent[0].id,)
    mail = sent[0]
    assert mail.to == "gerant@martin.example"  # the owner, not the staff member
    assert mail.kind == "other"
    assert mail.status == "queued"
    assert mail.dedupe_key == f"cash-shortfall:{cid}:2026-W49:{shop['owner_id']}"
    assert mail.subject == "Alerte trésorerie : solde prévu sous 5\u202f000,00\xa0€ la semaine du 30/11/2026"
    assert shop["number"] in mail.body
    assert "Dailly" in mail.body
    assert "106,67" in mail.body
    assert "https://app.example/tresorerie" in mail.body
    # again the same day, and later the same ISO week: nothing new
    assert job_cash_alerts(uow, cid, DAY).email_ids == (mail.id,)
    job_cash_alerts(uow, cid, DAY + timedelta(days=2))
    assert len(emails(uow, cid)) == 1
    # next week, the shortfall still there: one new email
    job_cash_alerts(uow, cid, DAY + timedelta(days=3))
    assert len(emails(uow, cid)) == 2


def test_no_shortfall_no_email_and_a_surplus_suggestion(shop: dict[str, Any]) -> None:
    uow, cid = shop["uow"], shop["cid"]
    with uow() as repo:  # enough cash to pay the invoice's VAT (1 600 € due on 20 January)
        account = repo.list_accounts(cid)[0].id
        repo.set_account_balance(cid, account, Decimal("50000.00"), DAY)
    calls: list[Any] = []

    def fake_enqueue(*args: Any, **kwargs: Any) -> int:
        calls.append((args, kwargs))
        return enqueue(*args, **kwargs)

    run = job_cash_alerts(uow, cid, DAY, fake_enqueue)  # default threshold: 0 €
    assert run.alerts.shortfall is None
    assert not run.alerts.threshold_set
    assert calls == []
    assert emails(uow, cid) == []
    surplus = run.alerts.surplus
    assert surplus is not None
    assert surplus.weeks >= 8
    # never more than the lowest low balance: 50 000 € minus the VAT paid in January
    assert Decimal("40000") < surplus.suggested <= Decimal("48400.00")


def test_daily_job_over_every_company(shop: dict[str, Any]) -> None:
    uow, cid = shop["uow"], shop["cid"]
    with uow() as repo:
        repo.set_low_balance_threshold(cid, Decimal("5000.00"))
    results = job_cash_alerts_all(uow, DAY)
    assert set(results) == {cid}
    assert len(results[cid].email_ids) == 1
    assert len(job_cash_alerts_all(uow, DAY)[cid].email_ids) == 1
    with uow.read() as repo:
        count = repo.conn.execute(sa.select(sa.func.count()).select_from(t.email_message)).scalar_one()
    assert count == 1


def test_due_buckets_split_overdue_this_week_and_later() -> None:
    friday = date(2026, 12, 4)
    buckets = due_buckets(
        [
            (friday - timedelta(days=1), Decimal("10")),
            (friday, Decimal("20")),
            (date(2026, 12, 6), Decimal("30")),  # Sunday: still this week
            (date(2026, 12, 7), Decimal("40")),
        ],
        friday,
    )
    assert (buckets.overdue.count, buckets.overdue.amount) == (1, Decimal("10.00"))
    assert (buckets.this_week.count, buckets.this_week.amount) == (2, Decimal("50.00"))
    assert (buckets.later.count, buckets.later.amount) == (1, Decimal("40.00"))
    assert buckets.total == Decimal("100.00")
    assert week_key(friday) == "2026-W49"
    assert week_key(date(2027, 1, 1)) == "2026-W53"


def test_past_balances_every_seven_days_from_the_first_transaction() -> None:
    today = date(2026, 3, 4)

    def tx(day: date, amount: str) -> BankTransaction:
        return BankTransaction(booking_date=day, value_date=day, amount=Decimal(amount), remittance="x")

    history = StoreHistory(
        invoices=(),
        payments=(),
        supplier_invoices=(),
        transactions=(tx(date(2026, 2, 1), "100"), tx(date(2026, 2, 15), "-30"), tx(date(2026, 3, 1), "5")),
        opening_balance=Decimal("1000"),
        opening_date=date(2026, 2, 1),
        account_iban="FR76",
    )
    points = past_balances(history, today, weeks=13)
    assert points == (
        (date(2026, 2, 4), Decimal("1100.00")),
        (date(2026, 2, 11), Decimal("1100.00")),
        (date(2026, 2, 18), Decimal("1070.00")),
        (date(2026, 2, 25), Decimal("1070.00")),
    )
    assert past_balances(StoreHistory((), (), (), (), ZERO, today, ""), today) == ()
