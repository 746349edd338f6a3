"""The demo company generator: deterministic, legally consistent and internally coherent."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from stdnum import iso11649

from encaisse.domain.documents import DocumentKind, Exemption, InvoiceStatus, QuoteStatus, compute_totals
from encaisse.domain.money import ZERO
from encaisse.domain.parties import is_valid_iban, is_valid_siren, is_valid_vat_number
from encaisse.services.demo_data import (
    DEMO_LOGIN,
    DemoDataset,
    PaymentBehaviour,
    due_date_for,
    generate,
    random_french_iban,
    rf_reference,
)

TODAY = date(2026, 12, 4)


@pytest.fixture(scope="module")
def ds() -> DemoDataset:
    return generate(1, today=TODAY, months=14)


def test_same_seed_same_dataset_other_seed_other_dataset(ds: DemoDataset) -> None:
    again = generate(1, today=TODAY, months=14)
    assert again == ds
    other = generate(2, today=TODAY, months=14)
    assert other.company.siren != ds.company.siren
    assert [i.total_incl_tax for i in other.invoices] != [i.total_incl_tax for i in ds.invoices]


def test_company_identity_is_valid(ds: DemoDataset) -> None:
    c = ds.company
    assert is_valid_siren(c.siren)
    assert is_valid_vat_number(c.vat_number)
    assert c.vat_number.endswith(c.siren)
    assert is_valid_iban(c.iban)
    assert c.rcs_city
    assert c.share_capital
    assert c.legal_form == "SARL"
    assert DEMO_LOGIN[0] == "demo@encaisse.fr"


def test_customers_mix_and_identifiers(ds: DemoDataset) -> None:
    assert 30 <= len(ds.customers) <= 40
    businesses = [p for p in ds.customers if p.is_business]
    assert all(is_valid_siren(p.siren) for p in businesses)
    assert all(is_valid_vat_number(p.vat_number) for p in businesses if p.vat_number)
    assert sum(p.is_public_body for p in ds.customers) >= 3
    private = [p for p in ds.customers if not p.is_business]
    assert len(private) >= 5
    assert all(not p.siren for p in private)
    assert set(ds.behaviours.values()) == set(PaymentBehaviour)
    assert all(is_valid_iban(p.iban) for p in [*ds.customers, *ds.suppliers] if p.iban)


def test_numbering_is_gap_free_in_issue_date_order(ds: DemoDataset) -> None:
    for pattern, kinds in (
        (r"F(\d{4})-(\d{5})", {DocumentKind.INVOICE, DocumentKind.DEPOSIT}),
        (r"AV(\d{4})-(\d{5})", {DocumentKind.CREDIT_NOTE}),
    ):
        docs = [i for i in ds.invoices if i.kind in kinds and i.status is not InvoiceStatus.DRAFT]
        assert docs
        by_year: dict[int, list[tuple[int, date]]] = defaultdict(list)
        for doc in docs:
            m = re.fullmatch(pattern, doc.number)
            assert m, doc.number
            assert int(m.group(1)) == doc.issue_date.year
            by_year[doc.issue_date.year].append((int(m.group(2)), doc.issue_date))
        for entries in by_year.values():
            entries.sort()
            assert [n for n, _ in entries] == list(range(1, len(entries) + 1))
            assert [d for _, d in entries] == sorted(d for _, d in entries)
    drafts = [i for i in ds.invoices if i.status is InvoiceStatus.DRAFT]
    assert drafts
    assert all(i.number == "" for i in drafts)


def test_every_status_and_document_kind_is_present(ds: DemoDataset) -> None:
    assert {i.status for i in ds.invoices} == set(InvoiceStatus)
    assert {i.kind for i in ds.invoices} == set(DocumentKind)
    assert {q.status for q in ds.quotes} == set(QuoteStatus)
    rates = {ln.vat_rate for i in ds.invoices for ln in i.lines if ln.exemption is None}
    assert {Decimal(20), Decimal(10), Decimal("5.5")} <= rates
    assert any(ln.exemption is Exemption.REVERSE_CHARGE for i in ds.invoices for ln in i.lines)


def test_volume_scales_with_history() -> None:
    short = generate(4, today=TODAY, months=6)
    issued = [i for i in short.invoices if i.kind is not DocumentKind.CREDIT_NOTE and i.number]
    in_window = [i for i in issued if i.issue_date >= short.opening_date]
    assert 170 <= len(in_window) <= 260


def test_deposits_are_deducted_on_final_invoices(ds: DemoDataset) -> None:
    finals = [i for i in ds.invoices if i.deposit_numbers]
    assert finals
    for final in finals:
        deposit = ds.invoice(final.deposit_numbers[0])
        assert deposit.kind is DocumentKind.DEPOSIT
        assert deposit.issue_date <= final.issue_date
        deducted = -sum((ln.net_amount for ln in final.lines if ln.deposit_invoice_number), ZERO)
        assert deducted == compute_totals(deposit).total_excl_tax


def test_credit_notes_reference_and_settle_their_invoice(ds: DemoDataset) -> None:
    for cn in (i for i in ds.invoices if i.kind is DocumentKind.CREDIT_NOTE):
        original = ds.invoice(cn.corrects_number)
        assert cn.corrects_date == original.issue_date
        assert original.amount_credited == cn.total_incl_tax
        if original.status is InvoiceStatus.CANCELLED:
            assert original.amount_paid == 0
            assert cn.total_incl_tax == original.total_incl_tax


def test_due_dates_follow_the_terms(ds: DemoDataset) -> None:
    assert due_date_for(date(2026, 1, 20), "45EOM") == date(2026, 3, 31)
    assert due_date_for(date(2026, 1, 20), "30") == date(2026, 2, 19)
    invoices = [i for i in ds.invoices if i.kind is DocumentKind.INVOICE and i.number]
    for inv in invoices:
        terms = "45EOM" if inv.payment_terms_text.startswith("45") else "30"
        assert inv.due_date == due_date_for(inv.issue_date, terms)


def test_amount_paid_equals_sum_of_payments_and_status_agrees(ds: DemoDataset) -> None:
    paid: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for p in ds.payments:
        assert p.date <= ds.today
        paid[p.invoice_number] += p.amount
    for inv in ds.invoices:
        if inv.kind is DocumentKind.CREDIT_NOTE or not inv.number:
            continue
        assert inv.amount_paid == paid[inv.number]
        settled = inv.amount_paid + inv.amount_credited
        expected = {
            InvoiceStatus.PAID: settled == inv.total_incl_tax,
            InvoiceStatus.PARTIALLY_PAID: 0 < settled < inv.total_incl_tax,
            InvoiceStatus.ISSUED: inv.amount_paid == 0,
            InvoiceStatus.CANCELLED: inv.amount_credited == inv.total_incl_tax,
        }[inv.status]
        assert expected, (inv.number, inv.status)
    for p in ds.payments:
        assert p.date > ds.invoice(p.invoice_number).issue_date


def test_bank_credits_match_payments(ds: DemoDataset) -> None:
    by_ref: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for p in ds.payments:
        if p.date >= ds.opening_date:
            assert p.bank_ref, p
            by_ref[p.bank_ref] += p.amount - p.fee
        else:
            assert p.bank_ref == ""
    txs = {t.bank_ref: t for t in ds.transactions}
    assert len(txs) == len(ds.transactions)  # stable and unique bank references
    for ref, amount in by_ref.items():
        assert txs[ref].amount == amount
        assert txs[ref].booking_date == next(p.date for p in ds.payments if p.bank_ref == ref)
    customer_credits = [t for t in ds.transactions if t.amount > 0]
    assert {t.bank_ref for t in customer_credits} == set(by_ref)
    grouped = [ref for ref in by_ref if sum(p.bank_ref == ref for p in ds.payments) > 1]
    assert grouped
    assert any(p.fee > 0 for p in ds.payments)
    texts = [t.remittance for t in customer_credits]
    assert any(re.search(r"VIR SEPA RECU /DE .* /MOTIF FACT F\d{4}-\d{5}", t) for t in texts)
    assert any("FACT" not in t and "RF" not in t for t in texts)
    for t in customer_credits:
        if t.structured_reference:
            assert iso11649.is_valid(t.structured_reference)


def test_recurring_debits_and_believable_balance(ds: DemoDataset) -> None:
    texts = [t.remittance for t in ds.transactions if t.amount < 0]
    for needle in ("LOYER", "SALAIRE", "URSSAF", "TVA", "ECHEANCE PRET", "ORANGE", "CARBURANT", "FRAIS"):
        assert any(needle in t for t in texts), needle
    assert all(t.booking_date.weekday() < 5 for t in ds.transactions)
    balances = []
    day = ds.opening_date
    for t in ds.transactions:
        balances.append(
            ds.opening_balance
            + sum((x.amount for x in ds.transactions if x.booking_date <= t.booking_date), ZERO)
        )
        day = t.booking_date
    assert day <= ds.today
    positive = sum(b > 0 for b in balances) / len(balances)
    assert positive > 0.95
    assert min(balances) < 8000  # one tight period


def test_vat_payments_follow_invoices_on_debits(ds: DemoDataset) -> None:
    """Monthly VAT paid around the 20th equals output VAT of the month before minus deductible VAT."""
    month = date(2026, 6, 1)
    output = sum(
        (
            compute_totals(i).total_vat * (-1 if i.kind is DocumentKind.CREDIT_NOTE else 1)
            for i in ds.invoices
            if i.number and i.issue_date.replace(day=1) == month
        ),
        ZERO,
    )
    deductible = sum(
        (s.total_vat for s in ds.supplier_invoices if s.issue_date.replace(day=1) == month), ZERO
    )
    (vat,) = [t for t in ds.transactions if "TVA 062026" in t.remittance]
    assert 18 <= vat.booking_date.day <= 24
    assert vat.booking_date.month == 7
    assert abs(-vat.amount - (output - deductible)) <= Decimal("0.5")


def test_identifier_helpers() -> None:
    import random

    rng = random.Random(5)
    assert all(is_valid_iban(random_french_iban(rng)) for _ in range(50))
    assert iso11649.is_valid(rf_reference("F2026-00012"))
