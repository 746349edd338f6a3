"""Core commands: db upgrade, company create, demo, serve, worker, import invoices, audit verify."""

from __future__ import annotations

from pathlib import Path

import typer

from encaisse.adapters.cli.context import Cli, CompanyOpt
from encaisse.domain.errors import EncaisseError
from encaisse.domain.parties import Address, Company


def register(app: typer.Typer) -> None:
    db = typer.Typer(no_args_is_help=True, help="Database schema.")
    company = typer.Typer(no_args_is_help=True, help="Companies (tenants).")
    imp = typer.Typer(no_args_is_help=True, help="Imports from other tools.")
    audit_app = typer.Typer(no_args_is_help=True, help="Tamper-evident audit trail.")
    app.add_typer(db, name="db")
    app.add_typer(company, name="company")
    app.add_typer(imp, name="import")
    app.add_typer(audit_app, name="audit")

    @db.command("upgrade")
    def db_upgrade() -> None:
        """Create or migrate the schema."""
        from encaisse.adapters.store.db import upgrade

        cli = Cli()
        upgrade(cli.settings.database_url)
        typer.echo("database is up to date")

    @company.command("create")
    def company_create(
        name: str = typer.Option(..., "--name"),
        siren: str = typer.Option(..., "--siren"),
        vat_number: str = typer.Option("", "--vat-number"),
        iban: str = typer.Option("", "--iban"),
        address: str = typer.Option("", "--address"),
        city: str = typer.Option("", "--city"),
        postcode: str = typer.Option("", "--postcode"),
        legal_form: str = typer.Option("SARL", "--legal-form"),
        rcs_city: str = typer.Option("", "--rcs-city"),
        share_capital: str | None = typer.Option(None, "--share-capital", help="e.g. 10000"),
    ) -> None:
        """Create a company (the seller)."""
        from encaisse.domain.money import parse_amount
        from encaisse.domain.terms import default_penalty_rate
        from encaisse.services.clock import today
        from encaisse.services.companies import create_company

        try:
            capital = parse_amount(share_capital) if share_capital else None
        except ValueError as exc:
            raise EncaisseError(str(exc), code="INPUT-INVALID") from exc
        cli = Cli()
        stored = create_company(
            cli.uow,
            Company(
                name=name,
                siren=siren,
                vat_number=vat_number,
                iban=iban,
                legal_form=legal_form,
                rcs_city=rcs_city or city,
                share_capital=capital,
                address=Address(line1=address, city=city, postcode=postcode),
                penalty_rate=default_penalty_rate(today()),
            ),
        )
        typer.echo(f"company {stored.name} (SIREN {stored.siren}) created")

    @app.command("demo")
    def demo(seed: int = typer.Option(1, "--seed"), months: int = typer.Option(14, "--months")) -> None:
        """Create a realistic demo company (customers, quotes, invoices, bank)."""
        from encaisse.services.clock import today
        from encaisse.services.demo import load_demo

        cli = Cli()
        result = load_demo(cli.uow, seed=seed, today=today(), months=months)
        typer.echo(result)

    @app.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port")
    ) -> None:
        """Serve the web app."""
        import uvicorn

        from encaisse.adapters.web.app import create_app

        # No access log: public payment-link URLs carry signed tokens (never logged), and the log
        # line costs as much CPU as serving a cached page.
        uvicorn.run(create_app(), host=host, port=port, log_level="info", access_log=False)

    @app.command("worker")
    def worker(once: bool = typer.Option(False, "--once", help="run the due jobs once and exit")) -> None:
        """Run background jobs (reminders, emails, alerts)."""
        from encaisse.adapters.jobs.runner import run_worker

        cli = Cli()
        run_worker(cli.settings, once=once)

    @imp.command("invoices")
    def import_invoices(file: Path, company_siren: str | None = CompanyOpt) -> None:
        """Open receivables from another tool (CSV)."""
        from encaisse.services.receivables_import import import_receivables

        try:
            data = file.read_bytes()
        except OSError as exc:
            raise EncaisseError(f"cannot read {file}: {exc.strerror}", code="FILE-UNREADABLE") from exc
        cli = Cli(company_siren)
        res = import_receivables(cli.uow, cli.company_id, data)
        typer.echo(
            f"{res.imported} invoice(s) imported, {res.skipped} already present, "
            f"{res.customers_created} customer(s) created"
        )

    @audit_app.command("verify")
    def audit_verify(company_siren: str | None = CompanyOpt) -> None:
        """Check the hash chain of the audit trail."""
        from encaisse.services.audit import verify

        cli = Cli(company_siren)
        company_id = cli.company_id
        with cli.uow.read() as repo:
            entries = repo.audit_entries(company_id)
        problems = verify(entries)
        if problems:
            for p in problems:
                typer.echo(p, err=True)
            raise EncaisseError(f"audit chain broken ({len(problems)} problem(s))", code="AUDIT-BROKEN")
        typer.echo(f"audit chain intact: {len(entries)} event(s)")
