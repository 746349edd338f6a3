"""The outgoing email queue: messages are stored first, then sent by a background job.

A web request or a dunning run never talks to SMTP: it calls :func:`enqueue`, which writes one
``email_message`` row (``queued``) in the caller's transaction; :func:`send_due` — run every minute
by the worker (``encaisse worker``) or at once by ``encaisse reminders run`` — sends what is due.
Transient failures (4xx replies, timeouts, connection refused) are retried with exponential
backoff (1, 2, 4, 8 … minutes) up to ``max_attempts``; permanent ones (5xx) fail the message at
once. Each message is claimed before sending (``attempts`` + 1 under a lease), so two workers
never send the same message twice at the same time; delivery is *at least once* if a worker dies
between the SMTP ``DATA`` reply and the commit (the lease then expires and it is retried).

Every message is logged (status, attempts, last error, ``Message-ID``), which is the proof of the
reminders sent (CHECKLIST DUN-RELANCE-PRACTICE: "log all steps"). A bounce (:func:`mark_bounced`)
flags the invoices ``delivery_failed``: they leave the reminder ladder for the "fix and resend"
list. Recipients are the debtor's own contact only, never a copy to a third party (DUN-GDPR-MINIMISE).

>>> retry_delay(1), retry_delay(3), retry_delay(20)
(datetime.timedelta(seconds=60), datetime.timedelta(seconds=240), datetime.timedelta(seconds=3600))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address as MailAddress
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any, Protocol, TypeVar

from encaisse.domain.errors import EncaisseError
from encaisse.domain.parties import Company

#: Kinds of message (``email_message.kind``).
KINDS = ("invoice", "quote", "reminder", "formal_notice", "other")
#: First retry delay; each further attempt doubles it, up to :data:`MAX_RETRY_DELAY`.
RETRY_BASE = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=1)
#: How long a claimed message stays reserved for the worker sending it.
CLAIM_LEASE = timedelta(minutes=10)

R_co = TypeVar("R_co", covariant=True)


class UnitOfWorkOf(Protocol[R_co]):
    """``with uow() as repo`` (one write transaction) and ``with uow.read() as repo`` (read-only)."""

    def __call__(self) -> AbstractContextManager[R_co]: ...
    def read(self) -> AbstractContextManager[R_co]: ...


class MailError(EncaisseError):
    """Sending failed; ``transient`` says whether trying again later may work."""

    code = "MAIL-FAILED"

    def __init__(self, message: str, *, transient: bool, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.transient = transient


class MailConfigError(EncaisseError):
    """The mail server refuses us as a whole (authentication, TLS): no message is tried further."""

    code = "MAIL-CONFIG"


@dataclass(frozen=True)
class EmailRecord:
    id: int
    company_id: int
    to: str
    subject: str
    body: str
    kind: str
    invoice_ids: tuple[int, ...]
    attachments: tuple[Mapping[str, Any], ...]
    status: str  # queued | sent | failed | bounced
    attempts: int
    last_error: str
    message_id: str
    dedupe_key: str | None
    created_at: datetime | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped_config: bool = False

    def summary(self) -> str:
        return f"{len(self.sent)} sent, {len(self.retrying)} to retry, {len(self.failed)} failed"


class MailSender(Protocol):
    """What sends one message (``adapters/mail/smtp.SmtpSender``); raises :class:`MailError`."""

    @property
    def from_address(self) -> str: ...

    def send(self, message: EmailMessage) -> str: ...


class MailStore(Protocol):
    def get_company(self, company_id: int) -> Company: ...
    def set_invoice_flags(self, company_id: int, invoice_id: int, **flags: Any) -> None: ...
    def add_email(
        self,
        company_id: int,
        *,
        to: str,
        subject: str,
        body: str,
        kind: str,
        invoice_ids: Sequence[int],
        attachments: Sequence[Mapping[str, Any]],
        dedupe_key: str | None,
    ) -> tuple[int, bool]: ...
    def get_email(self, email_id: int) -> EmailRecord | None: ...
    def email_by_message_id(self, message_id: str) -> EmailRecord | None: ...
    def claim_due_emails(
        self, now: datetime, *, max_attempts: int, lease: timedelta, limit: int
    ) -> list[EmailRecord]: ...
    def record_email_result(
        self,
        email_id: int,
        *,
        status: str,
        error: str = "",
        message_id: str = "",
        retry_at: datetime | None = None,
        sent_at: datetime | None = None,
        attempts: int | None = None,
    ) -> None: ...
    def list_emails(
        self, company_id: int, *, status: str | None = None, limit: int | None = None
    ) -> list[EmailRecord]: ...


#: Renders one attachment descriptor (``{"kind": "invoice_pdf", "invoice_id": 1}``) into a file,
#: or None to send without it. Provided by the adapter side (PDF rendering lives in adapters).
AttachmentRenderer = Callable[[Any, int, Mapping[str, Any]], Attachment | None]


def retry_delay(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed ones: 1, 2, 4 … minutes, at most 1 hour."""
    delay: timedelta = RETRY_BASE * int(2 ** max(0, attempts - 1))
    return min(delay, MAX_RETRY_DELAY)


