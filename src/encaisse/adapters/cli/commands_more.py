"""Inbox, forecast and accounting commands."""

from __future__ import annotations

from pathlib import Path

import typer

from encaisse.adapters.cli.commands_bank import read_file
from encaisse.adapters.cli.context import Cli, CompanyOpt, FormatOpt, emit, print_problems
from encaisse.domain.money import format_amount


def register(app: typer.Typer) -> None:
    inbox = typer.Typer(no_args_is_help=True, help="Supplier e-invoices (Factur-X, CII, UBL).")
    app.add_typer(inbox, name="inbox")

    @inbox.command("import")
    def inbox_import(file: Path, company_siren: str | None = CompanyOpt) -> None:
        """Import a supplier e-invoice: validated (XSD + EN 16931 schematron), stored untouched with its hash."""
        from encaisse.services.inbox import import_einvoice

        cli = Cli(company_siren)
        res = import_einvoice(cli.uow, cli.company_id, read_file(file), filename=file.name)
        print_problems(list(res.warnings))
        if res.status == "duplicate":
            typer.echo(f"invoice {res.number} of {res.supplier_name} was already imported: nothing stored")
            return
        due = res.due_date.isoformat() if res.due_date else "no due date"
        typer.echo(
            f"invoice {res.number} of {res.supplier_name} imported: {format_amount(res.total_incl_tax)}, {due}"
        )
        if res.iban_changed:
            typer.echo(
                "warning: the supplier's IBAN differs from the one on file; check it before paying", err=True
            )

    @app.command("forecast")
    def forecast(
        weeks: int = typer.Option(13, "--weeks", min=1, max=52),
        fmt: str = FormatOpt,
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Cash forecast, week by week: projected closing balance with a low/high range (P10/P90)."""
        from encaisse.domain.forecast.engine import forecast_to_json_dict
        from encaisse.services.clock import today
        from encaisse.services.forecast import forecast_for

        cli = Cli(company_siren)
        fc = forecast_for(cli.uow, cli.company_id, today(), weeks=weeks)
        doc = forecast_to_json_dict(fc)
        emit(doc["weeks"], ("start", "expected", "low", "high"), fmt, json_doc=doc)
