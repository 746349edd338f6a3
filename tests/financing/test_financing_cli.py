"""The payables / dailly / factoring commands on a Typer app of their own (SQLite), real PDFs included."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer
from pypdf import PdfReader
from typer.testing import CliRunner

from encaisse.adapters.cli import commands_financing
from encaisse.domain.financing import FACTORING_HEADER
from encaisse.domain.parties import Company
from encaisse.formats import pain001
from encaisse.services import invoicing
from financing.financing_support import add_received, new_supplier
from tests_support import draft, new_company, new_customer

BANK = "Banque Populaire Auvergne Rhône Alpes"


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer(no_args_is_help=True)
    commands_financing.register(app)
    return app


@pytest.fixture
def store(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from encaisse.adapters.store.db import make_engine
    from encaisse.adapters.store.sql_repository import SqlUnitOfWork

    monkeypatch.setenv("ENCAISSE_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ENCAISSE_TODAY", "2026-12-04")
    engine = make_engine(sqlite_url)
    yield SqlUnitOfWork(engine)
    engine.dispose()


def run(app: typer.Typer, *args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() for page in PdfReader(path).pages)


def test_payables_approve_batch_and_list(app: typer.Typer, store: Any, tmp_path: Path) -> None:
    company: Company = new_company(store)
    supplier = new_supplier(store, company)
    add_received(store, company, supplier, "A-1", due=date(2026, 12, 1))
    add_received(
        store,
        company,
        supplier,
        "A-2",
        due=date(2026, 12, 3),
        iban="DE89370400440532013000",
        status="iban_changed",
    )

    out = tmp_path / "out" / "virements.xml"
    refused = run(app, "payables", "batch", "--until", "2026-12-31", "-o", str(out))
    assert refused.exit_code == 1
    assert "error[PAY-NOTHING-TO-PAY]" in refused.output
    assert not out.exists()

    for number in ("A-1", "A-2"):
        approved = run(app, "payables", "approve", number, "--supplier", supplier.siren)
        assert approved.exit_code == 0, approved.output
    assert "IBAN changed" in approved.output
    done = run(app, "payables", "batch", "--until", "2026-12-31", "-o", str(out))
    assert done.exit_code == 0, done.output
    assert "1 transfer(s), 1200.00 EUR, execution 2026-12-04" in done.output
    assert "PAY-IBAN-CHANGED" in done.output
    assert pain001.validate(out.read_bytes()) == []

    confirmed = run(
        app, "payables", "confirm-iban", "--supplier", supplier.siren, "--iban", "DE89 3704 0044 0532 0130 00"
    )
    assert confirmed.exit_code == 0
    assert "1 invoice(s)" in confirmed.output
    second = tmp_path / "second.xml"
    assert (
        run(
            app, "payables", "batch", "--until", "2026-12-31", "-o", str(second), "--pain-version", "09"
        ).exit_code
        == 0
    )
    assert pain001.parse(second.read_bytes()).instructions[0].creditor_iban == "DE89370400440532013000"

    listed = run(app, "payables", "batches", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(listed.output)))
    assert [(r["count"], r["total"], r["version"]) for r in rows] == [
        ("1", "1200.00", "09"),
        ("1", "1200.00", "03"),
    ]
    again = tmp_path / "again.xml"
    assert run(app, "payables", "xml", rows[1]["id"], "-o", str(again)).exit_code == 0
    assert again.read_bytes() == out.read_bytes()


def test_dailly_assign_writes_the_bordereau_and_notifications(
    app: typer.Typer, store: Any, tmp_path: Path
) -> None:
    company = new_company(store)
    dupont = new_customer(store, company)
    garage = new_customer(store, company, name="Garage Central", siren="542065479")
    issued = invoicing.create_and_issue(
        store,
        [
            draft(company, dupont, due_date=date(2027, 1, 18)),
            draft(company, garage, due_date=date(2027, 1, 18)),
        ],
    )
    numbers = [inv.number for inv in issued]
    result = run(
        app,
        "dailly",
        "assign",
        *numbers,
        "--bank",
        BANK,
        "--bank-iban",
        "FR7610907000011234567890172",
        "-o",
        str(tmp_path / "dailly"),
    )
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "dailly").iterdir())
    assert files == [
        "bordereau.pdf",
        "notification_01_boulangerie-dupont.pdf",
        "notification_02_garage-central.pdf",
    ]
    slip = " ".join(pdf_text(tmp_path / "dailly" / "bordereau.pdf").split())
    assert "Acte de cession de créances professionnelles" in slip  # DAILLY-BORDEREAU-TITLE
    assert "articles L. 313-23 à L. 313-34 du Code monétaire et financier" in slip  # -LAW
    assert f"cessionnaire (bénéficiaire) : {BANK}" in slip.replace("\xa0", " ")  # -BANK
    for number in numbers:  # -LIST
        assert number in slip
    assert "Boulangerie Dupont" in slip
    assert "Garage Central" in slip
    assert "18/01/2027" in slip
    notice = " ".join(pdf_text(tmp_path / "dailly" / "notification_02_garage-central.pdf").split())
    assert "Notification de cession de créances professionnelles" in notice
    assert numbers[1] in notice
    assert numbers[0] not in notice
    assert "FR76 1090 7000 0112 3456 7890 172" in notice

    twice = run(app, "dailly", "assign", numbers[0], "--bank", BANK, "-o", str(tmp_path / "again"))
    assert twice.exit_code == 1
    assert "error[FIN-ALREADY-ASSIGNED]" in twice.output


def test_factoring_export_csv(app: typer.Typer, store: Any, tmp_path: Path) -> None:
    company = new_company(store)
    dupont = new_customer(store, company)
    (inv,) = invoicing.create_and_issue(store, [draft(company, dupont, due_date=date(2027, 1, 18))])
    out = tmp_path / "factor.csv"
    result = run(
        app,
        "factoring",
        "export",
        inv.number,
        "-o",
        str(out),
        "--factor",
        "BNP Paribas Factor",
        "--factor-iban",
        "FR7630004000031234567890143",
    )
    assert result.exit_code == 0, result.output
    assert "FACT-INVOICE-MENTION" in result.output  # the address is missing: a warning
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == FACTORING_HEADER
    assert rows[0]["invoice_number"] == inv.number
    assert rows[0]["subrogation_mention"].startswith("Pour être libératoire, le règlement de cette facture")
    missing = run(app, "factoring", "export", inv.number, "-o", str(out))
    assert missing.exit_code == 2  # usage: --factor is required
