"""Banque page (issue "Bank" §1): statement upload in every corpus format, idempotent re-import,
refused files in French with nothing stored, the transactions list, its filters and CSV export.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from encaisse.domain.bank import BankTransaction, Statement
from encaisse.formats import camt053
from encaisse.services.bank_import import import_statement

from .conftest import Client, World, table_counts

IBAN = "FR7630006000011234567890189"
OTHER_IBAN = "FR7610107001011234567890129"
#: (corpus file, transactions it holds): the counts of each folder's expected.tsv / parser tests.
SAMPLES = [
    ("camt053/oca_test-camt053.xml", 4, "CAMT.053"),  # 3 entries, one batch split in 2
    ("ofx/ofxparse_bank_medium.ofx", 3, "OFX"),
    ("mt940/jejik_abnamro.sta", 10, "MT940"),
    ("cfonb120/pennylane_example.txt", 6, "CFONB 120"),
]
BNP_LIKE_CSV = (
    "Date;Libellé;Montant\n"
    "04/01/2026;VIR SEPA RECU /DE ACME /MOTIF F-1;1 234,56\n"
    "05/01/2026;FRAIS TENUE DE COMPTE;-12,50\n"
).encode()


def send(client: Client, data: bytes, name: str, iban: str = "") -> Any:
    return client.post(
        "/banque/releves", {"account_iban": iban}, files={"fichier": (name, data, "application/octet-stream")}
    )


def shown(response: Any) -> str:
    """The page's text as a reader sees it (entities such as &#39; decoded)."""
    return html.unescape(response.text)


def flashes(client: Client) -> str:
    page = client.get("/banque")
    assert page.status_code == 200
    return " ".join(re.findall(r'<div class="flash [a-z]+" role="status">([^<]*)</div>', shown(page)))


def tx_count(world: World, company_id: int) -> int:
    with world.uow.read() as repo:
        return repo.count_transactions(company_id)


@pytest.mark.parametrize(("name", "count", "label"), SAMPLES)
def test_upload_each_format_then_reupload_adds_nothing(
    world: World, client_for: Any, corpora: Path, name: str, count: int, label: str
) -> None:
    staff = client_for(world.a.staff_email)
    data = (corpora / name).read_bytes()
    before = tx_count(world, world.a.company_id)
    response = send(staff, data, Path(name).name)
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == "/banque"
    assert f"{count} nouvelles opérations, 0 déjà importée (relevé {label})." in flashes(staff)
    assert tx_count(world, world.a.company_id) == before + count
    again = send(staff, data, Path(name).name)
    assert again.status_code == 303
    assert f"0 nouvelle opération, {count} déjà importées (relevé {label})." in flashes(staff)
    assert tx_count(world, world.a.company_id) == before + count


def test_csv_needs_the_account_iban(world: World, client_for: Any) -> None:
    owner = client_for(world.a.owner_email)
    before = table_counts(world.url)
    refused = send(owner, BNP_LIKE_CSV, "export.csv")
    assert refused.status_code == 422
    assert "indiquez l'IBAN du compte" in shown(refused)
    assert table_counts(world.url) == before
    bad_iban = send(owner, BNP_LIKE_CSV, "export.csv", iban="FR76 0000")
    assert bad_iban.status_code == 422
    assert "Cet IBAN n'est pas valide" in shown(bad_iban)
    assert 'value="FR76 0000"' in shown(bad_iban)  # the typed value is shown back
    assert table_counts(world.url) == before
    ok = send(owner, BNP_LIKE_CSV, "export.csv", iban="FR76 1010 7001 0112 3456 7890 129")
    assert ok.status_code == 303
    assert "2 nouvelles opérations, 0 déjà importée (relevé CSV)." in flashes(owner)
    with world.uow.read() as repo:
        ibans = {a.iban for a in repo.list_accounts(world.a.company_id)}
    assert OTHER_IBAN in ibans


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("camt053/genkgo_camt053.v2.wrong.xml", ["Le relevé CAMT est mal formé. (ligne 3)"]),
        ("cfonb120/pennylane_invalid_date.txt", ["Le relevé CFONB 120 est mal formé. (ligne 1)"]),
        ("mt940/oca_test-ing.940", ["Le relevé MT940 est mal formé. (ligne 6)"]),
        ("ofx/ofxparse_fail_decimal_error.ofx", ["Le relevé OFX est mal formé."]),
        ("mt940/selfprovided_invalid_statement.sta", ["Format de fichier non reconnu"]),
        ("facturx/valid/pdf/EN16931_Einfach.pdf", ["Format de fichier non reconnu"]),  # not a statement
        ("camt053/SOURCES.md", ["Format de fichier non reconnu"]),
    ],
)
def test_refused_files_explain_in_french_and_store_nothing(
    world: World, client_for: Any, corpora: Path, name: str, expected: list[str]
) -> None:
    staff = client_for(world.a.staff_email)
    before = table_counts(world.url)
    response = send(staff, (corpora / name).read_bytes(), Path(name).name)
    assert response.status_code == 422
    assert "Rien n'a été importé." in shown(response)
    for sentence in expected:
        assert sentence in shown(response)
    assert table_counts(world.url) == before


