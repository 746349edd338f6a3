"""Background jobs of the embedded mode: an in-process scheduler loop (``encaisse worker``).

Jobs are plain callables taking their dependencies and the current time, so a queue engine can
call them as they are. Production on PostgreSQL is meant to run them from procrastinate (not
installed here): register ``job_daily_reminders`` as a periodic task (cron ``0 8 * * *``,
Europe/Paris) and ``job_send_emails`` every minute, each building its unit of work from the
settings; no other change is needed because every job is idempotent:

- :func:`job_daily_reminders` runs each company's dunning plan for the day (a second run the same
  day writes and queues nothing: ``reminder`` is unique per customer, date and step);
- :func:`job_send_emails` sends the queued messages whose time has come (retries with backoff).

A restart is harmless: the daily run happens again once (and does nothing new), the queue resumes.
"""

from __future__ import annotations

import logging
import time as systime
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from encaisse.adapters.mail.attachments import render_attachment
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.domain.errors import EncaisseError
from encaisse.services import clock, quotes
from encaisse.services.collections import RunResult, reminders_run
from encaisse.services.mail_queue import MailConfigError, MailSender, SendReport, send_due
from encaisse.settings import Settings

log = logging.getLogger("encaisse.jobs")

PARIS = ZoneInfo("Europe/Paris")
DUNNING_AT = time(8, 0)
SEND_EVERY = timedelta(minutes=1)
POLL_SECONDS = 15.0


def make_uow(settings: Settings) -> SqlUnitOfWork:
    from encaisse.adapters.store.db import make_engine

    return SqlUnitOfWork(make_engine(settings.database_url))


def make_sender(settings: Settings) -> MailSender | None:
    """The SMTP sender when ``ENCAISSE_SMTP_HOST`` is set, else None (messages stay queued)."""
    if not settings.smtp.configured:
        return None
    from encaisse.adapters.mail.smtp import SmtpSender

    return SmtpSender(settings.smtp)


def job_send_emails(uow: SqlUnitOfWork, sender: MailSender, now: datetime) -> SendReport:
    """Send the queued messages that are due (attachments rendered now, PDF included)."""
    return send_due(uow, sender, now, render_attachment=render_attachment)


def job_daily_reminders(uow: SqlUnitOfWork, settings: Settings, today: date) -> dict[int, RunResult]:
    """Expire the quotes past their validity date, then run every company's dunning plan for
    ``today`` (both idempotent)."""
    with uow.read() as repo:
        company_ids = [c.id for c in repo.list_companies() if c.id is not None]
    results: dict[int, RunResult] = {}
    for company_id in company_ids:
        try:
            expired = quotes.expire_quotes(uow, company_id, today)
            if expired:
                log.info("company %s: %d quote(s) past their validity date expired", company_id, len(expired))
            results[company_id] = reminders_run(
                uow, company_id, today, base_url=settings.base_url, secret=settings.secret_key
            )
        except EncaisseError:
            log.exception("dunning run failed for company %s", company_id)
    return results


def job_bank_sync(uow: SqlUnitOfWork, settings: Settings, today: date, now: datetime) -> int:
    """Sync every active bank connection of every company (PSD2 aggregator), then reconcile the new
    transactions automatically (above the configured threshold), so that customers who paid
    yesterday are not reminded today. Returns the number of new transactions."""
    from encaisse.adapters.bank_feeds import feed_from_settings
    from encaisse.services.bank_sync import ACTIVE, sync_connections
    from encaisse.services.reconciliation import reconcile

    stored = 0
    with uow.read() as repo:
        companies = [
            c
            for c in repo.list_companies()
            if any(x.status == ACTIVE for x in repo.list_bank_connections(c.id or 0))
        ]
    for company in companies:
        try:
            feed = feed_from_settings(settings, iban=company.iban or "", today=today)
            new = 0
            for outcome in sync_connections(uow, company.id or 0, feed, today, now, actor="daily run"):
                if outcome.error is not None:
                    log.warning("bank sync of company %s: %s", company.id, outcome.error.code)
                new += outcome.result.new if outcome.result else 0
            if new:
                reconcile(
                    uow,
                    company.id or 0,
                    today,
                    auto=True,
                    threshold=settings.auto_reconcile_threshold,
                    actor="daily run",
                )
            stored += new
        except EncaisseError as exc:
            log.warning("bank sync of company %s failed: %s", company.id, exc.code)
        except Exception:  # one company's failure does not stop the others'
            log.exception("bank sync of company %s failed", company.id)
    return stored


