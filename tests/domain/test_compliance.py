"""The mandatory-mention checker, rule by rule (codes of shared/legal/CHECKLIST.md §11).

A complete, compliant invoice raises nothing; breaking one mention at a time raises exactly that
rule's code, on the right field, with the severity the checklist gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from encaisse.domain.compliance import MANDATORY_CODES, MESSAGES, check_invoice, check_quote
from encaisse.domain.documents import (
    DocumentKind,
    Exemption,
    Invoice,
    InvoiceStatus,
    Line,
    LineNature,
    Quote,
    credit_note_for,
    deposit_deduction_lines,
)
from encaisse.domain.errors import Problem, Severity
from encaisse.domain.parties import Address, Company, Party, SizeCategory, VatRegime, french_vat_number

ISSUE = date(2026, 12, 4)
SELLER_ADDRESS = Address("12 rue de la République", "", "69002", "Lyon")
BUYER_ADDRESS = Address("3 place Bellecour", "", "69002", "Lyon")


def make_company(**changes: object) -> Company:
    """An electrical-contracting SARL (SCENARIOS §1) with every identity mention filled."""
    company = Company(
        name="Électricité Martin",
        siren="732829320",
        id=1,
        legal_form="SARL",
        share_capital=Decimal("10000"),
        rcs_city="Lyon",
        vat_number=french_vat_number("732829320"),
        address=SELLER_ADDRESS,
        vat_regime=VatRegime.DEBITS,
        size_category=SizeCategory.PME,
    )
    return replace(company, **changes)  # type: ignore[arg-type]


def make_customer(**changes: object) -> Party:
    customer = Party(
        name="Boulangerie Dupont",
        id=7,
        legal_form="SAS",
        siren="552100554",
        vat_number=french_vat_number("552100554"),
        address=BUYER_ADDRESS,
    )
    return replace(customer, **changes)  # type: ignore[arg-type]


def complete_example(company: Company) -> Invoice:
    """A complete, compliant B2B invoice of ``company``: labour (service) and equipment (goods)."""
    return Invoice(
        company_id=company.id or 1,
        customer=make_customer(),
        issue_date=ISSUE,
        lines=(
            Line(
                "Pose d'un tableau électrique", Decimal(6), Decimal("48.00"), unit="HUR", vat_rate=Decimal(20)
            ),
            Line(
                "Disjoncteur différentiel 40 A",
                Decimal(2),
                Decimal("86.50"),
                vat_rate=Decimal(20),
                nature=LineNature.GOODS,
            ),
        ),
        status=InvoiceStatus.ISSUED,
        number="F2026-00042",
        supply_date=ISSUE - timedelta(days=3),
        due_date=ISSUE + timedelta(days=30),
        purchase_order="BC-2026-118",
        vat_on_debits=True,
    )


def codes(problems: list[Problem]) -> set[str]:
    return {p.code for p in problems}


def line(**changes: object) -> Line:
    return replace(Line("Prestation", Decimal(1), Decimal("100.00")), **changes)  # type: ignore[arg-type]


def with_line(inv: Invoice, extra: Line) -> Invoice:
    return replace(inv, lines=(*inv.lines, extra))


# --- one case per code: (invoice, company) -> problems, expected severity -----------------------
Case = Callable[[Invoice, Company], list[Problem]]


def inv_case(**changes: object) -> Case:
    return lambda inv, co: check_invoice(replace(inv, **changes), co)  # type: ignore[arg-type]


def co_case(**changes: object) -> Case:
    return lambda inv, co: check_invoice(inv, replace(co, **changes))  # type: ignore[arg-type]


def customer_case(**changes: object) -> Case:
    return lambda inv, co: check_invoice(replace(inv, customer=replace(inv.customer, **changes)), co)  # type: ignore[arg-type]


def line_case(index: int = 0, **changes: object) -> Case:
    def run(inv: Invoice, co: Company) -> list[Problem]:
        lines = list(inv.lines)
        lines[index] = replace(lines[index], **changes)  # type: ignore[arg-type]
        return check_invoice(replace(inv, lines=tuple(lines)), co)

    return run


def extra_line_case(extra: Line, **invoice_changes: object) -> Case:
    return lambda inv, co: check_invoice(replace(with_line(inv, extra), **invoice_changes), co)  # type: ignore[arg-type]


def credit_note_case(inv: Invoice, co: Company) -> list[Problem]:
    note = replace(credit_note_for(inv, ISSUE + timedelta(days=5)), corrects_number="")
    return check_invoice(note, co, corrected=inv)


def deposit_case(inv: Invoice, co: Company) -> list[Problem]:
    deposit = make_deposit(inv)
    return check_invoice(inv, co, deposits=[deposit])


def quote_case(**changes: object) -> Case:
    return lambda inv, co: check_quote(replace(make_quote(inv), **changes), co)  # type: ignore[arg-type]


def make_quote(inv: Invoice) -> Quote:
    return Quote(
        company_id=inv.company_id,
        customer=inv.customer,
        issue_date=ISSUE - timedelta(days=20),
        validity_date=ISSUE + timedelta(days=10),
        lines=inv.lines,
        number="D2026-00007",
    )


def make_deposit(inv: Invoice) -> Invoice:
    return Invoice(
        company_id=inv.company_id,
        customer=inv.customer,
        issue_date=ISSUE - timedelta(days=30),
        lines=(line(description="Acompte de 30 % sur le devis D2026-00007", unit_price=Decimal("150.00")),),
        kind=DocumentKind.DEPOSIT,
        status=InvoiceStatus.PAID,
        number="F2026-00031",
        due_date=ISSUE - timedelta(days=20),
        purchase_order=inv.purchase_order,
        vat_on_debits=True,
    )


DOM = Address("5 rue Victor Hugo", "", "97200", "Fort-de-France")
CORSICA = Address("2 cours Napoléon", "", "20000", "Ajaccio")
CONSUMER = {"is_business": False, "siren": "", "vat_number": "", "legal_form": ""}

CASES: dict[str, tuple[Case, Severity]] = {
    "INV-SELLER-NAME": (co_case(name=""), Severity.ERROR),
    "INV-SELLER-ADDR": (co_case(address=Address()), Severity.ERROR),
    "INV-SELLER-SIREN": (co_case(siren=""), Severity.ERROR),
    "INV-SELLER-RCS": (co_case(rcs_city=""), Severity.ERROR),
    "INV-SELLER-FORM-CAPITAL": (co_case(share_capital=None), Severity.ERROR),
    "INV-SELLER-EI": (co_case(legal_form="EI", share_capital=None, rcs_city=""), Severity.ERROR),
    "INV-SELLER-VAT": (co_case(vat_number=""), Severity.ERROR),
    "INV-BUYER-NAME": (customer_case(name=""), Severity.ERROR),
    "INV-BUYER-ADDR": (customer_case(address=Address()), Severity.ERROR),
    "INV-BUYER-VAT": (
        lambda inv, co: check_invoice(
            replace(
                with_line(inv, line(exemption=Exemption.REVERSE_CHARGE)),
                customer=make_customer(vat_number=""),
            ),
            co,
        ),
        Severity.ERROR,
    ),
    "EINV-MENTION-BUYER-SIREN": (customer_case(siren=""), Severity.WARN),  # PME before 2027-09-01
    "EINV-MENTION-DELIVERY-ADDR": (
        customer_case(delivery_address=Address("ZI Nord", "", "69120", "Vaulx")),
        Severity.WARN,
    ),
    "EINV-MENTION-NATURE": (line_case(0, nature=LineNature.GOODS), Severity.WARN),
    "EINV-MENTION-DEBITS": (inv_case(vat_on_debits=False), Severity.ERROR),
    "INV-VAT-DEBITS": (co_case(vat_regime=VatRegime.COLLECTION), Severity.ERROR),
    "INV-BUYER-PO": (
        lambda inv, co: check_invoice(
            replace(inv, purchase_order="", customer=make_customer(is_public_body=True)), co
        ),
        Severity.WARN,
    ),
    "INV-DATE-ISSUE": (inv_case(issue_date=None), Severity.ERROR),
    "INV-DATE-SUPPLY": (inv_case(supply_date=None), Severity.WARN),
    "INV-TIMING": (inv_case(supply_date=ISSUE - timedelta(days=45)), Severity.WARN),
    "INV-DISCOUNTS": (inv_case(document_discount_percent=Decimal(5), discount_reason=" "), Severity.WARN),
    "INV-LINE-DESC": (line_case(1, description="  "), Severity.ERROR),
    "INV-LINE-UNIT-PRICE": (line_case(1, unit_price=Decimal("-86.50")), Severity.ERROR),
    "INV-LINE-VAT-RATE": (line_case(1, vat_rate=Decimal(0)), Severity.ERROR),
    "VAT-RATE-FR": (line_case(1, vat_rate=Decimal("19.6")), Severity.ERROR),
    "VAT-RATE-DOM": (co_case(address=DOM), Severity.ERROR),  # 20 % is not a DOM rate
    "VAT-RATE-CORSICA": (
        lambda inv, co: check_invoice(
            with_line(inv, line(vat_rate=Decimal("8.5"))), replace(co, address=CORSICA)
        ),
        Severity.ERROR,
    ),
    "INV-PAY-DUE-DATE": (inv_case(due_date=None), Severity.ERROR),
    "PAY-TERM-MAX": (inv_case(due_date=ISSUE + timedelta(days=61)), Severity.ERROR),
    "INV-PAY-PENALTY-RATE": (inv_case(penalty_rate=Decimal(0)), Severity.ERROR),
    "PAY-PENALTY-FLOOR": (inv_case(penalty_rate=Decimal("7.85")), Severity.ERROR),  # floor 2026H2: 7.86
    "INV-PAY-INDEMNITY-40": (inv_case(recovery_indemnity=False), Severity.ERROR),
    "PAY-B2C": (customer_case(**CONSUMER), Severity.ERROR),
    "INV-PAY-ESCOMPTE": (inv_case(early_payment_discount="Escompte possible"), Severity.ERROR),
    "INV-VAT-FRANCHISE": (
        lambda inv, co: check_invoice(
            replace(inv, vat_on_debits=False), replace(co, vat_regime=VatRegime.FRANCHISE, vat_number="")
        ),
        Severity.ERROR,
    ),
    "INV-VAT-REVERSE": (
        lambda inv, co: check_invoice(
            replace(
                with_line(inv, line(exemption=Exemption.REVERSE_CHARGE)),
                customer=make_customer(is_business=False, siren=""),
                recovery_indemnity=False,
            ),
            co,
        ),
        Severity.ERROR,
    ),
    "INV-VAT-EXEMPT-ICS": (
        extra_line_case(line(exemption=Exemption.INTRA_EU, nature=LineNature.GOODS)),
        Severity.ERROR,
    ),
    "INV-VAT-EXEMPT-EXPORT": (
        extra_line_case(line(exemption=Exemption.EXPORT, nature=LineNature.GOODS)),
        Severity.ERROR,
    ),
    "INV-VAT-EXEMPT-261": (extra_line_case(line(exemption=Exemption.EXEMPT_261)), Severity.WARN),
    "INV-INSURANCE": (co_case(requires_insurance_mention=True), Severity.WARN),
    "INV-OGA": (
        lambda inv, co: check_invoice(
            replace(inv, payment_terms_text="Virement à 30 jours. Chèques non acceptés."),
            replace(co, oga_member=True),
        ),
        Severity.WARN,
    ),
    "CN-REFERENCE": (credit_note_case, Severity.ERROR),
    "DEP-FINAL": (deposit_case, Severity.ERROR),
    "QUO-VALIDITY": (quote_case(validity_date=ISSUE - timedelta(days=21)), Severity.ERROR),
    "QUO-INSURANCE": (
        lambda inv, co: check_quote(make_quote(inv), replace(co, requires_insurance_mention=True)),
        Severity.WARN,
    ),
}


def test_every_code_has_a_case_and_a_message() -> None:
    assert set(CASES) == set(MANDATORY_CODES)
    assert len(MANDATORY_CODES) == len(set(MANDATORY_CODES))
    message_codes = {key.partition(".")[0] for key in MESSAGES} - {"VAT-RATE"}
    assert message_codes | {"VAT-RATE-FR", "VAT-RATE-DOM", "VAT-RATE-CORSICA", "PAY-TERM-MAX"} == set(
        MANDATORY_CODES
    )


def test_complete_invoice_raises_nothing() -> None:
    company = make_company()
    assert check_invoice(complete_example(company), company) == []


def test_complete_quote_credit_note_and_final_invoice_raise_nothing() -> None:
    company = make_company()
    inv = complete_example(company)
    assert check_quote(make_quote(inv), company) == []
    note = credit_note_for(inv, ISSUE + timedelta(days=5))
    assert check_invoice(note, company, corrected=inv) == []
    deposit = make_deposit(inv)
    final = replace(
        with_line(inv, *deposit_deduction_lines(deposit)),
        deposit_numbers=(deposit.number,),
    )
    assert check_invoice(final, company, deposits=[deposit]) == []


@pytest.mark.parametrize("code", list(CASES), ids=list(CASES))
def test_breaking_one_mention_raises_exactly_its_code(code: str) -> None:
    case, severity = CASES[code]
    company = make_company()
    problems = case(complete_example(company), company)
    assert codes(problems) == {code}, [p.describe() for p in problems]
    assert {p.severity for p in problems} == {severity}
    for p in problems:
        assert p.field, p
        assert "{" not in p.message, p.message
        assert p.message.endswith("."), p.message


@pytest.mark.parametrize(
    ("size", "issue", "severity"),
    [
        (SizeCategory.PME, date(2027, 8, 31), Severity.WARN),
        (SizeCategory.PME, date(2027, 9, 1), Severity.ERROR),
        (SizeCategory.MICRO, date(2027, 8, 31), Severity.WARN),
        (SizeCategory.MICRO, date(2027, 9, 1), Severity.ERROR),
        (SizeCategory.GE, date(2026, 8, 31), Severity.WARN),
        (SizeCategory.GE, date(2026, 9, 1), Severity.ERROR),
        (SizeCategory.ETI, date(2026, 9, 1), Severity.ERROR),
    ],
)
def test_buyer_siren_is_an_error_from_the_issuer_obligation_date(
    size: SizeCategory, issue: date, severity: Severity
) -> None:
    company = make_company(size_category=size)
    inv = replace(
        complete_example(company),
        customer=make_customer(siren=""),
        issue_date=issue,
        supply_date=issue,
        due_date=issue + timedelta(days=30),
    )
    problems = check_invoice(inv, company)
    assert [(p.code, p.field, p.severity) for p in problems] == [
        ("EINV-MENTION-BUYER-SIREN", "customer.siren", severity)
    ]


def test_consumer_needs_no_siren_and_no_indemnity() -> None:
    company = make_company()
    inv = replace(complete_example(company), customer=make_customer(**CONSUMER), recovery_indemnity=False)
    assert check_invoice(inv, company) == []
    # No penalty-rate or escompte rule applies to a consumer either (C. com. L441-9 is B2B).
    lax = replace(inv, penalty_rate=Decimal(0), early_payment_discount="Escompte possible", due_date=None)
    assert [(p.code, p.severity) for p in check_invoice(lax, company)] == [
        ("INV-PAY-DUE-DATE", Severity.WARN)
    ]


def test_foreign_buyer_needs_no_siren() -> None:
    company = make_company()
    german = make_customer(
        siren="", vat_number="DE136695976", address=Address("Hauptstr. 1", "", "10115", "Berlin", "DE")
    )
    inv = replace(complete_example(company), customer=german)
    assert check_invoice(inv, company) == []
    ics = replace(inv, lines=(line(exemption=Exemption.INTRA_EU, nature=LineNature.GOODS),))
    assert check_invoice(ics, company) == []


def test_identifiers_must_be_valid_not_only_present() -> None:
    company = make_company()
    inv = complete_example(company)
    assert [p.field for p in check_invoice(inv, replace(company, siren="732829321"))] == ["company.siren"]
    wrong_key = replace(company, vat_number="FR45732829320")
    [problem] = check_invoice(inv, wrong_key)
    assert (problem.code, problem.args["expected"]) == ("INV-SELLER-VAT", "FR44732829320")
    bad_buyer = replace(inv, customer=make_customer(siren="552100555"))
    assert [(p.code, p.severity) for p in check_invoice(bad_buyer, company)] == [
        ("EINV-MENTION-BUYER-SIREN", Severity.ERROR)
    ]
    bad_siret = replace(inv, customer=make_customer(siret="73282932000074"))  # another company's SIRET
    assert [p.field for p in check_invoice(bad_siret, company)] == ["customer.siret"]


@pytest.mark.parametrize(
    "name", ["Jean Martin EI", "EI Jean Martin", "Jean Martin (entrepreneur individuel)", "E.I. Jean Martin"]
)
def test_sole_trader_name_with_ei_mention_passes(name: str) -> None:
    company = make_company(name=name, legal_form="EI", share_capital=None, rcs_city="")
    assert check_invoice(complete_example(company), company) == []


def test_sole_trader_name_merely_containing_ei_letters_fails() -> None:
    company = make_company(name="Reiner Electricité", legal_form="EI", share_capital=None)
    assert codes(check_invoice(complete_example(company), company)) == {"INV-SELLER-EI"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Pas d'escompte pour paiement anticipé",
        "Escompte de 2 % pour paiement sous 8 jours",
        "Aucun escompte",
    ],
)
def test_escompte_statements_that_pass(text: str) -> None:
    company = make_company()
    assert check_invoice(replace(complete_example(company), early_payment_discount=text), company) == []


def test_line_fields_point_to_the_line() -> None:
    company = make_company()
    inv = replace(
        complete_example(company), lines=(line(), line(), line(vat_rate=Decimal(7), quantity=Decimal(0)))
    )
    problems = check_invoice(inv, company)
    assert [(p.code, p.field) for p in problems] == [
        ("INV-LINE-DESC", "lines[2].quantity"),
        ("VAT-RATE-FR", "lines[2].vat_rate"),
    ]
    assert problems[1].message.startswith("Line 3: 7 % is not a VAT rate of FR (20, 10, 5.5, 2.1, 0)")


def test_deposit_deduction_lines_may_be_negative() -> None:
    company = make_company()
    inv = complete_example(company)
    deposit = make_deposit(inv)
    final = replace(with_line(inv, *deposit_deduction_lines(deposit)), deposit_numbers=(deposit.number,))
    assert check_invoice(final, company, deposits=[deposit]) == []
    # deducting the wrong amount is caught
    wrong = replace(
        final, lines=(*inv.lines, line(unit_price=Decimal("-100.00"), deposit_invoice_number=deposit.number))
    )
    [problem] = check_invoice(wrong, company, deposits=[deposit])
    assert (problem.code, problem.args["deducted"], problem.args["expected"]) == (
        "DEP-FINAL",
        "100.00",
        "150.00",
    )
    # deducted but not referenced; referenced but not deducted; an unknown deposit
    unreferenced = replace(final, deposit_numbers=())
    assert [p.args["key"] for p in check_invoice(unreferenced, company, deposits=[deposit])] == [
        "DEP-FINAL.unreferenced"
    ]
    undeducted = replace(inv, deposit_numbers=(deposit.number,))
    assert [p.args["key"] for p in check_invoice(undeducted, company)] == ["DEP-FINAL.undeducted"]
    other = replace(final, deposit_numbers=(deposit.number, "F2026-00099"))
    assert {p.args["key"] for p in check_invoice(other, company, deposits=[deposit])} == {
        "DEP-FINAL.unknown",
        "DEP-FINAL.undeducted",
    }


def test_final_invoice_without_its_deposit_order_reference_warns() -> None:
    company = make_company()
    inv = complete_example(company)
    deposit = make_deposit(inv)
    final = replace(
        inv, lines=(*inv.lines, *deposit_deduction_lines(deposit)), deposit_numbers=(deposit.number,)
    )
    problems = check_invoice(replace(final, purchase_order=""), company, deposits=[deposit])
    assert [(p.code, p.args["reference"]) for p in problems] == [("INV-BUYER-PO", "BC-2026-118")]


def test_credit_note_reference_rules() -> None:
    company = make_company()
    inv = complete_example(company)  # 461.00 excl. VAT + 92.20 VAT
    assert inv.total_incl_tax == Decimal("553.20")
    note = credit_note_for(inv, ISSUE + timedelta(days=5))

    def keys(n: Invoice, corrected: Invoice | None = inv, credited: Decimal = Decimal(0)) -> list[str]:
        return [
            p.args["key"] for p in check_invoice(n, company, corrected=corrected, already_credited=credited)
        ]

    assert keys(note) == []
    assert keys(note, credited=Decimal("0.01")) == ["CN-REFERENCE.amount"]
    assert keys(note, corrected=replace(inv, amount_credited=Decimal("10"))) == ["CN-REFERENCE.amount"]
    assert keys(replace(note, corrects_date=None), corrected=None) == ["CN-REFERENCE.date"]
    assert keys(note, corrected=replace(inv, number="F2026-00043")) == ["CN-REFERENCE.wrong-number"]
    assert keys(note, corrected=replace(inv, status=InvoiceStatus.DRAFT)) == ["CN-REFERENCE.kind"]
    assert keys(replace(note, customer=make_customer(siren="443061841"))) == ["CN-REFERENCE.parties"]
    reduced = replace(note, lines=(line(vat_rate=Decimal("5.5"), unit_price=Decimal(10)),))
    assert keys(reduced) == ["CN-REFERENCE.rate"]


@pytest.mark.parametrize(
    ("issue", "due", "end_of_month", "periodic", "ok"),
    [
        (date(2027, 1, 20), date(2027, 3, 21), False, False, True),  # issue + 60 days
        (date(2027, 1, 20), date(2027, 3, 22), False, False, False),
        (date(2027, 1, 20), date(2027, 3, 31), True, False, True),  # (issue + 45 d) then end of month
        (date(2027, 1, 20), date(2027, 4, 1), True, False, False),
        (date(2027, 2, 14), date(2027, 4, 14), True, False, True),  # end of month then + 45 d
        (date(2027, 2, 14), date(2027, 4, 15), True, False, False),
        (date(2027, 1, 20), date(2027, 3, 6), False, True, True),  # periodic: issue + 45 days
        (date(2027, 1, 20), date(2027, 3, 7), False, True, False),
    ],
)
def test_payment_term_cap_follows_the_stipulated_terms(
    issue: date, due: date, end_of_month: bool, periodic: bool, ok: bool
) -> None:
    company = make_company()
    inv = replace(
        complete_example(company),
        issue_date=issue,
        supply_date=issue,
        due_date=due,
        end_of_month_terms=end_of_month,
        periodic=periodic,
    )
    problems = check_invoice(inv, company)
    assert [(p.code, p.field) for p in problems] == ([] if ok else [("PAY-TERM-MAX", "due_date")])
    consumer = replace(inv, customer=make_customer(**CONSUMER), recovery_indemnity=False)
    assert check_invoice(consumer, company) == []  # no legal cap for consumers


def test_due_date_before_issue_date() -> None:
    company = make_company()
    inv = replace(complete_example(company), due_date=ISSUE - timedelta(days=1))
    assert [p.args["key"] for p in check_invoice(inv, company)] == ["INV-PAY-DUE-DATE.before"]


def test_quote_rules() -> None:
    company = make_company()
    quote = make_quote(complete_example(company))
    bare = replace(quote, customer=Party(name="Client"), lines=())
    assert [(p.code, p.field, p.severity) for p in check_quote(bare, company)] == [
        ("INV-BUYER-ADDR", "customer.address", Severity.WARN),
        ("INV-LINE-DESC", "lines", Severity.ERROR),
    ]
    no_vat = check_quote(quote, replace(company, vat_number=""))
    assert [(p.code, p.severity) for p in no_vat] == [("INV-SELLER-VAT", Severity.WARN)]


def test_every_raised_code_is_listed() -> None:
    company = make_company(vat_regime=VatRegime.FRANCHISE, vat_number="", requires_insurance_mention=True)
    messy = Invoice(
        company_id=1,
        customer=Party(name="", address=Address()),
        issue_date=date(2027, 9, 1),
        lines=(
            line(
                description="",
                unit_price=Decimal(-1),
                vat_rate=Decimal(3),
                unit="HUR",
                nature=LineNature.GOODS,
            ),
        ),
        vat_on_debits=True,
        document_discount_percent=Decimal(3),
        discount_reason="",
    )
    problems = check_invoice(messy, company)
    assert len(problems) >= 10
    assert codes(problems) <= set(MANDATORY_CODES)


def test_invoices_older_than_the_rate_tables_skip_the_floor() -> None:
    company = make_company()
    old = date(2021, 3, 1)
    inv = replace(
        complete_example(company), issue_date=old, supply_date=old, due_date=old + timedelta(days=30)
    )
    assert check_invoice(replace(inv, penalty_rate=Decimal("1")), company) == []
