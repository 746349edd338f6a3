"""Dailly bordereau (DAILLY-BORDEREAU-*), debtor eligibility (DAILLY-PARTIES), notifications
(DAILLY-NOTIFY) and the factoring subrogation mention (FACT-INVOICE-MENTION, FACT-EINV)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from encaisse.domain.documents import DocumentKind, Invoice, InvoiceStatus, Line
from encaisse.domain.errors import Severity
from encaisse.domain.financing import (
    DAILLY_LAW,
    DAILLY_PLEDGE_TITLE,
    DAILLY_TITLE,
    FACTORING_HEADER,
    Factor,
    FinancingKind,
    bordereau,
    bordereau_letter,
    factoring_row,
    financing_problems,
    notification_letter,
    notifications,
    receivable_of,
    subrogation_mention,
    validate_bordereau,
    validate_factor,
    validate_notification,
)
from encaisse.domain.parties import Address, Company, Party

COMPANY = Company(
    name="Électricité Martin",
    siren="732829320",
    address=Address("12 rue de la République", "", "69002", "Lyon"),
)
DUPONT = Party(
    name="Boulangerie Dupont", siren="552100554", address=Address("3 place Bellecour", "", "69002", "Lyon")
)
GARAGE = Party(
    name="Garage Central", siren="542065479", address=Address("8 cours Gambetta", "", "69003", "Lyon")
)
CONSUMER = Party(
    name="Jeanne Particulier", is_business=False, address=Address("1 rue Neuve", "", "69001", "Lyon")
)
CITY_HALL = Party(name="Mairie de Villeurbanne", is_business=False, is_public_body=True)
BANK = "Banque Populaire Auvergne Rhône Alpes"
BANK_IBAN = "FR7610907000011234567890172"
NNBSP = "\u202f"


def invoice(n: int, customer: Party, **changes: object) -> Invoice:
    inv = Invoice(
        company_id=1,
        customer=customer,
        issue_date=date(2026, 12, 4),
        due_date=date(2027, 1, 18),
        lines=(Line("Installation électrique", Decimal(1), Decimal("10288.00")),),
        status=InvoiceStatus.ISSUED,
        id=n,
        number=f"F2026-{n:05d}",
    )
    return replace(inv, **changes)  # type: ignore[arg-type]


def slip_of(*invoices: Invoice):  # type: ignore[no-untyped-def]
    return bordereau(COMPANY, BANK, tuple(receivable_of(i) for i in invoices), day=date(2026, 12, 4))


def test_bordereau_carries_the_four_mandatory_mentions() -> None:
    slip = slip_of(invoice(1, DUPONT), invoice(2, GARAGE), invoice(3, DUPONT))
    assert validate_bordereau(slip) == []
    letter = bordereau_letter(slip)
    text = "\n".join((letter.title, *letter.paragraphs))
    assert letter.title == DAILLY_TITLE  # DAILLY-BORDEREAU-TITLE
    assert "articles L. 313-23 à L. 313-34 du Code monétaire et financier" in text  # -LAW
    assert BANK in text  # -BANK
    header, *rows = letter.table  # -LIST: debtor, place of payment, amount, due date
    assert header == ("Facture", "Débiteur", "SIREN", "Lieu de paiement", "Émise le", "Échéance", "Montant")
    assert rows[0] == (
        "F2026-00001",
        "Boulangerie Dupont",
        "552100554",
        "69002 Lyon",
        "04/12/2026",
        "18/01/2027",
        f"12{NNBSP}345,60\xa0€",
    )
    assert f"Nombre de créances cédées\xa0: 3. Montant total\xa0: 37{NNBSP}036,80\xa0€." in text
    assert letter.place_date == "Lyon, le 04/12/2026"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"title": "Bordereau de remise"}, "DAILLY-BORDEREAU-TITLE"),
        ({"law_mention": "Acte soumis au Code monétaire et financier."}, "DAILLY-BORDEREAU-LAW"),
        ({"law_mention": "Articles L313-23 et suivants."}, "DAILLY-BORDEREAU-LAW"),
        ({"bank_name": "  "}, "DAILLY-BORDEREAU-BANK"),
        ({"receivables": ()}, "DAILLY-BORDEREAU-LIST"),
    ],
)
def test_each_missing_mention_has_its_code(change: dict[str, object], code: str) -> None:
    slip = replace(slip_of(invoice(1, DUPONT)), **change)  # type: ignore[arg-type]
    assert [p.code for p in validate_bordereau(slip)] == [code]


def test_a_pledge_title_and_an_unspaced_law_reference_are_accepted() -> None:
    slip = replace(
        slip_of(invoice(1, DUPONT)),
        title=DAILLY_PLEDGE_TITLE.upper(),
        law_mention="Soumis aux articles L313-23 à L313-34 CMF",
    )
    assert validate_bordereau(slip) == []
    assert "L. 313-23" in DAILLY_LAW


def test_a_receivable_without_debtor_or_place_is_not_individualised() -> None:
    slip = slip_of(invoice(1, DUPONT))
    r = replace(slip.receivables[0], place_of_payment="", debtor=replace(slip.receivables[0].debtor, name=""))
    problems = validate_bordereau(replace(slip, receivables=(r,)))
    assert [p.code for p in problems] == ["DAILLY-BORDEREAU-LIST"]
    assert "debtor, place of payment" in problems[0].message


def test_consumer_receivables_are_refused_public_bodies_accepted() -> None:
    """DAILLY-PARTIES: the debtor is a legal person or a professional, never a consumer."""
    consumer = invoice(1, CONSUMER)
    assert [p.code for p in financing_problems(consumer, FinancingKind.DAILLY)] == ["DAILLY-PARTIES"]
    assert [p.code for p in validate_bordereau(slip_of(consumer))] == ["DAILLY-PARTIES"]
    assert financing_problems(invoice(2, CITY_HALL), FinancingKind.DAILLY) == []
    # factoring by subrogation is not restricted to professional debtors
    assert financing_problems(consumer, FinancingKind.FACTORING) == []


def test_only_open_undisputed_unassigned_invoices_can_be_financed() -> None:
    def problem_codes(inv: Invoice, kind: FinancingKind = FinancingKind.DAILLY) -> list[str]:
        return [p.code for p in financing_problems(inv, kind, already_assigned=frozenset({9}))]

    assert problem_codes(invoice(1, DUPONT, status=InvoiceStatus.PAID)) == ["FIN-NOT-OPEN"]
    assert problem_codes(invoice(2, DUPONT, status=InvoiceStatus.DRAFT)) == ["FIN-NOT-OPEN"]
    assert problem_codes(invoice(3, DUPONT, disputed=True)) == ["FIN-DISPUTED"]
    assert problem_codes(invoice(9, DUPONT)) == ["FIN-ALREADY-ASSIGNED"]
    credit = invoice(4, DUPONT, kind=DocumentKind.CREDIT_NOTE)
    assert problem_codes(credit) == ["FIN-CREDIT-NOTE"]
    assert problem_codes(credit, FinancingKind.FACTORING) == []


def test_one_notification_per_debtor_with_what_l313_28_requires() -> None:
    slip = slip_of(invoice(1, DUPONT), invoice(2, GARAGE), invoice(3, DUPONT))
    notices = notifications(slip, bank_iban="FR76 1090 7000 0112 3456 7890 172", bank_bic="CCBPFRPPLYO")
    assert [(n.debtor.name, [r.number for r in n.receivables]) for n in notices] == [
        ("Boulangerie Dupont", ["F2026-00001", "F2026-00003"]),
        ("Garage Central", ["F2026-00002"]),
    ]
    assert all(validate_notification(n) == [] for n in notices)
    letter = notification_letter(notices[0])
    text = " ".join(letter.paragraphs)
    assert letter.title == "Notification de cession de créances professionnelles"
    assert "La société Électricité Martin vous informe qu'elle a cédé à " + BANK in text  # assignor, assignee
    assert (
        "ne plus payer ces créances entre les mains de Électricité Martin" in text
    )  # stop paying the assignor
    assert "IBAN FR76 1090 7000 0112 3456 7890 172 (BIC CCBPFRPPLYO)" in text  # how to pay
    assert f"à l'ordre de {BANK}" in text  # to whom
    assert [row[0] for row in letter.table] == ["Facture", "F2026-00001", "F2026-00003"]  # which receivables


def test_notification_without_bank_iban_warns_and_with_bad_iban_fails() -> None:
    notice = notifications(slip_of(invoice(1, DUPONT)))[0]
    problems = validate_notification(notice)
    assert [(p.code, p.severity) for p in problems] == [("DAILLY-NOTIFY", Severity.WARN)]
    assert "selon les coordonnées bancaires" in " ".join(notification_letter(notice).paragraphs)
    bad = replace(notice, bank_iban="FR7610907000011234567890186")
    assert [(p.code, p.severity) for p in validate_notification(bad)] == [("DAILLY-NOTIFY", Severity.ERROR)]
    assert [p.code for p in validate_notification(replace(notice, bank_name="", bank_iban=BANK_IBAN))] == [
        "DAILLY-NOTIFY"
    ]


def test_factoring_row_carries_the_subrogation_mention_and_type_codes() -> None:
    factor = Factor(
        "BNP Paribas Factor", "160 boulevard Haussmann, 75008 Paris", "FR7630004000031234567890143"
    )
    assert validate_factor(factor) == []
    row = factoring_row(invoice(1, DUPONT, amount_paid=Decimal("345.60")), factor)
    record = dict(zip(FACTORING_HEADER, row.as_record(), strict=True))
    assert record["type_code"] == "393"  # FACT-EINV
    assert record["total_incl_tax"] == "12345.60"
    assert record["amount_due"] == "12000.00"
    assert record["subrogation_mention"] == subrogation_mention(factor)
    mention = record["subrogation_mention"]
    for part in (
        "BNP Paribas Factor",
        "160 boulevard Haussmann",
        "FR76 3000 4000 0312 3456 7890 143",
        "subrogation",
    ):
        assert part in mention
    credit = factoring_row(invoice(2, DUPONT, kind=DocumentKind.CREDIT_NOTE), factor)
    assert (credit.type_code, credit.amount_due) == ("396", Decimal("-12345.60"))


def test_factor_without_iban_or_address() -> None:
    problems = validate_factor(Factor("Factor SA"))
    assert [(p.code, p.field, p.severity) for p in problems] == [
        ("FACT-INVOICE-MENTION", "factor_iban", Severity.ERROR),
        ("FACT-INVOICE-MENTION", "factor_address", Severity.WARN),
    ]
    bad = validate_factor(Factor("Factor SA", "Paris", "FR7630004000031234567890144"))
    assert [p.field for p in bad] == ["factor_iban"]
