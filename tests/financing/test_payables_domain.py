"""Which supplier invoices a payment batch pays (SCENARIOS §7, SEPA-SCT), as pure rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from encaisse.domain.calendar_fr import is_business_day
from encaisse.domain.payables import (
    PayableInvoice,
    PayableStatus,
    Selection,
    build_batch,
    execution_date,
    is_valid_iban,
    select_payables,
    sepa_id,
    sepa_text,
    validate_batch,
)
from encaisse.formats import pain001

GOOD = "FR7630004000031234567890143"
APPROVED = datetime(2026, 11, 20, tzinfo=UTC)
UNTIL = date(2026, 12, 31)


def payable(n: int, **changes: object) -> PayableInvoice:
    base = PayableInvoice(
        id=n,
        supplier_id=1,
        supplier_name="Matériaux Rhône SAS",
        number=f"A-{n}",
        issue_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2),
        amount_due=Decimal("1200.00"),
        supplier_iban=GOOD,
        invoice_iban=GOOD,
        approved_at=APPROVED,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def codes(selection: Selection) -> dict[str, str]:
    return {inv.number: p.code for inv, p in selection.excluded}


def test_only_approved_due_and_payable_invoices_are_selected() -> None:
    invoices = [
        payable(1),
        payable(2, approved_at=None),
        payable(3, due_date=date(2027, 1, 5)),
        payable(4, status=PayableStatus.IBAN_CHANGED, invoice_iban="DE89370400440532013000"),
        payable(5, supplier_iban="FR7630004000031234567890144", invoice_iban=""),
        payable(6, amount_paid=Decimal("1200.00")),
        payable(7, currency="USD"),
        payable(8, supplier_iban="", invoice_iban=""),
        payable(9, status=PayableStatus.PAYMENT_TRANSMITTED),
        payable(10, supplier_iban="BR1800360305000010009795493C1", invoice_iban=""),
    ]
    sel = select_payables(invoices, until=UNTIL, already_batched=frozenset({11}))
    assert [i.number for i in sel.selected] == ["A-1"]
    assert codes(sel) == {
        "A-2": "PAY-NOT-APPROVED",
        "A-3": "PAY-NOT-DUE",
        "A-4": "PAY-IBAN-CHANGED",
        "A-5": "PAY-IBAN-INVALID",
        "A-6": "PAY-NOTHING-DUE",
        "A-7": "PAY-CURRENCY",
        "A-8": "PAY-IBAN-MISSING",
        "A-9": "PAY-ALREADY-BATCHED",
        "A-10": "PAY-IBAN-NOT-SEPA",
    }


def test_changed_iban_blocks_until_confirmed_then_pays_the_confirmed_iban() -> None:
    flagged = payable(1, status=PayableStatus.IBAN_CHANGED, invoice_iban="DE89370400440532013000")
    assert select_payables([flagged], until=UNTIL).selected == ()
    confirmed = replace(flagged, status=PayableStatus.RECEIVED, supplier_iban="DE89370400440532013000")
    sel = select_payables([confirmed], until=UNTIL)
    assert [i.iban_to_pay for i in sel.selected] == ["DE89370400440532013000"]
    # an older invoice still quoting the previous IBAN is paid to the confirmed one, not to what it says
    older = payable(2, invoice_iban=GOOD, supplier_iban="DE89370400440532013000")
    assert select_payables([older], until=UNTIL).selected[0].iban_to_pay == "DE89370400440532013000"


def test_partially_paid_invoice_pays_the_rest() -> None:
    inv = payable(1, amount_paid=Decimal("200.00"))
    batch = build_batch(
        select_payables([inv], until=UNTIL),
        message_id="M1",
        created_at=APPROVED,
        execution_day=date(2026, 12, 7),
        debtor_name="Électricité Martin",
        debtor_iban="FR76 3000 6000 0112 3456 7890 189",
    )
    assert [i.amount for i in batch.instructions] == [Decimal("1000.00")]
    assert batch.debtor_name == "Electricite Martin"
    assert batch.debtor_iban == "FR7630006000011234567890189"
    assert validate_batch(batch) == []
    assert pain001.validate(pain001.export(batch)) == []


def test_validate_batch_names_every_problem() -> None:
    inv = payable(1)
    batch = build_batch(
        select_payables([inv], until=UNTIL),
        message_id="M1",
        created_at=APPROVED,
        execution_day=date(2026, 12, 7),
        debtor_name="ACME",
        debtor_iban="FR7630006000011234567890188",
    )
    bad = replace(batch.instructions[0], creditor_iban="FR7630004000031234567890144", amount=Decimal("0"))
    problems = validate_batch(replace(batch, instructions=(bad, bad)))
    assert sorted({p.code for p in problems}) == [
        "PAY-AMOUNT",
        "PAY-DEBTOR-IBAN",
        "PAY-E2E-DUPLICATE",
        "PAY-IBAN-INVALID",
    ]


def test_sepa_text_and_ids_stay_in_the_epc_character_set() -> None:
    assert sepa_text("Boulangerie « Chez Zoé » & Cie_2") == "Boulangerie Chez Zoe + Cie-2"
    assert sepa_text("x" * 200, 70) == "x" * 70
    assert sepa_id("/12//F 2026/") == "12/F-2026"
    assert sepa_id("") == "NOTPROVIDED"
    assert is_valid_iban("BE68539007547034")
    assert not is_valid_iban("BE69539007547034")


@given(st.text(max_size=300))
def test_sepa_text_property(text: str) -> None:
    out = sepa_text(text, 70)
    assert len(out) <= 70
    assert all(ch.isascii() and (ch.isalnum() or ch in "/-?:().,'+ ") for ch in out)


@settings(deadline=None)  # the first call builds the holiday calendar of a year
@given(requested=st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)), lag=st.integers(-30, 30))
def test_execution_date_is_a_business_day_never_in_the_past(requested: date, lag: int) -> None:
    today = requested + timedelta(days=lag)
    day = execution_date(requested, today=today)
    assert is_business_day(day)
    assert day >= max(requested, today)
    assert (day - max(requested, today)).days <= 5  # at most a long weekend away


flag = st.sampled_from(
    [PayableStatus.RECEIVED, PayableStatus.IBAN_CHANGED, PayableStatus.PAYMENT_TRANSMITTED]
)
invoice_lists = st.lists(
    st.builds(
        payable,
        st.integers(1, 40),
        status=flag,
        approved_at=st.sampled_from([None, APPROVED]),
        due_date=st.dates(min_value=date(2026, 11, 1), max_value=date(2027, 2, 1)),
        amount_paid=st.sampled_from([Decimal("0.00"), Decimal("1200.00")]),
    ),
    max_size=25,
)


@settings(max_examples=150)
@given(invoices=invoice_lists, batched=st.frozensets(st.integers(1, 40), max_size=10))
def test_selection_never_pays_twice_nor_an_unconfirmed_iban(
    invoices: list[PayableInvoice], batched: frozenset[int]
) -> None:
    sel = select_payables(invoices, until=UNTIL, already_batched=batched)
    ids = [i.id for i in sel.selected]
    assert len(ids) == len(set(ids))
    for inv in sel.selected:
        assert inv.id not in batched
        assert inv.status == PayableStatus.RECEIVED
        assert inv.approved_at is not None
        assert inv.outstanding > 0
        assert inv.due_date is not None
        assert inv.due_date <= UNTIL
    assert {i.id for i in invoices} == set(ids) | {inv.id for inv, _ in sel.excluded}
