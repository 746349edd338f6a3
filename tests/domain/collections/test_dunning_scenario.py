"""Scenario: ninety days of reminders over fifty invoices (SCENARIOS.md §3 "Getting paid").

An electrical contractor has fifty open invoices, due between mid-October 2026 and early January
2027, for seventeen customers (companies, a town hall with its own plan, private individuals).
Every morning from Monday 2 November 2026 the bank tells which payments arrived, then the dunning
run sends what is due and the invoices remember the last step sent. Some customers pay early, on
time, late, in two instalments, only in part or never; one disputes an invoice, one invoice
bounced and is fixed three weeks later, one goes into a payment plan, one is assigned to the bank.

The exact list of reminders of each day is compared with ``golden/scenario_90_days.txt``
(regenerate with ``ENCAISSE_UPDATE_GOLDEN=1``), and the rules that must hold whatever the golden
file says are checked on the way: business days only, nothing after payment, disputes, holds and
bounces respected, each step at most once per invoice and in order, the 40 € indemnity at most once
and never for consumers (DUN-RELANCE-PRACTICE, PAY-INDEMNITY-40, PAY-B2C).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from encaisse.domain.calendar_fr import is_business_day
from encaisse.domain.dunning import (
    DEFAULT_PLAN,
    DunningItem,
    DunningPlan,
    DunningStep,
    apply_run,
    due_today,
)
from encaisse.domain.money import ZERO, round_money

GOLDEN = Path(__file__).parent / "golden" / "scenario_90_days.txt"
START = date(2026, 11, 2)
DAYS = 90

CUSTOMERS = [  # (id, name, is_business)
    (1, "Martin Bâtiment SAS", True),
    (2, "Bois & Fils SARL", True),
    (3, "Mairie de Villeurbanne", True),
    (4, "Mme Claire Petit", False),
    (5, "Garage du Centre", True),
    (6, "Boulangerie Lemoine", True),
    (7, "M. Karim Haddad", False),
    (8, "SCI Les Tilleuls", True),
    (9, "Pharmacie Rousseau", True),
    (10, "Hôtel Bellevue SAS", True),
    (11, "M. et Mme Girard", False),
    (12, "Atelier Numérique", True),
    (13, "Cabinet Dentaire Roux", True),
    (14, "Ferme des Saules EARL", True),
    (15, "Mme Sophie Blanc", False),
    (16, "Transports Vidal", True),
    (17, "École Montessori Lumière", True),
]
TOWN_HALL_PLAN = DunningPlan(  # public body: no courtesy mail, slower ladder, no call
    "public",
    (
        DunningStep("reminder_1", 15, "email", "reminder_1", "reminder"),
        DunningStep("reminder_2", 30, "email", "reminder_2", "reminder"),
        DunningStep("formal_notice", 45, "letter", "formal_notice", "formal_notice"),
    ),
)
PLANS = {3: TOWN_HALL_PLAN}

# Payer behaviour by invoice number modulo 10: list of (days after due date, share of the total).
BEHAVIOURS: dict[int, list[tuple[int, Decimal]]] = {
    0: [(-5, Decimal(1))],  # early
    1: [(0, Decimal(1))],  # on time
    2: [(10, Decimal(1))],  # late, after the first reminder
    3: [(20, Decimal(1))],  # late, after the second reminder
    4: [(45, Decimal(1))],  # very late, after the formal notice and the call
    5: [(12, Decimal("0.5")), (40, Decimal("0.5"))],  # two instalments
    6: [],  # never
    7: [],  # never
    8: [(33, Decimal(1))],  # pays on receiving the formal notice
    9: [(20, Decimal("0.3"))],  # partly, then nothing
}
DISPUTED = {13: 9}  # invoice 13 disputed 9 days after its due date
BOUNCED = {27: 20}  # invoice 27's email bounced; fixed on day 20 of the scenario
PAYMENT_PLAN = {41: 32}  # invoice 41 put under a payment plan 32 days after due date
ASSIGNED = {44}  # invoice 44 assigned to the bank (Dailly, notified)
MONTHLY_CUSTOMER = 16  # invoiced several times a month, all due the same day: grouped reminders


def invoices() -> list[DunningItem]:
    items = []
    for i in range(1, 51):
        cid, name, business = CUSTOMERS[(i - 1) % len(CUSTOMERS)]
        total = Decimal(150 + (i * 137) % 2000) + Decimal((i * 7) % 100) / 100
        due = date(2026, 10, 20) + timedelta(days=(i * 37) % 75)
        if cid == MONTHLY_CUSTOMER:  # invoices 16, 33, 50: all due at the end of November
            due = date(2026, 11, 30)
        items.append(
            DunningItem(
                invoice_id=i,
                number=f"F2026-{i:04d}",
                customer_id=cid,
                customer_name=name,
                customer_is_business=business,
                customer_email=f"client{cid}@example.fr",
                due_date=due,
                amount_due=total,
                total=total,
                penalty_rate=Decimal("12.15") if i % 3 else Decimal("10.00"),
                delivery_failed=i in BOUNCED,
                factored_or_assigned=i in ASSIGNED,
                issue_date=due - timedelta(days=30),
            )
        )
    return items


def events(
    items: list[DunningItem],
) -> dict[date, list[tuple[int, str, Callable[[DunningItem], DunningItem]]]]:
    """What happens to each invoice, by day, before the morning run."""
    by_day: dict[date, list[tuple[int, str, Callable[[DunningItem], DunningItem]]]] = {}

    def add(day: date, invoice_id: int, text: str, change: Callable[[DunningItem], DunningItem]) -> None:
        by_day.setdefault(max(day, START), []).append((invoice_id, text, change))

    for it in items:
        for days, share in BEHAVIOURS[it.invoice_id % 10]:
            amount = round_money(it.total * share)

            def pay(x: DunningItem, amount: Decimal = amount) -> DunningItem:
                left = max(ZERO, x.amount_due - amount)
                return replace(x, amount_due=left, status="paid" if left == 0 else "partially_paid")

            add(it.due_date + timedelta(days=days), it.invoice_id, f"paid {amount}", pay)
        if it.invoice_id in DISPUTED:
            day = it.due_date + timedelta(days=DISPUTED[it.invoice_id])
            add(day, it.invoice_id, "disputed", lambda x: replace(x, disputed=True))
        if it.invoice_id in BOUNCED:
            day = START + timedelta(days=BOUNCED[it.invoice_id])
            add(day, it.invoice_id, "fixed and resent", lambda x: replace(x, delivery_failed=False))
        if it.invoice_id in PAYMENT_PLAN:
            day = it.due_date + timedelta(days=PAYMENT_PLAN[it.invoice_id])
            add(day, it.invoice_id, "payment plan agreed", lambda x: replace(x, in_payment_plan=True))
    return by_day


def simulate() -> tuple[list[str], list[tuple[date, str, str, DunningItem, Decimal, Decimal]]]:
    """Run the ninety mornings; return the log lines and every (day, step, kind, invoice, penalty,
    indemnity) sent, with the invoice's state when it was sent."""
    items = invoices()
    happenings = events(items)
    log: list[str] = []
    sent: list[tuple[date, str, str, DunningItem, Decimal, Decimal]] = []
    previous_fix: tuple[str, ...] = ()
    previous_held: tuple[str, ...] = ()
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        by_id = {it.invoice_id: it for it in items}
        for invoice_id, text, change in happenings.get(day, []):
            by_id[invoice_id] = change(by_id[invoice_id])
            log.append(f"{day} event {by_id[invoice_id].number} {text}")
        items = [by_id[it.invoice_id] for it in items]
        run = due_today(items, PLANS, day)
        for r in run.reminders + run.calls_today:
            log.append(
                f"{day} {r.step_key} {r.channel} {r.customer_name} [{', '.join(r.invoice_numbers)}]"
                f" due={r.total_due} penalties={r.penalties} indemnity={r.indemnity}"
            )
            for line in r.invoices:
                sent.append((day, r.step_key, r.kind, by_id[line.invoice_id], line.penalty, line.indemnity))
        fix = tuple(i.number for i in run.fix_and_resend)
        held = tuple(f"{h.number}:{h.reason}" for h in run.held)
        if fix != previous_fix:
            log.append(f"{day} fix_and_resend [{', '.join(fix)}]")
        if held != previous_held:
            log.append(f"{day} held [{', '.join(held)}]")
        previous_fix, previous_held = fix, held
        items = apply_run(items, run)
    return log, sent


