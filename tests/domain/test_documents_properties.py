"""Property tests of the document core (hypothesis).

1. ``compute_totals`` equals an independent EN 16931 computation written here (BR-CO-10/13/14/15,
   VAT per group on the sum of rounded line nets; CHECKLIST VAT-ROUND, VAT-ROUND-CONSISTENCY).
2. A credit note built by ``credit_note_for`` never exceeds what it corrects when the checker
   passes it (CN-REFERENCE with ``already_credited``), and the checker flags every excess.
3. Numbering (INV-NUMBER): formatting 1..N gives N distinct numbers that keep the sequence order.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from encaisse.domain.compliance import check_invoice
from encaisse.domain.documents import (
    DocumentKind,
    Exemption,
    Invoice,
    InvoiceStatus,
    Line,
    compute_totals,
    credit_note_for,
)
from encaisse.domain.numbering import format_number, validate_pattern
from encaisse.domain.parties import Company, Party

D = Decimal
ZERO = D("0.00")
FR_RATES = [D("20"), D("10"), D("5.5"), D("2.1"), D("0")]
#: UNTDID 5305 category of each exemption (EN 16931), written independently of documents.py.
CATEGORY = {
    Exemption.FRANCHISE: "E",
    Exemption.EXEMPT_261: "E",
    Exemption.REVERSE_CHARGE: "AE",
    Exemption.INTRA_EU: "K",
    Exemption.EXPORT: "G",
}


def cents(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


percents = st.one_of(st.just(D(0)), st.decimals(D(0), D(100), places=2))
lines_strategy = st.builds(
    Line,
    description=st.just("Article"),
    quantity=st.decimals(D("-20"), D("1000"), places=3).filter(lambda q: q != 0),
    unit_price=st.decimals(D("-5000"), D("5000"), places=4),  # negative: deduction lines
    vat_rate=st.sampled_from(FR_RATES),
    exemption=st.one_of(st.none(), st.none(), st.sampled_from(list(Exemption))),
    discount_percent=percents,
)


def en16931(lines: list[Line], document_discount: Decimal) -> dict[tuple[str, Decimal], tuple[Decimal, ...]]:
    """Independent EN 16931 VAT breakdown: (category, rate) -> (lines net, allowance, base, VAT)."""
    nets: dict[tuple[str, Decimal], list[Decimal]] = defaultdict(list)
    for line in lines:
        gross = cents(line.quantity * line.unit_price)
        net = gross - cents(gross * line.discount_percent / 100)  # BT-131
        if line.exemption is None:
            key = ("Z" if line.vat_rate == 0 else "S", line.vat_rate)
        else:
            key = (CATEGORY[line.exemption], D(0))
        nets[key].append(net)
    breakdown: dict[tuple[str, Decimal], tuple[Decimal, ...]] = {}
    for (category, rate), amounts in nets.items():
        lines_net = sum(amounts, D(0))
        allowance = cents(lines_net * document_discount / 100)  # BT-92 per VAT group
        base = lines_net - allowance  # BT-116
        breakdown[(category, rate)] = (lines_net, allowance, base, cents(base * rate / 100))  # BT-117
    return breakdown


def make_invoice(lines: list[Line], document_discount: Decimal = ZERO) -> Invoice:
    return Invoice(
        company_id=1,
        customer=Party(name="Boulangerie Dupont", siren="552100554"),
        issue_date=date(2026, 12, 4),
        lines=tuple(lines),
        status=InvoiceStatus.ISSUED,
        number="F2026-00042",
        document_discount_percent=document_discount,
    )


@settings(max_examples=300)
@given(st.lists(lines_strategy, min_size=0, max_size=12), percents.filter(lambda p: p <= 50))
def test_compute_totals_matches_an_independent_en16931_computation(
    lines: list[Line], document_discount: Decimal
) -> None:
    totals = compute_totals(make_invoice(lines, document_discount))
    expected = en16931(lines, document_discount)
    got = {
        (g.category.value, g.rate): (g.lines_net, g.allowance, g.taxable_amount, g.tax_amount)
        for g in totals.vat_groups
    }
    assert got == expected
    line_nets = sum((v[0] for v in expected.values()), D(0))
    assert totals.lines_net == line_nets  # BR-CO-10
    assert totals.allowances == sum((v[1] for v in expected.values()), D(0))
    assert totals.total_excl_tax == totals.lines_net - totals.allowances  # BR-CO-13 (no charges)
    assert totals.total_vat == sum((g.tax_amount for g in totals.vat_groups), D(0))  # BR-CO-14
    assert totals.total_incl_tax == totals.total_excl_tax + totals.total_vat  # BR-CO-15
    assert sum((g.taxable_amount for g in totals.vat_groups), D(0)) == totals.total_excl_tax
    for group in totals.vat_groups:
        assert abs(group.tax_amount - group.taxable_amount * group.rate / 100) <= D("0.005")
        if group.category.value in {"E", "AE", "K", "G", "Z"}:
            assert group.tax_amount == 0
    for amount in (totals.lines_net, totals.total_excl_tax, totals.total_vat, totals.total_incl_tax):
        assert amount == cents(amount)  # every total is to the cent (BR-DEC)


positive_lines = st.builds(
    Line,
    description=st.just("Prestation"),
    quantity=st.decimals(D("0.5"), D("100"), places=2),
    unit_price=st.decimals(D("0.01"), D("2000"), places=2),
    vat_rate=st.sampled_from(FR_RATES[:4]),
    discount_percent=percents.filter(lambda p: p < 100),
)


@settings(max_examples=300)
@given(st.lists(positive_lines, min_size=1, max_size=6), st.data())
def test_a_credit_note_the_checker_accepts_never_exceeds_what_it_corrects(
    lines: list[Line], data: st.DataObject
) -> None:
    invoice = make_invoice(lines)
    total = invoice.total_incl_tax
    partial = []
    for line in lines:
        if data.draw(st.booleans(), label="credit this line"):
            quantity = data.draw(st.decimals(D("0.01"), line.quantity * 2, places=2), label="quantity")
            partial.append(Line(line.description, quantity, line.unit_price, vat_rate=line.vat_rate))
    already = data.draw(st.decimals(D(0), total, places=2), label="already credited")
    note = credit_note_for(invoice, date(2027, 1, 10), tuple(partial) or None)
    assert (note.kind, note.corrects_number, note.corrects_date) == (
        DocumentKind.CREDIT_NOTE,
        invoice.number,
        invoice.issue_date,
    )
    company = Company(name="Électricité Martin", siren="732829320")
    problems = [
        p
        for p in check_invoice(note, company, corrected=invoice, already_credited=already)
        if p.code == "CN-REFERENCE"
    ]
    remaining = total - already
    if not problems:
        assert note.total_incl_tax <= remaining
    if note.total_incl_tax > remaining:
        assert [p.args["key"] for p in problems] == ["CN-REFERENCE.amount"]
        assert problems[0].field == "lines"


patterns = st.builds(
    lambda prefix, year, sep, seq: f"{prefix}{year}{sep}{seq}",
    st.sampled_from(["F", "FA-", "", "AV", "F/"]),
    st.sampled_from(["{YYYY}", "{YY}", "{YYYY}{MM}", "{YY}-{MM}"]),
    st.sampled_from(["-", "/", "", "_"]),
    st.sampled_from(["{seq}", "{seq:05d}", "{seq:03d}", "{seq:04d}", "{seq:6d}"]),
)


@settings(max_examples=200)
@given(patterns, st.integers(1, 3000), st.integers(2000, 2099), st.integers(1, 12))
def test_numbering_is_injective_and_keeps_the_sequence_order(
    pattern: str, n: int, year: int, month: int
) -> None:
    validate_pattern(pattern)
    numbers = [format_number(pattern, year, seq, month=month) for seq in range(1, n + 1)]
    assert len(set(numbers)) == n
    prefix = format_number(pattern.partition("{seq")[0], year, 0, month=month)
    parsed = [int(number[len(prefix) :]) for number in numbers]
    assert parsed == list(range(1, n + 1))
    width = re.search(r"\{seq:0?(\d+)d\}", pattern)
    if width and n < 10 ** int(width.group(1)):
        assert sorted(numbers) == numbers  # padded numbers also sort in sequence order
