"""Supplier payments and receivables financing commands (SCENARIOS §7)::

    encaisse payables approve NUMBER --supplier SIREN
    encaisse payables confirm-iban --supplier SIREN --iban IBAN
    encaisse payables batch --until YYYY-MM-DD -o FILE.xml [--execution-date D] [--pain-version 03|09]
    encaisse payables batches [--format table|csv|json]
    encaisse payables xml BATCH_ID -o FILE.xml
    encaisse dailly assign NUMBER... --bank "NAME" -o DIR [--bank-iban I] [--bank-bic B] [--bank-address A]
    encaisse factoring export NUMBER... -o FILE.csv --factor "NAME" --factor-iban I [--factor-address A]

Errors print ``error[CODE]: message`` (one line per problem) and exit 1; nothing is written then.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from encaisse.adapters.cli.context import Cli, CompanyOpt, FormatOpt, emit, fail, print_problems
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.domain.errors import EncaisseError
from encaisse.domain.financing import Factor, Letter
from encaisse.domain.money import format_amount
from encaisse.domain.parties import Company, Party
from encaisse.services import clock

_SLUG = re.compile(r"[^A-Za-z0-9]+")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _SLUG.sub("-", ascii_text).strip("-").lower()[:60] or "debiteur"


def render_letter(company: Company, recipient: Party, letter: Letter) -> bytes:
    """``services.financing.LetterRenderer`` over the PDF/A letter template."""
    from encaisse.adapters.pdf.render import render_letter_pdf

    return render_letter_pdf(
        company,
        recipient,
        title=letter.title,
        paragraphs=letter.paragraphs,
        table=letter.table,
        place_date=letter.place_date,
    )


def _uow(cli: Cli) -> SqlUnitOfWork:
    return cli.uow


def _prepare(directory: Path) -> None:
    """Create the output directory before anything is stored, so a bad path changes nothing."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(EncaisseError(f"cannot write in {directory}: {exc.strerror}", code="FILE-UNWRITABLE"))
        raise typer.Exit(1) from exc


def _write(path: Path, data: bytes) -> None:
    _prepare(path.parent)
    try:
        path.write_bytes(data)
    except OSError as exc:
        fail(EncaisseError(f"cannot write {path}: {exc.strerror}", code="FILE-UNWRITABLE"))
        raise typer.Exit(1) from exc


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=option) from exc


