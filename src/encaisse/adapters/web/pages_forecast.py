"""Trésorerie: cash today, what is due, the 13-week forecast (table + SVG chart), alerts, the
low-balance threshold, what-if scenarios, forecast accuracy and the PNG/PDF report (issue 7).

Reads only: the forecast and the scenarios never change stored data (every transaction of this
page but the threshold setting is read-only). The forecast and alerts of a company are cached for
the day in the app's read cache (dropped on any write, see ``read_cache``).

Accuracy ("précision sur les 6 derniers mois") replays ~26 past weeks of forecasts and takes
several seconds on a year of history: it is computed once per company and day in a background
thread (:class:`AccuracyCache`, in-process, bounded), from the history the page already loaded.
The page shows it when ready and a "calcul en cours" note otherwise;
``/tresorerie/precision`` waits for it. The figure changes slowly (it measures six months), so a
day-old value is good enough and the cost is paid at most once per company and day per process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from fastapi import APIRouter, Depends
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from encaisse.adapters.pdf.fr_format import fr_amount, fr_date
from encaisse.adapters.store.sql_repository import SqlRepository, SqlUnitOfWork
from encaisse.adapters.web import charts
from encaisse.adapters.web.context import CSRF, Ctx, member, owner
from encaisse.adapters.web.forms import parse_date, parse_decimal, parse_int, text, to_plain
from encaisse.adapters.web.rendering import field_errors, flash, render, templates
from encaisse.domain.errors import Problem
from encaisse.domain.forecast.backtest import backtest
from encaisse.domain.forecast.engine import Forecast
from encaisse.domain.forecast.scenarios import (
    compare,
    customer_pays_late,
    dailly,
    new_hire,
    one_off_purchase,
)
from encaisse.domain.forecast.snapshot import ForecastInputs, History, run
from encaisse.services.cash_alerts import SIMULATIONS, WEEKS, CashAlerts, CashPicture, cash_picture
from encaisse.services.clock import today

router = APIRouter(dependencies=CSRF, include_in_schema=False)
log = logging.getLogger(__name__)

MAX_AMOUNT = Decimal("100000000")
SCENARIO_HORIZON_DAYS = 366
ACCURACY_WAIT_S = 60.0


class ReadOnlyUnitOfWork:
    """Every transaction read-only: no write lock, no flush of the read cache."""

    def __init__(self, inner: SqlUnitOfWork) -> None:
        self.inner = inner

    def __call__(self) -> AbstractContextManager[SqlRepository]:
        return self.inner.read()


def picture_of(ctx: Ctx, day: date) -> CashPicture:
    def compute() -> CashPicture:
        return cash_picture(ReadOnlyUnitOfWork(ctx.uow), ctx.company_id, day)

    picture = ctx.state.cache.get(("cash-picture", ctx.company_id, day), compute)
    remember_alerts(ctx.company_id, day, picture.alerts)
    return picture


#: Dashboard alerts per (company, day), kept one hour: a forecast of a large book takes seconds of
#: CPU, so the dashboard never computes one. It shows the alerts of the last cash picture computed
#: (by the cash page, within the hour); the daily cash-alert job emails shortfalls regardless.
_dashboard_alerts: dict[tuple[int, date], tuple[float, CashAlerts]] = {}
ALERTS_TTL_S = 3600.0


def remember_alerts(company_id: int, day: date, alerts: CashAlerts) -> None:
    _dashboard_alerts[(company_id, day)] = (time.monotonic() + ALERTS_TTL_S, alerts)


def dashboard_alerts(ctx: Ctx | None) -> CashAlerts | None:
    """The alerts block of the dashboard (``forecast/_alerts.html``); None when none is known yet."""
    if ctx is None:
        return None
    day = today()
    cached = ctx.state.cache.peek(("cash-picture", ctx.company_id, day))
    if isinstance(cached, CashPicture):
        remember_alerts(ctx.company_id, day, cached.alerts)
        return cached.alerts
    known = _dashboard_alerts.get((ctx.company_id, day))
    return known[1] if known is not None and known[0] > time.monotonic() else None


templates.env.globals["cash_alerts_of"] = dashboard_alerts


# ---- accuracy (backtest) ---------------------------------------------------------------------


@dataclass(frozen=True)
class AccuracyRow:
    horizon: int  # weeks ahead
    forecasts: int
    mae: Decimal
    mae_due_date: Decimal
    wape: Decimal  # per cent
    wape_due_date: Decimal
    coverage: Decimal  # per cent of actual balances inside [low, high]

    @property
    def gain(self) -> Decimal | None:
        """How much smaller Encaisse's error is than the due-date baseline's (per cent)."""
        if self.mae_due_date <= 0:
            return None
        return ((1 - self.mae / self.mae_due_date) * 100).quantize(Decimal("1"))


@dataclass(frozen=True)
class Accuracy:
    start: date
    end: date
    rows: tuple[AccuracyRow, ...]


def _pct(value: float) -> Decimal:
    return Decimal(f"{value * 100:.1f}")


def accuracy_of(history: History, day: date, *, months: int = 6, simulations: int = 200) -> Accuracy:
    """Errors at 4 and 13 weeks of the forecasts made over the last ``months`` months."""
    start = max(day - timedelta(days=30 * months), history.opening_date + timedelta(weeks=12))
    scores = backtest(history, start=start, end=day, simulations=simulations) if start < day else []
    rows = tuple(
        AccuracyRow(
            s.horizon,
            s.n,
            Decimal(f"{s.mae['encaisse']:.2f}"),
            Decimal(f"{s.mae['due_date']:.2f}"),
            _pct(s.wape["encaisse"]),
            _pct(s.wape["due_date"]),
            _pct(s.coverage),
        )
        for s in scores
        if s.horizon in (4, 13)
    )
    return Accuracy(start, day, rows)


class AccuracyCache:
    """One background computation per (company, day), kept for the most recent keys."""

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._futures: OrderedDict[tuple[int, date], Future[Accuracy]] = OrderedDict()
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encaisse-accuracy")

    def future(self, company_id: int, day: date, compute: Callable[[], Accuracy]) -> Future[Accuracy]:
        key = (company_id, day)
        with self._lock:
            found = self._futures.get(key)
            if found is None:
                found = self._executor.submit(compute)
                self._futures[key] = found
                while len(self._futures) > self.max_entries:
                    self._futures.popitem(last=False)
            return found


_CACHE_LOCK = threading.Lock()


def accuracy_future(ctx: Ctx, picture: CashPicture) -> Future[Accuracy]:
    with _CACHE_LOCK:
        cache = ctx.state.extra.get("forecast-accuracy")
        if not isinstance(cache, AccuracyCache):
            cache = ctx.state.extra["forecast-accuracy"] = AccuracyCache()
    history = picture.history
    return cache.future(ctx.company_id, picture.today, lambda: accuracy_of(history, picture.today))


def _accuracy_state(future: Future[Accuracy]) -> tuple[Accuracy | None, str]:
    if not future.done():
        return None, "pending"
    if future.exception() is not None:
        log.error("forecast accuracy failed: %s", future.exception())
        return None, "failed"
    return future.result(), "ready"


# ---- scenarios -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioResult:
    described: tuple[str, ...]
    forecast: Forecast
    chart_svg: str
    rows: tuple[tuple[date, Decimal, Decimal, Decimal], ...]  # week, base, scenario, difference


def dailly_choices(inputs: ForecastInputs, day: date) -> list[tuple[str, str, Decimal, date]]:
    """Invoices that can be assigned by Dailly: open and not yet due (key, customer, amount, due)."""
    rows = [(r.key, r.customer, r.amount, r.due_date) for r in inputs.receivables if r.due_date >= day]
    return sorted(rows, key=lambda r: (r[3], r[0]))[:60]


def apply_scenario(
    form: FormData, inputs: ForecastInputs, day: date
) -> tuple[ForecastInputs, list[str], list[Problem]]:
    """The edited inputs and a French description of each edit; problems when the form is wrong."""
    problems: list[Problem] = []
    described: list[str] = []
    edited = inputs
    horizon = day + timedelta(days=SCENARIO_HORIZON_DAYS)

    def in_range(value: date | None, field: str) -> date | None:
        if value is not None and not day <= value <= horizon:
            problems.append(Problem("SCENARIO-DATE", "out of range", field=field))
            return None
        return value

    def amount(field: str) -> Decimal | None:
        value = parse_decimal(text(form, field), field, problems, places=2)
        if value is not None and not Decimal(0) < value <= MAX_AMOUNT:
            problems.append(Problem("SCENARIO-AMOUNT", "out of range", field=field))
            return None
        return value

    customer, days_raw = text(form, "late_customer"), text(form, "late_days")
    if customer or days_raw:
        customers = {r.customer for r in inputs.receivables}
        days = parse_int(days_raw, "late_days", [], low=1, high=365)
        if customer not in customers:
            problems.append(Problem("INPUT-CHOICE", "unknown customer", field="late_customer"))
        if days is None:
            problems.append(Problem("SCENARIO-DAYS", "1 to 365", field="late_days"))
        if customer in customers and days is not None:
            edited = customer_pays_late(edited, customer, days)
            described.append(f"{customer} paie avec {days} jours de retard")

    salary, start_raw = amount("hire_salary"), text(form, "hire_start")
    start = in_range(parse_date(start_raw, "hire_start", problems), "hire_start")
    if (salary is None) != (start is None) and not problems:
        problems.append(
            Problem("SCENARIO-PARTIAL", "both fields", field="hire_start" if salary else "hire_salary")
        )
    if salary is not None and start is not None:
        edited = new_hire(edited, start, salary)
        described.append(f"Embauche au {fr_date(start)} : {fr_amount(salary)} brut par mois (+ charges)")

    spend, when = (
        amount("purchase_amount"),
        in_range(parse_date(text(form, "purchase_date"), "purchase_date", problems), "purchase_date"),
    )
    if (spend is None) != (when is None) and not problems:
        problems.append(
            Problem("SCENARIO-PARTIAL", "both fields", field="purchase_date" if spend else "purchase_amount")
        )
    if spend is not None and when is not None:
        label = text(form, "purchase_label")[:80] or "Achat ponctuel"
        edited = one_off_purchase(edited, when, spend, label)
        described.append(f"{label} le {fr_date(when)} : {fr_amount(spend)}")

    chosen = {v for v in form.getlist("dailly") if isinstance(v, str)}
    if chosen:
        allowed = {k for k, _, _, _ in dailly_choices(inputs, day)}
        if not chosen <= allowed:
            problems.append(Problem("INPUT-CHOICE", "unknown invoice", field="dailly"))
        else:
            edited = dailly(edited, chosen, day)
            cash = edited.one_offs[-1].amount
            described.append(
                f"Cession Dailly de {len(chosen)} facture(s) : {fr_amount(cash)} reçus aujourd'hui"
            )
    if not described and not problems:
        problems.append(Problem("SCENARIO-EMPTY", "nothing to simulate", field="_"))
    return edited, described, problems


# ---- pages -----------------------------------------------------------------------------------


def _chart(picture: CashPicture, daily: bool, scenario: Forecast | None = None, chart_id: str = "fc") -> str:
    fc = picture.forecast
    data = charts.ChartData(
        today=picture.today,
        opening=fc.opening,
        rows=fc.days if daily else fc.weeks,
        daily=daily,
        threshold=picture.alerts.threshold,
        past=() if daily else picture.past,
        scenario=None if scenario is None else (scenario.days if daily else scenario.weeks),
    )
    return charts.to_svg(charts.forecast_figure(data), chart_id)


def _page(
    request: Request,
    ctx: Ctx,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    scenario: ScenarioResult | None = None,
    status: int = 200,
) -> Response:
    day = today()
    picture = picture_of(ctx, day)
    daily = request.query_params.get("vue") == "jours" or (form or {}).get("vue") == "jours"
    accuracy, accuracy_state = _accuracy_state(accuracy_future(ctx, picture))
    customers = sorted({r.customer for r in picture.inputs.receivables})
    threshold = picture.alerts.threshold if picture.alerts.threshold_set else None
    return render(
        request,
        "forecast/index.html",
        ctx,
        status_code=status,
        section="forecast",
        title="Trésorerie",
        p=picture,
        cash_alerts=picture.alerts,
        daily=daily,
        rows=picture.forecast.days if daily else picture.forecast.weeks,
        chart_svg=_chart(picture, daily),
        accuracy=accuracy,
        accuracy_state=accuracy_state,
        customers=customers,
        dailly_choices=dailly_choices(picture.inputs, day),
        scenario=scenario,
        form={"threshold": "" if threshold is None else f"{threshold:f}".replace(".", ","), **(form or {})},
        errors=errors or {},
    )


@router.get("/tresorerie")
def cash_page(request: Request, ctx: Ctx = Depends(member)) -> Response:
    return _page(request, ctx)


@router.post("/tresorerie/seuil")
async def set_threshold(request: Request, ctx: Ctx = Depends(owner)) -> Response:
    form = await request.form()
    problems: list[Problem] = []
    raw = text(form, "threshold")
    value = parse_decimal(raw, "threshold", problems, places=2)
    if value is not None and not Decimal(0) <= value <= MAX_AMOUNT:
        problems.append(Problem("THRESHOLD-RANGE", "0 to 100 million", field="threshold"))
    if problems:
        return _page(request, ctx, form=to_plain(form), errors=field_errors(problems), status=422)
    with ctx.uow() as repo:
        repo.set_low_balance_threshold(ctx.company_id, value)
    flash(
        request,
        f"Seuil d'alerte enregistré : {fr_amount(value)}."
        if value is not None
        else "Seuil d'alerte retiré : l'alerte se déclenche sous 0 €.",
    )
    return RedirectResponse("/tresorerie", status_code=303)


@router.post("/tresorerie/scenarios")
async def run_scenario(request: Request, ctx: Ctx = Depends(member)) -> Response:
    form = await request.form()
    day = today()
    picture = picture_of(ctx, day)
    edited, described, problems = apply_scenario(form, picture.inputs, day)
    plain = to_plain(form)
    plain["dailly"] = ",".join(v for v in form.getlist("dailly") if isinstance(v, str))
    if problems:
        return _page(request, ctx, form=plain, errors=field_errors(problems), status=422)
    fc = run(edited, today=day, weeks=WEEKS, simulations=SIMULATIONS)
    daily = plain.get("vue") == "jours"
    rows = tuple((d.start, d.base, d.scenario, d.delta) for d in compare(picture.forecast, fc))
    result = ScenarioResult(tuple(described), fc, _chart(picture, daily, fc, "scenario"), rows)
    return _page(request, ctx, form=plain, scenario=result)


@router.get("/tresorerie/precision")
def accuracy_page(request: Request, ctx: Ctx = Depends(member)) -> Response:
    picture = picture_of(ctx, today())
    future = accuracy_future(ctx, picture)
    wait([future], timeout=ACCURACY_WAIT_S)
    accuracy, state = _accuracy_state(future)
    return render(
        request,
        "forecast/precision.html",
        ctx,
        section="forecast",
        title="Précision de la prévision",
        accuracy=accuracy,
        accuracy_state=state,
    )


def _report(ctx: Ctx) -> charts.Report:
    picture = picture_of(ctx, today())
    fc, alerts = picture.forecast, picture.alerts
    facts = [
        f"Trésorerie au {fr_date(picture.today)} : {fr_amount(fc.opening)}",
        f"Créances ouvertes : {fr_amount(picture.receivables.total)} "
        f"(dont {fr_amount(picture.receivables.overdue.amount)} en retard)",
        f"Seuil d'alerte : {fr_amount(alerts.threshold)}" + ("" if alerts.threshold_set else " (par défaut)"),
    ]
    data = charts.ChartData(
        picture.today, fc.opening, fc.weeks, threshold=alerts.threshold, past=picture.past
    )
    sentences = alerts.sentences_fr() or ["Aucune alerte : le solde prévu reste au-dessus du seuil."]
    return charts.Report(ctx.company.name, data, fc.weeks, facts, sentences)


def _download(body: bytes, media_type: str, ext: str) -> Response:
    name = f"tresorerie-{today().isoformat()}.{ext}"
    return Response(
        body, media_type=media_type, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


@router.get("/tresorerie/rapport.png")
def report_png(request: Request, ctx: Ctx = Depends(member)) -> Response:
    return _download(charts.to_png(charts.report_figure(_report(ctx))), "image/png", "png")


@router.get("/tresorerie/rapport.pdf")
def report_pdf(request: Request, ctx: Ctx = Depends(member)) -> Response:
    return _download(charts.to_pdf(charts.report_figure(_report(ctx))), "application/pdf", "pdf")
