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
        from encaisse.services.bank_import import import_statement

        cli = Cli(company_siren)
        res = import_statement(
            cli.uow, cli.company_id, read_file(file), filename=file.name, account_iban=account
        )
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
