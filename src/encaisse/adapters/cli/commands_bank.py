"""Bank commands: statement import, transactions list, reconciliation, matches export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from encaisse.adapters.cli.context import Cli, CompanyOpt, FormatOpt, emit, print_problems
from encaisse.domain.errors import EncaisseError
from encaisse.domain.money import format_amount

TX_HEADER = (
    "transaction_id",
    "account_iban",
    "booking_date",
    "value_date",
    "amount",
    "currency",
    "counterparty_name",
    "remittance",
)


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise EncaisseError(f"cannot read {path}: {exc.strerror}", code="FILE-UNREADABLE") from exc


def register(app: typer.Typer) -> None:
    bank = typer.Typer(no_args_is_help=True, help="Bank statements and transactions.")
    app.add_typer(bank, name="bank")

    @bank.command("import")
    def bank_import(
        file: Path,
        account: str | None = typer.Option(None, "--account", help="IBAN of the account"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Import a statement: CAMT.053/054, OFX, MT940, CFONB 120 or CSV (auto-detected)."""
        from encaisse.adapters.parallel import forked_map, usable_cores
        from encaisse.services.bank_import import import_statement

        cli = Cli(company_siren)
        res = import_statement(
            cli.uow,
            cli.company_id,
            read_file(file),
            filename=file.name,
            account_iban=account,
            map_parts=forked_map,  # the CLI is single-threaded: large camt files use every core
            parts=min(usable_cores(), 4),
        )
        print_problems(list(res.problems))
        typer.echo(
            f"{res.format}: {res.new} new transaction(s), {res.duplicates} already imported "
            f"({', '.join(res.accounts) or 'no account'})"
        )

    @bank.command("sync")
    def bank_sync(
        account_ref: str = typer.Option(
            ..., "--account-ref", help="the aggregator's account id (given when the owner consented)"
        ),
        days: int = typer.Option(90, "--days", help="how many days back to read (1-730)"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Read an account through the PSD2 aggregator (ENCAISSE_BANK_FEED) and store new transactions."""
        from encaisse.adapters.bank_feeds import feed_from_settings
        from encaisse.services.bank_sync import sync_account
        from encaisse.services.clock import today

        cli = Cli(company_siren)
        day = today()
        feed = feed_from_settings(
            cli.settings, iban=cli.company.iban or "FR7630006000011234567890189", today=day
        )
        res = sync_account(cli.uow, cli.company_id, feed, account_ref, day, days=days)
        print_problems(list(res.problems))
        typer.echo(
            f"{res.format}: {res.new} new transaction(s), {res.duplicates} already imported "
            f"({', '.join(res.accounts) or 'no account'})"
        )

    @bank.command("transactions")
    def bank_transactions(
        account: str | None = typer.Option(None, "--account"),
        fmt: str = FormatOpt,
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """List bank transactions (amount signed: credits positive, debits negative)."""
        cli = Cli(company_siren)
        company_id = cli.company_id
        with cli.uow.read() as repo:
            rows = repo.list_transactions(company_id, account_iban=account)
        out: list[dict[str, Any]] = [
            {
                "transaction_id": s.transaction_id,
                "account_iban": s.account_iban,
                "booking_date": s.tx.booking_date.isoformat(),
                "value_date": (s.tx.value_date or s.tx.booking_date).isoformat(),
                "amount": format_amount(s.tx.amount),
                "currency": s.tx.currency,
                "counterparty_name": s.tx.counterparty_name,
                "remittance": s.tx.remittance,
            }
            for s in rows
        ]
        emit(out, TX_HEADER, fmt)

    @app.command("reconcile")
    def reconcile(
        auto: bool = typer.Option(False, "--auto", help="apply the confident matches"),
        threshold: float | None = typer.Option(None, "--threshold", min=0.0, max=1.0),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Propose invoice ↔ transaction matches; --auto applies the confident ones."""
        from encaisse.services.clock import today
        from encaisse.services.reconciliation import reconcile as run

        cli = Cli(company_siren)
        res = run(cli.uow, cli.company_id, today(), auto=auto, threshold=threshold)
        done = f"{res.applied} applied" if auto else f"{res.confident} confident (use --auto to apply them)"
        typer.echo(
            f"{res.transactions} transaction(s) to reconcile: {done}, {res.allocations} allocation(s), "
            f"{res.to_review} waiting for review, {res.categorized} categorised, {res.unmatched} without candidate"
        )

    export = typer.Typer(no_args_is_help=True, help="Exports.")
    app.add_typer(export, name="export")

    @export.command("matches")
    def export_matches(
        fmt: str = typer.Option("csv", "--format", help="csv"),
        output: Path | None = typer.Option(None, "-o", "--output"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Applied matches: transaction_id,invoice_number,amount (one row per allocation)."""
        import csv
        import io

        from encaisse.services.reconciliation import match_rows

        if fmt != "csv":
            raise EncaisseError(f"unknown format {fmt!r} (csv)", code="CLI-FORMAT")
        cli = Cli(company_siren)
        rows = match_rows(cli.uow, cli.company_id)
        buf = io.StringIO()
        writer = csv.DictWriter(
            buf, fieldnames=["transaction_id", "invoice_number", "amount"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
        if output is None:
            typer.echo(buf.getvalue(), nl=False)
        else:
            try:
                output.write_text(buf.getvalue(), encoding="utf-8")
            except OSError as exc:
                raise EncaisseError(f"cannot write {output}: {exc.strerror}", code="FILE-UNWRITABLE") from exc
            typer.echo(f"{len(rows)} match(es) written to {output}", err=True)
