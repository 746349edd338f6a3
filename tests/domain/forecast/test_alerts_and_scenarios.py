"""Shortfall and surplus alerts; what-if scenarios applied without mutating the inputs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from encaisse.domain.forecast.alerts import shortfall, surplus
from encaisse.domain.forecast.delays import PaymentRecord, estimate_delay_model
from encaisse.domain.forecast.items import Receivable
from encaisse.domain.forecast.position import CashPosition
from encaisse.domain.forecast.recurrence import Period, user_flow
from encaisse.domain.forecast.scenarios import (
    ForecastInputs,
    compare,
    customer_pays_late,
    dailly,
    new_hire,
    one_off_purchase,
    run,
)

TODAY = date(2026, 3, 2)  # a Monday
D = Decimal


def tight_inputs() -> ForecastInputs:
    model = estimate_delay_model(
        [PaymentRecord("Garage", d) for d in (18, 20, 22)] + [PaymentRecord("Hôtel", 0)] * 4
    )
    return ForecastInputs(
        position=CashPosition(TODAY, total=D("5000")),
        receivables=(
            Receivable("F1", "Garage", D("8000"), TODAY + timedelta(days=30)),
            Receivable("F2", "Hôtel", D("1500"), TODAY + timedelta(days=35)),
            Receivable("F3", "Garage", D("3000"), TODAY - timedelta(days=5)),
        ),
        recurring=(user_flow("Salaires", D("-12000"), Period.MONTHLY, date(2026, 3, 31), category="salary"),),
        delays=model,
    )


def test_shortfall_lists_the_invoices_that_close_the_gap_biggest_first() -> None:
    inputs = tight_inputs()
    fc = run(inputs, today=TODAY)
    assert inputs.delays is not None
    alert = shortfall(fc, list(inputs.receivables), inputs.delays, today=TODAY)
    assert alert is not None
    assert alert.week_start == date(2026, 3, 30)
    assert alert.gap == -alert.expected_balance
    assert alert.invoices[0] == "F1"
    assert alert.covered >= alert.gap
    assert (
        shortfall(fc, list(inputs.receivables), inputs.delays, today=TODAY, threshold=D("-1000000")) is None
    )


def test_surplus_suggests_the_lowest_low_balance_minus_buffer() -> None:
    inputs = ForecastInputs(position=CashPosition(TODAY, total=D("80000")))
    fc = run(one_off_purchase(inputs, date(2026, 4, 8), D("10000")), today=TODAY)
    alert = surplus(fc, threshold=D("20000"), min_weeks=8, buffer=D("5000"))
    assert alert is not None
    assert alert.start == date(2026, 3, 2)
    assert alert.weeks == 13
    assert alert.suggested == D("45000.00")  # 70,000 lowest − 20,000 threshold − 5,000 buffer
    assert surplus(fc, threshold=D("75000"), min_weeks=8) is None


def test_scenarios_do_not_mutate_the_base_and_move_the_balance() -> None:
    base = tight_inputs()
    frozen = repr(base)
    base_fc = run(base, today=TODAY)

    hired = run(new_hire(base, date(2026, 4, 1), D("2200")), today=TODAY)
    diff = {d.start: d.delta for d in compare(base_fc, hired)}
    assert diff[date(2026, 3, 23)] == 0
    assert diff[date(2026, 4, 27)] == D("-2200.00")  # salary at the end of April
    assert diff[date(2026, 5, 11)] == D("-3190.00")  # + charges (45 %) on 15 May

    late = run(customer_pays_late(base, "Garage", 30), today=TODAY)
    assert compare(base_fc, late)[6].delta < 0

    assigned = dailly(base, {"F1"}, TODAY)
    assert [r.key for r in assigned.receivables] == ["F2", "F3"]
    (cash,) = assigned.one_offs
    assert cash.amount == D("7923.33")  # 8000 − 0.5 % fee − 5.5 % × 30/360
    first_week = compare(base_fc, run(assigned, today=TODAY))[0]
    assert first_week.delta == D("7923.33")
    assert repr(base) == frozen
