"""SCENARIOS §2 — from quote to invoice, read top to bottom.

A renovation quote: labour at 10 % (private home works), equipment at 20 %, a subcontracted job
under reverse charge. The customer accepts; a 30 % deposit invoice is issued; the final invoice
deducts it (VAT only on the balance). A mistake on a sent invoice is corrected by a credit note,
never by editing. A missing buyer SIREN is pointed out next to the field, with the rule it breaks.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from encaisse.domain.documents import (
    DocumentKind,
    Exemption,
    InvoiceStatus,
    Line,
    LineNature,
    Quote,
    compute_totals,
)
from encaisse.domain.errors import TransitionError, ValidationError
from encaisse.domain.parties import Address, french_vat_number
from encaisse.services import invoicing, quotes
from tests_support import new_company, new_customer

TODAY = date(2026, 12, 4)


def test_quote_deposit_final_invoice_and_credit_note(uow: Any) -> None:
    company = new_company(uow)
    cid = company.id or 0
    # The general contractor renovating a private home; it is liable for VAT on the subcontracted part.
    customer = new_customer(
        uow,
        company,
        name="Bâtiments Réunis SARL",
        siren="552100554",
        vat_number=french_vat_number("552100554"),
        address=Address("8 quai Saint-Vincent", "", "69001", "Lyon"),
    )

    # 1. The quote.
    quote = quotes.create_quote(
        uow,
        Quote(
            company_id=cid,
            customer=customer,
            issue_date=TODAY,
            validity_date=date(2027, 1, 4),
            lines=(
                Line(
                    "Main d'œuvre rénovation électrique",
                    Decimal(16),
                    Decimal("52.00"),
                    unit="HUR",
                    vat_rate=Decimal(10),
                ),
                Line(
                    "Tableau électrique 3 rangées",
                    Decimal(1),
                    Decimal("420.00"),
                    vat_rate=Decimal(20),
                    nature=LineNature.GOODS,
                ),
                Line(
                    "Sous-traitance saignées et rebouchage",
                    Decimal(1),
                    Decimal("650.00"),
                    vat_rate=Decimal(0),
                    exemption=Exemption.REVERSE_CHARGE,
                ),
            ),
        ),
    )
    assert quote.number == "D2026-00001"
    totals = compute_totals(quote)
    assert totals.total_excl_tax == Decimal("1902.00")  # 832 + 420 + 650
    assert totals.total_vat == Decimal("167.20")  # 83.20 + 84.00 + 0

    # 2. The customer accepts it; a 30 % deposit invoice is issued (type 386).
    quotes.accept_quote(uow, cid, quote.id or 0, TODAY)
    deposit = quotes.create_deposit_invoice(uow, cid, quote.id or 0, TODAY, Decimal(30))
    deposit = invoicing.issue(uow, cid, deposit.id or 0)
    assert deposit.kind is DocumentKind.DEPOSIT
    assert deposit.number == "F2026-00001"
    assert compute_totals(deposit).total_incl_tax == Decimal("620.76")  # 30 % of 2 069.20

    # 3. The final invoice shows the whole job and deducts the deposit: VAT on the balance only.
    final = quotes.convert_to_invoice(uow, cid, quote.id or 0, TODAY)
    final = invoicing.issue(uow, cid, final.id or 0)
    assert final.number == "F2026-00002"
    assert final.deposit_numbers == ("F2026-00001",)
    final_totals = compute_totals(final)
    assert final_totals.total_incl_tax == Decimal("1448.44")  # 2 069.20 − 620.76
    assert final_totals.total_vat == Decimal("117.04")  # 167.20 − 50.16
    assert {g.rate for g in final_totals.vat_groups} == {Decimal(10), Decimal(20), Decimal(0)}

    # 4. A mistake on the sent invoice: it cannot be edited, only corrected by a credit note.
    with pytest.raises(TransitionError):
        invoicing.update_draft(uow, replace(final, note="corrigé"))
    fix = (
        Line(
            "Tableau électrique 3 rangées (remise commerciale)",
            Decimal(1),
            Decimal("42.00"),
            vat_rate=Decimal(20),
            nature=LineNature.GOODS,
        ),
    )
    note = invoicing.create_credit_note(uow, cid, final.id or 0, TODAY, lines=fix)
    assert note.number == "AV2026-00001"
    assert note.corrects_number == "F2026-00002"
    with uow() as repo:
        corrected = repo.get_invoice(cid, final.id or 0)
    assert corrected.amount_due == Decimal("1398.04")  # 1 448.44 − 50.40
    assert corrected.status is InvoiceStatus.ISSUED


def test_missing_buyer_siren_is_pointed_out_next_to_the_field(uow: Any) -> None:
    company = new_company(uow)
    cid = company.id or 0
    customer = new_customer(uow, company, siren="", vat_number="")
    draft = invoicing.create_draft(
        uow, replace(_one_line(cid, customer), issue_date=date(2027, 9, 1))
    )  # the PME obligation date of the reform
    with pytest.raises(ValidationError) as refused:
        invoicing.issue(uow, cid, draft.id or 0)
    by_code = {p.code: p for p in refused.value.problems}
    assert by_code["EINV-MENTION-BUYER-SIREN"].field == "customer.siren"
    with uow() as repo:
        assert repo.get_invoice(cid, draft.id or 0).status is InvoiceStatus.DRAFT


def _one_line(cid: int, customer: Any) -> Any:
    from encaisse.domain.documents import Invoice

    return Invoice(
        company_id=cid,
        customer=customer,
        issue_date=TODAY,
        lines=(Line("Dépannage", Decimal(2), Decimal("52.00"), unit="HUR"),),
    )


def test_a_sent_quote_left_unanswered_expires_the_day_after_its_validity_date(uow: Any) -> None:
    """QUO-VALIDITY: the daily run expires sent quotes whose offer has lapsed, once."""
    from encaisse.adapters.jobs.runner import job_daily_reminders
    from encaisse.domain.documents import QuoteStatus
    from encaisse.settings import Settings

    company = new_company(uow)
    cid = company.id or 0
    customer = new_customer(uow, company)

    def quote(validity: date) -> int:
        made = quotes.create_quote(
            uow,
            Quote(cid, customer, date(2026, 11, 2), validity, (Line("Audit", Decimal(1), Decimal(900)),)),
        )
        return made.id or 0

    sent, answered, draft = quote(date(2026, 12, 2)), quote(date(2026, 12, 2)), quote(date(2026, 12, 2))
    still_valid = quote(date(2026, 12, 4))
    for quote_id in (sent, answered, still_valid):
        quotes.send_quote(uow, cid, quote_id)
    quotes.accept_quote(uow, cid, answered, date(2026, 12, 1))

    assert quotes.expire_quotes(uow, cid, date(2026, 12, 2)) == []  # valid through its last day
    job_daily_reminders(uow, Settings(secret_key="s" * 32), TODAY)
    job_daily_reminders(uow, Settings(secret_key="s" * 32), TODAY)  # idempotent
    with uow.read() as repo:
        status = {q.id: q.status for q in repo.list_quotes(cid)}
        events = [e for e in repo.audit_entries(cid) if e.action == "quote.expire"]
    assert status == {
        sent: QuoteStatus.EXPIRED,
        answered: QuoteStatus.ACCEPTED,
        draft: QuoteStatus.DRAFT,
        still_valid: QuoteStatus.SENT,
    }
    assert len(events) == 1
    with pytest.raises(TransitionError):
        quotes.accept_quote(uow, cid, sent, TODAY)  # a lapsed offer is re-quoted, not accepted
