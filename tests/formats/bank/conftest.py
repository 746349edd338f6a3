"""Fixtures for the bank statement formats: corpus rows, XSD schemas, golden files."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from encaisse.domain.bank import StatementFile

GOLDEN_DIR = Path(__file__).parent / "golden"
ROOT = Path(__file__).resolve().parents[3]
CORPUS_FOLDERS = ("camt053", "ofx", "mt940", "cfonb120")


def corpora_path() -> Path:
    """Same rule as ``tests/conftest.py`` (needed at collection time, before fixtures exist)."""
    return Path(os.environ.get("ENCAISSE_SHARED_DIR", ROOT.parent / "shared")).resolve() / "corpora"


def read_expected(folder: Path) -> list[dict[str, str]]:
    """Rows of a corpus folder's ``expected.tsv`` as ``{"file", "status", "note"}``."""
    with (folder / "expected.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    return [{"file": r[0], "status": r[1], "note": r[2] if len(r) > 2 else ""} for r in rows[1:] if r]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``corpus_row``: one (folder name, expected.tsv row) per corpus sample."""
    if "corpus_row" in metafunc.fixturenames:
        params = []
        for name in CORPUS_FOLDERS:
            folder = corpora_path() / name
            if (folder / "expected.tsv").exists():
                params += [
                    pytest.param((name, row), id=f"{name}/{row['file']}") for row in read_expected(folder)
                ]
        metafunc.parametrize("corpus_row", params)


def dump(parsed: StatementFile) -> dict[str, Any]:
    """A normalized, JSON-ready view of a parsed file (amounts and dates as strings)."""

    def value(v: object) -> object:
        return None if v is None else str(v)

    return {
        "format": parsed.format,
        "statements": [
            {
                "account_iban": s.account_iban,
                "currency": s.currency,
                "statement_id": s.statement_id,
                "bic": s.bic,
                "account_holder": s.account_holder,
                "opening_balance": value(s.opening_balance),
                "closing_balance": value(s.closing_balance),
                "opening_date": value(s.opening_date),
                "closing_date": value(s.closing_date),
                "transactions": [
                    {
                        "booking_date": str(t.booking_date),
                        "value_date": value(t.value_date),
                        "amount": str(t.amount),
                        "currency": t.currency,
                        "counterparty_name": t.counterparty_name,
                        "counterparty_iban": t.counterparty_iban,
                        "remittance": t.remittance,
                        "structured_reference": t.structured_reference,
                        "end_to_end_id": t.end_to_end_id,
                        "bank_ref": t.bank_ref,
                        "bank_code": t.bank_code,
                        "account_iban": t.account_iban,
                    }
                    for t in s.transactions
                ],
            }
            for s in parsed.statements
        ],
        "problems": [
            {"code": p.code, "severity": str(p.severity), "message": p.message} for p in parsed.problems
        ],
    }


@pytest.fixture
def golden() -> Callable[[str, StatementFile], None]:
    """Compare a parsed file with ``golden/<name>.json``; ENCAISSE_UPDATE_GOLDEN=1 rewrites it."""

    def check(name: str, parsed: StatementFile) -> None:
        path = GOLDEN_DIR / f"{name}.json"
        current = dump(parsed)
        if os.environ.get("ENCAISSE_UPDATE_GOLDEN") == "1":
            GOLDEN_DIR.mkdir(exist_ok=True)
            path.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        assert path.exists(), f"golden file {path.name} missing: run with ENCAISSE_UPDATE_GOLDEN=1"
        assert current == json.loads(path.read_text(encoding="utf-8"))

    return check


@pytest.fixture(scope="session")
def camt_schema_02(corpora: Path) -> etree.XMLSchema:
    """The ISO camt.053.001.02 XSD (tests only: not available at runtime)."""
    return etree.XMLSchema(etree.parse(str(corpora / "camt053" / "xsd" / "camt.053.001.02.xsd")))
