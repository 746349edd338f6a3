"""Emails through a real SMTP server (aiosmtpd): content, attachment, headers, grouping by customer,
no duplicate when the jobs run twice, nothing for paid invoices, retries on transient failures,
bounces to "fix and resend" (DUN-RELANCE-PRACTICE, DUN-GDPR-MINIMISE, DUN-MED-CONTENT)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from pypdf import PdfReader

from encaisse.adapters.mail.attachments import render_attachment
from encaisse.adapters.mail.smtp import SmtpSender
from encaisse.adapters.mail.templates import INVOICE_TEMPLATES
from encaisse.adapters.payments.fake_server import free_port
from encaisse.services import invoicing
from encaisse.services.collections import reminders_run, send_invoice
from encaisse.services.mail_queue import MailConfigError, MailError, mark_bounced, retry_delay, send_due
from encaisse.settings import SmtpSettings

from .conftest import BASE_URL, SECRET, RecordingHandler, Shop, SmtpServer

TODAY = date(2026, 12, 14)  # a Monday
NOW = datetime(2026, 12, 14, 8, 0, tzinfo=UTC)
NNBSP = "\u202f"


def run(shop: Shop, day: date = TODAY):
    return reminders_run(shop.uow, shop.company_id, day, base_url=BASE_URL, secret=SECRET)


def test_invoice_email_has_pdf_headers_and_payment_link(shop: Shop, smtp_server: SmtpServer) -> None:
    customer = shop.customer("Durand Bâtiment SAS", "compta@durand.fr")
    invoice = shop.invoice(customer, Decimal("1234.56"), date(2027, 1, 13), issued=TODAY)
    assert invoice.id is not None
    send_invoice(
        shop.uow,
        shop.company_id,
        invoice.id,
        base_url=BASE_URL,
        secret=SECRET,
        template=INVOICE_TEMPLATES["invoice"],
    )
    report = send_due(shop.uow, SmtpSender(smtp_server.settings), NOW, render_attachment=render_attachment)
    assert report.sent
    assert not report.failed
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["compta@durand.fr"]  # the debtor only, no copy (DUN-GDPR-MINIMISE)
    msg = received.message
    assert msg["From"] == "Élec Durand <factures@encaisse.test>"
    assert msg["Reply-To"] == "Élec Durand <contact@elec-durand.fr>"
    assert msg["Subject"] == "Facture F2026-00001 — Élec Durand"
    assert parsedate_to_datetime(msg["Date"]) == NOW
    with shop.uow.read() as repo:
        (stored,) = repo.list_emails(shop.company_id)
    assert stored.status == "sent"
    assert stored.attempts == 1
    assert msg["Message-ID"] == stored.message_id
    assert stored.message_id.endswith("@encaisse.test>")
    body = msg.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert f"1{NNBSP}234,56\u00a0€" in text
    assert "13/01/2027" in text
    assert f"{BASE_URL}/pay/" in text
    assert "RF" in text
    assert "FR76 3000 6000 0112 3456 7890 189" in text
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "F2026-00001.pdf"
    pdf = attachment.get_content()
    assert pdf.startswith(b"%PDF-")
    assert "F2026-00001" in "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_reminders_grouped_by_customer_sent_once_and_never_for_paid(
    shop: Shop, smtp_server: SmtpServer
) -> None:
    martin = shop.customer("Martin SARL", "compta@martin.fr")
    bois = shop.customer("Bois & Fils", "factures@bois.fr")
    payer = shop.customer("Bon Payeur SA", "ap@payeur.fr")
    due = TODAY - timedelta(days=7)  # D+7 today: first reminder
    m1 = shop.invoice(martin, Decimal("100.00"), due)
    m2 = shop.invoice(martin, Decimal("250.50"), due)
    shop.invoice(bois, Decimal("80.00"), due)
    paid = shop.invoice(payer, Decimal("500.00"), due)
    assert paid.id is not None
    invoicing.record_payment(shop.uow, shop.company_id, paid.id, Decimal("500.00"), TODAY)

    sender = SmtpSender(smtp_server.settings)
    first = run(shop)
    send_due(shop.uow, sender, NOW)
    second = run(shop)  # the job runs twice the same day (restart, cron overlap…)
    send_due(shop.uow, sender, NOW + timedelta(minutes=5))
    assert len(first.written) == 2
    assert second.written == []
    assert second.already_done == 0
    assert len(smtp_server.received) == 2
    by_rcpt = {r.rcpt_tos[0]: r.message for r in smtp_server.received}
    assert set(by_rcpt) == {"compta@martin.fr", "factures@bois.fr"}  # nothing to the payer
    martin_msg = by_rcpt["compta@martin.fr"]
    assert martin_msg["Subject"] == f"Relance : {m1.number}, {m2.number} — échéance du {due:%d/%m/%Y}"
    body = martin_msg.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert f"les factures {m1.number}, {m2.number}" in text
    assert "350,50\u00a0€" in text
    assert text.count(f"{BASE_URL}/pay/") == 2  # one payment link per invoice
    assert not list(martin_msg.iter_attachments())
    # the next days bring nothing new either (next step at D+15)
    assert run(shop, TODAY + timedelta(days=1)).written == []
    with shop.uow.read() as repo:
        reminders = repo.list_reminders(shop.company_id)
    assert [(r.step, r.invoice_numbers, r.total_due) for r in reminders] == [
        ("reminder_1", ("F2026-00003",), Decimal("80.00")),
        ("reminder_1", ("F2026-00001", "F2026-00002"), Decimal("350.50")),
    ]


def test_formal_notice_email_carries_the_letter(shop: Shop, smtp_server: SmtpServer) -> None:
    customer = shop.customer("Garage du Centre", "gerant@garage.fr")
    invoice = shop.invoice(customer, Decimal("1200.00"), TODAY - timedelta(days=31))
    result = run(shop)  # days without running: catch-up sends the formal notice, never skipped
    (written,) = result.written
    assert written.reminder.step_key == "formal_notice"
    send_due(shop.uow, SmtpSender(smtp_server.settings), NOW, render_attachment=render_attachment)
    (received,) = smtp_server.received
    msg = received.message
    assert msg["Subject"] == f"Mise en demeure de payer — {invoice.number}"
    body = msg.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "mise en demeure" in text
    assert "40,00\u00a0€" in text
    assert "injonction de payer" in text
    (letter,) = list(msg.iter_attachments())
    assert letter.get_filename() == f"mise-en-demeure-{TODAY.isoformat()}-{customer.id}.pdf"
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(letter.get_content())).pages)
    for expected in ("Mise en demeure", invoice.number, "Garage du Centre", "Lyon, le 14/12/2026", "8 jours"):
        assert expected in pdf_text
    with shop.uow.read() as repo:
        stored = repo.get_invoice(shop.company_id, invoice.id or 0)
        flags = repo.dunning_records(shop.company_id)[0]
    assert stored.status.value == "issued"
    assert flags.last_step_sent == "formal_notice"
    assert flags.indemnity_claimed


def test_transient_failure_is_retried_with_backoff(shop: Shop, smtp_server: SmtpServer) -> None:
    customer = shop.customer("Martin SARL", "compta@martin.fr")
    shop.invoice(customer, Decimal("100.00"), TODAY - timedelta(days=7))
    run(shop)
    smtp_server.handler.fail_first = ["451 4.3.0 Mailbox busy, try again later"]
    sender = SmtpSender(smtp_server.settings)
    first = send_due(shop.uow, sender, NOW)
    assert first.retrying
    assert not first.sent
    assert smtp_server.received == []
    with shop.uow.read() as repo:
        (queued,) = repo.list_emails(shop.company_id)
    assert queued.status == "queued"
    assert queued.attempts == 1
    assert "451" in queued.last_error
    assert send_due(shop.uow, sender, NOW + timedelta(seconds=30)).sent == []  # backoff: not yet
    later = send_due(shop.uow, sender, NOW + retry_delay(1))
    assert later.sent == [queued.id]
    assert len(smtp_server.received) == 1
    with shop.uow.read() as repo:
        (sent,) = repo.list_emails(shop.company_id)
    assert sent.status == "sent"
    assert sent.attempts == 2
    assert sent.last_error == ""


def test_permanent_failure_is_not_retried(shop: Shop, smtp_server: SmtpServer) -> None:
    customer = shop.customer("Martin SARL", "nobody@martin.fr")
    shop.invoice(customer, Decimal("100.00"), TODAY - timedelta(days=7))
    run(shop)
    smtp_server.handler.fail_first = ["554 5.7.1 Message rejected"]
    report = send_due(shop.uow, SmtpSender(smtp_server.settings), NOW)
    assert report.failed
    assert not report.retrying
    assert send_due(shop.uow, SmtpSender(smtp_server.settings), NOW + timedelta(hours=2)).sent == []
    with shop.uow.read() as repo:
        (failed,) = repo.list_emails(shop.company_id)
    assert failed.status == "failed"
    assert "554" in failed.last_error


def test_gives_up_after_max_attempts(shop: Shop, smtp_server: SmtpServer) -> None:
    customer = shop.customer("Martin SARL", "compta@martin.fr")
    shop.invoice(customer, Decimal("100.00"), TODAY - timedelta(days=7))
    run(shop)
    smtp_server.handler.fail_first = ["421 4.7.0 Too many connections"] * 3
    sender = SmtpSender(smtp_server.settings)
    at = NOW
    for _ in range(3):
        send_due(shop.uow, sender, at, max_attempts=3)
        at += timedelta(hours=1)
    with shop.uow.read() as repo:
        (failed,) = repo.list_emails(shop.company_id)
    assert failed.status == "failed"
    assert failed.attempts == 3
    assert smtp_server.received == []


def test_unreachable_server_is_a_transient_failure() -> None:
    sender = SmtpSender(SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2))
    from email.message import EmailMessage

    message = EmailMessage()
    message["To"] = "a@b.fr"
    message.set_content("x")
    with pytest.raises(MailError) as caught:
        sender.send(message)
    assert caught.value.transient


def test_bounce_moves_the_invoice_to_fix_and_resend(shop: Shop, smtp_server: SmtpServer) -> None:
    customer = shop.customer("Martin SARL", "old-address@martin.fr")
    invoice = shop.invoice(customer, Decimal("100.00"), TODAY - timedelta(days=7))
    assert invoice.id is not None
    run(shop)
    send_due(shop.uow, SmtpSender(smtp_server.settings), NOW)
    with shop.uow.read() as repo:
        (sent,) = repo.list_emails(shop.company_id)
    bounced = mark_bounced(shop.uow, sent.message_id)
    assert bounced is not None
    assert bounced.status == "bounced"
    later = run(shop, TODAY + timedelta(days=8))  # D+15: would be the second reminder
    assert later.written == []
    assert [i.number for i in later.fix_and_resend] == [invoice.number]
    # fixed and re-sent: back in the ladder
    with shop.uow() as repo:
        repo.update_party(shop.company_id, replace(customer, email="compta@martin.fr"))
    send_invoice(
        shop.uow,
        shop.company_id,
        invoice.id,
        base_url=BASE_URL,
        secret=SECRET,
        template=INVOICE_TEMPLATES["invoice_resend"],
    )
    again = run(shop, TODAY + timedelta(days=9))
    assert [w.reminder.step_key for w in again.written] == ["reminder_2"]
    assert again.written[0].reminder.customer_email == "compta@martin.fr"
    assert mark_bounced(shop.uow, "<unknown@x>") is None


def test_customer_without_address_is_listed_not_emailed(shop: Shop) -> None:
    customer = shop.customer("M. Karim Haddad", "", business=False)
    shop.invoice(customer, Decimal("300.00"), TODAY - timedelta(days=7))
    result = run(shop)
    assert [r.customer_name for r in result.without_address] == ["M. Karim Haddad"]
    with shop.uow.read() as repo:
        assert repo.list_emails(shop.company_id) == []
        (reminder,) = repo.list_reminders(shop.company_id)
    assert reminder.email_id is None
    assert reminder.step == "reminder_1"


def _auth_server(handler: RecordingHandler) -> tuple[Controller, int]:
    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = bytes(auth_data.login) == b"facturation" and bytes(auth_data.password) == b"s3cret"
        return AuthResult(success=ok)

    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,  # loopback test only; production uses STARTTLS or SSL
        auth_exclude_mechanism=["LOGIN"],  # aiosmtpd's LOGIN stalls smtplib's fallback after a 535
    )
    controller.start()
    return controller, port


class RefusingSender:
    """A server refusing us as a whole (e.g. 535 authentication failed, mapped by SmtpSender)."""

    from_address = "factures@encaisse.test"

    def send(self, message: Any) -> str:
        raise MailConfigError("SMTP authentication refused (535)")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_and_refused_configuration_keep_the_queue_intact(shop: Shop) -> None:
    customer = shop.customer("Martin SARL", "compta@martin.fr")
    shop.invoice(customer, Decimal("100.00"), TODAY - timedelta(days=7))
    run(shop)
    with pytest.raises(MailConfigError):
        send_due(shop.uow, RefusingSender(), NOW)
    with shop.uow.read() as repo:
        (queued,) = repo.list_emails(shop.company_id)
    assert queued.status == "queued"
    assert queued.attempts == 0  # the server's fault, not the message's
    handler = RecordingHandler()
    controller, port = _auth_server(handler)
    try:
        right = SmtpSender(
            SmtpSettings(host="127.0.0.1", port=port, username="facturation", password="s3cret")
        )
        assert send_due(shop.uow, right, NOW).sent == [queued.id]
        assert len(handler.received) == 1
    finally:
        controller.stop()
