"""Deposits and the final invoice add up to the quote, document discount included (DEP-FINAL).

A quote with a document-level discount: the deposit invoice bills p % of the discounted amount
(no discount of its own); the final invoice repeats the quote's lines and discount and deducts
the deposit by negative lines. The discount applies to the goods and services only, never to a
deposit deduction: deposit + final = quote, excluding VAT, exactly, in every VAT group.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from encaisse.domain.documents import (
    DocumentKind,
    Invoice,
    InvoiceStatus,
    Line,
    Quote,
    compute_totals,
    deposit_deduction_lines,
    deposit_lines,
)
from encaisse.domain.parties import Party

D = Decimal
CUSTOMER = Party(name="Boulangerie Dupont", siren="552100554")
lines_strategy = st.builds(
    Line,
    description=st.just("Article"),
    quantity=st.decimals(D("0.5"), D("100"), places=2),
    unit_price=st.decimals(D("1"), D("5000"), places=2),
    vat_rate=st.sampled_from([D("20"), D("10"), D("5.5")]),
)


def quote_with(lines: list[Line], discount: Decimal) -> Quote:
    return Quote(
        1,
        CUSTOMER,
        date(2026, 11, 2),
        date(2026, 12, 2),
        tuple(lines),
        number="D2026-00007",
        document_discount_percent=discount,
    )


def deposit_of(quote: Quote, percent: Decimal) -> Invoice:
    return Invoice(
        company_id=1,
        customer=CUSTOMER,
        issue_date=date(2026, 11, 5),
        lines=deposit_lines(quote, percent),
        kind=DocumentKind.DEPOSIT,
        status=InvoiceStatus.ISSUED,
        number="F2026-00010",
    )


def final_of(quote: Quote, deposit: Invoice) -> Invoice:
    """As ``services.quotes.convert_to_invoice`` builds it."""
    return Invoice(
        company_id=1,
        customer=CUSTOMER,
        issue_date=date(2026, 12, 4),
        lines=quote.lines + deposit_deduction_lines(deposit),
        deposit_numbers=(deposit.number,),
        document_discount_percent=quote.document_discount_percent,
    )


def test_a_10_percent_discount_is_not_taken_again_on_the_deposit_deduction() -> None:
    quote = quote_with([Line("Cuisine posée", D(1), D(10000))], D(10))  # 9 000 € HT after discount
    deposit = deposit_of(quote, D(30))  # 2 700 € HT
    final = compute_totals(final_of(quote, deposit))
    assert compute_totals(deposit).total_excl_tax == D("2700.00")
    assert final.allowances == D("1000.00")  # 10 % of the goods, not of goods − deposit (730 €)
    assert final.total_excl_tax == D("6300.00")  # 9 000 − 2 700
    assert final.total_incl_tax == D("7560.00")


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(lines_strategy, min_size=1, max_size=6),
    discount=st.decimals(D(0), D(40), places=2),
    percent=st.decimals(D("0.01"), D("99.99"), places=2),
)
def test_deposit_plus_final_is_the_quote_in_every_vat_group(
    lines: list[Line], discount: Decimal, percent: Decimal
) -> None:
    quote = quote_with(lines, discount)
    deposit = deposit_of(quote, percent)
    final = final_of(quote, deposit)
    by_rate = {g.rate: g.taxable_amount for g in compute_totals(quote).vat_groups}
    deposited = {g.rate: g.taxable_amount for g in compute_totals(deposit).vat_groups}
    balance = {g.rate: g.taxable_amount for g in compute_totals(final).vat_groups}
    for rate, amount in by_rate.items():
        assert deposited.get(rate, D(0)) + balance[rate] == amount
