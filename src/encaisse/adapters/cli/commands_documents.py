"""Document commands: invoice list/create/issue/pay/credit-note/pdf/link, quotes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from encaisse.adapters.cli.context import Cli, CompanyOpt, FormatOpt, emit
from encaisse.domain.errors import EncaisseError, NotFoundError
from encaisse.domain.money import format_amount
from encaisse.services.ports import INVOICE_CSV_HEADER, InvoiceFilter


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        raise EncaisseError(f"cannot read {path}: {exc.strerror}", code="FILE-UNREADABLE") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EncaisseError(f"{path} is not valid JSON: {exc}", code="INPUT-JSON") from exc


def find_invoice_id(cli: Cli, number: str) -> int:
    company_id = cli.company_id
    with cli.uow.read() as repo:
        inv = repo.invoice_by_number(company_id, number)
        if inv is None and number.isdigit():
            inv = repo.get_invoice(company_id, int(number))
        if inv is None or inv.id is None:
            raise NotFoundError(f"no invoice {number}", code="INVOICE-NOT-FOUND")
        return inv.id


def register(app: typer.Typer) -> None:
    inv = typer.Typer(no_args_is_help=True, help="Invoices, deposit invoices and credit notes.")
    app.add_typer(inv, name="invoice")

    @inv.command("list")
    def invoice_list(
        status: str | None = typer.Option(None, "--status"),
        fmt: str = FormatOpt,
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """List invoices (statuses: draft, issued, partially_paid, paid, cancelled)."""
        cli = Cli(company_siren)
        company_id = cli.company_id
        with cli.uow.read() as repo:
            rows = repo.list_invoices(company_id, InvoiceFilter(status=status, sort="issue_date"))
        emit([r.contract_values() for r in rows], INVOICE_CSV_HEADER, fmt)

    @inv.command("create")
    def invoice_create(
        json_file: Path = typer.Option(..., "--json", help="invoice document (JSON)"),
        issue_now: bool = typer.Option(False, "--issue", help="issue it at once"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Create a draft invoice from a JSON document (and issue it with --issue)."""
        from encaisse.services import invoicing
        from encaisse.services.companies import save_party
        from encaisse.services.document_input import invoice_from_data

        cli = Cli(company_siren)
        data = _read_json(json_file)
        draft = invoice_from_data(cli.company_id, data)
        company_id = cli.company_id
        with cli.uow.read() as repo:
            existing = repo.find_party(
                company_id, siren=draft.customer.siren, name=draft.customer.name, kind="customer"
            )
        customer = existing or save_party(cli.uow, cli.company_id, draft.customer)
        stored = invoicing.create_draft(cli.uow, draft.with_changes(customer=customer))
        assert stored.id is not None
        if issue_now:
            stored = invoicing.issue(cli.uow, cli.company_id, stored.id)
            typer.echo(
                f"invoice {stored.number} issued ({format_amount(stored.total_incl_tax)} {stored.currency})"
            )
        else:
            typer.echo(f"draft invoice {stored.id} created")

    @inv.command("issue")
    def invoice_issue(draft_id: int, company_siren: str | None = CompanyOpt) -> None:
        """Issue a draft (all mandatory mentions are checked first)."""
        from encaisse.services import invoicing

        cli = Cli(company_siren)
        issued = invoicing.issue(cli.uow, cli.company_id, draft_id)
        typer.echo(f"invoice {issued.number} issued")

    @inv.command("pay")
    def invoice_pay(
        number: str,
        amount: str = typer.Option(..., "--amount"),
        on: str = typer.Option(..., "--date"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Record a payment received for an invoice."""
        from datetime import date

        from encaisse.domain.money import parse_amount
        from encaisse.services import invoicing

        cli = Cli(company_siren)
        try:
            value, day = parse_amount(amount), date.fromisoformat(on)
        except ValueError as exc:
            raise EncaisseError(str(exc), code="INPUT-INVALID") from exc
        updated = invoicing.record_payment(cli.uow, cli.company_id, find_invoice_id(cli, number), value, day)
        typer.echo(
            f"invoice {updated.number}: {updated.status.value}, {format_amount(updated.amount_due)} due"
        )

    @inv.command("credit-note")
    def invoice_credit_note(number: str, company_siren: str | None = CompanyOpt) -> None:
        """Issue a credit note cancelling an invoice in full."""
        from encaisse.services import invoicing
        from encaisse.services.clock import today

        cli = Cli(company_siren)
        note = invoicing.create_credit_note(cli.uow, cli.company_id, find_invoice_id(cli, number), today())
        typer.echo(f"credit note {note.number} issued for {number}")

    @inv.command("pdf")
    def invoice_pdf(
        number: str,
        output: Path = typer.Option(..., "-o", "--output", help="where to write the PDF"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Write the PDF/A-3b of an invoice, with its embedded Factur-X EN 16931 XML."""
        from encaisse.adapters.pdf.documents import invoice_pdf as render

        cli = Cli(company_siren)
        pdf = render(cli.uow, cli.company_id, find_invoice_id(cli, number))
        try:
            output.write_bytes(pdf)
        except OSError as exc:
            raise EncaisseError(f"cannot write {output}: {exc.strerror}", code="FILE-UNWRITABLE") from exc
        typer.echo(f"{output} written ({len(pdf)} bytes)")

    @inv.command("status")
    def invoice_status(
        number: str,
        set_status: str | None = typer.Option(
            None, "--set", help="e.g. deposited, issued, disputed, refused, collected"
        ),
        reason: str = typer.Option("", "--reason"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Show (or append to) the e-invoicing lifecycle status history of an invoice."""
        from datetime import UTC, datetime

        from encaisse.domain.einvoice_status import EInvoiceStatus
        from encaisse.services.einvoice_statuses import history_of, record_status

        cli = Cli(company_siren)
        invoice_id = find_invoice_id(cli, number)
        if set_status:
            try:
                wanted = (
                    EInvoiceStatus(set_status)
                    if not set_status.isdigit()
                    else EInvoiceStatus.from_code(int(set_status))
                )
            except (ValueError, KeyError) as exc:
                choices = ", ".join(s.value for s in EInvoiceStatus)
                raise EncaisseError(
                    f"unknown status {set_status!r} (one of {choices})", code="INPUT-CHOICE"
                ) from exc
            record_status(cli.uow, cli.company_id, invoice_id, wanted, datetime.now(UTC), reason=reason)
        with cli.uow.read() as repo:
            history = history_of(repo, cli.company_id, invoice_id)
        for change in history.changes:
            typer.echo(
                f"{change.at:%Y-%m-%d %H:%M}  {change.status.code}  {change.status.label_fr}"
                + (f"  ({change.reason})" if change.reason else "")
            )
        if not history.changes:
            typer.echo("no e-invoicing status yet")

    @inv.command("xml")
    def invoice_xml(
        number: str,
        output: Path = typer.Option(..., "-o", "--output"),
        syntax: str = typer.Option(
            "cii", "--syntax", help="cii (Factur-X XML) or ubl (UBL 2.1, Peppol BIS 3)"
        ),
        profile: str = typer.Option("EN16931", "--profile", help="CII profile: EN16931, BASICWL or MINIMUM"),
        company_siren: str | None = CompanyOpt,
    ) -> None:
        """Write the structured e-invoice of an issued document: CII (EN 16931 / BASIC WL / MINIMUM) or UBL 2.1."""
        from encaisse.formats import cii, ubl

        if syntax not in ("cii", "ubl"):
            raise EncaisseError(f"unknown syntax {syntax!r} (cii or ubl)", code="CLI-FORMAT")
        cli = Cli(company_siren)
        invoice_id = find_invoice_id(cli, number)
        with cli.uow.read() as repo:
            company = repo.get_company(cli.company_id)
            invoice = repo.get_invoice(cli.company_id, invoice_id)
        if invoice.status.value == "draft":
            raise EncaisseError("a draft has no e-invoice yet: issue it first", code="INVOICE-DRAFT")
        xml = (
            cii.export(invoice, company, profile=profile.upper())
            if syntax == "cii"
            else ubl.export(invoice, company)
        )
        try:
            output.write_bytes(xml)
        except OSError as exc:
            raise EncaisseError(f"cannot write {output}: {exc.strerror}", code="FILE-UNWRITABLE") from exc
        typer.echo(f"{output} written ({syntax.upper()}, {len(xml)} bytes)")
