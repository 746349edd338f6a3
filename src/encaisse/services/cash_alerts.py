"""Cash alerts from the 13-week forecast: a shortfall to close, a surplus to place (issue 7 §3).

- **Shortfall**: the first week whose expected balance falls below the company's low-balance
  threshold (0 € when none is set: a negative balance). The alert names the open invoices whose
  early collection would close the gap (``domain.forecast.alerts.shortfall``) and what financing
  them by a Dailly assignment today would cost (``domain.forecast.scenarios.dailly``: fee + interest
  to the due date, CMF L313-23, CHECKLIST DAILLY-*), with the balance of that week afterwards.
- **Surplus**: the *low* balance stays above the threshold for :data:`SURPLUS_MIN_WEEKS` weeks or
  more; the amount that can be placed for that stretch is suggested.

:func:`cash_picture` gathers what the cash page shows (position, due buckets, forecast, alerts,
the actual balances of the past 13 weeks). :func:`job_cash_alerts` is the daily background job:
it emails each owner of the company when a shortfall is projected, once per company, owner and
ISO week (a ``dedupe_key`` on the message), so running it again the same week sends nothing.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Protocol

from encaisse.domain.dunning import fr_money
from encaisse.domain.errors import EncaisseError
from encaisse.domain.forecast.alerts import ShortfallAlert, SurplusAlert, shortfall, surplus
from encaisse.domain.forecast.delays import DelayModel, default_prior
from encaisse.domain.forecast.engine import Forecast
from encaisse.domain.forecast.scenarios import dailly
from encaisse.domain.forecast.snapshot import ForecastInputs, inputs_as_of, run
from encaisse.domain.money import ZERO, round_money
from encaisse.services.forecast import StoreHistory, load_history
from encaisse.services.mail_queue import MailStore, UnitOfWorkOf, enqueue
from encaisse.services.ports import AccountRecord, Repository, UnitOfWork

log = logging.getLogger(__name__)

WEEKS = 13
SIMULATIONS = 500
#: A surplus is suggested when the low balance stays above the threshold this many weeks.
SURPLUS_MIN_WEEKS = 8
PAST_WEEKS = 13


@dataclass(frozen=True)
class InvoiceToChase:
    number: str
    customer: str
    amount: Decimal
    due_date: date
    invoice_id: int | None = None


@dataclass(frozen=True)
class ShortfallDetail:
    alert: ShortfallAlert
    invoices: tuple[InvoiceToChase, ...]
    dailly_cash: Decimal  # cash received today if those invoices are assigned by Dailly
    dailly_cost: Decimal  # their total minus that cash (fee + interest to the due dates)
    balance_after_dailly: Decimal  # expected balance of the shortfall week with the Dailly

    @property
    def week_start(self) -> date:
        return self.alert.week_start


@dataclass(frozen=True)
class CashAlerts:
    threshold: Decimal
    threshold_set: bool  # False: the default 0 € threshold applies
    shortfall: ShortfallDetail | None = None
    surplus: SurplusAlert | None = None

    def sentences_fr(self) -> list[str]:
        """One French line per alert (report, email subject lines)."""
        out = []
        if self.shortfall is not None:
            a = self.shortfall.alert
            out.append(
                f"⚠ Solde prévu de {_eur(a.expected_balance)} la semaine du {_d(a.week_start)}, "
                f"sous le seuil de {_eur(self.threshold)} (écart {_eur(a.gap)})."
            )
        if self.surplus is not None:
            out.append(
                f"Excédent : {_eur(self.surplus.suggested)} peuvent être placés pendant "
                f"{self.surplus.weeks} semaines à partir du {_d(self.surplus.start)}."
            )
        return out


@dataclass(frozen=True)
class DueBucket:
    count: int = 0
    amount: Decimal = ZERO


@dataclass(frozen=True)
class DueBuckets:
    """Open amounts by due date: overdue, due by Sunday of this week, later (EUR)."""

    overdue: DueBucket
    this_week: DueBucket
    later: DueBucket

    @property
    def total(self) -> Decimal:
        return self.overdue.amount + self.this_week.amount + self.later.amount


@dataclass(frozen=True)
class CashPicture:
    today: date
    accounts: tuple[AccountRecord, ...]
    history: StoreHistory
    inputs: ForecastInputs
    forecast: Forecast
    alerts: CashAlerts
    receivables: DueBuckets
    payables: DueBuckets
    past: tuple[tuple[date, Decimal], ...]

    @property
    def cash(self) -> Decimal:
        return self.forecast.opening


def due_buckets(items: Sequence[tuple[date, Decimal]], today: date) -> DueBuckets:
    """Sort (due date, amount) pairs into overdue / this week (to Sunday) / later."""
    sunday = today + timedelta(days=6 - today.weekday())
    groups: dict[str, list[Decimal]] = {"overdue": [], "week": [], "later": []}
    for due, amount in items:
        key = "overdue" if due < today else "week" if due <= sunday else "later"
        groups[key].append(amount)

    def bucket(values: list[Decimal]) -> DueBucket:
        return DueBucket(len(values), round_money(sum(values, ZERO)))

    return DueBuckets(bucket(groups["overdue"]), bucket(groups["week"]), bucket(groups["later"]))


def past_balances(
    history: StoreHistory, today: date, weeks: int = PAST_WEEKS
) -> tuple[tuple[date, Decimal], ...]:
    """Actual closing balance every 7 days over the past ``weeks`` weeks (days before the first
    known transaction are left out; nothing without bank history)."""
    txs = sorted(history.transactions, key=lambda t: t.booking_date)
    if not txs:
        return ()
    days = [t.booking_date for t in txs]
    running = list(accumulate((t.amount for t in txs), initial=ZERO))
    out = []
    for k in range(weeks, 0, -1):
        day = today - timedelta(weeks=k)
        if day < days[0]:
            continue
        out.append((day, round_money(history.opening_balance + running[bisect_right(days, day)])))
    return tuple(out)


def alerts_for(
    inputs: ForecastInputs,
    fc: Forecast,
    *,
    today: date,
    threshold: Decimal | None,
    simulations: int = SIMULATIONS,
) -> CashAlerts:
    """The shortfall (with its invoices to chase and their Dailly cost) and the surplus of ``fc``."""
    limit = threshold if threshold is not None else ZERO
    delays = inputs.delays or DelayModel(prior=default_prior())
    found = shortfall(fc, inputs.receivables, delays, today=today, threshold=limit)
    detail = None
    if found is not None:
        by_key = {r.key: r for r in inputs.receivables}
        chosen = tuple(
            InvoiceToChase(k, by_key[k].customer, by_key[k].amount, by_key[k].due_date)
            for k in found.invoices
            if k in by_key
        )
        cash, after = ZERO, found.expected_balance
        if chosen:
            assigned = dailly(inputs, {c.number for c in chosen}, today)
            cash = assigned.one_offs[-1].amount
            scenario = run(assigned, today=today, weeks=len(fc.weeks), simulations=simulations)
            after = next((w.expected for w in scenario.weeks if w.start == found.week_start), after)
        detail = ShortfallDetail(found, chosen, cash, round_money(found.covered - cash), after)
    extra = surplus(fc, threshold=limit, min_weeks=SURPLUS_MIN_WEEKS)
    return CashAlerts(limit, threshold is not None, detail, extra)


def cash_picture(
    uow: UnitOfWork, company_id: int, today: date, *, simulations: int = SIMULATIONS
) -> CashPicture:
    """Everything the cash page shows, from the store as it is on ``today`` (nothing is written)."""
    history = load_history(uow, company_id, today)
    with uow() as repo:
        company = repo.get_company(company_id)
        threshold = repo.get_low_balance_threshold(company_id)
        accounts = tuple(repo.list_accounts(company_id))
    inputs = inputs_as_of(history, today, filing=company.vat_filing)
    fc = run(inputs, today=today, weeks=WEEKS, simulations=simulations)
    alerts = alerts_for(inputs, fc, today=today, threshold=threshold, simulations=simulations)
    if alerts.shortfall is not None and alerts.shortfall.invoices:
        with uow() as repo:
            alerts = replace(alerts, shortfall=_with_invoice_ids(repo, company_id, alerts.shortfall))
    return CashPicture(
        today=today,
        accounts=accounts,
        history=history,
        inputs=inputs,
        forecast=fc,
        alerts=alerts,
        receivables=due_buckets([(r.due_date, r.amount) for r in inputs.receivables], today),
        payables=due_buckets([(p.due_date, p.amount) for p in inputs.payables], today),
        past=past_balances(history, today),
    )


def _with_invoice_ids(repo: Repository, company_id: int, detail: ShortfallDetail) -> ShortfallDetail:
    invoices = []
    for item in detail.invoices:
        found = repo.invoice_by_number(company_id, item.number)
        invoices.append(replace(item, invoice_id=found.id if found else None))
    return replace(detail, invoices=tuple(invoices))


# ---- the daily job -------------------------------------------------------------------------------


class AlertStore(Repository, MailStore, Protocol):
    """The store of the job: the forecast's reads and the email queue."""


