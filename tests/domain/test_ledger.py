"""Journal entries (PCG) from invoices, payments, bank lines and supplier invoices; lettering,
numbering, opening balances, VAT report, aged receivables and DSO (CHECKLIST §5, FEC-*)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from encaisse.domain.documents import (
    DocumentKind,
    Invoice,
    InvoiceStatus,
    Line,
    LineNature,
    compute_totals,
    credit_note_for,
    deposit_deduction_lines,
)
from encaisse.domain.ledger import (
    BankLine,
    Entry,
    LedgerSources,
    Payment,
    Period,
    SupplierInvoice,
    aged_receivables,
    balance_check,
    dso,
    entries_for_bank_line,
    entries_for_invoice,
    entries_for_payment,
    entries_for_supplier_invoice,
    ledger_for_period,
    sequence_check,
    vat_report,
)
from encaisse.domain.parties import Party

ACME = Party(name="ACME SAS", id=12)
YEAR = Period.fiscal_year(2026)


def invoice(number: str, day: date, *lines: Line, **kw: object) -> Invoice:
    base = Invoice(
        company_id=1,
        customer=ACME,
        issue_date=day,
        lines=lines,
        number=number,
        status=InvoiceStatus.ISSUED,
        due_date=day + timedelta(days=30),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def rows(entry: Entry) -> list[tuple[str, str, str, str]]:
    return [(ln.account, ln.aux_account, f"{ln.debit}", f"{ln.credit}") for ln in entry.lines]


def balance(entries: list[Entry], account: str) -> D:
    return sum((ln.signed for e in entries for ln in e.lines if ln.account == account), D(0))


SERVICES = Line("Pose", D(6), D("48.00"), unit="HUR")  # 288.00 at 20 %
GOODS = Line("Disjoncteur", D(2), D("86.50"), nature=LineNature.GOODS)  # 173.00 at 20 %
RENOVATION = Line("Rénovation", D(1), D("1000.00"), vat_rate=D(10))  # 1000.00 at 10 %
TRAVEL = Line("Forfait déplacement", D(1), D("50.00"))  # 7085


def test_invoice_entry_per_nature_and_rate() -> None:
    entry = entries_for_invoice(invoice("F1", date(2026, 1, 15), SERVICES, GOODS, RENOVATION, TRAVEL))
    assert entry.journal == "VE"
    assert entry.piece_ref == "F1"
    assert entry.date == date(2026, 1, 15)
    assert rows(entry) == [
        ("411", "C00012", "1713.20", "0.00"),  # 511.00 × 1.2 + 1000 × 1.1
        ("706", "", "0.00", "288.00"),
        ("707", "", "0.00", "173.00"),
        ("7085", "", "0.00", "50.00"),
        ("44571", "", "0.00", "102.20"),
        ("706", "", "0.00", "1000.00"),
        ("44571", "", "0.00", "100.00"),
    ]
    assert [ln.vat_rate for ln in entry.lines if ln.account == "44571"] == [D(20), D(10)]
    assert entry.lines[0].match_ref == "F1"
    assert balance_check([entry]) == []


def test_document_allowance_is_spread_over_the_revenue_accounts() -> None:
    inv = invoice("F2", date(2026, 1, 15), SERVICES, GOODS, document_discount_percent=D(10))
    entry = entries_for_invoice(inv)
    revenue = sum((ln.credit for ln in entry.lines if ln.account.startswith("70")), D(0))
    assert revenue == compute_totals(inv).total_excl_tax == D("414.90")
    assert rows(entry)[1:3] == [("706", "", "0.00", "259.20"), ("707", "", "0.00", "155.70")]
    assert balance_check([entry]) == []


def test_credit_note_is_the_mirror_of_its_invoice() -> None:
    inv = invoice("F3", date(2026, 3, 10), SERVICES, GOODS)
    note = replace(credit_note_for(inv, date(2026, 3, 20)), number="AV1", status=InvoiceStatus.ISSUED)
    a, b = entries_for_invoice(inv), entries_for_invoice(note)
    assert [(x.account, x.debit, x.credit) for x in a.lines] == [
        (x.account, x.credit, x.debit) for x in b.lines
    ]
    assert b.lines[0].match_ref == "F3"  # lettered with the invoice it corrects (CN-REFERENCE)
    assert b.label.startswith("Avoir AV1")


def test_deposit_on_4191_then_deducted_from_the_final_invoice() -> None:
    deposit = invoice(
        "F4", date(2026, 2, 1), Line("Acompte 30 %", D(1), D("300.00")), kind=DocumentKind.DEPOSIT
    )
    final = invoice(
        "F5", date(2026, 3, 1), Line("Travaux", D(1), D("1000.00")), *deposit_deduction_lines(deposit)
    )
    assert rows(entries_for_invoice(deposit)) == [
        ("411", "C00012", "360.00", "0.00"),
        ("4191", "", "0.00", "300.00"),
        ("44571", "", "0.00", "60.00"),
    ]
    assert rows(entries_for_invoice(final)) == [
        ("411", "C00012", "840.00", "0.00"),
        ("4191", "", "300.00", "0.00"),
        ("706", "", "0.00", "1000.00"),
        ("44571", "", "0.00", "140.00"),
    ]


def test_the_document_discount_is_not_taken_on_the_deposit_deduction() -> None:
    """DEP-FINAL: the deposit was billed on the discounted amount; 4191 is cleared in full."""
    deposit = invoice(
        "F6", date(2026, 2, 1), Line("Acompte 30 %", D(1), D("270.00")), kind=DocumentKind.DEPOSIT
    )
    final = invoice(
        "F7",
        date(2026, 3, 1),
        Line("Travaux", D(1), D("1000.00")),
        *deposit_deduction_lines(deposit),
        document_discount_percent=D(10),
    )
    assert rows(entries_for_invoice(final)) == [
        ("411", "C00012", "756.00", "0.00"),
        ("4191", "", "270.00", "0.00"),
        ("706", "", "0.00", "900.00"),
        ("44571", "", "0.00", "126.00"),
    ]
    assert balance_check([entries_for_invoice(deposit), entries_for_invoice(final)]) == []


def test_payments_bank_and_write_offs() -> None:
    inv = invoice("F6", date(2026, 1, 15), SERVICES, GOODS)  # 553.20
    cases = {
        "transfer": ("BQ", "512"),
        "cheque": ("BQ", "512"),
        "cash": ("BQ", "530"),
        "bank_fees": ("OD", "627"),
        "discount": ("OD", "665"),
        "rounding": ("OD", "658"),
        "writeoff": ("OD", "6541"),
    }
    for method, (journal, account) in cases.items():
        entry = entries_for_payment(inv, Payment("F6", date(2026, 2, 1), D("10.00"), method))
        assert entry.journal == journal, method
        assert rows(entry) == [(account, "", "10.00", "0.00"), ("411", "C00012", "0.00", "10.00")], method
    over = entries_for_payment(inv, Payment("F6", date(2026, 2, 1), D("-0.02"), "rounding"))
    assert rows(over) == [("758", "", "0.00", "0.02"), ("411", "C00012", "0.02", "0.00")]


def test_vat_on_collection_moves_from_44574_to_44571_as_it_is_paid() -> None:
    """PCG-4457-PENDING: services VAT waits on 44574; goods VAT is due at once (VAT-CHARGEABLE-GOODS)."""
    inv = invoice("F7", date(2026, 1, 15), SERVICES, GOODS)  # VAT 57.60 services + 34.60 goods
    entry = entries_for_invoice(inv, vat_on_collection=True)
    assert ("44574", "", "0.00", "57.60") in rows(entry)
    assert ("44571", "", "0.00", "34.60") in rows(entry)
    first = entries_for_payment(inv, Payment("F7", date(2026, 2, 1), D("200.00")), vat_on_collection=True)
    second = entries_for_payment(
        inv, Payment("F7", date(2026, 3, 1), D("353.20")), paid_before=D("200.00"), vat_on_collection=True
    )
    assert rows(first)[2:] == [
        ("44574", "", "20.82", "0.00"),
        ("44571", "", "0.00", "20.82"),
    ]  # 57.60 × 200/553.20
    assert balance([entry, first, second], "44574") == 0
    assert balance_check([entry, first, second]) == []
    deposit = invoice("F8", date(2026, 2, 1), GOODS, kind=DocumentKind.DEPOSIT)  # DEP-VAT-GOODS
    assert ("44574", "", "0.00", "34.60") in rows(entries_for_invoice(deposit, vat_on_collection=True))


def test_foreign_currency_invoice_is_booked_in_euros() -> None:
    inv = invoice("F9", date(2026, 1, 15), SERVICES, GOODS, currency="USD", eur_rate=D("0.9137"))
    entry = entries_for_invoice(inv)
    receivable = entry.lines[0]
    assert (receivable.currency_amount, receivable.currency) == (D("553.20"), "USD")
    assert receivable.debit == D("505.46")  # 263.15 + 158.07 + 84.24 (each part converted)
    assert balance_check([entry]) == []


def test_bank_lines_by_category() -> None:
    def account(category: str | None) -> str:
        entry = entries_for_bank_line(BankLine(date(2026, 3, 31), D("-12.50"), "FRAIS", category=category))
        assert entry.lines[0].account == "512"
        assert entry.lines[0].credit == D("12.50")
        return entry.lines[1].account

    assert [account(c) for c in ("bank_fees", "salaries", "social_charges", "vat", "rent", "loan")] == [
        "627",
        "421",
        "431",
        "44551",
        "613",
        "164",
    ]
    assert account(None) == account("mystery") == "471"
    assert account("6061") == "6061"
    entry = entries_for_bank_line(BankLine(date(2026, 3, 31), D("-12.50"), ""))
    assert entry.piece_ref == "RELEVE20260331"
    assert entry.label == "Mouvement bancaire"


def test_supplier_invoice_and_credit_note() -> None:
    bill = SupplierInvoice("REX-1", date(2026, 2, 2), "Rexel", D("1000.00"), D("200.00"), supplier_id=4)
    assert rows(entries_for_supplier_invoice(bill)) == [
        ("401", "F00004", "0.00", "1200.00"),
        ("607", "", "1000.00", "0.00"),
        ("44566", "", "200.00", "0.00"),
    ]
    note = entries_for_supplier_invoice(replace(bill, credit_note=True))
    assert rows(note)[0] == ("401", "F00004", "1200.00", "0.00")
    assert entries_for_supplier_invoice(bill).journal == "HA"


def fixed_sources() -> LedgerSources:
    """The small dataset of the golden FEC: 3 invoices, a credit note, a partial and a full payment,
    a bank fee, plus a 2025 invoice paid in 2026 (opening balance)."""
    old = invoice("F2025-9", date(2025, 12, 20), RENOVATION, status=InvoiceStatus.PAID)
    f1 = invoice("F1", date(2026, 1, 15), SERVICES, GOODS, status=InvoiceStatus.PAID)
    f2 = invoice("F2", date(2026, 2, 3), RENOVATION, TRAVEL, customer=Party(name="Galerie", id=2))
    f3 = invoice("F3", date(2026, 3, 10), Line("Borne", D(1), D("1200.00"), nature=LineNature.GOODS))
    cn = replace(
        credit_note_for(f3, date(2026, 3, 20), (Line("Borne", D(1), D("200.00"), nature=LineNature.GOODS),)),
        number="AV1",
        status=InvoiceStatus.ISSUED,
    )
    return LedgerSources(
        invoices=(old, f1, f2, f3, cn),
        payments=(
            Payment("F2025-9", date(2026, 1, 5), D("1100.00")),
            Payment("F1", date(2026, 2, 10), D("553.20")),
            Payment("F2", date(2026, 3, 1), D("500.00")),
        ),
        bank_lines=(BankLine(date(2026, 3, 31), D("-12.50"), "FRAIS TENUE DE COMPTE", category="bank_fees"),),
    )


def test_ledger_of_a_year_opening_first_numbered_lettered() -> None:
    entries = ledger_for_period(fixed_sources(), YEAR)
    assert entries[0].journal == "AN"
    assert entries[0].date == YEAR.start
    assert rows(entries[0]) == [  # the 2025 invoice still owed, its VAT not declared yet, the 2025 result
        ("411", "C00012", "1100.00", "0.00"),
        ("44571", "", "0.00", "100.00"),
        ("120", "", "0.00", "1000.00"),
    ]
    assert [e.number for e in entries if e.journal == "VE"] == [
        "VE000001",
        "VE000002",
        "VE000003",
        "VE000004",
    ]
    assert [e.number for e in entries if e.journal == "BQ"] == [f"BQ00000{i}" for i in range(1, 5)]
    assert balance_check(entries) == []
    assert sequence_check(entries) == []
    lettered = {
        (ln.match_ref, ln.lettering, ln.lettering_date)
        for e in entries
        for ln in e.lines
        if ln.account == "411"
    }
    assert ("F2025-9", "A", date(2026, 1, 5)) in lettered  # opening item lettered with its payment
    assert ("F1", "B", date(2026, 2, 10)) in lettered
    assert {(ref, code) for ref, code, _ in lettered if ref in ("F2", "F3")} == {("F2", ""), ("F3", "")}


def test_vat_report_of_fixed_months() -> None:
    entries = ledger_for_period(fixed_sources(), YEAR)
    january = vat_report(entries, Period.month(2026, 1))
    assert [(r.rate, r.base, r.tax) for r in january.collected] == [(D(20), D("461.00"), D("92.20"))]
    february = vat_report(entries, Period.month(2026, 2))
    assert [(r.rate, r.base, r.tax) for r in february.collected] == [
        (D(20), D("50.00"), D("10.00")),
        (D(10), D("1000.00"), D("100.00")),
    ]
    march = vat_report(entries, Period.month(2026, 3))
    assert [(r.rate, r.base, r.tax) for r in march.collected] == [(D(20), D("1000.00"), D("200.00"))]
    assert (march.deductible, march.net_due, march.pending) == (D(0), D("200.00"), D(0))
    quarter = vat_report(entries, Period(date(2026, 1, 1), date(2026, 3, 31)))
    assert quarter.collected_total == D("402.20")  # the opening entry's VAT is never counted again


def test_vat_report_with_deductible_vat_and_collection() -> None:
    inv = invoice("F1", date(2026, 5, 4), SERVICES, GOODS)
    sources = LedgerSources(
        invoices=(inv,),
        payments=(Payment("F1", date(2026, 6, 2), D("276.60")),),  # half of 553.20
        supplier_invoices=(SupplierInvoice("S1", date(2026, 5, 9), "Rexel", D("300.00"), D("60.00")),),
        vat_on_collection=True,
    )
    entries = ledger_for_period(sources, YEAR)
    may, june = vat_report(entries, Period.month(2026, 5)), vat_report(entries, Period.month(2026, 6))
    assert (may.collected_total, may.deductible, may.net_due, may.pending) == (
        D("34.60"),
        D("60.00"),
        D("-25.40"),
        D("57.60"),
    )
    assert (june.collected_total, june.pending, june.net_due_euros) == (D("28.80"), D("28.80"), D(29))
    assert [(r.base, r.tax) for r in june.collected] == [(D("144.00"), D("28.80"))]


def test_aged_receivables_and_dso_exact() -> None:
    today = date(2026, 4, 30)
    docs = [
        invoice("A", date(2026, 4, 20), SERVICES, due_date=date(2026, 5, 20)),  # 345.60 not due
        invoice("B", date(2026, 3, 1), SERVICES, due_date=date(2026, 4, 30)),  # 345.60 due today: not late
        invoice("C", date(2026, 3, 1), GOODS, due_date=date(2026, 3, 31)),  # 207.60, 30 days late
        invoice(
            "D",
            date(2026, 1, 5),
            RENOVATION,
            due_date=date(2026, 2, 28),
            customer=Party(name="Galerie", id=2),
            status=InvoiceStatus.PARTIALLY_PAID,
            amount_paid=D("100.00"),
        ),  # 1000.00, 61 days late
        invoice("E", date(2025, 11, 2), GOODS, due_date=date(2025, 12, 2)),  # 207.60, 149 days late
        invoice("F", date(2026, 4, 1), SERVICES, status=InvoiceStatus.PAID, amount_paid=D("345.60")),
        replace(invoice("G", date(2026, 4, 2), SERVICES, status=InvoiceStatus.DRAFT), number=""),
    ]
    aged = aged_receivables(docs, today)
    assert aged.totals == (D("691.20"), D("207.60"), D(0), D("1000.00"), D("207.60"))
    assert aged.total == D("2106.40")
    assert [(r.customer, r.total) for r in aged.rows] == [("C00012", D("1106.40")), ("C00002", D("1000.00"))]
    # sales of the last 90 days: A + B + C + F = 1244.40; open: 2106.40 → 2106.40 / 1244.40 × 90
    assert dso(docs, today) == D("152.3")
    assert dso(docs, date(2030, 1, 1)) is None


def test_checks_find_unbalanced_entries_and_gaps() -> None:
    entries = ledger_for_period(fixed_sources(), YEAR)
    broken = replace(entries[1], lines=entries[1].lines[:-1])
    assert {p.code for p in balance_check([broken])} == {"FEC-BALANCED"}
    gap = [e for e in entries if e.number != "VE000002"]
    assert [p.code for p in sequence_check(gap)] == ["FEC-SEQUENCE"]


def test_fiscal_year_closing_in_june() -> None:
    assert Period.fiscal_year(2026, 6) == Period(date(2025, 7, 1), date(2026, 6, 30))
    assert Period.month(2024, 2).end == date(2024, 2, 29)


# ---- property: whatever the invoices and payments, entries balance and paid invoices are lettered ------------
RATES = (D(20), D(10), D("5.5"), D("2.1"), D(0))
lines_st = st.lists(
    st.builds(
        Line,
        description=st.sampled_from(["Pose", "Câble", "Frais de port", "Forfait déplacement"]),
        quantity=st.decimals(min_value=D("0.25"), max_value=D(40), places=2),
        unit_price=st.decimals(min_value=D("0.01"), max_value=D(5000), places=2),
        vat_rate=st.sampled_from(RATES),
        nature=st.sampled_from(list(LineNature)),
        discount_percent=st.sampled_from([D(0), D(5), D("12.5")]),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(
    lines=lines_st,
    discount=st.sampled_from([D(0), D(3), D(10)]),
    kind=st.sampled_from([DocumentKind.INVOICE, DocumentKind.DEPOSIT]),
    rate=st.sampled_from([None, D("0.9137"), D("1.1702")]),
    cuts=st.lists(st.integers(min_value=1, max_value=99), max_size=3),
    settle=st.sampled_from(["full", "partial", "credit"]),
    last_method=st.sampled_from(["transfer", "card", "bank_fees", "discount", "rounding", "writeoff"]),
    collection=st.booleans(),
)
def test_entries_always_balance_and_settled_invoices_are_lettered(
    lines: list[Line],
    discount: D,
    kind: DocumentKind,
    rate: D | None,
    cuts: list[int],
    settle: str,
    last_method: str,
    collection: bool,
) -> None:
    currency = {"currency": "USD", "eur_rate": rate} if rate else {}
    inv = invoice("F1", date(2026, 2, 1), *lines, kind=kind, document_discount_percent=discount, **currency)
    total = inv.total_incl_tax
    assume(total > 0)
    docs = [inv, invoice("F2", date(2026, 2, 2), *lines)]  # never paid: never lettered
    credited = D(0)
    if settle == "credit":
        note = replace(
            credit_note_for(inv, date(2026, 2, 5), lines[:1]), number="AV1", status=InvoiceStatus.ISSUED
        )
        docs.append(note)
        credited = note.total_incl_tax
    owed = total - credited
    shares = sorted({round(owed * c / 100, 2) for c in cuts} - {D(0), owed}) if owed > 0 else []
    amounts = [b - a for a, b in zip([D(0), *shares], [*shares, owed], strict=True)] if owed > 0 else []
    if settle == "partial" and amounts:
        amounts = amounts[:-1]
    payments = [
        Payment(
            "F1",
            date(2026, 3, 1) + timedelta(days=i),
            amount,
            last_method if i == len(amounts) - 1 else "transfer",
        )
        for i, amount in enumerate(amounts)
    ]
    sources = LedgerSources(invoices=tuple(docs), payments=tuple(payments), vat_on_collection=collection)
    entries = ledger_for_period(sources, YEAR)
    assert balance_check(entries) == []
    assert sequence_check(entries) == []
    receivable = [ln for e in entries for ln in e.lines if ln.account == "411"]
    f1 = [ln for ln in receivable if ln.match_ref == "F1"]
    if settle == "partial":
        assert all(not ln.lettering for ln in f1)
    elif not (rate and settle == "credit"):  # a foreign credit note may leave a conversion cent
        assert sum((ln.signed for ln in f1), D(0)) == 0
        assert {ln.lettering for ln in f1} == {"A"}
    assert all(not ln.lettering for ln in receivable if ln.match_ref == "F2")
    if collection and settle == "full":
        unpaid = entries_for_invoice(docs[1], vat_on_collection=True)
        assert balance(entries, "44574") == balance([unpaid], "44574")  # F1's pending VAT fully moved
