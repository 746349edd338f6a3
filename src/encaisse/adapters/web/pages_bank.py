"""Banque: bank accounts (balance, last update), statement upload and the transactions list.

Upload (issue "Bank" §1): any supported format is auto-detected (CAMT.053/054, OFX, MT940,
CFONB 120, CSV with an account IBAN); one file = one transaction, so a refused file stores nothing
and a re-imported one adds nothing ("0 nouvelle opération, 12 déjà importées"). The list shows
each transaction's status: matched (with the invoice numbers), categorised, or still to match.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Depends
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from encaisse.adapters.web.context import CSRF, Ctx, member, writer
from encaisse.adapters.web.forms import text, upload
from encaisse.adapters.web.messages_fr import problem_fr
from encaisse.adapters.web.pages_bank_sync import connection_views, institution_choices
from encaisse.adapters.web.rendering import csv_response, flash, query_string, render
from encaisse.domain.errors import EncaisseError, FormatError, Problem
from encaisse.domain.parties import compact_digits
from encaisse.services.bank_import import BankImportResult, import_statement
from encaisse.services.ports import Repository, StoredTransaction

router = APIRouter(dependencies=CSRF, include_in_schema=False)
PAGE_SIZE = 50
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
CSV_CHUNK = 2000

#: Transaction list filters (query ``etat``).
TX_FILTERS = {
    "": "Toutes",
    "a_rapprocher": "À rapprocher",
    "rapprochees": "Rapprochées",
    "categorisees": "Catégorisées",
}
#: Categories of bank lines that settle no invoice (engine codes of ``domain.matching.rules``).
CATEGORY_FR = {
    "bank_fees": "Frais bancaires",
    "salaries": "Salaires",
    "social_charges": "URSSAF et charges sociales",
    "taxes": "Impôts et taxes",
    "vat": "TVA",
    "rent": "Loyer",
    "loan": "Emprunt",
    "insurance": "Assurance",
    "suppliers": "Fournisseurs",
    "card_settlement": "Remise de carte bancaire",
    "other": "Autre",
}
#: Badge class (``app.css``) of each transaction status.
STATUS_BADGE = {"open": "issued", "partial": "partially_paid", "matched": "paid", "categorized": ""}
STATUS_FR = {
    "open": "À rapprocher",
    "partial": "Partiellement rapprochée",
    "matched": "Rapprochée",
    "categorized": "Catégorisée",
}
FORMAT_FR = {
    "camt053": "CAMT.053",
    "camt054": "CAMT.054",
    "ofx": "OFX",
    "mt940": "MT940",
    "cfonb120": "CFONB 120",
    "csv": "CSV",
}
CSV_HEADER = [
    "transaction_id",
    "booking_date",
    "value_date",
    "amount",
    "currency",
    "counterparty_name",
    "counterparty_iban",
    "remittance",
    "account_iban",
    "status",
    "invoice_numbers",
    "category",
]
_LINE = re.compile(r"\b(?:line|ligne) (\d+)")


@dataclass(frozen=True)
class TxView:
    """One bank line as the pages show it."""

    id: int
    booking_date: date
    value_date: date | None
    amount: Decimal
    currency: str
    counterparty: str
    counterparty_iban: str
    label: str
    account_iban: str
    transaction_id: str
    allocated: Decimal
    status: str  # open | partial | matched | categorized
    category: str
    invoices: tuple[tuple[int, str], ...]  # (invoice id, number) of its allocations

    @property
    def remaining(self) -> Decimal:
        return max(Decimal("0.00"), abs(self.amount) - self.allocated)

    @property
    def is_credit(self) -> bool:
        return self.amount > 0


def tx_status(s: StoredTransaction) -> str:
    if s.amount_allocated > 0:
        return "matched" if s.amount_allocated >= abs(s.tx.amount) else "partial"
    if s.category:
        return "categorized"
    return "open"


def tx_views(repo: Repository, company_id: int, rows: Sequence[StoredTransaction]) -> list[TxView]:
    """Read models of ``rows``; the invoices of matched lines are loaded for those lines only."""
    out = []
    for s in rows:
        invoices: tuple[tuple[int, str], ...] = ()
        if s.amount_allocated > 0:
            invoices = tuple(
                (a.invoice_id, a.invoice_number)
                for a in repo.list_allocations(company_id, transaction_id=s.id)
            )
        out.append(_view(s, invoices))
    return out


def _view(s: StoredTransaction, invoices: tuple[tuple[int, str], ...]) -> TxView:
    tx = s.tx
    return TxView(
        id=s.id,
        booking_date=tx.booking_date,
        value_date=tx.value_date,
        amount=tx.amount,
        currency=tx.currency or "EUR",
        counterparty=tx.counterparty_name,
        counterparty_iban=tx.counterparty_iban,
        label=tx.remittance,
        account_iban=s.account_iban,
        transaction_id=s.transaction_id,
        allocated=s.amount_allocated,
        status=tx_status(s),
        category=s.category or "",
        invoices=invoices,
    )


def category_fr(code: str) -> str:
    return CATEGORY_FR.get(code, code)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n <= 1 else many}"


def import_message(result: BankImportResult) -> str:
    """``42 nouvelles opérations, 3 déjà importées (relevé CAMT.053)``."""
    new = _plural(result.new, "nouvelle opération", "nouvelles opérations")
    dup = _plural(result.duplicates, "déjà importée", "déjà importées")
    fmt = FORMAT_FR.get(result.format, result.format.upper())
    return f"{new}, {dup} (relevé {fmt})."


def error_lines(exc: EncaisseError) -> list[str]:
    """French sentences for a refused statement; a format error keeps its line and detail."""
    if exc.problems:
        return [problem_fr(p) for p in exc.problems]
    if isinstance(exc, FormatError) and exc.code not in ("BANK-FILE-UNKNOWN-FORMAT", "BANK-FILE-EMPTY"):
        head = problem_fr(Problem(exc.code, str(exc)))
        found = _LINE.search(str(exc))
        where = f" (ligne {found.group(1)})" if found else ""
        return [f"{head}{where}", f"Détail technique : {str(exc)[:300]}"]
    return [problem_fr(Problem(exc.code, str(exc)))]


# ---- list --------------------------------------------------------------------------------------
def _filters(request: Request) -> tuple[str, str, int]:
    qp = request.query_params
    state = qp.get("etat", "")
    state = state if state in TX_FILTERS else ""
    iban = compact_digits(qp.get("compte", ""))[:40]
    raw = qp.get("page", "1")
    page = max(int(raw), 1) if raw.isdigit() and len(raw) < 7 else 1
    return state, iban, page


def _keep(state: str, s: StoredTransaction) -> bool:
    status = tx_status(s)
    if state == "rapprochees":
        return status in ("matched", "partial")
    if state == "categorisees":
        return status == "categorized"
    if state == "a_rapprocher":
        return status in ("open", "partial")
    return True


def _filtered_ids(ctx: Ctx, state: str, iban: str) -> list[int]:
    """Ids (newest first) of the lines of a filter the store cannot page by itself (cached)."""

    def compute() -> list[int]:
        with ctx.uow.read() as repo:
            rows = repo.list_transactions(
                ctx.company_id, account_iban=iban or None, unmatched_only=state == "a_rapprocher"
            )
        return [s.id for s in reversed(rows) if _keep(state, s)]

    return ctx.state.cache.get(("bank-tx-ids", ctx.company_id, state, iban), compute)


def transactions_page(ctx: Ctx, state: str, iban: str, page: int) -> tuple[list[TxView], int, int, int]:
    """(rows newest first, total, page, pages) of one page of the transactions list."""
    cid = ctx.company_id
    with ctx.uow.read() as repo:
        if state in ("", "a_rapprocher") and not iban:
            total = repo.count_transactions(cid, unmatched_only=state == "a_rapprocher")
            pages = max(1, math.ceil(total / PAGE_SIZE))
            page = min(page, pages)
            end = total - (page - 1) * PAGE_SIZE
            start = max(0, end - PAGE_SIZE)
            rows = repo.list_transactions(
                cid, unmatched_only=state == "a_rapprocher", limit=max(end - start, 0), offset=start
            )[::-1]
        else:
            ids = _filtered_ids(ctx, state, iban)
            total = len(ids)
            pages = max(1, math.ceil(total / PAGE_SIZE))
            page = min(page, pages)
            chosen = ids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            found = {s.id: s for s in repo.list_transactions(cid, ids=chosen)} if chosen else {}
            rows = [found[i] for i in chosen if i in found]
        return tx_views(repo, cid, rows), total, page, pages


def _bank_page(
    request: Request,
    ctx: Ctx,
    *,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    state, iban, page = _filters(request)
    with ctx.uow.read() as repo:
        accounts = repo.list_accounts(ctx.company_id)
        connections = connection_views(repo.list_bank_connections(ctx.company_id))
    institutions = institution_choices(ctx) if ctx.can_write else []
    rows, total, page, pages = transactions_page(ctx, state, iban, page)
    params: dict[str, object] = {"etat": state, "compte": iban, "page": page}
    return render(
        request,
        "bank/index.html",
        ctx,
        status_code=status,
        section="bank",
        title="Banque",
        accounts=accounts,
        connections=connections,
        institutions=institutions,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        params=params,
        qs=query_string,
        filters=TX_FILTERS,
        status_fr=STATUS_FR,
        status_badge=STATUS_BADGE,
        category_fr=category_fr,
        upload_errors=errors or [],
        form=form or {},
        max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
    )


@router.get("/banque")
def bank_page(request: Request, ctx: Ctx = Depends(member)) -> Response:
    return _bank_page(request, ctx)


@router.get("/banque.csv")
def bank_csv(request: Request, ctx: Ctx = Depends(member)) -> Response:
    """Every transaction of the page's filter, oldest first, with its status and invoices."""
    state, iban, _ = _filters(request)
    uow, cid = ctx.uow, ctx.company_id

    def rows() -> Iterator[list[object]]:
        with uow.read() as repo:
            numbers: dict[int, list[str]] = defaultdict(list)
            for a in repo.list_allocations(cid):
                numbers[a.transaction_db_id].append(a.invoice_number)
        offset = 0
        while True:
            with uow.read() as repo:
                chunk = repo.list_transactions(
                    cid,
                    account_iban=iban or None,
                    unmatched_only=state == "a_rapprocher",
                    limit=CSV_CHUNK,
                    offset=offset,
                )
            for s in chunk:
                if not _keep(state, s):
                    continue
                tx = s.tx
                yield [
                    s.transaction_id,
                    tx.booking_date.isoformat(),
                    tx.value_date.isoformat() if tx.value_date else "",
                    f"{tx.amount:.2f}",
                    tx.currency,
                    tx.counterparty_name,
                    tx.counterparty_iban,
                    tx.remittance,
                    s.account_iban,
                    tx_status(s),
                    " ".join(numbers.get(s.id, [])),
                    s.category or "",
                ]
            if len(chunk) < CSV_CHUNK:
                return
            offset += CSV_CHUNK

    return csv_response("operations-bancaires.csv", CSV_HEADER, rows())


