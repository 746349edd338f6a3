"""The shapes of the CLI contract (shared/DESIGN.md), checked by the workplace's own script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import shared_path


@pytest.mark.slow
def test_check_cli_contract_script() -> None:
    script = shared_path() / "tools" / "check-cli-contract"
    exe = Path(sys.executable).with_name("encaisse")
    if not exe.exists():
        exe = Path(shutil.which("encaisse") or "encaisse")
    res = subprocess.run(
        ["bash", str(script), str(exe)], capture_output=True, text=True, timeout=600, check=False
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "\n0 failed" in res.stdout


def test_invoice_list_json_and_csv_shapes(company_db: Any, tmp_path: Path) -> None:
    (tmp_path / "i.csv").write_text(
        "number,issue_date,due_date,customer_name,customer_siren,total_incl_tax,currency\n"
        "OLD-1,2026-10-05,2026-11-04,Boulangerie Dupont SAS,552100554,1200.00,EUR\n",
        encoding="utf-8",
    )
    assert company_db("import", "invoices", str(tmp_path / "i.csv")).code == 0
    res = company_db("invoice", "list", "--format", "json")
    doc = json.loads(res.out)
    assert doc == [
        {
            "number": "OLD-1",
            "kind": "invoice",
            "status": "issued",
            "customer_name": "Boulangerie Dupont SAS",
            "customer_siren": "552100554",
            "issue_date": "2026-10-05",
            "due_date": "2026-11-04",
            "total_incl_tax": "1200.00",
            "amount_due": "1200.00",
            "currency": "EUR",
        }
    ]
    bad = company_db("invoice", "list", "--format", "xml")
    assert bad.code == 1
    assert "CLI-FORMAT" in bad.err


def test_forecast_on_empty_company(company_db: Any) -> None:
    res = company_db("forecast", "--weeks", "13", "--format", "json")
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    assert doc["currency"] == "EUR"
    assert len(doc["weeks"]) == 13
    assert all(w["expected"] == "0.00" for w in doc["weeks"])


def test_no_company_is_a_clear_error(encaisse: Any) -> None:
    assert encaisse("db", "upgrade").code == 0
    res = encaisse("invoice", "list")
    assert res.code == 1
    assert "error[COMPANY-NOT-FOUND]" in res.err


def test_database_not_migrated_is_a_clear_error(encaisse: Any) -> None:
    res = encaisse("invoice", "list")
    assert res.code == 1
    assert "encaisse db upgrade" in res.err


def test_invoice_create_issue_pdf_and_xml(company_db: Any, tmp_path: Path) -> None:
    from pypdf import PdfReader

    from encaisse.domain.errors import errors_only
    from encaisse.formats.en16931 import validate_cii, validate_ubl

    doc = {
        "customer": {
            "name": "Boulangerie Dupont SAS",
            "siren": "552100554",
            "address": {"line1": "3 place Bellecour", "postcode": "69002", "city": "Lyon"},
        },
        "issue_date": "2026-12-04",
        "supply_date": "2026-12-02",
        "lines": [
            {
                "description": "Main d'œuvre",
                "quantity": "3",
                "unit": "HUR",
                "unit_price": "52.00",
                "vat_rate": "20",
            },
            {
                "description": "Disjoncteur 40 A",
                "quantity": "2",
                "unit_price": "86.50",
                "vat_rate": "20",
                "nature": "goods",
            },
        ],
    }
    (tmp_path / "inv.json").write_text(json.dumps(doc), encoding="utf-8")
    created = company_db("invoice", "create", "--json", str(tmp_path / "inv.json"), "--issue")
    assert created.code == 0, created.err
    assert "F2026-00001 issued (394.80 EUR)" in created.out
    pdf = company_db("invoice", "pdf", "F2026-00001", "-o", str(tmp_path / "f.pdf"))
    assert pdf.code == 0, pdf.err
    embedded = PdfReader(tmp_path / "f.pdf").attachments["factur-x.xml"][0]
    assert errors_only(validate_cii(embedded)) == []
    for syntax, check in (("cii", validate_cii), ("ubl", validate_ubl)):
        out = tmp_path / f"f.{syntax}.xml"
        res = company_db("invoice", "xml", "F2026-00001", "--syntax", syntax, "-o", str(out))
        assert res.code == 0, res.err
        assert errors_only(check(out.read_bytes())) == []
    bad = company_db("invoice", "pdf", "F2099-00001", "-o", str(tmp_path / "x.pdf"))
    assert bad.code == 1
    assert "INVOICE-NOT-FOUND" in bad.err