def enqueue(
    repo: MailStore,
    company_id: int,
    to: str,
    subject: str,
    body: str,
    *,
    kind: str,
    invoice_ids: Sequence[int] = (),
    attachments: Sequence[Mapping[str, Any]] = (),
    dedupe_key: str | None = None,
) -> int:
    """Queue one message in the caller's transaction; returns its id. With a ``dedupe_key`` already
    queued or sent, nothing is added and the existing message's id is returned."""
    if kind not in KINDS:
        raise EncaisseError(f"unknown email kind {kind!r}", code="MAIL-KIND")
    address = to.strip()
    if "@" not in address or any(ch in address for ch in ",;\r\n"):
        raise EncaisseError(
            f"{to!r} is not one email address (one recipient: the debtor's contact)", code="MAIL-ADDRESS"
        )
    email_id, _created = repo.add_email(
        company_id,
        to=address,
        subject=subject,
        body=body,
        kind=kind,
        invoice_ids=list(invoice_ids),
        attachments=[dict(a) for a in attachments],
        dedupe_key=dedupe_key,
    )
    return email_id


def build_message(
    record: EmailRecord,
    company: Company,
    from_address: str,
    attachments: Sequence[Attachment],
    now: datetime,
) -> EmailMessage:
    """The MIME message: ``From`` the platform's sender under the company's name, ``Reply-To`` the
    company (one sender per company, its own reply address), French subject, PDFs attached."""
    message = EmailMessage()
    message["From"] = formataddr((company.name, from_address))
    message["To"] = record.to
    if company.email:
        message["Reply-To"] = formataddr((company.name, company.email))
    message["Subject"] = record.subject
    message["Date"] = format_datetime(now)
    domain = _domain(from_address)
    message["Message-ID"] = make_msgid(idstring=f"encaisse.{record.id}", domain=domain)
    message["X-Encaisse-Kind"] = record.kind
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(record.body)
    for attachment in attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


def _domain(address: str) -> str:
    try:
        return MailAddress(addr_spec=address).domain or "encaisse.local"
    except (ValueError, IndexError):
        return "encaisse.local"


def send_due(
    uow: UnitOfWorkOf[MailStore],
    sender: MailSender,
    now: datetime,
    *,
    max_attempts: int = 5,
    render_attachment: AttachmentRenderer | None = None,
    limit: int = 200,
) -> SendReport:
    """Send the queued messages whose time has come; one short transaction per step, never one
    held open during an SMTP conversation. Idempotent: a sent message is never sent again."""
    report = SendReport()
    with uow() as repo:
        claimed = repo.claim_due_emails(now, max_attempts=max_attempts, lease=CLAIM_LEASE, limit=limit)
    for position, record in enumerate(claimed):
        try:
            with uow.read() as repo:
                company = repo.get_company(record.company_id)
                files = _render_all(repo, record, render_attachment)
            message = build_message(record, company, sender.from_address, files, now)
            message_id = sender.send(message)
        except MailConfigError:
            report.skipped_config = True
            with uow() as repo:  # give back every claimed message untouched: the server is at fault
                for pending in claimed[position:]:
                    repo.record_email_result(
                        pending.id,
                        status="queued",
                        error="configuration SMTP refusée",
                        retry_at=now,
                        attempts=pending.attempts - 1,
                    )
            raise
        except MailError as exc:
            _record_failure(uow, record, exc.message, exc.transient, now, max_attempts, report)
            continue
        except EncaisseError as exc:  # an attachment could not be rendered: retried like a 4xx
            _record_failure(uow, record, f"{exc.code}: {exc.message}", True, now, max_attempts, report)
            continue
        with uow() as repo:
            repo.record_email_result(record.id, status="sent", message_id=message_id, sent_at=now)
        report.sent.append(record.id)
    return report


def _render_all(repo: MailStore, record: EmailRecord, render: AttachmentRenderer | None) -> list[Attachment]:
    files: list[Attachment] = []
    if render is None:
        return files
    for descriptor in record.attachments:
        rendered = render(repo, record.company_id, descriptor)
        if rendered is not None:
            files.append(rendered)
    return files


def _record_failure(
    uow: UnitOfWorkOf[MailStore],
    record: EmailRecord,
    error: str,
    transient: bool,
    now: datetime,
    max_attempts: int,
    report: SendReport,
) -> None:
    attempts = record.attempts  # already counted by the claim
    with uow() as repo:
        if transient and attempts < max_attempts:
            repo.record_email_result(
                record.id, status="queued", error=error, retry_at=now + retry_delay(attempts)
            )
            report.retrying.append(record.id)
        else:
            repo.record_email_result(record.id, status="failed", error=error)
            report.failed.append(record.id)


def mark_bounced(uow: UnitOfWorkOf[MailStore], message_id: str) -> EmailRecord | None:
    """A bounce came back for ``message_id``: the message is ``bounced`` and its invoices go to
    "fix and resend" (``delivery_failed``), out of the reminder ladder. None if unknown."""
    with uow() as repo:
        record = repo.email_by_message_id(message_id.strip())
        if record is None:
            return None
        repo.record_email_result(record.id, status="bounced", error="message refusé par le destinataire")
        for invoice_id in record.invoice_ids:
            repo.set_invoice_flags(record.company_id, invoice_id, delivery_failed=True)
        return repo.get_email(record.id)