@dataclass
class Scheduler:
    """Decides which job is due at each tick (pure bookkeeping; the jobs do the work)."""

    settings: Settings
    uow: SqlUnitOfWork
    sender: MailSender | None
    dunning_at: time = DUNNING_AT
    today: Callable[[], date] = clock.today
    last_dunning: date | None = None
    last_send: datetime | None = None
    ran: list[str] = field(default_factory=list)

    def dunning_due(self, now: datetime) -> bool:
        local = now.astimezone(PARIS)
        return local.time() >= self.dunning_at and self.last_dunning != self.today()

    def tick(self, now: datetime, *, force: bool = False) -> list[str]:
        """Run what is due at ``now`` (everything when ``force``); returns the job names run."""
        done: list[str] = []
        if force or self.dunning_due(now):
            day = self.today()
            try:  # first: payments before reminders; a failure never stops the dunning run or the mail
                synced = job_bank_sync(self.uow, self.settings, day, now)
                log.info("bank sync of %s: %d new transaction(s)", day.isoformat(), synced)
            except Exception:
                log.exception("bank sync of %s failed", day.isoformat())
            done.append("bank sync")
            results = job_daily_reminders(self.uow, self.settings, day)
            self.last_dunning = day
            written = sum(len(r.written) for r in results.values())
            log.info("dunning run of %s: %d reminder(s) written", day.isoformat(), written)
            done.append("dunning")
            # ---- cash alerts (issue 7): daily with the dunning run; one email per shortfall and week
            from encaisse.services.cash_alerts import job_cash_alerts_all

            alerts = job_cash_alerts_all(self.uow, day, base_url=self.settings.base_url)
            log.info("cash alerts of %s: %d email(s)", day, sum(len(a.email_ids) for a in alerts.values()))
        if self.sender is not None and (
            force or self.last_send is None or now - self.last_send >= SEND_EVERY
        ):
            try:
                report = job_send_emails(self.uow, self.sender, now)
                log.info("emails: %s", report.summary())
            except MailConfigError as exc:
                log.error("SMTP configuration refused: %s", exc.message)
            self.last_send = now
            done.append("emails")
        self.ran.extend(done)
        return done


def run_worker(
    settings: Settings,
    once: bool = False,
    *,
    sleep: Callable[[float], None] = systime.sleep,
    max_ticks: int | None = None,
) -> Scheduler:
    """The embedded worker: ``once`` runs the day's dunning and sends the queue, then returns;
    otherwise loops (every ``POLL_SECONDS``) until interrupted or ``max_ticks`` ticks."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    uow = make_uow(settings)
    scheduler = Scheduler(settings, uow, make_sender(settings))
    if scheduler.sender is None:
        log.warning("SMTP not configured (ENCAISSE_SMTP_HOST): emails stay queued")
    if once:
        scheduler.tick(datetime.now(UTC), force=True)
        return scheduler
    ticks = 0
    try:
        while max_ticks is None or ticks < max_ticks:
            try:
                scheduler.tick(datetime.now(UTC))
            except Exception:  # a job must not kill the worker; it is retried next tick
                log.exception("background job failed")
            ticks += 1
            if max_ticks is None or ticks < max_ticks:
                sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        log.info("worker stopped")
    return scheduler
