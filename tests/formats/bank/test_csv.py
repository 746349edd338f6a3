"""CSV exports of French banks through declared column maps (layouts are best-effort samples)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from encaisse.domain.errors import FormatError
from encaisse.formats import bank_csv, bank_registry

IBAN = "FR7630006000011234567890189"

CREDIT_AGRICOLE_LIKE = (
    "Téléchargement du 05/01/2026;\n"
    ";\n"
    "Compte courant n° 12345678901;\n"
    "Solde au 05/01/2026 1 234,56 €;\n"
    ";\n"
    "Date;Libellé;Débit euros;Crédit euros;\n"
    '04/01/2026;"PRLV SEPA EDF\n   REF 123";45,10;;\n'
    "03/01/2026;VIR SEPA ACME SARL F-2026-7;;1 500,00;\n"
    ";;;;\n"
    ";Total;45,10;1 500,00;\n"
).encode("cp1252")

BNP_LIKE = (
    "Date operation;Categorie operation;Sous Categorie operation;Libelle operation;Montant operation\n"
    "05/01/2026;Virement;Reçu;VIR SEPA RECU /DE ACME /MOTIF F-1;1234,56\n"
    "06/01/2026;Carte;Restaurant;FACTURE CARTE DU 050126 CAFE;-12,50\n"
).encode()

SOCIETE_GENERALE_LIKE = (
    '="0123456789";Compte courant;\n'
    "Date de l'opération;Libellé;Détail de l'écriture;Montant de l'opération;Devise\n"
    "05/01/2026;VIR RECU 1234;DE: ACME SARL MOTIF: F-1;1.234,56;EUR\n"
).encode("cp1252")

QONTO_LIKE = (
    b"Status;Settlement date (UTC);Operation date (UTC);Total amount (incl. VAT);Currency;Counterparty name;"
    b"Transaction ID\n"
    b"settled;05-01-2026 10:12:00;04-01-2026 18:00:00;-12.50;EUR;OVH SAS;tx-0001\n"
    b"settled;06-01-2026 09:00:00;06-01-2026 09:00:00;1,500.00;EUR;ACME;tx-0002\n"
)


def test_credit_agricole_like_cp1252_with_preamble_and_footer() -> None:
    assert bank_csv.detect_map(CREDIT_AGRICOLE_LIKE) is bank_csv.BUILTIN_MAPS[4]
    (stmt,) = bank_csv.parse(CREDIT_AGRICOLE_LIKE, account_iban=IBAN).statements
    assert stmt.account_iban == IBAN
    assert [(t.booking_date, t.amount, t.remittance) for t in stmt.transactions] == [
        (date(2026, 1, 4), Decimal("-45.10"), "PRLV SEPA EDF REF 123"),
        (date(2026, 1, 3), Decimal("1500.00"), "VIR SEPA ACME SARL F-2026-7"),
    ]
    assert all(t.account_iban == IBAN for t in stmt.transactions)


def test_bnp_like_signed_amount_column() -> None:
    assert bank_csv.detect_map(BNP_LIKE) is bank_csv.FR_AMOUNT
    (stmt,) = bank_csv.parse(BNP_LIKE).statements
    assert [t.amount for t in stmt.transactions] == [Decimal("1234.56"), Decimal("-12.50")]
    assert stmt.transactions[0].remittance == "VIR SEPA RECU /DE ACME /MOTIF F-1"


def test_societe_generale_like_thousands_dot() -> None:
    assert bank_csv.detect_map(SOCIETE_GENERALE_LIKE) == bank_csv.BUILTIN_MAPS[5]
    (tx,) = bank_csv.parse(SOCIETE_GENERALE_LIKE).statements[0].transactions
    assert (tx.amount, tx.currency) == (Decimal("1234.56"), "EUR")


def test_qonto_like_layout() -> None:
    assert bank_csv.detect_map(QONTO_LIKE) is bank_csv.QONTO
    txs = bank_csv.parse(QONTO_LIKE).statements[0].transactions
    assert [(t.booking_date, t.amount, t.counterparty_name, t.bank_ref) for t in txs] == [
        (date(2026, 1, 5), Decimal("-12.50"), "OVH SAS", "tx-0001"),
        (date(2026, 1, 6), Decimal("1500.00"), "ACME", "tx-0002"),
    ]


def test_explicit_map_inverted_sign_and_skip_rows() -> None:
    card_map = bank_csv.CsvMap(
        name="card",
        delimiter=",",
        date_format="%Y-%m-%d",
        decimal_comma=False,
        skip_rows=1,
        sign_convention="inverted",
        columns=bank_csv.CsvColumns(date="When", label="What", amount="How much", reference="Id"),
    )
    data = b"Card statement\nWhen,What,How much,Id\n2026-01-05,Taxi,23.40,c-1\n2026-01-06,Refund,-5.00,c-2\n"
    txs = bank_csv.parse(data, card_map).statements[0].transactions
    assert [(t.amount, t.bank_ref) for t in txs] == [(Decimal("-23.40"), "c-1"), (Decimal("5.00"), "c-2")]
    assert not bank_csv.detect(data)  # not a built-in layout


def test_registry_picks_csv_last() -> None:
    assert bank_registry.detect_format(BNP_LIKE) == "csv"
    assert bank_registry.parse_statement_file(BNP_LIKE).format == "csv"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("32/01/2026;X;1,00;", "line 2, column date"),
        ("05/01/2026;X;1,0a;", "line 2, column debit"),
        ("05/01/2026;X;;", "line 2: both debit and credit are empty"),
    ],
)
def test_bad_rows_name_line_and_column(line: str, message: str) -> None:
    data = f"Date;Libellé;Débit;Crédit\n{line}\n".encode()
    with pytest.raises(FormatError) as caught:
        bank_csv.parse(data)
    assert caught.value.code == "BANK-CSV-INVALID"
    assert message in caught.value.message


def test_unknown_layout() -> None:
    with pytest.raises(FormatError) as caught:
        bank_csv.parse(b"foo;bar\n1;2\n")
    assert caught.value.code == "BANK-CSV-UNKNOWN-LAYOUT"
    assert [p.code for p in bank_csv.validate(b"foo;bar\n1;2\n")] == ["BANK-CSV-UNKNOWN-LAYOUT"]
