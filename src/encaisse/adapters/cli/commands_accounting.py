"""Accounting commands: ``encaisse fec export --year YYYY [-o DIR]`` (contract in shared/DESIGN.md),
``encaisse fec validate FILE`` and ``encaisse vat report --month YYYY-MM``.

The FEC is checked by its own validator before it is written (FEC-*): when a check fails nothing
is written and the command prints ``error[FEC-…]`` and exits 1.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import typer

from encaisse.adapters.cli.commands_bank import read_file
from encaisse.adapters.cli.context import Cli, CompanyOpt, FormatOpt, emit, fail, print_problems
from encaisse.domain.errors import EncaisseError, Severity
from encaisse.domain.ledger import Period, VatReport
from encaisse.domain.money import format_amount

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _vat_doc(report: VatReport) -> dict[str, Any]:
    return {
        "period": {"start": report.period.start.isoformat(), "end": report.period.end.isoformat()},
        "collected": [
            {
                "rate": "" if r.rate is None else f"{r.rate.normalize():f}",
                "base": format_amount(r.base),
                "vat": format_amount(r.tax),
            }
            for r in report.collected
        ],
        "collected_total": format_amount(report.collected_total),
        "deductible": format_amount(report.deductible),
        "net_due": format_amount(report.net_due),
        "net_due_euros": f"{report.net_due_euros:f}",
        "pending": format_amount(report.pending),
    }


def register(app: typer.Typer) -> None:
    fec_app = typer.Typer(no_args_is_help=True, help="FEC: Fichier des Écritures Comptables.")
    app.add_typer(fec_app, name="fec")

    @fec_app.command("export")
    def fec_export(
        year: int = typer.Option(
            ..., "--year", min=1900, max=9999, help="year in which the fiscal year closes"
        ),
        output: Path = typer.Option(Path(), "-o", "--output", help="directory to write the file in"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Write <SIREN>FEC<closing date>.txt for the fiscal year and print its path."""
        from encaisse.services.accounting import export_fec

        cli = Cli(company_siren)
        result = export_fec(cli.uow, cli.company_id, year)
        print_problems([p for p in result.problems if p.severity is not Severity.ERROR])
        if result.errors:
            fail(
                EncaisseError(
                    f"the FEC of {year} fails its checks: nothing written",
                    code=result.errors[0].code,
                    problems=result.errors,
                )
            )
            raise typer.Exit(1)
        try:
            output.mkdir(parents=True, exist_ok=True)
            path = output / result.filename
            path.write_bytes(result.data)
        except OSError as exc:
            fail(EncaisseError(f"cannot write in {output}: {exc.strerror}", code="FILE-UNWRITABLE"))
            raise typer.Exit(1) from exc
        typer.echo(str(path))

    @fec_app.command("validate")
    def fec_validate(
        file: Path,
        year_end: str = typer.Option(
            "", "--year-end", help="closing date YYYY-MM-DD (checks dates and name)"
        ),
    ) -> None:
        """Check any FEC flat file (FEC-* rules); exit 1 when an error is found."""
        from encaisse.formats import fec

        period = None
        if year_end:
            try:
                end = date.fromisoformat(year_end)
            except ValueError as exc:
                raise typer.BadParameter("expected YYYY-MM-DD", param_hint="--year-end") from exc
            period = Period.fiscal_year(end.year, end.month)  # a 12-month year closing that month
        problems = fec.validate(read_file(file), period=period, name=file.name)
        errors = [p for p in problems if p.severity is Severity.ERROR]
        print_problems([p for p in problems if p.severity is not Severity.ERROR])
        if errors:
            fail(EncaisseError(f"{file.name} is not a valid FEC", code=errors[0].code, problems=errors))
            raise typer.Exit(1)
        typer.echo(f"{file.name}: valid FEC")

    vat = typer.Typer(no_args_is_help=True, help="VAT returns.")
    app.add_typer(vat, name="vat")

    @vat.command("report")
    def vat_report(
        month: str = typer.Option(..., "--month", help="YYYY-MM"),
        fmt: str = FormatOpt,
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Output VAT due in the month (per rate) against deductible VAT, and the net to pay."""
        from encaisse.services.accounting import vat_report as report_of

        found = _MONTH.match(month)
        if not found:
            raise typer.BadParameter("expected YYYY-MM", param_hint="--month")
        cli = Cli(company_siren)
        doc = _vat_doc(report_of(cli.uow, cli.company_id, int(found.group(1)), int(found.group(2))))
        rows = [{"line": "collected", **r} for r in doc["collected"]]
        rows += [
            {"line": key, "rate": "", "base": "", "vat": doc[key]}
            for key in ("collected_total", "deductible", "net_due", "pending")
        ]
        emit(rows, ("line", "rate", "base", "vat"), fmt, json_doc=doc)