def _register_payables(app: typer.Typer) -> None:
    payables = typer.Typer(no_args_is_help=True, help="Supplier invoices: approval and SEPA payment batches.")
    app.add_typer(payables, name="payables")

    @payables.command("approve")
    def approve_cmd(
        number: str = typer.Argument(..., help="the supplier's invoice number"),
        supplier: str = typer.Option(..., "--supplier", help="SIREN of the supplier"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Approve a received supplier invoice for payment."""
        from encaisse.services.payables import approve

        cli = Cli(company_siren)
        try:
            payable = approve(_uow(cli), cli.company_id, number, supplier, actor="cli")
        except EncaisseError as exc:
            fail(exc)
            raise typer.Exit(1) from exc
        note = " (IBAN changed: confirm it before payment)" if payable.iban_unconfirmed else ""
        typer.echo(
            f"approved {payable.supplier_name} {payable.number} {format_amount(payable.outstanding)}{note}"
        )

    @payables.command("confirm-iban")
    def confirm_iban_cmd(
        supplier: str = typer.Option(..., "--supplier", help="SIREN of the supplier"),
        iban: str = typer.Option(..., "--iban", help="the new IBAN, as checked with the supplier"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Confirm a supplier's changed IBAN (after checking it by phone on a known number)."""
        from encaisse.services.payables import confirm_iban

        cli = Cli(company_siren)
        try:
            released = confirm_iban(_uow(cli), cli.company_id, supplier, iban, actor="cli")
        except EncaisseError as exc:
            fail(exc)
            raise typer.Exit(1) from exc
        typer.echo(f"IBAN confirmed; {released} invoice(s) can be paid again")

    @payables.command("batch")
    def batch_cmd(
        until: str = typer.Option(..., "--until", help="pay approved invoices due up to this date"),
        output: Path = typer.Option(..., "-o", "--output", help="the pain.001 file to write"),
        execution: str | None = typer.Option(None, "--execution-date", help="default: today"),
        version: str = typer.Option("03", "--pain-version", help="pain.001.001.03 or .09"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Write one SEPA credit-transfer file (pain.001) paying the approved invoices due up to --until."""
        from encaisse.services.payables import create_batch

        cli = Cli(company_siren)
        today = clock.today()
        _prepare(output.parent)
        try:
            result = create_batch(
                _uow(cli),
                cli.company_id,
                until=_date(until, "--until"),
                today=today,
                execution_day=_date(execution, "--execution-date") if execution else None,
                version=version,
                actor="cli",
            )
        except EncaisseError as exc:
            fail(exc)
            raise typer.Exit(1) from exc
        _write(output, result.xml)
        print_problems(result.blocked)
        b = result.batch
        typer.echo(
            f"{output}: {b.count} transfer(s), {format_amount(b.total)} EUR, "
            f"execution {b.execution_date.isoformat()}"
        )

    @payables.command("batches")
    def batches_cmd(fmt: str = FormatOpt, company_siren: str | None = CompanyOpt) -> None:
        """List the payment batches produced."""
        from encaisse.services.payables import list_batches

        cli = Cli(company_siren)
        rows = [
            {
                "id": b.id,
                "message_id": b.message_id,
                "created_at": b.created_at.isoformat(),
                "execution_date": b.execution_date.isoformat(),
                "count": b.count,
                "total": format_amount(b.total),
                "version": b.version,
            }
            for b in list_batches(_uow(cli), cli.company_id)
        ]
        emit(rows, ["id", "message_id", "created_at", "execution_date", "count", "total", "version"], fmt)

    @payables.command("xml")
    def xml_cmd(
        batch_id: int = typer.Argument(..., help="the batch id (see `payables batches`)"),
        output: Path = typer.Option(..., "-o", "--output", help="the pain.001 file to write"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Write again the pain.001 file of a stored batch."""
        from encaisse.services.payables import batch_xml

        cli = Cli(company_siren)
        try:
            data = batch_xml(_uow(cli), cli.company_id, batch_id)
        except EncaisseError as exc:
            fail(exc)
            raise typer.Exit(1) from exc
        _write(output, data)
        typer.echo(str(output))


def _register_financing(app: typer.Typer) -> None:
    dailly_app = typer.Typer(no_args_is_help=True, help="Dailly: assign receivables to a bank.")
    app.add_typer(dailly_app, name="dailly")
    factoring_app = typer.Typer(no_args_is_help=True, help="Factoring: remit invoices to a factor.")
    app.add_typer(factoring_app, name="factoring")

    @dailly_app.command("assign")
    def assign_cmd(
        numbers: list[str] = typer.Argument(..., help="invoice numbers"),
        bank: str = typer.Option(..., "--bank", help="name of the assignee credit institution"),
        output: Path = typer.Option(..., "-o", "--output", help="directory for the PDFs"),
        bank_iban: str = typer.Option("", "--bank-iban", help="account the debtors must pay"),
        bank_bic: str = typer.Option("", "--bank-bic"),
        bank_address: str = typer.Option("", "--bank-address"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Write bordereau.pdf and one notification PDF per debtor; mark the invoices as assigned."""
        from encaisse.services.financing import assign_dailly

        cli = Cli(company_siren)
        _prepare(output)
        try:
            result = assign_dailly(
                _uow(cli),
                cli.company_id,
                numbers,
                bank_name=bank,
                today=clock.today(),
                render=render_letter,
                bank_iban=bank_iban,
                bank_bic=bank_bic,
                bank_address=bank_address,
                now=datetime.now(UTC),
                actor="cli",
            )
        except EncaisseError as exc:
            fail(exc)
            raise typer.Exit(1) from exc
        print_problems(result.warnings)
        _write(output / "bordereau.pdf", result.bordereau_pdf)
        typer.echo(str(output / "bordereau.pdf"))
        for n, (notice, pdf) in enumerate(result.notifications, start=1):
            path = output / f"notification_{n:02d}_{_slug(notice.debtor.name)}.pdf"
            _write(path, pdf)
            typer.echo(str(path))
        slip = result.bordereau
        typer.echo(
            f"{slip.count} receivable(s), {format_amount(slip.total)} EUR assigned to {slip.bank_name}"
        )

    @factoring_app.command("export")
    def factoring_cmd(
        numbers: list[str] = typer.Argument(..., help="invoice (or credit note) numbers"),
        output: Path = typer.Option(..., "-o", "--output", help="the CSV file to write"),
        factor: str = typer.Option(..., "--factor", help="name of the factor"),
        factor_iban: str = typer.Option(..., "--factor-iban", help="the factor's IBAN"),
        factor_address: str = typer.Option("", "--factor-address"),
        factor_bic: str = typer.Option("", "--factor-bic"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Write the factoring CSV (with the subrogation mention) and mark the invoices as factored."""
        from encaisse.services.financing import export_factoring

        cli = Cli(company_siren)
        _prepare(output.parent)
        try:
            result = export_factoring(
                _uow(cli),
                cli.company_id,
                numbers,
                Factor(factor, factor_address, factor_iban, factor_bic),
                actor="cli",
            )
        except EncaisseError as exc:
            fail(exc)
            raise typer.Exit(1) from exc
        print_problems(result.warnings)
        _write(output, result.data)
        typer.echo(f"{output}: {len(result.rows)} document(s) remitted to {factor}")


def register(app: typer.Typer) -> None:
    _register_payables(app)
    _register_financing(app)