# ---- upload ------------------------------------------------------------------------------------
async def _read_upload(request: Request) -> tuple[bytes | None, str, dict[str, str], list[str]]:
    """(file bytes, file name, echoed fields, errors) of the statement form."""
    form = await request.form()
    fields = {"account_iban": text(form, "account_iban")[:60]}
    file = upload(form, "fichier")
    if file is None:
        return None, "", fields, ["Choisissez le fichier du relevé à importer."]
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return None, "", fields, [f"Le fichier dépasse {MAX_UPLOAD_BYTES // (1024 * 1024)} Mo."]
    if not data:
        return None, "", fields, ["Le fichier envoyé est vide."]
    return data, (file.filename or "")[:300], fields, []


@router.post("/banque/releves")
async def upload_statement(request: Request, ctx: Ctx = Depends(writer)) -> Response:
    data, filename, fields, errors = await _read_upload(request)
    if data is None:
        return _bank_page(request, ctx, errors=errors, form=fields, status=422)
    try:
        result = import_statement(
            ctx.uow,
            ctx.company_id,
            data,
            filename=filename,
            account_iban=fields["account_iban"] or None,
            actor=ctx.actor,
        )
    except EncaisseError as exc:
        lines = ["Rien n'a été importé.", *error_lines(exc)]
        return _bank_page(request, ctx, errors=lines, form=fields, status=422)
    except IntegrityError:  # two lines of the file share one bank reference: the store refuses both
        lines = ["Rien n'a été importé.", problem_fr(Problem("BANK-DUPLICATE-REFERENCE", ""))]
        return _bank_page(request, ctx, errors=lines, form=fields, status=422)
    flash(request, import_message(result))
    for message in list(dict.fromkeys(problem_fr(p) for p in result.problems))[:3]:
        flash(request, message, "warn")
    return RedirectResponse("/banque", status_code=303)
