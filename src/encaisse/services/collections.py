"""Collections use cases: the daily dunning run from the store, its preview, sending an invoice,
and the late-payment interest of an invoice.

The plan itself is pure (:mod:`encaisse.domain.dunning`): this module reads each open invoice's
state, asks ``due_today`` what to send, and in ONE transaction writes the ``reminder`` rows (one
per customer, date and step: the unique key makes a second run the same day write nothing),
queues one grouped email per reminder (formal notice: the letter PDF attached, described as data
and rendered by the sending job), and saves the new state of each invoice (``apply_run``). Calls
to make are written as ``reminder`` rows of channel ``call`` (the "to do today" list). Invoices
whose delivery failed are returned in ``fix_and_resend``, never reminded (DUN-RELANCE-PRACTICE).
Emails leave later, from the queue (:mod:`encaisse.services.mail_queue`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from encaisse.domain.documents import DocumentKind, InvoiceStatus
from encaisse.domain.dunning import (
    TEMPLATES,
    DunningItem,
    DunningPlan,
    HeldInvoice,
    MessageTemplate,
    PlannedReminder,
    Reminder,
    apply_run,
    due_today,
    fr_date,
    fr_money,
    message_context,
    preview,
    render_message,
)
from encaisse.domain.einvoice_status import EInvoiceStatus, blocks_dunning
from encaisse.domain.errors import EncaisseError, FormatError
from encaisse.domain.interest import InterestBreakdown, consumer_interest, late_interest
from encaisse.domain.money import ZERO
from encaisse.domain.parties import Company
from encaisse.domain.payment_reference import format_rf, rf_reference
from encaisse.services.mail_queue import MailStore, UnitOfWorkOf, enqueue
from encaisse.services.payment_links import LinkStore, is_payable, link_for, links_for_open

OPEN_STATUSES = ("issued", "partially_paid")


@dataclass(frozen=True)
class DunningRecord:
    """One open invoice as the store knows it (the customer's *current* email address)."""

    invoice_id: int
    number: str
    kind: str
    status: str
    customer_id: int
    customer_name: str
    customer_email: str
    customer_is_business: bool
    issue_date: date
    due_date: date
    total: Decimal
    amount_paid: Decimal
    amount_credited: Decimal
    penalty_rate: Decimal | None
    disputed: bool = False
    in_payment_plan: bool = False
    delivery_failed: bool = False
    last_step_sent: str | None = None
    last_step_sent_on: date | None = None
    indemnity_claimed: bool = False
    einvoice_status: str | None = None


@dataclass(frozen=True)
class ReminderRecord:
    id: int
    company_id: int
    customer_id: int
    date: date
    step: str
    kind: str
    channel: str
    invoice_numbers: tuple[str, ...]
    total_due: Decimal
    email_id: int | None


class CollectionsStore(MailStore, LinkStore, Protocol):
    def dunning_records(self, company_id: int) -> list[DunningRecord]: ...
    def financed_invoice_ids(self, company_id: int) -> set[int]: ...
    def set_dunning_state(
        self,
        company_id: int,
        invoice_ids: Sequence[int],
        *,
        last_step_sent: str | None,
        last_step_sent_on: date | None,
        indemnity_claimed: bool,
    ) -> None: ...
    def reminder_keys(self, company_id: int, day: date) -> set[tuple[int, str]]: ...
    def add_reminder(
        self,
        company_id: int,
        *,
        customer_id: int,
        day: date,
        step: str,
        kind: str,
        channel: str,
        invoice_numbers: Sequence[str],
        total_due: Decimal,
        email_id: int | None,
    ) -> int: ...
    def list_reminders(
        self,
        company_id: int,
        *,
        since: date | None = None,
        until: date | None = None,
        customer_id: int | None = None,
    ) -> list[ReminderRecord]: ...


@dataclass(frozen=True)
class WrittenReminder:
    reminder: Reminder
    reminder_id: int
    email_id: int | None  # None: a call, or no email address (to print and post / phone)


@dataclass
class RunResult:
    day: date
    written: list[WrittenReminder] = field(default_factory=list)
    already_done: int = 0
    fix_and_resend: list[DunningItem] = field(default_factory=list)
    held: list[HeldInvoice] = field(default_factory=list)

    @property
    def emails(self) -> int:
        return sum(1 for w in self.written if w.email_id is not None)

    @property
    def calls(self) -> list[Reminder]:
        return [w.reminder for w in self.written if w.reminder.kind == "call"]

    @property
    def without_address(self) -> list[Reminder]:
        return [w.reminder for w in self.written if w.email_id is None and w.reminder.kind != "call"]


def dunning_item(record: DunningRecord, company: Company) -> DunningItem:
    """The pure view of an invoice; the company's penalty rate applies when the invoice has none.
    An e-invoice status that stops reminders (disputed, refused, factored …) holds it."""
    disputed = record.disputed
    factored = False
    if record.einvoice_status:
        try:
            raw = record.einvoice_status
            status = EInvoiceStatus.from_code(int(raw)) if raw.isdigit() else EInvoiceStatus(raw)
        except (ValueError, KeyError):
            status = None
        if blocks_dunning(status):
            factored = status is EInvoiceStatus.FACTORED
            disputed = disputed or not factored
    amount_due = max(ZERO, record.total - record.amount_paid - record.amount_credited)
    return DunningItem(
        invoice_id=record.invoice_id,
        number=record.number,
        customer_id=record.customer_id,
        customer_name=record.customer_name,
        customer_is_business=record.customer_is_business,
        customer_email=record.customer_email,
        due_date=record.due_date,
        amount_due=amount_due,
        total=record.total,
        penalty_rate=record.penalty_rate if record.penalty_rate is not None else company.penalty_rate,
        status=record.status,
        disputed=disputed,
        in_payment_plan=record.in_payment_plan,
        delivery_failed=record.delivery_failed,
        factored_or_assigned=factored,
        last_step_sent=record.last_step_sent,
        last_step_sent_on=record.last_step_sent_on,
        indemnity_claimed=record.indemnity_claimed,
        issue_date=record.issue_date,
    )


def load_items(repo: CollectionsStore, company: Company) -> list[DunningItem]:
    """Open invoices as the dunning plan sees them; invoices assigned to a bank (Dailly, notified
    to the debtor) or a factor are collected by them: no reminder of ours (DAILLY-PRODUCT)."""
    assert company.id is not None
    financed = repo.financed_invoice_ids(company.id)
    items = [
        dunning_item(r, company)
        for r in repo.dunning_records(company.id)
        if r.kind != DocumentKind.CREDIT_NOTE.value
    ]
    return [replace(i, factored_or_assigned=True) if i.invoice_id in financed else i for i in items]


def reminders_preview(
    uow: UnitOfWorkOf[CollectionsStore],
    company_id: int,
    today: date,
    days: int = 14,
    *,
    plans: Mapping[int, DunningPlan] | None = None,
) -> list[PlannedReminder]:
    """What the plans will send from ``today`` for ``days`` days, and why (nothing is written)."""
    with uow.read() as repo:
        company = repo.get_company(company_id)
        items = load_items(repo, company)
    return preview(items, plans or {}, today, days)


def _links_text(reminder: Reminder, urls: Mapping[int, str]) -> str:
    links = [(ln.number, urls[ln.invoice_id]) for ln in reminder.invoices]
    if len(links) == 1:
        return links[0][1]
    return "\n" + "\n".join(f"- {number} : {url}" for number, url in links)


def formal_notice_letter(reminder: Reminder, company: Company, *, link: str) -> dict[str, Any]:
    """The attachment descriptor of a formal notice letter (DUN-MED-CONTENT): every figure is
    frozen on the day of the notice, so rendering it later prints the same letter."""
    ctx = message_context(reminder, company, link=link)
    table: list[list[str]] = [["Facture", "Date", "Échéance", "Montant TTC", "Restant dû"]]
    for ln in reminder.invoices:
        table.append(
            [
                ln.number,
                fr_date(ln.issue_date) if ln.issue_date else "",
                fr_date(ln.due_date),
                fr_money(ln.total),
                fr_money(ln.amount_due),
            ]
        )
    claims = [line for line in ctx["reclamations"].splitlines() if line.strip()]
    paragraphs = [
        "Madame, Monsieur,",
        "Malgré nos relances, les sommes suivantes restent impayées à ce jour :",
        f"Total restant dû : {ctx['montant']}.",
        *claims,
        f"Par la présente, nous vous mettons en demeure de nous régler la somme de {ctx['total_reclame']} "
        f"dans un délai de {ctx['delai']} jours à compter de la réception de ce courrier, par virement "
        f"sur le compte {ctx['iban']}" + (f" ou en ligne : {link.strip()}" if link.strip() else "") + ".",
        "À défaut de paiement dans ce délai, nous saisirons sans autre avis la juridiction compétente "
        "d'une requête en injonction de payer, afin d'obtenir un titre exécutoire.",
        "Nous vous prions d'agréer, Madame, Monsieur, nos salutations distinguées.",
    ]
    city = company.address.city
    place_date = f"{city}, le {fr_date(reminder.date)}" if city else f"Le {fr_date(reminder.date)}"
    return {
        "kind": "formal_notice",
        "filename": f"mise-en-demeure-{reminder.date.isoformat()}-{reminder.customer_id}.pdf",
        "customer_id": reminder.customer_id,
        "title": "Mise en demeure de payer",
        "paragraphs": paragraphs,
        "table": table,
        "place_date": place_date,
    }


def invoice_pdf_descriptor(invoice_id: int, number: str) -> dict[str, Any]:
    return {"kind": "invoice_pdf", "invoice_id": invoice_id, "filename": f"{number or invoice_id}.pdf"}


def reminders_run(
    uow: UnitOfWorkOf[CollectionsStore],
    company_id: int,
    today: date,
    *,
    base_url: str,
    secret: str,
    plans: Mapping[int, DunningPlan] | None = None,
    templates: Mapping[str, MessageTemplate] = TEMPLATES,
) -> RunResult:
    """Send what is due on ``today`` (idempotent: a second run writes and queues nothing)."""
    result = RunResult(today)
    with uow() as repo:
        company = repo.get_company(company_id)
        items = load_items(repo, company)
        run = due_today(items, plans or {}, today)
        result.fix_and_resend = list(run.fix_and_resend)
        result.held = list(run.held)
        done = repo.reminder_keys(company_id, today)
        fresh = [r for r in run.reminders + run.calls_today if (r.customer_id, r.step_key) not in done]
        result.already_done = len(run.reminders) + len(run.calls_today) - len(fresh)
        emailed = [r for r in fresh if r.kind != "call" and r.customer_email]
        emailed_ids = {id(r) for r in emailed}
        urls = links_for_open(
            repo, company_id, [ln.invoice_id for r in emailed for ln in r.invoices], base_url, secret
        )
        for reminder in fresh:
            email_id = None
            if id(reminder) in emailed_ids:
                email_id = _queue_reminder(repo, company, reminder, urls, templates)
            reminder_id = repo.add_reminder(
                company_id,
                customer_id=reminder.customer_id,
                day=today,
                step=reminder.step_key,
                kind=reminder.kind,
                channel=reminder.channel,
                invoice_numbers=list(reminder.invoice_numbers),
                total_due=reminder.total_due,
                email_id=email_id,
            )
            result.written.append(WrittenReminder(reminder, reminder_id, email_id))
        fresh_ids = {id(r) for r in fresh}
        sent = replace(
            run,
            reminders=tuple(r for r in run.reminders if id(r) in fresh_ids),
            calls_today=tuple(r for r in run.calls_today if id(r) in fresh_ids),
        )
        before = {it.invoice_id: it for it in items}
        changed: dict[tuple[str | None, date | None, bool], list[int]] = {}
        for item in apply_run(items, sent):
            if item != before[item.invoice_id]:
                key = (item.last_step_sent, item.last_step_sent_on, item.indemnity_claimed)
                changed.setdefault(key, []).append(item.invoice_id)
        for (step, day, claimed), invoice_ids in changed.items():
            repo.set_dunning_state(
                company_id, invoice_ids, last_step_sent=step, last_step_sent_on=day, indemnity_claimed=claimed
            )
    return result


def _queue_reminder(
    repo: CollectionsStore,
    company: Company,
    reminder: Reminder,
    urls: Mapping[int, str],
    templates: Mapping[str, MessageTemplate],
) -> int:
    assert company.id is not None
    link = _links_text(reminder, urls)
    message = render_message(reminder, company, link=link, templates=templates)
    formal = reminder.kind == "formal_notice"
    attachments = [formal_notice_letter(reminder, company, link=link)] if formal else []
    return enqueue(
        repo,
        company.id,
        reminder.customer_email,
        message.subject,
        message.body,
        kind="formal_notice" if formal else "reminder",
        invoice_ids=[ln.invoice_id for ln in reminder.invoices],
        attachments=attachments,
        dedupe_key=f"reminder:{company.id}:{reminder.customer_id}:{reminder.date.isoformat()}:{reminder.step_key}",
    )


def payment_reference_of(number: str, stored: str) -> str:
    """The invoice's RF reference (stored at issue, or derived); "" when the number is too long."""
    if stored:
        return stored
    try:
        return rf_reference(number)
    except FormatError:
        return ""


def send_invoice(
    uow: UnitOfWorkOf[CollectionsStore],
    company_id: int,
    invoice_id: int,
    to: str | None = None,
    *,
    base_url: str,
    secret: str,
    template: MessageTemplate,
) -> int:
    """Queue the invoice email (PDF attached by the sending job, payment link in the text); returns
    the message id. Re-sending after a bounce takes the invoice out of "fix and resend"."""
    with uow() as repo:
        company = repo.get_company(company_id)
        invoice = repo.get_invoice(company_id, invoice_id)
        if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED):
            raise EncaisseError(
                f"invoice {invoice.number or invoice_id} is {invoice.status.value}: it cannot be sent",
                code="MAIL-NOT-SENDABLE",
            )
        address = to or _customer_email(repo, company_id, invoice.customer.id) or invoice.customer.email
        if not address:
            raise EncaisseError(
                f"no email address for {invoice.customer.name}: pass --to or fill the customer's email",
                code="MAIL-NO-ADDRESS",
            )
        link = link_for(repo, company_id, invoice_id, base_url, secret) if is_payable(invoice) else ""
        reference = payment_reference_of(invoice.number, invoice.payment_reference)
        context = {
            "client": invoice.customer.name,
            "numero": invoice.number,
            "montant": fr_money(invoice.total_incl_tax),
            "reste_du": fr_money(invoice.amount_due),
            "date_facture": fr_date(invoice.issue_date),
            "echeance": fr_date(invoice.due_date) if invoice.due_date else "",
            "lien": link,
            "reference": format_rf(reference) if reference else invoice.number,
            "iban": " ".join(company.iban[i : i + 4] for i in range(0, len(company.iban), 4)),
            "societe": company.name,
        }
        subject = template.subject.format_map(context)
        body = template.body.format_map(context)
        kind = "other" if invoice.kind is DocumentKind.CREDIT_NOTE else "invoice"
        email_id = enqueue(
            repo,
            company_id,
            address,
            subject,
            body,
            kind=kind,
            invoice_ids=[invoice_id],
            attachments=[invoice_pdf_descriptor(invoice_id, invoice.number)],
        )
        repo.set_invoice_flags(company_id, invoice_id, delivery_failed=False)
        return email_id


