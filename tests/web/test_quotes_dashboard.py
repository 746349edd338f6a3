"""Quote use cases (deposit then final invoice, DEP-FINAL), the dashboard read model, and the
French message catalogue."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from encaisse.adapters.web.messages_fr import CODES_FR, COMPLIANCE_FR, problem_fr
from encaisse.domain.compliance import MESSAGES
from encaisse.domain.documents import DocumentKind, InvoiceStatus, QuoteStatus, compute_totals
from encaisse.domain.errors import Problem, TransitionError, ValidationError
from encaisse.services import invoicing, quotes
from encaisse.services.dashboard import dashboard
from encaisse.services.ports import InvoiceFilter

from .conftest import World


def test_quote_deposit_then_final_invoice_deducts_it(world: World) -> None:
    """SCENARIOS 2: a 30 % deposit invoice is issued; the final invoice deducts it (DEP-FINAL)."""
    a, uow, today = world.a, world.uow, date.today()
    with uow.read() as repo:
        quote = repo.get_quote(a.company_id, a.quote_id)
    with pytest.raises(TransitionError):
        quotes.create_deposit_invoice(uow, a.company_id, a.quote_id, today)  # not accepted yet
    quotes.send_quote(uow, a.company_id, a.quote_id)
    accepted = quotes.accept_quote(uow, a.company_id, a.quote_id, today)
    assert accepted.status is QuoteStatus.ACCEPTED
    assert accepted.accepted_on == today
    deposit = quotes.create_deposit_invoice(uow, a.company_id, a.quote_id, today, Decimal(30))
    assert deposit.kind is DocumentKind.DEPOSIT
    assert deposit.quote_number == quote.number
    quote_excl = compute_totals(quote).total_excl_tax
    assert compute_totals(deposit).total_excl_tax == (quote_excl * Decimal("0.3")).quantize(Decimal("0.01"))
    with pytest.raises(ValidationError) as draft_pending:
        quotes.convert_to_invoice(uow, a.company_id, a.quote_id, today)
    assert draft_pending.value.code == "QUOTE-DEPOSIT-DRAFT"
    issued_deposit = invoicing.issue(uow, a.company_id, deposit.id or 0)
    with pytest.raises(ValidationError) as too_much:
        quotes.create_deposit_invoice(uow, a.company_id, a.quote_id, today, Decimal(80))
    assert too_much.value.code == "DEPOSIT-EXCEEDS-QUOTE"
    final = quotes.convert_to_invoice(uow, a.company_id, a.quote_id, today)
    assert final.deposit_numbers == (issued_deposit.number,)
    totals = compute_totals(final)
    assert totals.total_excl_tax == quote_excl - compute_totals(issued_deposit).total_excl_tax
    issued_final = invoicing.issue(uow, a.company_id, final.id or 0)  # passes DEP-FINAL checks
    assert issued_final.status is InvoiceStatus.ISSUED
    with uow.read() as repo:
        assert repo.get_quote(a.company_id, a.quote_id).status is QuoteStatus.INVOICED


def test_quote_problems_and_edit_only_in_draft(world: World) -> None:
    b, uow, today = world.b, world.uow, date.today()
    with uow.read() as repo:
        quote = repo.get_quote(b.company_id, b.quote_id)
    with pytest.raises(ValidationError) as bad:
        quotes.update_quote(uow, replace(quote, validity_date=today - timedelta(days=1)))
    assert [p.field for p in bad.value.problems] == ["validity_date"]
    quotes.send_quote(uow, b.company_id, b.quote_id)
    with pytest.raises(TransitionError):
        quotes.update_quote(uow, quote)
    assert quotes.refuse_quote(uow, b.company_id, b.quote_id).status is QuoteStatus.REFUSED


def test_dashboard_figures_match_the_invoices(world: World) -> None:
    today = date.today() + timedelta(days=90)  # everything issued today is overdue by then
    with world.uow.read() as repo:
        board = dashboard(repo, world.b.company_id, today)
        rows = repo.list_invoices(world.b.company_id, InvoiceFilter(open_only=True))
    receivables = [r for r in rows if r.kind != "credit_note"]
    assert board.open_count == len(receivables)
    assert board.open_amount == sum((r.amount_due for r in receivables), Decimal(0))
    assert board.overdue_amount == board.open_amount > 0
    assert [t.kind for t in board.todos][:2] == ["overdue_calls", "drafts"]
    assert board.calls_to_make
    assert board.calls_to_make[0].customer_name == "Client B"
    assert board.cash is None  # no bank statement imported yet


def test_every_compliance_message_has_a_french_sentence() -> None:
    missing = set(MESSAGES) - set(COMPLIANCE_FR)
    assert not missing, f"no French message for {sorted(missing)}"
    for key, english in MESSAGES.items():
        placeholders = set(english.split("{")[1:])
        for part in placeholders:
            name = part.split("}")[0]
            assert "{" + name + "}" in COMPLIANCE_FR[key], (key, name)


def test_problem_messages_are_filled_and_french() -> None:
    p = Problem(
        "VAT-RATE-FR",
        "...",
        "lines[0].vat_rate",
        args={"key": "VAT-RATE", "n": 1, "rate": "19.6", "territory": "FR", "allowed": "20, 10"},
    )
    assert problem_fr(p) == "Ligne 1 : 19.6 % n'est pas un taux de TVA applicable (FR : 20, 10)."
    term = Problem(
        "PAY-TERM-MAX",
        "...",
        "due_date",
        args={"key": "PAY-TERM-MAX", "due_date": "2027-03-01", "latest": "2027-02-01"},
    )
    assert problem_fr(term).endswith("choisissez le 01/02/2027 au plus tard.")
    assert problem_fr(Problem("SOMETHING-NEW", "english")) == "Valeur à corriger (SOMETHING-NEW)."
    assert all(not text.isascii() or " " in text for text in CODES_FR.values())
