"""``encaisse import invoices``: all-or-nothing, every bad row reported with line and field, idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

HEADER = "number,issue_date,due_date,customer_name,customer_siren,total_incl_tax,currency\n"
GOOD = HEADER + (
    "OLD-1,2026-10-05,2026-11-04,Boulangerie Dupont SAS,552100554,1200.00,EUR\n"
    "OLD-2,2026-10-12,2026-11-11,Boulangerie Dupont SAS,552100554,240.50,EUR\n"
    "OLD-3,2026-11-02,2026-12-02,M. Jean Martin,,99.90,EUR\n"
)


def write(tmp_path: Path, text: str | bytes, name: str = "in.csv") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def listing(run: Any) -> str:
    res = run("invoice", "list", "--format", "csv")
    assert res.code == 0
    return str(res.out)


def test_import_then_reimport_changes_nothing(company_db: Any, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    first = company_db("import", "invoices", path)
    assert first.code == 0, first.err
    assert "3 invoice(s) imported" in first.out
    before = listing(company_db)
    again = company_db("import", "invoices", path)
    assert again.code == 0
    assert "0 invoice(s) imported, 3 already present" in again.out
    assert listing(company_db) == before
    rows = before.strip().splitlines()
    assert rows[0] == (
        "number,kind,status,customer_name,customer_siren,issue_date,due_date,total_incl_tax,amount_due,currency"
    )
    assert any(
        r.startswith(
            "OLD-1,invoice,issued,Boulangerie Dupont SAS,552100554,2026-10-05,2026-11-04,1200.00,1200.00,EUR"
        )
        for r in rows
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            HEADER + "X-1,2026-13-01,2026-02-04,Client,552100554,10.00,EUR\n",
            ["line 2", "issue_date", "IMPORT-DATE"],
            id="date-wrong-format",
        ),
        pytest.param(
            HEADER + "X-1,2026-01-05,2026-02-04,Client,552100555,10.00,EUR\n",
            ["line 2", "customer_siren", "SIREN-INVALID"],
            id="invalid-siren",
        ),
        pytest.param(
            HEADER + "X-1,2026-01-05,2026-02-04,Client,552100554,-10.00,EUR\n",
            ["line 2", "total_incl_tax", "IMPORT-AMOUNT"],
            id="negative-amount",
        ),
        pytest.param(
            HEADER + "X-1,2026-01-05,2026-02-04,Client,552100554,abc,EUR\n",
            ["line 2", "total_incl_tax"],
            id="not-an-amount",
        ),
        pytest.param(
            HEADER + "X-1,2026-01-05,2026-02-04,Client,552100554,10.00\n",
            ["line 2", "IMPORT-ROW-SHAPE"],
            id="missing-field",
        ),
        pytest.param(
            "number,date,customer,total\nX-1,2026-01-05,Client,10\n",
            ["line 1", "IMPORT-COLUMNS", "missing columns", "unknown columns"],
            id="unknown-columns",
        ),
        pytest.param(
            HEADER + 'X-1,2026-01-05,2026-02-04,"Client,552100554,10.00,EUR\n',
            ["IMPORT"],
            id="malformed-quotes",
        ),
        pytest.param(
            (HEADER + "X-1,2026-01-05,2026-02-04,Société Générale,552100554,10.00,EUR\n").encode("cp1252"),
            ["IMPORT-ENCODING", "UTF-8"],
            id="not-utf8",
        ),
        pytest.param("", ["IMPORT-EMPTY"], id="empty"),
    ],
)
def test_bad_input_exit_1_and_database_unchanged(
    company_db: Any, tmp_path: Path, content: str | bytes, expected: list[str]
) -> None:
    assert company_db("import", "invoices", write(tmp_path, GOOD, "good.csv")).code == 0
    before = listing(company_db)
    # a good row first, then the bad one: nothing at all may be imported
    res = company_db("import", "invoices", write(tmp_path, content))
    assert res.code == 1
    for fragment in expected:
        assert fragment in res.err, res.err
    assert res.err.startswith("error[")
    assert listing(company_db) == before


def test_every_bad_row_reported(company_db: Any, tmp_path: Path) -> None:
    content = HEADER + (
        "A-1,2026-01-05,2026-02-04,Client,552100554,10.00,EUR\n"
        "A-2,05/13/2026,2026-02-04,Client,552100554,10.00,EUR\n"
        "A-3,2026-01-05,2026-02-04,,552100554,10.00,EUR\n"
        "A-1,2026-01-05,2026-02-04,Client,552100554,10.00,EUR\n"
    )
    res = company_db("import", "invoices", write(tmp_path, content))
    assert res.code == 1
    assert "line 3, field issue_date" in res.err
    assert "line 4, field customer_name" in res.err
    assert "line 5, field number" in res.err
    assert "OLD" not in listing(company_db)
    assert listing(company_db).count("\n") == 1


def test_reimport_with_two_spellings_of_one_customer(company_db: Any, tmp_path: Path) -> None:
    content = HEADER + (
        "S-1,2026-10-05,2026-11-04,Boulangerie Dupont SAS,552100554,100.00,EUR\n"
        "S-2,2026-10-06,2026-11-05,BOULANGERIE DUPONT,552100554,200.00,EUR\n"
    )
    path = write(tmp_path, content)
    assert company_db("import", "invoices", path).code == 0
    again = company_db("import", "invoices", path)
    assert again.code == 0, again.err
    assert "0 invoice(s) imported, 2 already present" in again.out
