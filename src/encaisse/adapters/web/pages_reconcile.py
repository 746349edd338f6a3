"""Rapprochement: automatic reconciliation, the review queue, manual search and split, unmatch,
categorisation with rules made from one example (issue "Bank" §2).

The page only asks the use cases of :mod:`encaisse.services.reconciliation`: ``reconcile(auto=True)``
applies confident proposals and queues the others; each queued proposal shows its French
explanation and score and is accepted or rejected here. Credits without a proposal are matched by
hand (one or several invoices, the sum never above the transaction); every applied match can be
undone. Owner and staff act; the accountant reads (every POST is refused by the ``writer`` role).
Ids travel in the form body and every lookup is scoped by the session's company, so another
company's ids answer 404.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from encaisse.adapters.web.context import CSRF, MAX_ID, Ctx, member, writer
from encaisse.adapters.web.forms import decimal_input, flag, parse_decimal, text
from encaisse.adapters.web.messages_fr import problem_fr
from encaisse.adapters.web.pages_bank import (
    CATEGORY_FR,
    STATUS_BADGE,
    STATUS_FR,
    TxView,
    category_fr,
    tx_views,
)
from encaisse.adapters.web.rendering import flash, query_string, render
from encaisse.domain.errors import NotFoundError, Problem, ValidationError
from encaisse.domain.matching.rules import PCG_ACCOUNTS
from encaisse.services import audit, reconciliation
from encaisse.services.clock import today
from encaisse.services.ports import AllocationRecord, InvoiceFilter, InvoiceRow, ProposalRecord

router = APIRouter(dependencies=CSRF, include_in_schema=False)
PAGE_SIZE = 25
SEARCH_LIMIT = 30
#: What the user may file a transaction under (issue "Bank": fees, salaries, taxes…), in menu order.
CATEGORY_CHOICES = (
    "bank_fees",
    "salaries",
    "social_charges",
    "taxes",
    "rent",
    "loan",
    "suppliers",
    "other",
)
#: PCG account of the categories the engine has no default for.
EXTRA_PCG = {"suppliers": "401"}
_AMOUNT_KEY = re.compile(r"^amount\[(\d{1,10})\]$")


@dataclass(frozen=True)
class ProposalView:
    id: int
    score: float
    explanation: str
    tx: TxView
    invoices: tuple[tuple[int, str, Decimal], ...]  # (invoice id, number, amount)


@dataclass(frozen=True)
class AllocationView:
    id: int
    invoice_id: int
    invoice_number: str
    amount: Decimal
    how: str
    score: float | None
    explanation: str
    tx: TxView | None


def _page_number(request: Request, key: str) -> int:
    raw = request.query_params.get(key, "1")
    return max(int(raw), 1) if raw.isdigit() and len(raw) < 7 else 1


def _slice(items: Sequence[Any], page: int) -> tuple[list[Any], int, int]:
    pages = max(1, math.ceil(len(items) / PAGE_SIZE))
    page = min(page, pages)
    return list(items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]), page, pages


def _proposal_views(ctx: Ctx, proposals: Sequence[ProposalRecord]) -> list[ProposalView]:
    with ctx.uow.read() as repo:
        txs = repo.list_transactions(ctx.company_id, ids=[p.transaction_id for p in proposals])
        views = {v.id: v for v in tx_views(repo, ctx.company_id, txs)}
    out = []
    for p in proposals:
        tx = views.get(p.transaction_id)
        if tx is None:
            continue
        invoices = tuple(
            (int(a["invoice_id"]), str(a.get("number", "")), Decimal(str(a["amount"]))) for a in p.allocations
        )
        out.append(ProposalView(p.id or 0, p.score, p.explanation, tx, invoices))
    return out


def _allocation_views(ctx: Ctx, allocations: Sequence[AllocationRecord]) -> list[AllocationView]:
    with ctx.uow.read() as repo:
        txs = repo.list_transactions(ctx.company_id, ids=sorted({a.transaction_db_id for a in allocations}))
        views = {v.id: v for v in tx_views(repo, ctx.company_id, txs)}
    return [
        AllocationView(
            a.id,
            a.invoice_id,
            a.invoice_number,
            a.amount,
            a.how,
            a.score,
            a.explanation,
            views.get(a.transaction_db_id),
        )
        for a in allocations
    ]


@router.get("/rapprochement")
def reconcile_page(request: Request, ctx: Ctx = Depends(member)) -> Response:
    cid = ctx.company_id
    with ctx.uow.read() as repo:
        proposals = repo.list_proposals(cid)
        proposed = {p.transaction_id for p in proposals}
        unmatched = [
            s for s in reversed(repo.list_transactions(cid, unmatched_only=True)) if s.id not in proposed
        ]
        allocations = repo.list_allocations(cid)[::-1]
    prop_page, p_page, p_pages = _slice(proposals, _page_number(request, "propositions"))
    open_page, o_page, o_pages = _slice(unmatched, _page_number(request, "operations"))
    alloc_page, a_page, a_pages = _slice(allocations, _page_number(request, "rapprochees"))
    with ctx.uow.read() as repo:
        open_views = tx_views(repo, cid, open_page)
    params: dict[str, object] = {"propositions": p_page, "operations": o_page, "rapprochees": a_page}
    return render(
        request,
        "reconcile/index.html",
        ctx,
        section="reconcile",
        title="Rapprochement",
        proposals=_proposal_views(ctx, prop_page),
        proposals_total=len(proposals),
        open_rows=open_views,
        open_total=len(unmatched),
        allocations=_allocation_views(ctx, alloc_page),
        allocations_total=len(allocations),
        pages={"propositions": p_pages, "operations": o_pages, "rapprochees": a_pages},
        params=params,
        qs=query_string,
        categories=[(c, CATEGORY_FR[c]) for c in CATEGORY_CHOICES],
        category_fr=category_fr,
        status_fr=STATUS_FR,
        status_badge=STATUS_BADGE,
    )


# ---- actions -----------------------------------------------------------------------------------
def form_id(form: FormData, key: str) -> int:
    """A database id posted in a form; anything else is "not found" (never a 500)."""
    raw = text(form, key)
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise NotFoundError(f"no {key} {raw!r}", code="NOT-FOUND")
    return int(raw)


def _back(form: FormData, default: str = "/rapprochement") -> RedirectResponse:
    """Where to go after an action: the page the form was on (local paths only)."""
    target = text(form, "retour")
    ok = target.startswith(("/rapprochement", "/banque")) and "//" not in target and "\\" not in target
    return RedirectResponse(target if ok else default, status_code=303)


@router.post("/rapprochement/automatique")
async def run_auto(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    res = reconciliation.reconcile(ctx.uow, ctx.company_id, today(), auto=True, actor=ctx.actor)
    flash(
        request,
        f"Rapprochement automatique : {res.applied} opération(s) rapprochée(s) ({res.allocations} facture(s) "
        f"réglée(s)), {res.to_review} proposition(s) à valider, {res.categorized} opération(s) catégorisée(s), "
        f"{res.unmatched} sans correspondance.",
    )
    return RedirectResponse("/rapprochement", status_code=303)


def _pending(ctx: Ctx, proposal_id: int) -> None:
    """404 unless ``proposal_id`` is a pending proposal of this company (a replayed form is refused)."""
    with ctx.uow.read() as repo:
        if proposal_id not in {p.id for p in repo.list_proposals(ctx.company_id)}:
            raise NotFoundError("no pending proposal", code="PROPOSAL-NOT-FOUND")


@router.post("/rapprochement/accepter")
async def accept(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    form = await request.form()
    proposal_id = form_id(form, "proposal_id")
    _pending(ctx, proposal_id)
    try:
        n = reconciliation.accept_proposal(ctx.uow, ctx.company_id, proposal_id, today(), actor=ctx.actor)
    except ValidationError as exc:
        flash(request, f"Proposition non appliquée : {problem_fr(Problem(exc.code, str(exc)))}", "error")
        return _back(form)
    flash(
        request, f"Proposition acceptée : {n} facture(s) réglée(s). Le payeur sera reconnu la prochaine fois."
    )
    return _back(form)


@router.post("/rapprochement/rejeter")
async def reject(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    form = await request.form()
    proposal_id = form_id(form, "proposal_id")
    _pending(ctx, proposal_id)
    reconciliation.reject_proposal(ctx.uow, ctx.company_id, proposal_id, actor=ctx.actor)
    flash(request, "Proposition rejetée : l'opération reste à rapprocher.")
    return _back(form)


@router.post("/rapprochement/annuler")
async def undo(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    form = await request.form()
    allocation_id = form_id(form, "allocation_id")
    with ctx.uow.read() as repo:
        number = repo.get_allocation(ctx.company_id, allocation_id).invoice_number
    reconciliation.unmatch(ctx.uow, ctx.company_id, allocation_id, actor=ctx.actor)
    flash(request, f"Rapprochement annulé : le paiement de la facture {number} a été retiré.")
    return _back(form)


def categorize_in(ctx: Ctx, tx_id: int, category: str) -> None:
    """File one transaction under ``category`` ("" clears it), recorded in the audit trail."""
    with ctx.uow() as repo:
        repo.get_transaction(ctx.company_id, tx_id)  # 404 for another company's id
        repo.set_transaction_category(ctx.company_id, tx_id, category or None)
        audit.record(
            repo,
            ctx.company_id,
            "bank.categorized",
            "bank_transaction",
            tx_id,
            {"category": category},
            actor=ctx.actor,
        )


@router.post("/rapprochement/categoriser")
async def categorize(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    form = await request.form()
    tx_id = form_id(form, "tx_id")
    category = text(form, "category")
    if category and category not in CATEGORY_FR:
        flash(request, problem_fr(Problem("CATEGORY-INVALID", "")), "error")
        return _back(form)
    with ctx.uow.read() as repo:
        tx = repo.get_transaction(ctx.company_id, tx_id)
    if tx.amount_allocated > 0 and category:
        flash(
            request, "Annulez d'abord le rapprochement de cette opération avant de la catégoriser.", "error"
        )
        return _back(form)
    label = category_fr(category) if category else ""
    if category and flag(form, "create_rule"):
        pcg = EXTRA_PCG.get(category) or PCG_ACCOUNTS.get(category, "")
        try:
            reconciliation.add_rule_from_example(
                ctx.uow, ctx.company_id, tx_id, category, pcg_account=pcg, actor=ctx.actor
            )
        except ValueError:  # no stable word in the libellé: categorise without a rule
            categorize_in(ctx, tx_id, category)
            flash(request, f"Opération classée en « {label} ». {problem_fr(Problem('RULE-NO-WORDS', ''))}")
            return _back(form)
        flash(
            request,
            f"Opération classée en « {label} » et règle créée : les opérations semblables seront "
            "catégorisées au prochain rapprochement automatique.",
        )
        return _back(form)
    categorize_in(ctx, tx_id, category)
    flash(request, f"Opération classée en « {label} »." if category else "Catégorie retirée.")
    return _back(form)


# ---- one transaction: search open invoices, match one or several (split) -----------------------
def search_invoices(ctx: Ctx, query: str, remaining: Decimal) -> list[InvoiceRow]:
    """Open invoices by number or customer; a typed amount finds invoices of that due or total."""
    with ctx.uow.read() as repo:
        amount = _as_amount(query) if query else remaining
        if amount is not None:
            rows = repo.list_invoices(ctx.company_id, InvoiceFilter(open_only=True, sort="due_date"))
            return [r for r in rows if amount in (r.amount_due, r.total_incl_tax)][:SEARCH_LIMIT]
        return repo.list_invoices(
            ctx.company_id, InvoiceFilter(open_only=True, search=query, sort="due_date", limit=SEARCH_LIMIT)
        )


def _as_amount(query: str) -> Decimal | None:
    problems: list[Problem] = []
    cleaned = decimal_input(query.replace("€", ""))
    if not re.fullmatch(r"\d+(\.\d{1,2})?", cleaned):
        return None
    return parse_decimal(cleaned, "q", problems, places=2)


def _tx_page(
    request: Request,
    ctx: Ctx,
    tx_id: int,
    *,
    query: str = "",
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with ctx.uow.read() as repo:
        stored = repo.get_transaction(ctx.company_id, tx_id)
        (tx,) = tx_views(repo, ctx.company_id, [stored])
        allocations = repo.list_allocations(ctx.company_id, transaction_id=tx_id)
    results = search_invoices(ctx, query, tx.remaining) if tx.is_credit and tx.remaining > 0 else []
    return render(
        request,
        "reconcile/transaction.html",
        ctx,
        status_code=status,
        section="reconcile",
        title="Rapprocher une opération",
        tx=tx,
        allocations=allocations,
        results=results,
        query=query,
        split_errors=errors or [],
        form=form or {},
        categories=[(c, CATEGORY_FR[c]) for c in CATEGORY_CHOICES],
        category_fr=category_fr,
        status_fr=STATUS_FR,
        status_badge=STATUS_BADGE,
    )


@router.get("/rapprochement/operation")
def transaction_page(request: Request, ctx: Ctx = Depends(member)) -> Response:
    raw = request.query_params.get("id", "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise NotFoundError("no transaction id", code="BANK-TX-NOT-FOUND")
    return _tx_page(request, ctx, int(raw), query=request.query_params.get("q", "").strip()[:100])


def split_allocations(form: FormData) -> tuple[list[dict[str, Any]], list[Problem]]:
    """``amount[<invoice id>]`` fields typed on the search results: the allocations of a split."""
    allocations: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for key, value in form.multi_items():
        m = _AMOUNT_KEY.match(key)
        if m is None or not isinstance(value, str) or not value.strip():
            continue
        found: list[Problem] = []
        amount = parse_decimal(value.strip(), key, found, places=2)
        if found or amount is None:
            problems += found
        elif amount <= 0:
            problems.append(Problem("MATCH-AMOUNT", "amount must be positive", field=key))
        elif int(m.group(1)) <= MAX_ID:
            allocations.append({"invoice_id": int(m.group(1)), "amount": amount})
    if not allocations and not problems:
        problems.append(Problem("MATCH-EMPTY", "no amount typed"))
    return allocations, problems


@router.post("/rapprochement/associer")
async def manual(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    form = await request.form()
    tx_id = form_id(form, "tx_id")
    query = text(form, "q")[:100]
    echoed = {k: text(form, k) for k, _ in form.multi_items() if _AMOUNT_KEY.match(k)}
    allocations, problems = split_allocations(form)
    if not problems:
        problems = _over_due(ctx, allocations)
    if not problems:
        try:
            n = reconciliation.manual_match(
                ctx.uow, ctx.company_id, tx_id, allocations, today(), actor=ctx.actor
            )
        except ValidationError as exc:
            problems = exc.problems or [Problem(exc.code, str(exc))]
        else:
            flash(request, f"Opération rapprochée avec {n} facture(s).")
            return RedirectResponse(f"/rapprochement/operation?id={tx_id}", status_code=303)
    errors = list(dict.fromkeys(problem_fr(p) for p in problems))
    return _tx_page(request, ctx, tx_id, query=query, errors=errors, form=echoed, status=422)


def _over_due(ctx: Ctx, allocations: list[dict[str, Any]]) -> list[Problem]:
    """Each amount must fit the invoice's amount due (another company's invoice: 404)."""
    problems = []
    with ctx.uow.read() as repo:
        for a in allocations:
            inv = repo.get_invoice(ctx.company_id, a["invoice_id"])
            if a["amount"] > inv.amount_due:
                problems.append(
                    Problem("MATCH-OVER-DUE", "more than the amount due", field=f"amount[{a['invoice_id']}]")
                )
    return problems