def _customer_email(repo: CollectionsStore, company_id: int, customer_id: int | None) -> str:
    if customer_id is None:
        return ""
    try:
        return repo.get_party(company_id, customer_id).email
    except EncaisseError:
        return ""


def late_interest_for(
    uow: UnitOfWorkOf[CollectionsStore], company_id: int, invoice_id: int, today: date
) -> InterestBreakdown:
    """Late-payment interest of an invoice to ``today`` (invoice page, formal notices).

    Business customer: penalties from the day after the due date at the invoice's rate, floored at
    3 × the legal rate, ECB + 10 points when none (C. com. L441-10 II; PAY-PENALTY-*). Consumer:
    legal-rate interest from the formal notice only (C. civ. 1231-6, 1344-1; PAY-B2C) — nothing
    before one was sent."""
    with uow.read() as repo:
        invoice = repo.get_invoice(company_id, invoice_id)
        amount = invoice.amount_due
        if invoice.due_date is None or amount <= 0 or today <= invoice.due_date:
            return InterestBreakdown((), ZERO, "penalty" if invoice.customer.is_business else "legal")
        if invoice.customer.is_business:
            return late_interest(amount, invoice.due_date, today, invoice.penalty_rate)
        notices = [
            r.date
            for r in repo.list_reminders(company_id, customer_id=invoice.customer.id)
            if r.kind == "formal_notice" and invoice.number in r.invoice_numbers
        ]
    if not notices:
        return InterestBreakdown((), ZERO, "legal")
    return consumer_interest(amount, min(notices), today)