def test_ninety_days_of_reminders_match_the_golden_file() -> None:
    log, _ = simulate()
    text = "\n".join(log) + "\n"
    if os.environ.get("ENCAISSE_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.is_file(), "golden file missing: run with ENCAISSE_UPDATE_GOLDEN=1"
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_ninety_days_respect_the_rules() -> None:
    _, sent = simulate()
    items = {it.invoice_id: it for it in invoices()}
    paid_on: dict[int, date] = {}
    for day, entries in sorted(events(list(items.values())).items()):
        for invoice_id, _text, change in entries:
            items[invoice_id] = change(items[invoice_id])
            if items[invoice_id].amount_due == 0:
                paid_on.setdefault(invoice_id, day)
    steps_of: dict[int, list[str]] = {}
    days_of: dict[int, list[date]] = {}
    indemnity_of: dict[int, Decimal] = {}
    for day, step, kind, state, penalty, indemnity in sent:
        iid = state.invoice_id
        assert is_business_day(day), (day, state.number)
        assert state.amount_due > 0
        assert iid not in paid_on or day < paid_on[iid]
        assert not state.disputed
        assert not state.delivery_failed
        assert not state.in_payment_plan
        assert iid not in ASSIGNED
        if not state.customer_is_business:
            assert penalty == indemnity == ZERO
        if indemnity:
            assert kind == "formal_notice"
        steps_of.setdefault(iid, []).append(step)
        days_of.setdefault(iid, []).append(day)
        indemnity_of[iid] = indemnity_of.get(iid, ZERO) + indemnity
    plan_of = {it.invoice_id: PLANS.get(it.customer_id, DEFAULT_PLAN) for it in items.values()}
    for iid, steps in steps_of.items():
        order = [s.key for s in plan_of[iid].steps]
        positions = [order.index(s) for s in steps]
        assert positions == sorted(set(positions)), (iid, steps)  # each step once, in order
        assert len(set(days_of[iid])) == len(days_of[iid])  # one message a day at most
        assert indemnity_of[iid] in (ZERO, Decimal("40.00"))
    # The scenario exercises every rung and every kind of stop.
    kinds = {kind for _, _, kind, _, _, _ in sent}
    assert kinds == {"courtesy", "reminder", "formal_notice", "call"}
    assert steps_of[13][-1] == "reminder_1"  # disputed after the first reminder
    assert 27 in steps_of  # the bounced invoice is reminded once fixed, latest step only
    assert min(days_of[27]) >= START + timedelta(days=BOUNCED[27])
    assert 44 not in steps_of
    assert any(indemnity_of.get(i) == Decimal("40.00") for i in steps_of)
    grouped = {(day, step) for day, step, _, state, _, _ in sent if state.customer_id == MONTHLY_CUSTOMER}
    assert len(grouped) < len([s for s in sent if s[3].customer_id == MONTHLY_CUSTOMER])
