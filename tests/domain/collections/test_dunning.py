"""Dunning: what is due on a day, from each invoice's state (CHECKLIST DUN-RELANCE-PRACTICE,
DUN-MED-CONTENT, PAY-INDEMNITY-40, PAY-B2C)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from encaisse.domain.dunning import (
    DEFAULT_PLAN,
    TEMPLATES,
    DunningItem,
    DunningPlan,
    DunningStep,
    apply_run,
    due_today,
    message_context,
    next_step,
    preview,
    render_message,
    step_date,
)
from encaisse.domain.parties import Address, Company

DUE = date(2026, 12, 4)  # a Friday
COMPANY = Company(
    name="Élec Durand SARL",
    siren="732829320",
    iban="FR7630006000011234567890189",
    address=Address("3 rue des Lilas", postcode="69003", city="Lyon"),
)


def item(invoice_id: int = 1, **changes: Any) -> DunningItem:
    base = DunningItem(
        invoice_id=invoice_id,
        number=f"F2026-{invoice_id:05d}",
        customer_id=10,
        customer_name="Martin Bâtiment SAS",
        customer_is_business=True,
        customer_email="compta@martin.fr",
        due_date=DUE,
        amount_due=Decimal("1200.00"),
        total=Decimal("1200.00"),
        penalty_rate=Decimal("12.15"),
        issue_date=DUE - timedelta(days=30),
    )
    return replace(base, **changes)


def sent(items: list[DunningItem], day: date) -> list[tuple[str, tuple[str, ...]]]:
    run = due_today(items, {}, day)
    return [(r.step_key, r.invoice_numbers) for r in run.reminders + run.calls_today]


def test_default_plan_ladder() -> None:
    assert [(s.key, s.offset_days, s.channel, s.kind) for s in DEFAULT_PLAN.steps] == [
        ("courtesy", -3, "email", "courtesy"),
        ("reminder_1", 7, "email", "reminder"),
        ("reminder_2", 15, "email", "reminder"),
        ("formal_notice", 30, "letter", "formal_notice"),
        ("call", 37, "call", "call"),
    ]


def test_step_on_christmas_moves_to_the_next_business_day() -> None:
    due = date(2026, 12, 18)  # + 7 = Friday 25 December
    assert step_date(due, 7) == date(2026, 12, 28)
    one = [item(due_date=due, last_step_sent="courtesy", last_step_sent_on=date(2026, 12, 15))]
    for day in (date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 27)):
        assert sent(one, day) == []
    assert sent(one, date(2026, 12, 28)) == [("reminder_1", ("F2026-00001",))]


def test_courtesy_falls_before_due_date_and_never_after_it() -> None:
    assert step_date(DUE, -3) == date(2026, 12, 1)
    assert sent([item()], date(2026, 11, 30)) == []
    assert sent([item()], date(2026, 12, 1)) == [("courtesy", ("F2026-00001",))]
    assert sent([item()], DUE) == [("courtesy", ("F2026-00001",))]
    assert sent([item()], DUE + timedelta(days=1)) == []  # late: the courtesy note is pointless


def test_catch_up_after_ten_days_without_running_sends_only_the_latest_step() -> None:
    one = [item(last_step_sent="courtesy", last_step_sent_on=date(2026, 12, 1))]
    # D+7 (11/12) and D+15 (19/12 → Monday 21/12) were both missed; run again on 22/12.
    assert sent(one, date(2026, 12, 22)) == [("reminder_2", ("F2026-00001",))]
    # Never sent anything and 31 days late: only the formal notice, not four messages.
    assert sent([item()], date(2027, 1, 4)) == [("formal_notice", ("F2026-00001",))]


def test_catch_up_never_skips_the_formal_notice() -> None:
    behind = [item(last_step_sent="reminder_2", last_step_sent_on=date(2026, 12, 21))]
    day = date(2027, 1, 13)  # D+40: formal notice (04/01) and call (11/01) both missed
    run = due_today(behind, {}, day)
    assert [(r.step_key, r.deliveries) for r in run.reminders] == [("formal_notice", ("letter", "email"))]
    assert run.calls_today == ()
    after = apply_run(behind, run)
    assert sent(after, date(2027, 1, 15)) == []  # minimum gap between two steps
    assert sent(after, date(2027, 1, 16)) == []  # Saturday: nothing leaves
    assert sent(after, date(2027, 1, 18)) == [("call", ("F2026-00001",))]


def test_running_twice_the_same_day_sends_nothing_the_second_time() -> None:
    items = [item(1), item(2, customer_id=11, customer_name="Bois & Fils")]
    day = date(2026, 12, 14)
    run = due_today(items, {}, day)
    assert [r.step_key for r in run.reminders] == ["reminder_1", "reminder_1"]
    after = apply_run(items, run)
    assert all(i.last_step_sent == "reminder_1" and i.last_step_sent_on == day for i in after)
    again = due_today(after, {}, day)
    assert again.reminders == ()
    assert again.calls_today == ()


def test_next_step_waits_the_minimum_gap_after_a_catch_up() -> None:
    late = item(last_step_sent="reminder_1", last_step_sent_on=date(2026, 12, 21))
    assert next_step(late, DEFAULT_PLAN, date(2026, 12, 22)) is None  # reminder_2 was due on 21/12
    assert next_step(late, DEFAULT_PLAN, date(2026, 12, 24)) == DEFAULT_PLAN.steps[2]


def test_one_reminder_per_customer_and_step() -> None:
    items = [
        item(3),
        item(1),
        item(2, amount_due=Decimal("300.00")),
        item(4, due_date=DUE + timedelta(days=8)),  # same customer, younger: other step
        item(5, customer_id=11, customer_name="Bois & Fils"),
    ]
    run = due_today(items, {}, date(2026, 12, 22))
    rows = [(r.customer_name, r.step_key, r.invoice_numbers, r.total_due) for r in run.reminders]
    assert rows == [
        ("Bois & Fils", "reminder_2", ("F2026-00005",), Decimal("1200.00")),
        (
            "Martin Bâtiment SAS",
            "reminder_2",
            ("F2026-00001", "F2026-00002", "F2026-00003"),
            Decimal("2700.00"),
        ),
        ("Martin Bâtiment SAS", "reminder_1", ("F2026-00004",), Decimal("1200.00")),
    ]
    assert run.reminders[1].amounts == (Decimal("1200.00"), Decimal("300.00"), Decimal("1200.00"))


def test_paid_disputed_payment_plan_factored_stop_and_bounced_go_to_fix_and_resend() -> None:
    day = date(2026, 12, 14)
    items = [
        item(1, amount_due=Decimal("0.00"), status="paid"),
        item(2, amount_due=Decimal("0.00")),
        item(3, status="cancelled"),
        item(4, disputed=True),
        item(5, in_payment_plan=True),
        item(6, factored_or_assigned=True),
        item(7, delivery_failed=True),
        item(8, status="partially_paid", amount_due=Decimal("200.00")),
    ]
    run = due_today(items, {}, day)
    assert [(r.step_key, r.invoice_numbers, r.total_due) for r in run.reminders] == [
        ("reminder_1", ("F2026-00008",), Decimal("200.00"))
    ]
    assert [(h.number, h.reason) for h in run.held] == [
        ("F2026-00004", "DUN-HOLD-DISPUTED"),
        ("F2026-00005", "DUN-HOLD-PAYMENT-PLAN"),
        ("F2026-00006", "DUN-HOLD-FACTORED"),
    ]
    assert [i.number for i in run.fix_and_resend] == ["F2026-00007"]


def test_formal_notice_claims_penalties_and_indemnity_once_per_b2b_invoice() -> None:
    day = date(2027, 1, 4)  # D+31
    items = [item(1), item(2, amount_due=Decimal("500.00"), indemnity_claimed=True)]
    (notice,) = due_today(items, {}, day).reminders
    assert notice.kind == "formal_notice"
    assert notice.channel == "letter"
    # 1200 × 12.15 % × 31 / 365 = 12.383 → 12.38 ; 500 × 12.15 % × 31 / 365 = 5.159 → 5.16
    assert [ln.penalty for ln in notice.invoices] == [Decimal("12.38"), Decimal("5.16")]
    assert notice.penalties == Decimal("17.54")
    assert [ln.indemnity for ln in notice.invoices] == [Decimal("40.00"), Decimal("0.00")]
    assert notice.indemnity == Decimal("40.00")
    assert notice.total_claimed == Decimal("1757.54")
    after = apply_run(items, due_today(items, {}, day))
    assert [i.indemnity_claimed for i in after] == [True, True]


def test_a_second_formal_notice_does_not_claim_the_indemnity_again() -> None:
    plan = DunningPlan(
        "two notices",
        (
            DunningStep("notice", 20, "letter", "formal_notice", "formal_notice"),
            DunningStep("notice_again", 40, "letter", "formal_notice", "formal_notice"),
        ),
    )
    items = [item()]
    first = due_today(items, {10: plan}, date(2026, 12, 24))
    assert first.reminders[0].indemnity == Decimal("40.00")
    items = apply_run(items, first)
    second = due_today(items, {10: plan}, date(2027, 1, 13))
    assert second.reminders[0].step_key == "notice_again"
    assert second.reminders[0].indemnity == Decimal("0.00")


def test_consumers_get_neither_indemnity_nor_penalties() -> None:
    (notice,) = due_today([item(customer_is_business=False)], {}, date(2027, 1, 4)).reminders
    assert notice.kind == "formal_notice"
    assert notice.indemnity == Decimal("0.00")
    assert notice.penalties == Decimal("0.00")
    message = render_message(notice, COMPANY)
    assert "40" not in message.body
    assert "pénalité" not in message.body.lower()
    assert "taux légal" in message.body


def test_per_customer_plan_override() -> None:
    fast = DunningPlan("fast", (DunningStep("only", 1, "email", "reminder_1", "reminder"),))
    items = [item(1), item(2, customer_id=11)]
    assert sent(items, date(2026, 12, 7)) == []
    run = due_today(items, {11: fast}, date(2026, 12, 7))
    assert [(r.customer_id, r.step_key) for r in run.reminders] == [(11, "only")]


def test_calls_go_to_the_to_do_list() -> None:
    day = date(2027, 1, 11)  # D+38
    items = [item(last_step_sent="formal_notice", last_step_sent_on=date(2027, 1, 4))]
    run = due_today(items, {}, day)
    assert run.reminders == ()
    assert [(c.step_key, c.channel, c.invoice_numbers) for c in run.calls_today] == [
        ("call", "call", ("F2026-00001",))
    ]


def test_preview_shape_and_content() -> None:
    items = [item(1), item(2, customer_id=11, customer_name="Bois & Fils", due_date=date(2026, 12, 18))]
    rows = preview(items, {}, date(2026, 11, 30), days=16)  # 30/11 … 15/12
    assert [(r.date.isoformat(), r.customer_name, r.invoice_numbers, r.step, r.channel) for r in rows] == [
        ("2026-12-01", "Martin Bâtiment SAS", ("F2026-00001",), "courtesy", "email"),
        ("2026-12-11", "Martin Bâtiment SAS", ("F2026-00001",), "reminder_1", "email"),
        ("2026-12-15", "Bois & Fils", ("F2026-00002",), "courtesy", "email"),
    ]
    assert preview(items, {}, date(2026, 11, 30), days=15)[-1].date == date(2026, 12, 11)
    payload = json.loads(json.dumps([r.to_json() for r in rows]))
    assert all(set(row) == {"date", "customer_name", "invoice_numbers", "step", "channel"} for row in payload)
    assert payload[0] == {
        "date": "2026-12-01",
        "customer_name": "Martin Bâtiment SAS",
        "invoice_numbers": ["F2026-00001"],
        "step": "courtesy",
        "channel": "email",
    }
    assert [r.reason_fr for r in rows] == [
        "Rappel de courtoisie : échéance le 04/12/2026",
        "Première relance : 7 jours de retard",
        "Rappel de courtoisie : échéance le 18/12/2026",
    ]


def test_templates_render_completely_in_french_for_every_step() -> None:
    day_for = {
        "courtesy": date(2026, 12, 1),
        "reminder_1": date(2026, 12, 11),
        "reminder_2": date(2026, 12, 21),
        "formal_notice": date(2027, 1, 4),
        "call": date(2027, 1, 11),
    }
    for step in DEFAULT_PLAN.steps:
        items = [item(1), item(2, amount_due=Decimal("1234.56"), total=Decimal("2000.00"))]
        items = [replace(i, last_step_sent=None) for i in items]
        previous = DEFAULT_PLAN.steps[DEFAULT_PLAN.position(step.key) - 1] if step.key != "courtesy" else None
        if previous is not None:
            items = [
                replace(i, last_step_sent=previous.key, last_step_sent_on=DUE - timedelta(days=10))
                for i in items
            ]
        run = due_today(items, {}, day_for[step.key])
        (reminder,) = run.reminders + run.calls_today
        assert reminder.step_key == step.key
        message = render_message(reminder, COMPANY, link="https://pay.example/abc")
        assert not re.search(r"[{}]", message.subject + message.body), step.key
        assert "F2026-00001, F2026-00002" in message.subject
        assert "2\u202f434,56\u00a0€" in message.body  # 1 200,00 + 1 234,56, French typography
        if step.kind != "call":
            assert "https://pay.example/abc" in message.body


def test_formal_notice_has_the_recommended_content() -> None:
    items = [item(1), item(2, amount_due=Decimal("1234.56"), total=Decimal("2000.00"))]
    (notice,) = due_today(items, {}, date(2027, 1, 4)).reminders
    body = render_message(notice, COMPANY).body
    # DUN-MED-CONTENT: words, identities, invoices with dates and amounts, claims, deadline, consequences.
    for expected in (
        "mise en demeure",
        "Élec Durand SARL",
        "3 rue des Lilas, 69003 Lyon",
        "Martin Bâtiment SAS",
        "Le 04/01/2027",
        "- Facture F2026-00001 du 04/11/2026, échue le 04/12/2026 : 1\u202f200,00\u00a0€",
        "- Facture F2026-00002 du 04/11/2026, échue le 04/12/2026 : 1\u202f234,56\u00a0€ restant dû sur 2\u202f000,00\u00a0€",
        "au taux annuel de 12,15\u00a0%",
        "Indemnité forfaitaire pour frais de recouvrement de 40\u00a0€ par facture",
        ": 80,00\u00a0€",
        "8 jours",
        "injonction de payer",
        "FR76 3000 6000 0112 3456 7890 189",
    ):
        assert expected in body, expected
    context = message_context(notice, COMPANY)
    assert context["total_reclame"] == "2\u202f539,68\u00a0€"  # 2 434,56 + 12,38 + 12,74 + 80,00
    assert context["date_limite"] == "12/01/2027"


def test_every_default_template_uses_the_required_placeholders() -> None:
    for key in ("courtesy", "reminder_1", "reminder_2"):
        text = TEMPLATES[key].subject + TEMPLATES[key].body
        for placeholder in ("{client}", "{numero}", "{montant}", "{echeance}", "{lien}"):
            assert placeholder in text, (key, placeholder)


statuses = st.sampled_from(["issued", "partially_paid", "paid"])
step_keys = st.sampled_from([None, *[s.key for s in DEFAULT_PLAN.steps]])


@given(
    due=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    offset=st.integers(min_value=-10, max_value=90),
    last=step_keys,
    gap=st.integers(min_value=0, max_value=60),
    business=st.booleans(),
    status=statuses,
)
def test_properties_idempotent_one_step_per_invoice_on_business_days(
    due: date, offset: int, last: str | None, gap: int, business: bool, status: str
) -> None:
    today = due + timedelta(days=offset)
    one = item(
        due_date=due,
        last_step_sent=last,
        last_step_sent_on=today - timedelta(days=gap) if last else None,
        customer_is_business=business,
        status=status,
        amount_due=Decimal("0.00") if status == "paid" else Decimal("99.99"),
    )
    run = due_today([one], {}, today)
    out = run.reminders + run.calls_today
    assert len(out) <= 1
    if out:
        (reminder,) = out
        order = [s.key for s in DEFAULT_PLAN.steps]
        assert last is None or order.index(reminder.step_key) > order.index(last)
        assert step_date(due, DEFAULT_PLAN.steps[order.index(reminder.step_key)].offset_days) <= today
        assert status != "paid"
        if not business:
            assert reminder.indemnity == reminder.penalties == Decimal("0.00")
    assert due_today(apply_run([one], run), {}, today).reminders == ()
