"""Collections commands: ``reminders preview|run``, ``invoice link NUMBER``, ``invoice send NUMBER``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer

from encaisse.adapters.cli.context import Cli, CompanyOpt, FormatOpt, emit
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.domain.errors import NotFoundError

PREVIEW_HEADER = ("date", "customer_name", "invoice_numbers", "step", "channel", "reason")


def _uow(cli: Cli) -> SqlUnitOfWork:
    return SqlUnitOfWork(cli.engine)


def _invoice_id(cli: Cli, number: str) -> int:
    with cli.uow.read() as repo:
        invoice = repo.invoice_by_number(cli.company_id, number)
    if invoice is None or invoice.id is None:
        raise NotFoundError(f"no invoice {number}", code="INVOICE-NOT-FOUND")
    return invoice.id


def _send_now(cli: Cli, uow: SqlUnitOfWork) -> None:
    from encaisse.adapters.jobs.runner import job_send_emails, make_sender

    sender = make_sender(cli.settings)
    if sender is None:
        typer.echo("SMTP is not configured (ENCAISSE_SMTP_HOST): messages stay queued for the worker")
        return
    report = job_send_emails(uow, sender, datetime.now(UTC))
    typer.echo(f"emails: {report.summary()}")


def _invoice_app(app: typer.Typer) -> typer.Typer:
    for group in app.registered_groups:
        if group.name == "invoice" and group.typer_instance is not None:
            return group.typer_instance
    inv = typer.Typer(no_args_is_help=True, help="Invoices, deposit invoices and credit notes.")
    app.add_typer(inv, name="invoice")
    return inv


def register(app: typer.Typer) -> None:
    reminders = typer.Typer(no_args_is_help=True, help="Dunning: what is due, what will be sent.")
    app.add_typer(reminders, name="reminders")

    @reminders.command("preview")
    def reminders_preview_cmd(
        days: int = typer.Option(14, "--days", min=1, max=366),
        fmt: str = FormatOpt,
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """What the dunning plans will send in the next days, and why."""
        from encaisse.services.clock import today
        from encaisse.services.collections import reminders_preview

        cli = Cli(company_siren)
        planned = reminders_preview(_uow(cli), cli.company_id, today(), days)
        rows: list[dict[str, Any]] = [
            {
                "date": p.date.isoformat(),
                "customer_name": p.customer_name,
                "invoice_numbers": " ".join(p.invoice_numbers),
                "step": p.step,
                "channel": p.channel,
                "reason": p.reason_fr,
            }
            for p in planned
        ]
        emit(rows, PREVIEW_HEADER, fmt, json_doc=[p.to_json() for p in planned])

    @reminders.command("run")
    def reminders_run_cmd(company_siren: str | None = CompanyOpt) -> None:
        """Send what is due today (idempotent: running it twice sends nothing twice)."""
        from encaisse.services.clock import today
        from encaisse.services.collections import reminders_run

        cli = Cli(company_siren)
        uow = _uow(cli)
        day = today()
        result = reminders_run(
            uow, cli.company_id, day, base_url=cli.settings.base_url, secret=cli.settings.secret_key
        )
        typer.echo(
            f"{day.isoformat()}: {len(result.written)} reminder(s) written, {result.emails} email(s) queued"
            + (f", {result.already_done} already done today" if result.already_done else "")
        )
        for reminder in result.calls:
            typer.echo(f"  call: {reminder.customer_name} ({', '.join(reminder.invoice_numbers)})")
        for reminder in result.without_address:
            typer.echo(
                f"  no email address, send by post: {reminder.customer_name} "
                f"({reminder.step_key}: {', '.join(reminder.invoice_numbers)})"
            )
        for item in result.fix_and_resend:
            typer.echo(f"  fix and resend: {item.number} ({item.customer_name})")
        _send_now(cli, uow)

    inv = _invoice_app(app)

    @inv.command("link")
    def invoice_link(number: str, company_siren: str | None = CompanyOpt) -> None:
        """Print the invoice's public payment-link URL (created on first use)."""
        from encaisse.services.payment_links import link_for

        cli = Cli(company_siren)
        invoice_id = _invoice_id(cli, number)
        with _uow(cli)() as repo:
            url = link_for(repo, cli.company_id, invoice_id, cli.settings.base_url, cli.settings.secret_key)
        typer.echo(url)

    @inv.command("send")
    def invoice_send(
        number: str,
        to: str | None = typer.Option(None, "--to", help="recipient (default: the customer's email)"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Email the invoice (PDF attached, payment link in the text)."""
        from encaisse.adapters.mail.templates import INVOICE_TEMPLATES
        from encaisse.services.collections import send_invoice

        cli = Cli(company_siren)
        invoice_id = _invoice_id(cli, number)
        uow = _uow(cli)
        with uow.read() as repo:
            kind = repo.get_invoice(cli.company_id, invoice_id).kind.value
        template = INVOICE_TEMPLATES["credit_note" if kind == "credit_note" else "invoice"]
        email_id = send_invoice(
            uow,
            cli.company_id,
            invoice_id,
            to,
            base_url=cli.settings.base_url,
            secret=cli.settings.secret_key,
            template=template,
        )
        typer.echo(f"invoice {number} queued for sending (message {email_id})")
        _send_now(cli, uow)
