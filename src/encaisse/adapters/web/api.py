"""REST API ``/api/v1`` over the same use cases as the pages (fava's "thin web layer").

Authentication: ``Authorization: Bearer <token>`` with a token made in Paramètres → Jetons d'API;
the token acts with its creator's role in its company (an accountant's token only reads).
Errors: ``{"code", "message", "problems": [{"code", "field", "message"}]}``, status from the one
table of :mod:`.errors` (401, 403, 404, 409, 422).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import Request

from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.adapters.web.account_use_cases import token_owner
from encaisse.adapters.web.api_models import (
    CompanyOut,
    CustomerIn,
    CustomerList,
    CustomerOut,
    DbId,
    ErrorBody,
    InvoiceIn,
    InvoiceList,
    InvoiceOut,
    InvoiceSummary,
    PaymentIn,
)
from encaisse.adapters.web.context import WRITERS, LoginRequiredError, state_of
from encaisse.adapters.web.document_forms import storage_problems
from encaisse.domain.errors import ForbiddenError, NotFoundError, Problem, ValidationError
from encaisse.domain.parties import PartyKind
from encaisse.services import invoicing
from encaisse.services.clock import today
from encaisse.services.companies import save_party
from encaisse.services.document_input import Reader, invoice_from_data, read_party
from encaisse.services.ports import InvoiceFilter

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Jeton absent ou invalide"},
    403: {"model": ErrorBody, "description": "Rôle insuffisant"},
    404: {"model": ErrorBody, "description": "Introuvable dans votre entreprise"},
    409: {"model": ErrorBody, "description": "Action impossible dans l'état du document"},
    422: {"model": ErrorBody, "description": "Données invalides (problèmes par champ)"},
}

bearer = HTTPBearer(auto_error=False, description="Jeton d'API créé dans Paramètres → Jetons d'API")
router = APIRouter(prefix="/api/v1", tags=["api"], responses=_ERRORS)


@dataclass(frozen=True)
class ApiCtx:
    company_id: int
    user_id: int
    actor: str
    role: str
    uow: SqlUnitOfWork

    def require_writer(self) -> None:
        if self.role not in WRITERS:
            raise ForbiddenError(f"role {self.role} is read-only", code="FORBIDDEN-ROLE")


def api_ctx(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> ApiCtx:
    if credentials is None or not credentials.credentials or len(credentials.credentials) > 200:
        raise LoginRequiredError("bearer token required", code="UNAUTHORIZED")
    st = state_of(request)
    with st.uow.read() as repo:
        found = token_owner(repo, credentials.credentials)
    if found is None:
        raise LoginRequiredError("invalid token", code="UNAUTHORIZED")
    token, user = found
    role = dict(user.memberships).get(token.company_id)
    if role is None:
        raise LoginRequiredError("the token's user left the company", code="UNAUTHORIZED")
    return ApiCtx(token.company_id, user.id, f"api:{user.email}", role, st.uow)


Api = Annotated[ApiCtx, Depends(api_ctx)]


@router.get("/company", response_model=CompanyOut, summary="L'entreprise du jeton")
def get_company(ctx: Api) -> CompanyOut:
    with ctx.uow.read() as repo:
        return CompanyOut.of(repo.get_company(ctx.company_id))


@router.get("/customers", response_model=CustomerList, summary="Clients (recherche, pagination)")
def list_customers(
    ctx: Api,
    search: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> CustomerList:
    with ctx.uow.read() as repo:
        total = repo.count_parties(ctx.company_id, "customer", search=search)
        parties = repo.list_parties(ctx.company_id, "customer", search=search, limit=limit, offset=offset)
    return CustomerList(items=[CustomerOut.of(p) for p in parties], total=total, limit=limit, offset=offset)


@router.get("/customers/{customer_id}", response_model=CustomerOut, summary="Un client")
def get_customer(ctx: Api, customer_id: DbId) -> CustomerOut:
    with ctx.uow.read() as repo:
        party = repo.get_party(ctx.company_id, customer_id)
    if party.kind is not PartyKind.CUSTOMER:
        raise NotFoundError("not a customer", code="PARTY-NOT-FOUND")
    return CustomerOut.of(party)


@router.post("/customers", response_model=CustomerOut, status_code=201, summary="Créer un client")
def create_customer(ctx: Api, body: CustomerIn) -> CustomerOut:
    ctx.require_writer()
    problems: list[Problem] = []
    data = body.model_dump(exclude_none=True)
    party = read_party(Reader(data, "", problems))
    party = replace(
        party,
        phone=body.phone,
        bic=body.bic,
        reference=body.reference,
        payment_terms_days=body.payment_terms_days,
    )
    if problems:
        raise ValidationError("invalid customer", code="INPUT-INVALID", problems=problems)
    return CustomerOut.of(save_party(ctx.uow, ctx.company_id, party, actor=ctx.actor))


@router.get("/invoices", response_model=InvoiceList, summary="Factures (filtres, tri, pagination)")
def list_invoices(
    ctx: Api,
    status: Literal["draft", "issued", "partially_paid", "paid", "cancelled"] | None = None,
    kind: Literal["invoice", "deposit", "credit_note"] | None = None,
    customer_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    search: Annotated[str, Query(max_length=100)] = "",
    overdue: bool = False,
    sort: Literal[
        "issue_date", "-issue_date", "due_date", "-due_date", "number", "-number", "total", "-total"
    ] = "-issue_date",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> InvoiceList:
    flt = InvoiceFilter(
        status=status,
        kind=kind,
        customer_id=customer_id,
        search=search,
        overdue_on=today() if overdue else None,
        sort=sort,
    )
    with ctx.uow.read() as repo:
        total = repo.count_invoices(ctx.company_id, flt)
        rows = repo.list_invoices(ctx.company_id, replace(flt, limit=limit, offset=offset))
    return InvoiceList(items=[InvoiceSummary.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, summary="Une facture, avec ses lignes")
def get_invoice(ctx: Api, invoice_id: DbId) -> InvoiceOut:
    with ctx.uow.read() as repo:
        return InvoiceOut.of(repo.get_invoice(ctx.company_id, invoice_id))


@router.post("/invoices", response_model=InvoiceOut, status_code=201, summary="Créer un brouillon de facture")
def create_invoice(ctx: Api, body: InvoiceIn) -> InvoiceOut:
    ctx.require_writer()
    data = body.model_dump(mode="json", exclude_none=True)
    customer = None
    if body.customer_id is not None:
        with ctx.uow.read() as repo:
            try:
                customer = repo.get_party(ctx.company_id, body.customer_id)
            except NotFoundError:
                customer = None
        if customer is None or customer.kind is not PartyKind.CUSTOMER:
            raise ValidationError(
                "unknown customer",
                code="INPUT-INVALID",
                problems=[Problem("INPUT-CHOICE", "unknown customer", field="customer_id")],
            )
    invoice = invoice_from_data(ctx.company_id, data, customer)
    problems = storage_problems(invoice.lines, invoice.document_discount_percent)
    if problems:
        raise ValidationError("invalid invoice", code="INPUT-INVALID", problems=problems)
    return InvoiceOut.of(invoicing.create_draft(ctx.uow, invoice, actor=ctx.actor))


@router.post("/invoices/{invoice_id}/issue", response_model=InvoiceOut, summary="Émettre (numéro définitif)")
def issue_invoice(ctx: Api, invoice_id: DbId) -> InvoiceOut:
    ctx.require_writer()
    return InvoiceOut.of(invoicing.issue(ctx.uow, ctx.company_id, invoice_id, actor=ctx.actor))


@router.post("/invoices/{invoice_id}/payments", response_model=InvoiceOut, summary="Enregistrer un paiement")
def record_payment(ctx: Api, invoice_id: DbId, body: PaymentIn) -> InvoiceOut:
    ctx.require_writer()
    amount = Decimal(body.amount)
    invoice = invoicing.record_payment(
        ctx.uow, ctx.company_id, invoice_id, amount, body.date, method=body.method, actor=ctx.actor
    )
    return InvoiceOut.of(invoice)


@router.post(
    "/invoices/{invoice_id}/credit-note", response_model=InvoiceOut, status_code=201, summary="Avoir total"
)
def credit_note(ctx: Api, invoice_id: DbId) -> InvoiceOut:
    ctx.require_writer()
    return InvoiceOut.of(
        invoicing.create_credit_note(ctx.uow, ctx.company_id, invoice_id, today(), actor=ctx.actor)
    )
