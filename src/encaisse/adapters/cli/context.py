"""What every CLI command needs: settings, engine, unit of work, the company, and output helpers."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import typer
from sqlalchemy.engine import Engine

from encaisse.adapters.store.db import make_engine
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.domain.errors import EncaisseError, Problem
from encaisse.domain.parties import Company
from encaisse.services.companies import resolve_company
from encaisse.settings import Settings, load_settings

CompanyOpt = typer.Option(None, "--company", help="SIREN of the company (when the database holds several)")
FormatOpt = typer.Option("table", "--format", help="table, csv or json")


@dataclass
class Cli:
    company_siren: str | None = None

    @cached_property
    def settings(self) -> Settings:
        return load_settings()

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    @cached_property
    def company(self) -> Company:
        with self.uow.read() as repo:
            return resolve_company(repo, self.company_siren)

    @property
    def company_id(self) -> int:
        assert self.company.id is not None
        return self.company.id


def print_problems(problems: Sequence[Problem]) -> None:
    for p in problems:
        print(f"  {p.describe()}", file=sys.stderr)


def fail(exc: EncaisseError) -> None:
    print(f"error[{exc.code}]: {exc.message}", file=sys.stderr)
    print_problems(exc.problems[:200])
    if len(exc.problems) > 200:
        print(f"  … and {len(exc.problems) - 200} more", file=sys.stderr)


def emit(rows: Sequence[dict[str, Any]], header: Sequence[str], fmt: str, *, json_doc: Any = None) -> None:
    """Print rows as an aligned table, CSV (exact header), or one JSON document."""
    if fmt == "json":
        print(json.dumps(rows if json_doc is None else json_doc, ensure_ascii=False, indent=2, default=str))
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(header), lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buf.getvalue())
    elif fmt == "table":
        widths = {h: max([len(h)] + [len(str(r.get(h, ""))) for r in rows]) for h in header}
        print("  ".join(h.ljust(widths[h]) for h in header))
        for r in rows:
            print("  ".join(str(r.get(h, "")).ljust(widths[h]) for h in header))
    else:
        raise EncaisseError(f"unknown format {fmt!r} (table, csv or json)", code="CLI-FORMAT")