class EnqueueEmail(Protocol):
    """:func:`encaisse.services.mail_queue.enqueue` or a stand-in with its signature."""

    def __call__(
        self,
        repo: MailStore,
        company_id: int,
        to: str,
        subject: str,
        body: str,
        *,
        kind: str,
        dedupe_key: str | None = None,
    ) -> int: ...


@dataclass(frozen=True)
class CashAlertRun:
    company_id: int
    alerts: CashAlerts
    email_ids: tuple[int, ...] = ()


def week_key(today: date) -> str:
    """``2026-W49``: the ISO week of ``today`` (one alert email per company, owner and week)."""
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


def shortfall_email(company_name: str, alerts: CashAlerts, base_url: str = "") -> tuple[str, str]:
    """French subject and body of the shortfall email."""
    detail = alerts.shortfall
    assert detail is not None
    a = detail.alert
    subject = (
        f"Alerte trésorerie : solde prévu sous {_eur(alerts.threshold)} la semaine du {_d(a.week_start)}"
    )
    lines = [
        "Bonjour,",
        "",
        f"La prévision de trésorerie de {company_name} annonce un solde de {_eur(a.expected_balance)} "
        f"la semaine du {_d(a.week_start)}, sous votre seuil de {_eur(alerts.threshold)} "
        f"(il manque {_eur(a.gap)}).",
    ]
    if detail.invoices:
        lines += ["", "Encaisser plus tôt ces factures comblerait l'écart :"]
        lines += [
            f"- {i.number} — {i.customer} — {_eur(i.amount)} (échéance {_d(i.due_date)})"
            for i in detail.invoices
        ]
        lines += [
            "",
            f"Les céder à votre banque par bordereau Dailly aujourd'hui rapporterait {_eur(detail.dailly_cash)} "
            f"pour un coût d'environ {_eur(detail.dailly_cost)} (frais et intérêts jusqu'à l'échéance) ; "
            f"le solde prévu de cette semaine serait alors de {_eur(detail.balance_after_dailly)}.",
        ]
    else:
        lines += ["", "Aucune facture ouverte ne suffit à combler l'écart : anticipez un financement."]
    if base_url:
        lines += ["", f"Voir la prévision : {base_url.rstrip('/')}/tresorerie"]
    lines += ["", "— Encaisse"]
    return subject, "\n".join(lines)


