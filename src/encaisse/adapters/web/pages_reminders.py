"""Relances: what to do today, the reminders of the next 14 days and why, the invoices to fix and
resend, those on hold, the message log, the day's run, and the late-payment interest of an
invoice (issue 6).

The page reads each open invoice's dunning state once and asks the pure plan
(``domain.dunning``) what is due today and what the next 14 days hold — the same computation as
``services.collections.reminders_preview`` and ``encaisse reminders preview``. Only the two buttons
write: "Envoyer les relances du jour" runs :func:`~encaisse.services.collections.reminders_run`
(idempotent: a second run the same day writes nothing) and "Renvoyer" queues the invoice email
again (:func:`~encaisse.services.collections.send_invoice`). Emails leave from the queue, never
inside the request (CHECKLIST DUN-RELANCE-PRACTICE: every step is logged).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from encaisse.adapters.store.collections_repository import retry_at_of
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.adapters.web.context import CSRF, Ctx, Id, member, writer
from encaisse.adapters.web.forms import text
from encaisse.adapters.web.messages_fr import code_fr
from encaisse.adapters.web.rendering import flash, render
from encaisse.domain.dunning import STEP_LABELS_FR, DunningItem, due_today, preview
from encaisse.domain.errors import EncaisseError
from encaisse.domain.money import ZERO
from encaisse.domain.terms import RECOVERY_INDEMNITY
from encaisse.services.clock import today
from encaisse.services.collections import late_interest_for, load_items, reminders_run, send_invoice
from encaisse.services.mail_queue import EmailRecord

router = APIRouter(dependencies=CSRF, include_in_schema=False)

PREVIEW_DAYS = 14
LOG_SIZE = 50

STEP_FR = {
    "courtesy": "Relance de courtoisie",
    "reminder_1": "Relance",
    "reminder_2": "Seconde relance",
    "formal_notice": "Mise en demeure",
    "call": "Appel",
}
CHANNEL_FR = {"email": "E-mail", "letter": "Lettre (et e-mail)", "call": "Téléphone"}
HOLD_FR = {
    "DUN-HOLD-DISPUTED": "Contestée par le client",
    "DUN-HOLD-PAYMENT-PLAN": "Échéancier de paiement accordé",
    "DUN-HOLD-FACTORED": "Cédée (affacturage ou Dailly)",
}
EMAIL_STATUS_FR = {"queued": "En attente", "sent": "Envoyé", "failed": "Échec", "bounced": "Non distribué"}
EMAIL_KIND_FR = {
    "invoice": "Facture",
    "quote": "Devis",
    "reminder": "Relance",
    "formal_notice": "Mise en demeure",
    "other": "Autre",
}


def step_fr(key: str) -> str:
    return STEP_FR.get(key, STEP_LABELS_FR.get(key, key).capitalize())


@dataclass(frozen=True)
class TodoRow:
    customer: str
    invoice_numbers: tuple[str, ...]
    total_due: Decimal
    what: str  # "Appel" | "Courrier à poster" …
    done: bool  # already recorded by today's run


@dataclass(frozen=True)
class FixRow:
    item: DunningItem
    reason: str


def _uow(ctx: Ctx) -> SqlUnitOfWork:
    return SqlUnitOfWork(ctx.state.engine)


def _error_text(email: EmailRecord) -> str:
    text_ = email.last_error
    if retry_at_of(text_) is not None:
        text_ = text_.split("] ", 1)[-1]
    return text_[:200]


def _fix_reason(item: DunningItem, emails: list[EmailRecord]) -> str:
    bounced = [e for e in emails if e.status in ("bounced", "failed") and item.invoice_id in e.invoice_ids]
    if bounced:
        last = bounced[-1]
        detail = _error_text(last)
        return f"E-mail à {last.to} non distribué" + (f" : {detail}" if detail else "")
    return "Envoi en échec (adresse erronée ou facture électronique rejetée)"


@router.get("/relances")
def reminders_page(request: Request, ctx: Ctx = Depends(member)) -> Response:
    day = today()
    with _uow(ctx).read() as repo:
        company = repo.get_company(ctx.company_id)
        items = load_items(repo, company)
        recorded = repo.list_reminders(ctx.company_id, since=day, until=day)
        emails = repo.list_emails(ctx.company_id)
    run = due_today(items, {}, day)
    planned = preview(items, {}, day, PREVIEW_DAYS)
    names = {it.customer_id: it.customer_name for it in items}
    ids = {it.number: it.invoice_id for it in items}
    todo = [
        TodoRow(names.get(r.customer_id, "?"), r.invoice_numbers, r.total_due, "Appel", True)
        for r in recorded
        if r.channel == "call"
    ]
    todo += [
        TodoRow(names.get(r.customer_id, "?"), r.invoice_numbers, r.total_due, "Courrier à poster", True)
        for r in recorded
        if r.channel != "call" and r.email_id is None
    ]
    todo += [
        TodoRow(r.customer_name, r.invoice_numbers, r.total_due, "Appel", False) for r in run.calls_today
    ]
    return render(
        request,
        "reminders/index.html",
        ctx,
        section="reminders",
        title="Relances",
        today=day,
        todo=todo,
        due_now=len(run.reminders) + len(run.calls_today),
        sent_today=len(recorded),
        planned=planned,
        fix=[FixRow(it, _fix_reason(it, emails)) for it in run.fix_and_resend],
        held=run.held,
        emails=list(reversed(emails[-LOG_SIZE:])),
        email_count=len(emails),
        ids=ids,
        step_fr=step_fr,
        channel_fr=CHANNEL_FR,
        hold_fr=HOLD_FR,
        status_fr=EMAIL_STATUS_FR,
        kind_fr=EMAIL_KIND_FR,
        error_text=_error_text,
    )


@router.post("/relances/envoyer")
def run_reminders(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    settings, uow, day = ctx.state.settings, _uow(ctx), today()
    result = reminders_run(uow, ctx.company_id, day, base_url=settings.base_url, secret=settings.secret_key)
    ctx.state.cache.bump()
    if not result.written:
        with uow.read() as repo:
            done_today = result.already_done or repo.reminder_keys(ctx.company_id, day)
        message = (
            "Les relances du jour ont déjà été faites : rien de nouveau à envoyer."
            if done_today
            else "Aucune relance n'est due aujourd'hui."
        )
    else:
        message = (
            f"{len(result.written)} relance(s) enregistrée(s), {result.emails} e-mail(s) mis en file d'envoi"
            f", {len(result.calls)} appel(s) à passer, {len(result.without_address)} courrier(s) à poster."
        )
    if result.fix_and_resend:
        message += f" {len(result.fix_and_resend)} facture(s) à corriger et renvoyer."
    flash(request, message)
    return RedirectResponse("/relances", status_code=303)


@router.post("/relances/factures/{invoice_id}/renvoyer")
async def resend_invoice(request: Request, invoice_id: Id, ctx: Ctx = Depends(writer)) -> Response:
    from encaisse.adapters.mail.templates import INVOICE_TEMPLATES

    form = await request.form()
    uow = _uow(ctx)
    with uow.read() as repo:
        invoice = repo.get_invoice(ctx.company_id, invoice_id)  # 404 outside the company
    template = INVOICE_TEMPLATES["credit_note" if invoice.kind.value == "credit_note" else "invoice"]
    to = text(form, "to")[:300] or None
    settings = ctx.state.settings
    try:
        send_invoice(
            uow,
            ctx.company_id,
            invoice_id,
            to,
            base_url=settings.base_url,
            secret=settings.secret_key,
            template=template,
        )
    except EncaisseError as exc:
        flash(request, f"Facture {invoice.number} non renvoyée : {code_fr(exc.code)}", "error")
        return RedirectResponse("/relances", status_code=303)
    ctx.state.cache.bump()
    flash(request, f"Facture {invoice.number} renvoyée à {to or 'l’adresse du client'} (envoi en file).")
    return RedirectResponse("/relances", status_code=303)


@router.get("/relances/factures/{invoice_id}")
def invoice_interest_page(request: Request, invoice_id: Id, ctx: Ctx = Depends(member)) -> Response:
    """Late-payment interest to date and the 40 € indemnity (C. com. L441-10 II, D441-5;
    CHECKLIST PAY-PENALTY-DEFAULT, PAY-PENALTY-FLOOR, PAY-INDEMNITY-40, PAY-B2C)."""
    day = today()
    uow = _uow(ctx)
    with uow.read() as repo:
        invoice = repo.get_invoice(ctx.company_id, invoice_id)
        sent = [
            r
            for r in repo.list_reminders(ctx.company_id, customer_id=invoice.customer.id)
            if invoice.number and invoice.number in r.invoice_numbers
        ]
    breakdown = late_interest_for(uow, ctx.company_id, invoice_id, day)
    late = invoice.due_date is not None and invoice.amount_due > 0 and day > invoice.due_date
    indemnity = RECOVERY_INDEMNITY if late and invoice.customer.is_business else ZERO
    return render(
        request,
        "reminders/invoice.html",
        ctx,
        section="reminders",
        title=f"Pénalités de retard — {invoice.number or 'brouillon'}",
        inv=invoice,
        today=day,
        days_late=(day - invoice.due_date).days if late and invoice.due_date else 0,
        interest=breakdown,
        indemnity=indemnity,
        total_claim=invoice.amount_due + breakdown.total + indemnity if late else invoice.amount_due,
        sent=sent,
        step_fr=step_fr,
        channel_fr=CHANNEL_FR,
    )
