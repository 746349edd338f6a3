"""Scenario (SCENARIOS.md §3 "Getting paid"), store level: fifty invoices, ninety days.

An electrical contractor has fifty issued invoices for twelve customers (companies, consumers, one
without an email address). Every morning from Monday 2 November 2026 the payments of the day are
recorded, then the dunning job runs (``reminders_run``) and the mail job sends the queue. Some
customers pay early, on time, late, in two instalments or never; one invoice is disputed, one
email bounces and the invoice is fixed and re-sent ten days later, one invoice goes into a payment
plan. On some days the job runs twice (a restart): it must write nothing more.

The reminders written each day (``reminder`` table) are compared with
``golden/store_scenario_90_days.txt`` (regenerate with ``ENCAISSE_UPDATE_GOLDEN=1``), and the rules
that hold whatever the golden file says are checked on the way: business days only, nothing after
payment, each step at most once per invoice, one message per customer and step, the job idempotent
(DUN-RELANCE-PRACTICE, PAY-INDEMNITY-40, PAY-B2C).
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

from encaisse.adapters.mail.templates import INVOICE_TEMPLATES
from encaisse.domain.calendar_fr import is_business_day
from encaisse.domain.money import round_money
from encaisse.services import invoicing
from encaisse.services.collections import reminders_run, send_invoice
from encaisse.services.mail_queue import mark_bounced, send_due

from .conftest import BASE_URL, SECRET, Shop

GOLDEN = Path(__file__).parent / "golden" / "store_scenario_90_days.txt"
START = date(2026, 11, 2)
DAYS = 90
CUSTOMERS = [  # name, email, business
    ("Martin Bâtiment SAS", "compta@martin-batiment.fr", True),
    ("Bois & Fils SARL", "factures@boisetfils.fr", True),
    ("Mme Claire Petit", "claire.petit@example.fr", False),
    ("Garage du Centre", "gerant@garageducentre.fr", True),
    ("Boulangerie Lemoine", "lemoine@example.fr", True),
    ("M. Karim Haddad", "", False),
    ("SCI Les Tilleuls", "gestion@tilleuls.fr", True),
    ("Pharmacie Rousseau", "compta@pharmacie-rousseau.fr", True),
    ("Hôtel Bellevue SAS", "direction@bellevue.fr", True),
    ("Atelier Numérique", "admin@atelier-num.fr", True),
    ("Cabinet Dentaire Roux", "secretariat@roux.fr", True),
    ("Transports Vidal", "compta@vidal.fr", True),
]
# Payer behaviour by invoice index modulo 8: (days after the due date, share of the total).
BEHAVIOURS: dict[int, list[tuple[int, Decimal]]] = {
    0: [(-4, Decimal(1))],  # early
    1: [(0, Decimal(1))],  # on time
    2: [(10, Decimal(1))],  # after the first reminder
    3: [(19, Decimal(1))],  # after the second reminder
    4: [(44, Decimal(1))],  # after the formal notice and the call
    5: [(12, Decimal("0.5")), (40, Decimal("0.5"))],  # two instalments
    6: [],  # never
    7: [(33, Decimal(1))],  # pays on receiving the formal notice
}
DISPUTED = ("F2026-00014", date(2026, 11, 20))
BOUNCED = "F2026-00027"
PAYMENT_PLAN = ("F2026-00044", date(2026, 12, 10))
RUN_TWICE = {date(2026, 11, 9), date(2026, 12, 1), date(2027, 1, 4)}


class InMemorySender:
    from_address = "factures@encaisse.test"

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> str:
        self.messages.append(message)
        return str(message["Message-ID"])


def amount_of(index: int) -> Decimal:
    return round_money(Decimal(180 + (index * 373) % 2400) + Decimal(index % 100) / 100)


MONTH_ENDS = (date(2026, 10, 31), date(2026, 11, 30), date(2026, 12, 31))


def due_of(index: int) -> date:
    """One invoice in three is due at a month end ("fin de mois"): a customer's invoices then
    fall due together and are reminded in one message."""
    if index % 3 == 0:
        return MONTH_ENDS[(index // 3) % 3]
    return START + timedelta(days=(index * 11) % 75 - 20)


def test_ninety_days_of_reminders_from_the_store(shop: Shop) -> None:
    customers = [shop.customer(name, email, business=business) for name, email, business in CUSTOMERS]
    invoices = {}
    for index in range(1, 51):
        inv = shop.invoice(customers[index % len(customers)], amount_of(index), due_of(index))
        invoices[inv.number] = inv
    payments: dict[date, list[tuple[str, Decimal]]] = defaultdict(list)
    for number, inv in invoices.items():
        index = int(number[-5:])
        assert inv.due_date is not None
        for delay, share in BEHAVIOURS[index % 8]:
            payments[inv.due_date + timedelta(days=delay)].append(
                (number, round_money(inv.total_incl_tax * share))
            )

    sender = InMemorySender()
    lines: list[str] = []
    paid_on: dict[str, date] = {}
    steps_per_invoice: dict[str, list[str]] = defaultdict(list)
    bounced_email = None
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        now = datetime.combine(day, time(8, 0), UTC)
        for number, amount in sorted(payments.get(day, [])):
            inv = invoices[number]
            assert inv.id is not None
            after = invoicing.record_payment(shop.uow, shop.company_id, inv.id, amount, day)
            lines.append(f"{day} event {number} payment {amount} -> {after.status.value}")
            if after.status.value == "paid":
                paid_on[number] = day
        if day == DISPUTED[1]:
            with shop.uow() as repo:
                repo.set_invoice_flags(shop.company_id, invoices[DISPUTED[0]].id or 0, disputed=True)
            lines.append(f"{day} event {DISPUTED[0]} disputed")
        if day == PAYMENT_PLAN[1]:
            with shop.uow() as repo:
                repo.set_invoice_flags(
                    shop.company_id, invoices[PAYMENT_PLAN[0]].id or 0, in_payment_plan=True
                )
            lines.append(f"{day} event {PAYMENT_PLAN[0]} payment plan")
        if bounced_email is not None and day == bounced_email[1] + timedelta(days=10):
            customer = customers[int(BOUNCED[-5:]) % len(customers)]
            with shop.uow() as repo:
                repo.update_party(shop.company_id, replace(customer, email="nouvelle-adresse@example.fr"))
            send_invoice(
                shop.uow,
                shop.company_id,
                invoices[BOUNCED].id or 0,
                base_url=BASE_URL,
                secret=SECRET,
                template=INVOICE_TEMPLATES["invoice_resend"],
            )
            lines.append(f"{day} event {BOUNCED} fixed and re-sent")

        result = reminders_run(shop.uow, shop.company_id, day, base_url=BASE_URL, secret=SECRET)
        if day in RUN_TWICE:
            again = reminders_run(shop.uow, shop.company_id, day, base_url=BASE_URL, secret=SECRET)
            assert again.written == [], day
        if result.written:
            assert is_business_day(day), day
        for w in result.written:
            r = w.reminder
            mail = "email" if w.email_id is not None else "no-email"
            lines.append(
                f"{day} {r.step_key} {r.channel}/{mail} {r.customer_name} [{' '.join(r.invoice_numbers)}] "
                f"due={r.total_due} penalties={r.penalties} indemnity={r.indemnity}"
            )
            for number in r.invoice_numbers:
                assert number not in paid_on, f"{number} reminded on {day} after payment"
                assert r.step_key not in steps_per_invoice[number], f"{number}: {r.step_key} twice"
                steps_per_invoice[number].append(r.step_key)
            if not r.customer_is_business:
                assert r.indemnity == 0
                assert r.penalties == 0
        if result.fix_and_resend:
            lines.append(f"{day} fix_and_resend [{' '.join(i.number for i in result.fix_and_resend)}]")

        before = len(sender.messages)
        send_due(shop.uow, sender, now)
        for message in sender.messages[before:]:
            subject = str(message["Subject"])
            if BOUNCED in subject and bounced_email is None and "Relance" in subject:
                bounced_email = (str(message["Message-ID"]), day)
                assert mark_bounced(shop.uow, bounced_email[0]) is not None
                lines.append(f"{day} event {BOUNCED} bounced")

    with shop.uow.read() as repo:
        stored = repo.list_reminders(shop.company_id)
        emails = repo.list_emails(shop.company_id)
    written = [line for line in lines if " event " not in line and "fix_and_resend" not in line]
    assert len(stored) == len(written)
    assert len({(r.customer_id, r.date, r.step) for r in stored}) == len(stored)
    assert len(sender.messages) == len(emails) == sum(1 for r in stored if r.email_id is not None) + 1
    assert all(e.status in ("sent", "bounced") for e in emails)
    assert bounced_email is not None
    assert {r.step for r in stored} == {"courtesy", "reminder_1", "reminder_2", "formal_notice", "call"}
    assert any(len(r.invoice_numbers) > 1 for r in stored)  # grouped by customer

    text = "\n".join(lines) + "\n"
    if os.environ.get("ENCAISSE_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")
