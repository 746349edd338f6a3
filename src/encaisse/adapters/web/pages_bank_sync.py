"""Bank page: accounts read through a PSD2 aggregator (``services/bank_sync.py``).

« Connecter un compte » sends the owner to their bank (the aggregator's consent page); the bank
sends them back to ``/banque/connexions/retour?ref=…``, where the consented accounts become
connections and are read at once. Each connection shows its state and last sync, and can be read
again on demand; the daily job reads them all (``adapters/jobs/runner.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from encaisse.adapters.bank_feeds import feed_from_settings
from encaisse.adapters.pdf.fr_format import fr_iban
from encaisse.adapters.web.context import CSRF, Ctx, writer
from encaisse.adapters.web.forms import text
from encaisse.adapters.web.messages_fr import problem_fr
from encaisse.adapters.web.rendering import flash
from encaisse.domain.errors import EncaisseError, NotFoundError, Problem
from encaisse.services import clock
from encaisse.services.bank_sync import (
    ACTIVE,
    LINKED,
    BankConnection,
    ConsentFeed,
    Institution,
    finish_connection,
    start_connection,
    sync_connection,
)

router = APIRouter(dependencies=CSRF, include_in_schema=False)
PARIS = ZoneInfo("Europe/Paris")
STATUS_FR = {"pending": "En attente de votre accord", "active": "Active", "expired": "Accord expiré"}
PROVIDER_FR = {"gocardless": "GoCardless Bank Account Data"}
DEMO_IBAN = "FR7630006000011234567890189"


@dataclass(frozen=True)
class ConnectionView:
    id: int
    provider: str
    institution: str
    iban: str
    status: str
    status_fr: str
    last_sync: str
    last_new: int
    error: str
    can_sync: bool


def connection_views(connections: list[BankConnection]) -> list[ConnectionView]:
    """The connections shown on the bank page (the linked requisitions themselves are not)."""
    return [
        ConnectionView(
            id=c.id or 0,
            provider=PROVIDER_FR.get(c.provider, c.provider),
            institution=c.institution_id,
            iban=c.iban,
            status=c.status,
            status_fr=STATUS_FR.get(c.status, c.status),
            last_sync=c.last_sync_at.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M") if c.last_sync_at else "",
            last_new=c.last_new,
            error=problem_fr(Problem(c.last_error_code, c.last_error)) if c.last_error_code else "",
            can_sync=c.status == ACTIVE,
        )
        for c in connections
        if c.status != LINKED
    ]


INSTITUTIONS_TTL = timedelta(hours=24)


def institution_choices(ctx: Ctx) -> list[Institution]:
    """The French banks the aggregator can connect, for the « Connecter un compte » list.

    Read once a day per app (the list rarely changes); empty when the aggregator is not configured
    or does not answer: the page then asks for the bank's identifier instead.
    """
    now = datetime.now(UTC)
    cached = ctx.state.extra.get("bank_institutions")
    if cached is not None and cached[0] > now:
        return list(cached[1])
    try:
        found = _feed(ctx).institutions("FR")
    except EncaisseError:
        found = []
    ctx.state.extra["bank_institutions"] = (
        now + (INSTITUTIONS_TTL if found else timedelta(minutes=5)),
        found,
    )
    return found


def _feed(ctx: Ctx) -> ConsentFeed:
    return feed_from_settings(ctx.state.settings, iban=ctx.company.iban or DEMO_IBAN, today=clock.today())


def _refused(request: Request, exc: EncaisseError) -> Response:
    flash(request, problem_fr(Problem(exc.code, str(exc))), "error")
    return RedirectResponse("/banque", status_code=303)


def _synced_message(new: int, iban: str) -> str:
    what = "nouvelle opération importée" if new == 1 else "nouvelles opérations importées"
    return f"Compte {fr_iban(iban)} synchronisé : {new} {what}."


@router.post("/banque/connexions")
async def connect(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    form = await request.form()
    institution = text(form, "institution_id")
    redirect = f"{ctx.state.settings.base_url}/banque/connexions/retour"
    try:  # two HTTP calls to the aggregator: off the event loop
        _connection, link = await run_in_threadpool(
            start_connection, ctx.uow, ctx.company_id, _feed(ctx), institution, redirect, datetime.now(UTC)
        )
    except EncaisseError as exc:
        return _refused(request, exc)
    return RedirectResponse(link, status_code=303)


@router.get("/banque/connexions/retour")
def connected(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    reference = request.query_params.get("ref", "")[:100]
    feed = _feed(ctx)
    now = datetime.now(UTC)
    try:
        made = finish_connection(ctx.uow, ctx.company_id, feed, reference, now, actor=ctx.actor)
    except EncaisseError as exc:
        return _refused(request, exc)
    for connection in made:
        outcome = sync_connection(
            ctx.uow, ctx.company_id, feed, connection, clock.today(), now, actor=ctx.actor
        )
        if outcome.error is not None:
            flash(request, problem_fr(Problem(outcome.error.code, str(outcome.error))), "error")
        elif outcome.result is not None:
            flash(request, _synced_message(outcome.result.new, outcome.connection.iban))
    return RedirectResponse("/banque", status_code=303)


@router.post("/banque/connexions/{connection_id}/synchroniser")
def sync_now(request: Request, connection_id: int, ctx: Ctx = Depends(writer)) -> Response:
    with ctx.uow.read() as repo:
        found = [c for c in repo.list_bank_connections(ctx.company_id) if c.id == connection_id]
    if not found:
        raise NotFoundError(f"no bank connection {connection_id}", code="NOT-FOUND")
    if found[0].status != ACTIVE:
        flash(request, "Cette connexion bancaire n'est pas active : connectez de nouveau le compte.", "error")
        return RedirectResponse("/banque", status_code=303)
    try:
        feed = _feed(ctx)
    except EncaisseError as exc:
        return _refused(request, exc)
    outcome = sync_connection(
        ctx.uow, ctx.company_id, feed, found[0], clock.today(), datetime.now(UTC), actor=ctx.actor
    )
    if outcome.error is not None:
        return _refused(request, outcome.error)
    assert outcome.result is not None
    flash(request, _synced_message(outcome.result.new, outcome.connection.iban))
    return RedirectResponse("/banque", status_code=303)
