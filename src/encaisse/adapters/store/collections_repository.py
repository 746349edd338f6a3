"""SQL side of collections: email queue, reminders, payment links, online payments, provider events.

``CollectionsRepositoryMixin`` implements the store Protocols of ``services.mail_queue``,
``services.payment_links``, ``services.online_payments`` and ``services.collections`` over the
tables of ``adapters/store/tables.py``, as a mixin of ``SqlRepository`` (like
``BankRepositoryMixin``). Repositories never commit: the use case's transaction does.

Note: ``email_message`` has no "next attempt" column yet; the retry time of a queued message is
kept at the start of ``last_error`` as ``[retry_at=ISO-8601] …`` (see :func:`_with_retry_at`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from encaisse.adapters.store import tables as t
from encaisse.adapters.store.types import utc
from encaisse.services.collections import DunningRecord, ReminderRecord
from encaisse.services.mail_queue import EmailRecord
from encaisse.services.online_payments import OnlinePaymentRecord
from encaisse.services.payment_links import LinkRecord

_RETRY = re.compile(r"^\[retry_at=([^\]]+)\] ?")


def _with_retry_at(error: str, at: datetime | None) -> str:
    plain = _RETRY.sub("", error)
    if at is None:
        return plain
    return f"[retry_at={utc(at).isoformat()}] {plain}"  # type: ignore[union-attr]


def retry_at_of(last_error: str) -> datetime | None:
    match = _RETRY.match(last_error)
    return datetime.fromisoformat(match.group(1)) if match else None


def _email_from(r: Any) -> EmailRecord:
    return EmailRecord(
        id=r.id,
        company_id=r.company_id,
        to=r.to_addr,
        subject=r.subject,
        body=r.body,
        kind=r.kind,
        invoice_ids=tuple(r.invoice_ids or ()),
        attachments=tuple(r.attachments or ()),
        status=r.status,
        attempts=r.attempts,
        last_error=r.last_error,
        message_id=r.message_id,
        dedupe_key=r.dedupe_key,
        created_at=utc(r.created_at),
        sent_at=utc(r.sent_at),
    )


def _link_from(r: Any) -> LinkRecord:
    return LinkRecord(
        id=r.id,
        company_id=r.company_id,
        invoice_id=r.invoice_id,
        nonce=r.nonce,
        created_at=utc(r.created_at),
        revoked_at=utc(r.revoked_at),
        opened_at=utc(r.opened_at),
    )


def _online_from(r: Any) -> OnlinePaymentRecord:
    return OnlinePaymentRecord(
        id=r.id,
        company_id=r.company_id,
        invoice_id=r.invoice_id,
        provider=r.provider,
        session_id=r.session_id,
        amount=r.amount,
        status=r.status,
        paid_at=utc(r.paid_at),
    )


class CollectionsRepositoryMixin:
    conn: Connection

    # ---- email queue ---------------------------------------------------------------------
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
    ) -> tuple[int, bool]:
        em = t.email_message
        if dedupe_key is not None:
            found = self.conn.execute(sa.select(em.c.id).where(em.c.dedupe_key == dedupe_key)).first()
            if found is not None:
                return int(found.id), False
        new_id = self.conn.execute(
            em.insert()
            .values(
                company_id=company_id,
                to_addr=to,
                subject=subject[:300],
                body=body,
                kind=kind,
                invoice_ids=list(invoice_ids),
                attachments=[dict(a) for a in attachments],
                status="queued",
                attempts=0,
                last_error="",
                message_id="",
                dedupe_key=dedupe_key,
            )
            .returning(em.c.id)
        ).scalar_one()
        return int(new_id), True

    def get_email(self, email_id: int) -> EmailRecord | None:
        row = self.conn.execute(sa.select(t.email_message).where(t.email_message.c.id == email_id)).first()
        return _email_from(row) if row else None

    def email_by_message_id(self, message_id: str) -> EmailRecord | None:
        if not message_id:
            return None
        row = self.conn.execute(
            sa.select(t.email_message).where(t.email_message.c.message_id == message_id)
        ).first()
        return _email_from(row) if row else None

    def claim_due_emails(
        self, now: datetime, *, max_attempts: int, lease: timedelta, limit: int
    ) -> list[EmailRecord]:
        em = t.email_message
        rows = self.conn.execute(
            sa.select(em)
            .where(em.c.status == "queued", em.c.attempts < max_attempts)
            .order_by(em.c.id)
            .limit(limit * 4)
        ).all()
        claimed: list[EmailRecord] = []
        now_utc = utc(now)
        assert now_utc is not None
        for row in rows:
            due = retry_at_of(row.last_error)
            if due is not None and due > now_utc:
                continue
            marker = _with_retry_at("envoi en cours", now_utc + lease)
            res = self.conn.execute(
                em.update()
                .where(em.c.id == row.id, em.c.attempts == row.attempts, em.c.status == "queued")
                .values(attempts=row.attempts + 1, last_error=marker)
            )
            if res.rowcount == 1:
                claimed.append(replace(_email_from(row), attempts=row.attempts + 1))
            if len(claimed) >= limit:
                break
        return claimed

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
    ) -> None:
        values: dict[str, Any] = {"status": status, "last_error": _with_retry_at(error, retry_at)}
        if message_id:
            values["message_id"] = message_id
        if sent_at is not None:
            values["sent_at"] = sent_at
        if attempts is not None:
            values["attempts"] = max(0, attempts)
        self.conn.execute(t.email_message.update().where(t.email_message.c.id == email_id).values(**values))

    def list_emails(
        self, company_id: int, *, status: str | None = None, limit: int | None = None
    ) -> list[EmailRecord]:
        em = t.email_message
        q = sa.select(em).where(em.c.company_id == company_id)
        if status:
            q = q.where(em.c.status == status)
        q = q.order_by(em.c.id)
        if limit is not None:
            q = q.limit(limit)
        return [_email_from(r) for r in self.conn.execute(q)]

    # ---- dunning -------------------------------------------------------------------------
    def dunning_records(self, company_id: int) -> list[DunningRecord]:
        inv, party = t.invoice, t.party
        rows = self.conn.execute(
            sa.select(
                inv.c.id,
                inv.c.number,
                inv.c.kind,
                inv.c.status,
                inv.c.customer_id,
                inv.c.customer_snapshot,
                inv.c.issue_date,
                inv.c.due_date,
                inv.c.total_incl_tax,
                inv.c.amount_paid,
                inv.c.amount_credited,
                inv.c.penalty_rate,
                inv.c.disputed,
                inv.c.in_payment_plan,
                inv.c.delivery_failed,
                inv.c.last_step_sent,
                inv.c.last_step_sent_on,
                inv.c.indemnity_claimed,
                inv.c.einvoice_status,
                party.c.email.label("party_email"),
                party.c.is_business.label("party_is_business"),
            )
            .select_from(inv.outerjoin(party, party.c.id == inv.c.customer_id))
            .where(
                inv.c.company_id == company_id,
                inv.c.status.in_(("issued", "partially_paid")),
                inv.c.due_date.is_not(None),
                inv.c.customer_id.is_not(None),
            )
            .order_by(inv.c.id)
        )
        out: list[DunningRecord] = []
        for r in rows:
            snap = r.customer_snapshot or {}
            business = (
                r.party_is_business if r.party_is_business is not None else snap.get("is_business", True)
            )
            out.append(
                DunningRecord(
                    invoice_id=r.id,
                    number=r.number or "",
                    kind=r.kind,
                    status=r.status,
                    customer_id=r.customer_id,
                    customer_name=snap.get("name", ""),
                    customer_email=(r.party_email or snap.get("email", "") or "").strip(),
                    customer_is_business=bool(business),
                    issue_date=r.issue_date,
                    due_date=r.due_date,
                    total=r.total_incl_tax,
                    amount_paid=r.amount_paid,
                    amount_credited=r.amount_credited,
                    penalty_rate=r.penalty_rate,
                    disputed=r.disputed,
                    in_payment_plan=r.in_payment_plan,
                    delivery_failed=r.delivery_failed,
                    last_step_sent=r.last_step_sent,
                    last_step_sent_on=r.last_step_sent_on,
                    indemnity_claimed=r.indemnity_claimed,
                    einvoice_status=r.einvoice_status,
                )
            )
        return out

    def set_dunning_state(
        self,
        company_id: int,
        invoice_ids: Sequence[int],
        *,
        last_step_sent: str | None,
        last_step_sent_on: date | None,
        indemnity_claimed: bool,
    ) -> None:
        inv = t.invoice
        ids = list(invoice_ids)
        for i in range(0, len(ids), 500):
            self.conn.execute(
                inv.update()
                .where(inv.c.company_id == company_id, inv.c.id.in_(ids[i : i + 500]))
                .values(
                    last_step_sent=last_step_sent,
                    last_step_sent_on=last_step_sent_on,
                    indemnity_claimed=indemnity_claimed,
                )
            )

    def reminder_keys(self, company_id: int, day: date) -> set[tuple[int, str]]:
        rm = t.reminder
        rows = self.conn.execute(
            sa.select(rm.c.customer_id, rm.c.step).where(rm.c.company_id == company_id, rm.c.date == day)
        )
        return {(r.customer_id, r.step) for r in rows}

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
    ) -> int:
        return int(
            self.conn.execute(
                t.reminder.insert()
                .values(
                    company_id=company_id,
                    customer_id=customer_id,
                    date=day,
                    step=step,
                    kind=kind,
                    channel=channel,
                    invoice_numbers=list(invoice_numbers),
                    total_due=total_due,
                    email_id=email_id,
                )
                .returning(t.reminder.c.id)
            ).scalar_one()
        )

    def list_reminders(
        self,
        company_id: int,
        *,
        since: date | None = None,
        until: date | None = None,
        customer_id: int | None = None,
    ) -> list[ReminderRecord]:
        rm = t.reminder
        q = sa.select(rm).where(rm.c.company_id == company_id)
        if since is not None:
            q = q.where(rm.c.date >= since)
        if until is not None:
            q = q.where(rm.c.date <= until)
        if customer_id is not None:
            q = q.where(rm.c.customer_id == customer_id)
        return [
            ReminderRecord(
                id=r.id,
                company_id=r.company_id,
                customer_id=r.customer_id,
                date=r.date,
                step=r.step,
                kind=r.kind,
                channel=r.channel,
                invoice_numbers=tuple(r.invoice_numbers or ()),
                total_due=r.total_due,
                email_id=r.email_id,
            )
            for r in self.conn.execute(q.order_by(rm.c.date, rm.c.id))
        ]

    # ---- payment links -------------------------------------------------------------------
    def payment_link_for_invoice(self, company_id: int, invoice_id: int) -> LinkRecord | None:
        pl = t.payment_link
        row = self.conn.execute(
            sa.select(pl)
            .where(pl.c.company_id == company_id, pl.c.invoice_id == invoice_id, pl.c.revoked_at.is_(None))
            .order_by(pl.c.id.desc())
            .limit(1)
        ).first()
        return _link_from(row) if row else None

    def add_payment_link(self, company_id: int, invoice_id: int, nonce: str) -> LinkRecord:
        pl = t.payment_link
        row = self.conn.execute(
            pl.insert().values(company_id=company_id, invoice_id=invoice_id, nonce=nonce).returning(*pl.c)
        ).one()
        return _link_from(row)

    def live_payment_links(self, company_id: int, invoice_ids: Sequence[int]) -> dict[int, LinkRecord]:
        pl = t.payment_link
        found: dict[int, LinkRecord] = {}
        wanted = list(dict.fromkeys(invoice_ids))
        for i in range(0, len(wanted), 500):
            rows = self.conn.execute(
                sa.select(pl)
                .where(
                    pl.c.company_id == company_id,
                    pl.c.invoice_id.in_(wanted[i : i + 500]),
                    pl.c.revoked_at.is_(None),
                )
                .order_by(pl.c.id)
            )
            for r in rows:
                found[r.invoice_id] = _link_from(r)  # the latest live link wins
        return found

    def payment_link_by_nonce(self, nonce: str) -> LinkRecord | None:
        row = self.conn.execute(sa.select(t.payment_link).where(t.payment_link.c.nonce == nonce)).first()
        return _link_from(row) if row else None

    def revoke_payment_links(self, company_id: int, invoice_id: int, at: datetime) -> int:
        pl = t.payment_link
        res = self.conn.execute(
            pl.update()
            .where(pl.c.company_id == company_id, pl.c.invoice_id == invoice_id, pl.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(res.rowcount)

    def mark_payment_link_opened(self, link_id: int, at: datetime) -> None:
        pl = t.payment_link
        self.conn.execute(
            pl.update().where(pl.c.id == link_id, pl.c.opened_at.is_(None)).values(opened_at=at)
        )

    # ---- online payments -----------------------------------------------------------------
    def add_online_payment(
        self, company_id: int, invoice_id: int, *, provider: str, session_id: str, amount: Decimal
    ) -> OnlinePaymentRecord:
        op = t.online_payment
        row = self.conn.execute(
            op.insert()
            .values(
                company_id=company_id,
                invoice_id=invoice_id,
                provider=provider,
                session_id=session_id,
                amount=amount,
                status="pending",
            )
            .returning(*op.c)
        ).one()
        return _online_from(row)

    def online_payment_by_session(self, provider: str, session_id: str) -> OnlinePaymentRecord | None:
        op = t.online_payment
        row = self.conn.execute(
            sa.select(op).where(op.c.provider == provider, op.c.session_id == session_id)
        ).first()
        return _online_from(row) if row else None

    def set_online_payment_status(self, payment_id: int, status: str, *, paid_at: datetime | None) -> None:
        op = t.online_payment
        self.conn.execute(op.update().where(op.c.id == payment_id).values(status=status, paid_at=paid_at))

    def add_provider_event(self, provider: str, event_id: str, event_type: str) -> bool:
        pe = t.provider_event
        found = self.conn.execute(
            sa.select(pe.c.id).where(pe.c.provider == provider, pe.c.event_id == event_id)
        ).first()
        if found is not None:
            return False
        self.conn.execute(pe.insert().values(provider=provider, event_id=event_id, type=event_type[:100]))
        return True