def job_cash_alerts(
    uow: UnitOfWorkOf[AlertStore],
    company_id: int,
    today: date,
    enqueue_email: EnqueueEmail = enqueue,
    *,
    base_url: str = "",
) -> CashAlertRun:
    """Forecast the company and email its owners when a shortfall is projected (once a week)."""
    picture = cash_picture(uow, company_id, today)
    alerts = picture.alerts
    if alerts.shortfall is None:
        return CashAlertRun(company_id, alerts)
    ids = []
    with uow() as repo:
        company = repo.get_company(company_id)
        subject, body = shortfall_email(company.name, alerts, base_url)
        for user, role in repo.list_members(company_id):
            if role != "owner":
                continue
            key = f"cash-shortfall:{company_id}:{week_key(today)}:{user.id}"
            ids.append(
                enqueue_email(repo, company_id, user.email, subject, body, kind="other", dedupe_key=key)
            )
    return CashAlertRun(company_id, alerts, tuple(ids))


def job_cash_alerts_all(
    uow: UnitOfWorkOf[AlertStore], today: date, *, base_url: str = ""
) -> dict[int, CashAlertRun]:
    """:func:`job_cash_alerts` for every company (one failing company does not stop the others)."""
    with uow.read() as repo:
        company_ids = [c.id for c in repo.list_companies() if c.id is not None]
    results = {}
    for company_id in company_ids:
        try:
            results[company_id] = job_cash_alerts(uow, company_id, today, base_url=base_url)
        except EncaisseError:
            log.exception("cash alerts failed for company %s", company_id)
    return results


def _eur(value: Decimal) -> str:
    return fr_money(round_money(value))


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")
