"""Accounting use cases over the store: the demo company's FEC passes every FEC-* check; a small
fixed company gives exact VAT, aged receivables and DSO figures; the monthly package; the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from encaisse.adapters.cli import commands_accounting
from encaisse.adapters.store.db import make_engine, upgrade
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.domain.bank import BankTransaction
from encaisse.domain.documents import Line, LineNature
from encaisse.domain.errors import Problem
from encaisse.domain.ledger import Period, balance_check, sequence_check
from encaisse.domain.parties import Company, VatRegime
from encaisse.formats import fec
from encaisse.services import accounting, invoicing
from encaisse.services.companies import update_company
from encaisse.services.demo import load_demo
from tests_support import draft, new_company, new_customer

DEMO_TODAY = date(2026, 12, 4)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[SqlUnitOfWork, int]:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    upgrade(url)
    uow = SqlUnitOfWork(make_engine(url))
    load_demo(uow, seed=1, today=DEMO_TODAY)
    with uow() as repo:
        return uow, repo.list_companies()[0].id or 0


@pytest.mark.parametrize("year", [2025, 2026])
def test_demo_fec_passes_every_check(demo: tuple[SqlUnitOfWork, int], year: int) -> None:
    uow, cid = demo
    started = time.perf_counter()
    result = accounting.export_fec(uow, cid, year)
    elapsed = time.perf_counter() - started
    assert result.problems == ()
    assert re.fullmatch(r"\d{9}FEC\d{8}\.txt", result.filename)
    assert result.filename.endswith(f"FEC{year}1231.txt")
    assert fec.validate(result.data, period=Period.fiscal_year(year), name=result.filename) == []
    assert result.data.split(b"\r\n")[0].decode().split("\t") == list(fec.COLUMNS)
    book = accounting.books(uow, cid, year)
    assert all(e.total_debit == e.total_credit for e in book.entries)
    assert balance_check(book.entries) == []
    assert sequence_check(book.entries) == []
    numbers: dict[str, list[int]] = defaultdict(list)
    for e in book.entries:
        numbers[e.journal].append(int(e.number[2:]))
    assert all(n == list(range(1, len(n) + 1)) for n in numbers.values())
    assert {"VE", "BQ"} <= set(numbers)
    assert result.lines > 1000
    assert elapsed < 5, f"FEC of the demo year took {elapsed:.1f} s"


def test_demo_books_letter_paid_invoices(demo: tuple[SqlUnitOfWork, int]) -> None:
    uow, cid = demo
    book = accounting.books(uow, cid, 2026)
    with uow() as repo:
        paid = {
            i.number
            for i in repo.load_invoices(cid)
            if i.status.value == "paid" and i.issue_date.year == 2026
        }
    lines = [ln for e in book.entries for ln in e.lines if ln.account == "411" and ln.match_ref in paid]
    assert lines
    assert all(ln.lettering for ln in lines), "a paid 2026 invoice is left unlettered"
    total = sum((e.total_debit for e in book.entries), D(0))
    assert total == sum((e.total_credit for e in book.entries), D(0))


# ---- a small fixed company -----------------------------------------------------------------------------------
@dataclass
class Shop:
    uow: SqlUnitOfWork
    company: Company
    numbers: list[str]


@pytest.fixture
def shop(sqlite_url: str) -> Shop:
    uow = SqlUnitOfWork(make_engine(sqlite_url))
    company = new_company(uow)
    customer = new_customer(uow, company)
    cid = company.id or 0

    def issue(day: date, due: date, *lines: Line) -> Any:
        created = invoicing.create_draft(
            uow,
            draft(
                company,
                customer,
                issue_date=day,
                supply_date=day,
                due_date=due,
                **({"lines": lines} if lines else {}),
            ),
        )
        return invoicing.issue(uow, cid, created.id or 0)

    f1 = issue(date(2026, 10, 5), date(2026, 11, 4))  # 288.00 services + 173.00 goods at 20 %: 553.20
    f2 = issue(date(2026, 11, 3), date(2026, 11, 18), Line("Rénovation", D(1), D("1000.00"), vat_rate=D(10)))
    f3 = issue(
        date(2026, 11, 20), date(2027, 1, 4), Line("Borne", D(1), D("1200.00"), nature=LineNature.GOODS)
    )
    note = invoicing.create_credit_note(
        uow,
        cid,
        f3.id,
        date(2026, 11, 25),
        lines=(Line("Borne", D(1), D("200.00"), nature=LineNature.GOODS),),
    )
    invoicing.record_payment(uow, cid, f1.id, D("553.20"), date(2026, 11, 2))
    invoicing.record_payment(uow, cid, f2.id, D("500.00"), date(2026, 11, 30), method="cheque")
    with uow() as repo:
        account = repo.get_or_create_account(cid, "FR7630006000011234567890189")
        fee = BankTransaction(date(2026, 11, 30), D("-12.50"), remittance="FRAIS TENUE DE COMPTE")
        other = BankTransaction(date(2026, 11, 27), D("-100.00"), remittance="PRLV INCONNU")
        repo.add_transactions(cid, account, [(fee, "T1", "k1"), (other, "T2", "k2")], None)
        fee_id = repo.list_transactions(cid)[-1].id
        repo.set_transaction_category(cid, fee_id, "bank_fees")
    return Shop(uow, company, [f1.number, f2.number, f3.number, note.number])


def test_vat_report_exact_on_debits(shop: Shop) -> None:
    cid = shop.company.id or 0
    october = accounting.vat_report(shop.uow, cid, 2026, 10)
    assert [(r.rate, r.base, r.tax) for r in october.collected] == [(D(20), D("461.00"), D("92.20"))]
    november = accounting.vat_report(shop.uow, cid, 2026, 11)
    assert [(r.rate, r.base, r.tax) for r in november.collected] == [
        (D(20), D("1000.00"), D("200.00")),  # 1200 invoiced - 200 credited
        (D(10), D("1000.00"), D("100.00")),
    ]
    assert (november.collected_total, november.deductible, november.net_due, november.pending) == (
        D("300.00"),
        D(0),
        D("300.00"),
        D(0),
    )


def test_vat_report_exact_on_collection(shop: Shop) -> None:
    """VAT-CHARGEABLE-SERVICES: the services VAT is due in the month it is collected."""
    update_company(shop.uow, replace(shop.company, vat_regime=VatRegime.COLLECTION))
    cid = shop.company.id or 0
    october = accounting.vat_report(shop.uow, cid, 2026, 10)
    assert (october.collected_total, october.pending) == (D("34.60"), D("57.60"))  # goods now, services later
    november = accounting.vat_report(shop.uow, cid, 2026, 11)
    # F1's 57.60 collected in full, F2's 100.00 × 500/1100 = 45.45, F3's goods 240 - 40 at once
    assert november.collected_total == D("303.05")
    assert november.pending == D("54.55")
    assert [(r.rate, r.tax) for r in november.collected] == [(D(20), D("257.60")), (D(10), D("45.45"))]


def test_aged_receivables_and_dso_exact(shop: Shop) -> None:
    report = accounting.receivables(shop.uow, shop.company.id or 0, date(2026, 12, 31))
    assert report.aged.totals == (D("1200.00"), D(0), D("600.00"), D(0), D(0))  # F3 not due; F2 43 days late
    assert [r.total for r in report.aged.rows] == [D("1800.00")]
    # sales of the last 90 days 553.20 + 1100 + 1440 - 240 = 2853.20; 1800 / 2853.20 × 90
    assert report.dso == D("56.8")


def test_fec_of_the_shop_has_every_entry(shop: Shop) -> None:
    result = accounting.export_fec(shop.uow, shop.company.id or 0, 2026)
    assert result.problems == ()
    assert result.filename == "732829320FEC20261231.txt"
    text = result.data.decode("iso-8859-15")
    for number in shop.numbers:
        assert f"\t{number}\t" in text
    assert "\t627\tServices bancaires et assimilés\t" in text
    assert "\t471\tCompte d'attente\t" in text  # the uncategorised bank line waits on 471
    assert text.count("\tBQ\t") == 0  # JournalCode is first: never preceded by a tab
    journals = {row.split("\t")[0] for row in text.split("\r\n")[1:] if row}
    assert journals == {"VE", "BQ"}


def test_monthly_package_holds_the_month_entries_and_pdfs(shop: Shop) -> None:
    rendered: list[str] = []

    def fake_pdf(repo: Any, company: Company, invoice: Any) -> bytes:
        rendered.append(invoice.number)
        return b"%PDF-1.7 " + invoice.number.encode()

    package = accounting.monthly_package(shop.uow, shop.company.id or 0, 2026, 11, render_pdf=fake_pdf)
    assert package.filename == "732829320_comptabilite_2026-11.zip"
    archive = zipfile.ZipFile(io.BytesIO(package.data))
    names = archive.namelist()
    assert names[:2] == ["ecritures_2026-11.csv", "LISEZMOI.txt"]
    assert sorted(names[2:]) == sorted(f"factures/{n}.pdf" for n in shop.numbers[1:])
    assert sorted(rendered) == sorted(shop.numbers[1:])
    raw = archive.read("ecritures_2026-11.csv")
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert tuple(rows[0]) == fec.COLUMNS
    assert {r[3][:6] for r in rows[1:]} == {"202611"}
    assert {r[0] for r in rows[1:]} == {"VE", "BQ"}
    debit = sum(D(r[11].replace(",", ".")) for r in rows[1:])
    assert debit == sum(D(r[12].replace(",", ".")) for r in rows[1:])
    assert package.entries == len({(r[0], r[2]) for r in rows[1:]})
    summary = archive.read("LISEZMOI.txt").decode()
    assert "TVA nette due : 300,00 EUR" in summary
    again = accounting.monthly_package(shop.uow, shop.company.id or 0, 2026, 11, render_pdf=fake_pdf)
    assert again.data == package.data  # the same month gives the same bytes


def test_package_cells_never_run_as_formulas() -> None:
    assert accounting.journal_csv([]).decode("utf-8-sig").strip() == ";".join(fec.COLUMNS)
    assert [accounting._safe_cell(v) for v in ("=HYPERLINK()", "-12,50", "+33", "@x", "AB")] == [
        "'=HYPERLINK()",
        "-12,50",
        "+33",
        "'@x",
        "AB",
    ]


# ---- the CLI commands (registered on a Typer app of their own until main wires them) ----------------------------
@pytest.fixture
def cli(shop: Shop, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ENCAISSE_DATABASE_URL", sqlite_url)
    app = typer.Typer()
    commands_accounting.register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_cli_fec_export_writes_the_file_and_prints_its_path(cli: Any, tmp_path: Path, shop: Shop) -> None:
    res = cli("fec", "export", "--year", "2026", "-o", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    path = Path(res.stdout.strip())
    assert path == tmp_path / "out" / "732829320FEC20261231.txt"
    assert path.read_bytes() == accounting.export_fec(shop.uow, shop.company.id or 0, 2026).data
    res = cli("fec", "validate", str(path), "--year-end", "2026-12-31")
    assert res.exit_code == 0
    assert "valid FEC" in res.stdout


def test_cli_fec_export_refuses_a_file_that_fails_its_checks(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = accounting.export_fec

    def broken(*args: Any) -> accounting.FecExport:
        result = real(*args)
        return replace(result, problems=(Problem("FEC-BALANCED", "entry VE000001 does not balance"),))

    monkeypatch.setattr(accounting, "export_fec", broken)
    res = cli("fec", "export", "--year", "2026", "-o", str(tmp_path / "out"))
    assert res.exit_code == 1
    assert "error[FEC-BALANCED]" in res.stderr
    assert not (tmp_path / "out").exists()


def test_cli_vat_report_json_and_usage(cli: Any) -> None:
    res = cli("vat", "report", "--month", "2026-11", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["collected"] == [
        {"rate": "20", "base": "1000.00", "vat": "200.00"},
        {"rate": "10", "base": "1000.00", "vat": "100.00"},
    ]
    assert (doc["net_due"], doc["net_due_euros"], doc["period"]["end"]) == ("300.00", "300", "2026-11-30")
    assert cli("vat", "report", "--month", "2026-13").exit_code == 2