def test_wrong_account_truncated_empty_and_missing_file(world: World, client_for: Any) -> None:
    staff = client_for(world.a.staff_email)
    tx = BankTransaction(date(2026, 3, 2), Decimal("80.00"), remittance="VIREMENT X", bank_ref="W-1")
    data = camt053.export(
        [Statement(IBAN, "EUR", (tx,), Decimal(0), Decimal(80), date(2026, 3, 1), date(2026, 3, 2), "S")]
    )
    before = table_counts(world.url)
    wrong = send(staff, data, "releve.xml", iban=OTHER_IBAN)
    assert wrong.status_code == 422
    assert "Ce relevé concerne un autre compte que l'IBAN indiqué." in shown(wrong)
    truncated = send(staff, data[: len(data) // 2], "releve.xml")
    assert truncated.status_code == 422
    assert "Rien n'a été importé." in shown(truncated)
    empty = send(staff, b"", "vide.xml")
    assert empty.status_code == 422
    assert "Le fichier envoyé est vide." in shown(empty)
    missing = staff.post("/banque/releves", {"account_iban": ""})
    assert missing.status_code == 422
    assert "Choisissez le fichier du relevé" in shown(missing)
    assert table_counts(world.url) == before


def test_a_body_above_the_app_limit_is_refused_without_a_crash(world: World, client_for: Any) -> None:
    staff = client_for(world.a.staff_email)
    before = table_counts(world.url)
    response = send(staff, b"0" * (3 * 1024 * 1024), "gros.sta")
    assert response.status_code in (413, 422)
    assert table_counts(world.url) == before


def test_duplicate_bank_references_in_one_file_never_crash(
    world: World, client_for: Any, corpora: Path
) -> None:
    """cmxl_mt940.sta repeats a bank reference: the page answers, never a 500, and stores nothing half."""
    staff = client_for(world.a.staff_email)
    before = tx_count(world, world.a.company_id)
    response = send(staff, (corpora / "mt940/cmxl_mt940.sta").read_bytes(), "cmxl.sta")
    assert response.status_code in (303, 422), response.status_code
    if response.status_code == 422:
        assert "même référence bancaire" in shown(response)
        assert tx_count(world, world.a.company_id) == before


def test_list_shows_amounts_statuses_filters_and_csv(world: World) -> None:
    w = world  # company B: no transaction before this test
    cid = w.b.company_id
    txs = (
        BankTransaction(
            date(2026, 3, 2), Decimal("1500.00"), counterparty_name="ACME SAS", remittance="VIR ACME"
        ),
        BankTransaction(date(2026, 3, 3), Decimal("-12.50"), remittance="=FRAIS TENUE DE COMPTE"),
    )
    data = camt053.export(
        [Statement(IBAN, "EUR", txs, Decimal(0), Decimal("1487.50"), date(2026, 3, 1), date(2026, 3, 3), "S")]
    )
    import_statement(w.uow, cid, data)
    with w.uow() as repo:
        (fee,) = [s for s in repo.list_transactions(cid) if s.tx.amount < 0]
        repo.set_transaction_category(cid, fee.id, "bank_fees")
    client = Client(w.app).login(w.b.accountant_email)
    page = client.get("/banque")
    assert page.status_code == 200
    assert "Importer un relevé" not in shown(page)  # the accountant reads only
    assert "1\u202f487,50\xa0€" in shown(page)
    assert "02/03/2026" in shown(page)
    assert re.search(r'class="num amount credit">\+1\u202f500,00\xa0€<', page.text)
    assert re.search(r'class="num amount debit">-12,50\xa0€<', page.text)
    assert "Frais bancaires" in shown(page)
    assert page.text.index("=FRAIS TENUE") < page.text.index("VIR ACME")  # newest first
    todo = client.get("/banque?etat=a_rapprocher").text
    assert "VIR ACME" in todo
    assert "FRAIS TENUE" not in todo
    filed = client.get("/banque?etat=categorisees").text
    assert "FRAIS TENUE" in filed
    assert "VIR ACME" not in filed
    assert "Aucune opération ne correspond." in client.get("/banque?etat=rapprochees").text
    assert client.get("/banque?etat=nimportequoi&page=999999999&compte=%00").status_code == 200
    export = client.get("/banque.csv")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [(r["amount"], r["status"], r["category"]) for r in rows] == [
        ("1500.00", "open", ""),
        ("-12.50", "categorized", "bank_fees"),
    ]
    assert rows[1]["remittance"] == "'=FRAIS TENUE DE COMPTE"  # no spreadsheet formula
    only_todo = list(
        csv.DictReader(io.StringIO(client.get("/banque.csv?etat=a_rapprocher").text.lstrip("\ufeff")))
    )
    assert [r["amount"] for r in only_todo] == ["1500.00"]


def test_accountant_cannot_upload_and_companies_are_separate(world: World, client_for: Any) -> None:
    accountant = client_for(world.a.accountant_email)
    tx = BankTransaction(date(2026, 4, 2), Decimal("42.00"), remittance="SECRET DE A", bank_ref="SEC-1")
    data = camt053.export(
        [Statement(IBAN, "EUR", (tx,), Decimal(0), Decimal(42), date(2026, 4, 1), date(2026, 4, 2), "S")]
    )
    before = table_counts(world.url)
    refused = send(accountant, data, "releve.xml")
    assert refused.status_code == 403
    assert refused.headers["x-error-code"] == "FORBIDDEN-ROLE"
    assert table_counts(world.url) == before
    send(client_for(world.a.owner_email), data, "releve.xml")
    other = client_for(world.b.owner_email)
    assert "SECRET DE A" not in other.get("/banque").text
    assert "SECRET DE A" not in other.get("/banque.csv").text
    assert "SECRET DE A" in client_for(world.a.owner_email).get("/banque").text
    b_before = tx_count(world, world.b.company_id)
    assert send(other, data, "releve.xml", iban="").status_code == 303  # B's own copy, its own account
    assert tx_count(world, world.b.company_id) == b_before + 1
