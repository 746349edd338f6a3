"""Run the ``encaisse`` CLI in-process, the way the console script does (exit codes included)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Run:
    code: int
    out: str
    err: str


CliRun = Callable[..., Run]


@pytest.fixture
def encaisse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> CliRun:
    """``encaisse("invoice", "list")`` on a scratch SQLite database; returns exit code and output."""
    from encaisse.adapters.cli.main import main

    monkeypatch.setenv("ENCAISSE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ENCAISSE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ENCAISSE_TODAY", "2026-12-04")

    def run(*args: str) -> Run:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["encaisse", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0) if not isinstance(exc.code, str) else 1
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def company_db(encaisse: CliRun) -> CliRun:
    assert encaisse("db", "upgrade").code == 0
    res = encaisse(
        "company",
        "create",
        "--name",
        "Élec Durand SARL",
        "--siren",
        "732829320",
        "--iban",
        "FR7630006000011234567890189",
        "--address",
        "12 rue des Lilas",
        "--city",
        "Lyon",
        "--postcode",
        "69003",
        "--share-capital",
        "10000",
    )
    assert res.code == 0, res.err
    return encaisse
