"""Dailly assignments and factoring remittances over the real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from encaisse.domain.errors import NotFoundError, ValidationError
from encaisse.domain.financing import DAILLY_TITLE, FACTORING_HEADER, Factor
from encaisse.domain.parties import Company, Party
from encaisse.services import financing, invoicing
from financing.financing_support import FakeRenderer
from tests_support import DAY, draft, new_customer

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
BANK = "Banque Populaire Auvergne Rhône Alpes"
BANK_IBAN = "FR7610907000011234567890172"
FACTOR = Factor("BNP Paribas Factor", "160 boulevard Haussmann, 75008 Paris", "FR7630004000031234567890143")


def issue(fuow: Any, company: Company, customer: Party, count: int = 1, **changes: Any) -> list[str]:
    invoices = [draft(company, customer, due_date=date(2027, 1, 18), **changes) for _ in range(count)]
    return [inv.number for inv in invoicing.create_and_issue(fuow, invoices)]


@pytest.fixture
def customers(fuow: Any, company: Company) -> dict[str, Party]:
    return {
        "dupont": new_customer(fuow, company),
        "garage": new_customer(fuow, company, name="Garage Central", siren="542065479"),
        "consumer": new_customer(
            fuow, company, name="Jeanne Particulier", siren="", legal_form="", is_business=False
        ),
    }


def test_dailly_assignment_produces_the_bordereau_and_one_notification_per_debtor(
    fuow: Any, company: Company, customers: dict[str, Party]
) -> None:
    cid = company.id or 0
    d1, d2 = issue(fuow, company, customers["dupont"], 2)
    (g1,) = issue(fuow, company, customers["garage"])
    render = FakeRenderer()
    result = financing.assign_dailly(
        fuow, cid, [d1, g1, d2, d1], bank_name=BANK, bank_iban=BANK_IBAN, today=DAY, render=render, now=NOW
    )
    slip = result.bordereau
    assert [r.number for r in slip.receivables] == [d1, g1, d2]  # each once, in the order given
    assert slip.total == sum((r.amount for r in slip.receivables), Decimal(0)) > 0
    assert [(name, letter.title) for name, letter in render.letters] == [
        (BANK, DAILLY_TITLE),
        ("Boulangerie Dupont", "Notification de cession de créances professionnelles"),
        ("Garage Central", "Notification de cession de créances professionnelles"),
    ]
    assert result.bordereau_pdf.startswith(b"%PDF-fake")
    assert [n.debtor.name for n, _ in result.notifications] == ["Boulangerie Dupont", "Garage Central"]
    assert result.warnings == ()
    (record,) = _assignments(fuow, cid)
    assert (record.kind, record.bank_name, record.total, record.has_bordereau) == (
        "dailly",
        BANK,
        slip.total,
        True,
    )
    assert len(record.invoice_ids) == 3

    # the same invoice cannot be assigned twice (nor factored afterwards)
    with pytest.raises(ValidationError) as twice:
        financing.assign_dailly(fuow, cid, [d1], bank_name="Autre banque", today=DAY, render=render)
    assert twice.value.code == "FIN-ALREADY-ASSIGNED"
    with pytest.raises(ValidationError):
        financing.export_factoring(fuow, cid, [d2], FACTOR)
    assert len(_assignments(fuow, cid)) == 1
    assert financing.dailly_candidates(fuow, cid) == []


def _assignments(fuow: Any, cid: int) -> list[Any]:
    with fuow() as repo:
        return list(repo.list_financing_assignments(cid))


def test_consumer_and_disputed_receivables_are_refused_and_nothing_is_stored(
    fuow: Any, company: Company, customers: dict[str, Party]
) -> None:
    cid = company.id or 0
    (ok,) = issue(fuow, company, customers["dupont"])
    (private,) = issue(fuow, company, customers["consumer"])
    (disputed,) = issue(fuow, company, customers["garage"])
    with fuow() as repo:
        inv = repo.invoice_by_number(cid, disputed)
        repo.set_invoice_flags(cid, inv.id, disputed=True)
    render = FakeRenderer()
    with pytest.raises(ValidationError) as err:
        financing.assign_dailly(
            fuow, cid, [ok, private, disputed, "F-NONE"], bank_name=BANK, today=DAY, render=render
        )
    assert sorted(p.code for p in err.value.problems) == [
        "DAILLY-PARTIES",
        "FIN-DISPUTED",
        "INVOICE-NOT-FOUND",
    ]
    assert render.letters == []
    assert _assignments(fuow, cid) == []
    assert [inv.number for inv in financing.dailly_candidates(fuow, cid)] == [ok]
    with pytest.raises(ValidationError) as no_bank:
        financing.assign_dailly(fuow, cid, [ok], bank_name=" ", today=DAY, render=render)
    assert no_bank.value.code == "DAILLY-BORDEREAU-BANK"


def test_missing_bank_iban_is_a_warning_not_a_refusal(
    fuow: Any, company: Company, customers: dict[str, Party]
) -> None:
    (ok,) = issue(fuow, company, customers["dupont"])
    result = financing.assign_dailly(
        fuow, company.id or 0, [ok], bank_name=BANK, today=DAY, render=FakeRenderer()
    )
    assert [p.code for p in result.warnings] == ["DAILLY-NOTIFY"]


def test_factoring_export_has_the_subrogation_mention_and_marks_the_invoices(
    fuow: Any, company: Company, customers: dict[str, Party]
) -> None:
    cid = company.id or 0
    numbers = issue(fuow, company, customers["dupont"], 2)
    result = financing.export_factoring(fuow, cid, numbers, FACTOR, now=NOW)
    rows = list(csv.DictReader(io.StringIO(result.data.decode("utf-8"))))
    assert tuple(rows[0].keys()) == FACTORING_HEADER
    assert [r["invoice_number"] for r in rows] == numbers
    for row in rows:
        assert row["type_code"] == "393"
        assert "par subrogation" in row["subrogation_mention"]
        assert "FR76 3000 4000 0312 3456 7890 143" in row["subrogation_mention"]
        assert row["debtor_siren"] == "552100554"
        assert Decimal(row["amount_due"]) == Decimal(row["total_incl_tax"]) > 0
    (record,) = _assignments(fuow, cid)
    assert (record.kind, record.bank_name, record.has_bordereau) == ("factoring", FACTOR.name, False)
    with pytest.raises(ValidationError) as twice:
        financing.export_factoring(fuow, cid, numbers[:1], FACTOR)
    assert twice.value.code == "FIN-ALREADY-ASSIGNED"
    with pytest.raises(ValidationError) as no_iban:
        financing.export_factoring(fuow, cid, issue(fuow, company, customers["garage"]), Factor("Factor SA"))
    assert no_iban.value.code == "FACT-INVOICE-MENTION"


def test_dailly_brings_the_cash_forward_in_the_forecast(
    fuow: Any, company: Company, customers: dict[str, Party]
) -> None:
    """SCENARIOS §7: the forecast shows the cash arriving now instead of in 45 days."""
    numbers = issue(fuow, company, customers["dupont"], 2)  # 2 × 553.20, due in 45 days
    weeks = financing.dailly_effect(fuow, company.id or 0, numbers, today=DAY, weeks=8, simulations=20)
    # this week: 1 106.40 − 0.5 % fee − 5.5 % a year for 45 days (act/360) = 1 093.26
    assert weeks[0].scenario - weeks[0].base == weeks[0].delta == Decimal("1093.26")
    with pytest.raises(NotFoundError):
        financing.dailly_effect(fuow, company.id or 0, ["F-NONE"], today=DAY)


def test_assigned_invoices_get_no_reminder_of_ours() -> None:
    """DAILLY-PRODUCT: once assigned and notified, the bank collects; our dunning stops."""
    from encaisse.services.collections import load_items

    class Repo:
        def financed_invoice_ids(self, company_id: int) -> set[int]:
            return {2}

        def dunning_records(self, company_id: int) -> list[Any]:
            return [_record(1), _record(2)]

    from encaisse.domain.parties import Company

    items = load_items(Repo(), Company(name="X", siren="732829320", id=1))  # type: ignore[arg-type]
    assert [(i.invoice_id, i.factored_or_assigned) for i in items] == [(1, False), (2, True)]


def _record(invoice_id: int) -> Any:
    from datetime import date
    from decimal import Decimal

    from encaisse.services.collections import DunningRecord

    fields = DunningRecord.__dataclass_fields__
    values: dict[str, Any] = {
        "invoice_id": invoice_id,
        "number": f"F{invoice_id}",
        "kind": "invoice",
        "customer_id": 1,
        "customer_name": "Client",
        "customer_is_business": True,
        "customer_email": "c@example.fr",
        "due_date": date(2026, 11, 1),
        "issue_date": date(2026, 10, 1),
        "total": Decimal("100.00"),
        "amount_paid": Decimal("0.00"),
        "amount_credited": Decimal("0.00"),
        "penalty_rate": None,
        "status": "issued",
        "disputed": False,
        "in_payment_plan": False,
        "delivery_failed": False,
        "last_step_sent": None,
        "last_step_sent_on": None,
        "indemnity_claimed": False,
        "einvoice_status": None,
    }
    return DunningRecord(**{k: v for k, v in values.items() if k in fields})
