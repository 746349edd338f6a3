"""Use cases for quotes (devis): write, edit, send, accept, refuse, convert; and catalogue items.

A quote is numbered when written (series ``quote``, pattern ``Company.quote_pattern``). Once
accepted it may be invoiced as a deposit invoice of a percentage (DEP-FINAL: one line per VAT
group) and then as the final invoice, which deducts every issued deposit of the quote. Sending
checks the quote mentions first (QUO-VALIDITY, QUO-INSURANCE, seller identity; ``check_quote``).
Transitions come from the table in :mod:`encaisse.domain.lifecycle`.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date
from decimal import Decimal

from encaisse.domain import lifecycle
from encaisse.domain.compliance import check_quote
from encaisse.domain.documents import (
    DocumentKind,
    Invoice,
    InvoiceStatus,
    LineNature,
    Quote,
    QuoteStatus,
    compute_totals,
    deposit_deduction_lines,
    deposit_lines,
)
from encaisse.domain.errors import Problem, Severity, TransitionError, ValidationError
from encaisse.domain.money import HUNDRED, ZERO
from encaisse.domain.numbering import format_number
from encaisse.services import audit
from encaisse.services.invoicing import check_draft
from encaisse.services.ports import Repository, UnitOfWork

#: Usual deposit share of a quote (SCENARIOS 2: "A 30 % deposit invoice is issued").
DEFAULT_DEPOSIT_PERCENT = Decimal(30)


def quote_problems(quote: Quote) -> list[Problem]:
    """Structural problems a quote may not have, even as a draft (same rules as invoice drafts)."""
    as_invoice = Invoice(
        company_id=quote.company_id,
        customer=quote.customer,
        issue_date=quote.issue_date,
        lines=quote.lines,
        document_discount_percent=quote.document_discount_percent,
    )
    problems = check_draft(as_invoice)
    if quote.customer.id is None:
        problems.append(Problem("INPUT-REQUIRED", "choose a customer", field="customer"))
    if quote.validity_date < quote.issue_date:
        problems.append(
            Problem("QUO-VALIDITY", "the validity date is before the quote date", field="validity_date")
        )
    return problems


def _raise_if(problems: list[Problem], code: str) -> None:
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        raise ValidationError(
            "invalid quote: " + "; ".join(p.describe() for p in errors), code=code, problems=problems
        )


def _next_quote_number(repo: Repository, company_id: int, day: date) -> str:
    company = repo.get_company(company_id)
    seq = repo.next_quote_number(company_id, day.year)
    return format_number(company.quote_pattern, day.year, seq, month=day.month)


def create_quote(uow: UnitOfWork, quote: Quote, *, actor: str = "") -> Quote:
    """Write a draft quote and give it the next quote number."""
    _raise_if(quote_problems(quote), "QUOTE-INVALID")
    with uow() as repo:
        assert quote.customer.id is not None
        customer = repo.get_party(quote.company_id, quote.customer.id)
        number = _next_quote_number(repo, quote.company_id, quote.issue_date)
        stored = repo.add_quote(
            replace(quote, customer=customer, number=number, status=QuoteStatus.DRAFT, accepted_on=None)
        )
        audit.record(
            repo, quote.company_id, "quote.created", "quote", stored.id, {"number": number}, actor=actor
        )
        return stored


def update_quote(uow: UnitOfWork, quote: Quote, *, actor: str = "") -> Quote:
    """Edit a draft quote (lines, dates, customer); sent quotes are not edited."""
    assert quote.id is not None
    _raise_if(quote_problems(quote), "QUOTE-INVALID")
    with uow() as repo:
        current = repo.get_quote(quote.company_id, quote.id)
        lifecycle.next_quote_status(current.status, "edit")
        assert quote.customer.id is not None
        customer = repo.get_party(quote.company_id, quote.customer.id)
        return repo.update_quote(
            replace(quote, customer=customer, number=current.number, status=current.status)
        )


def _transition(
    uow: UnitOfWork,
    company_id: int,
    quote_id: int,
    action: str,
    *,
    actor: str,
    accepted_on: date | None = None,
) -> Quote:
    with uow() as repo:
        current = repo.get_quote(company_id, quote_id)
        status = lifecycle.next_quote_status(current.status, action)
        if action == "send":
            company = repo.get_company(company_id)
            _raise_if(check_quote(current, company), "QUOTE-NOT-COMPLIANT")
        updated = replace(current, status=status, accepted_on=accepted_on or current.accepted_on)
        if action == "send" and repo.quote_link_nonce(company_id, quote_id) is None:
            repo.set_quote_link_nonce(company_id, quote_id, secrets.token_urlsafe(32))  # online link
        if not repo.answer_quote(updated, expected=current.status):  # never over an answer given meanwhile
            raise TransitionError(
                f"quote {current.number} changed meanwhile (answered online?): reload it",
                code="QUOTE-CHANGED",
            )
        audit.record(
            repo, company_id, f"quote.{action}", "quote", quote_id, {"number": current.number}, actor=actor
        )
        return updated


def send_quote(uow: UnitOfWork, company_id: int, quote_id: int, *, actor: str = "") -> Quote:
    """Mark a draft quote as sent once its mentions are complete (check_quote)."""
    return _transition(uow, company_id, quote_id, "send", actor=actor)


def accept_quote(uow: UnitOfWork, company_id: int, quote_id: int, today: date, *, actor: str = "") -> Quote:
    return _transition(uow, company_id, quote_id, "accept", actor=actor, accepted_on=today)


def refuse_quote(uow: UnitOfWork, company_id: int, quote_id: int, *, actor: str = "") -> Quote:
    return _transition(uow, company_id, quote_id, "refuse", actor=actor)


def expire_quotes(uow: UnitOfWork, company_id: int, today: date, *, actor: str = "daily run") -> list[str]:
    """Sent quotes whose validity date has passed become expired (QUO-VALIDITY); their numbers.

    The offer lapses the day after its validity date. Idempotent: an expired quote is not touched
    again; drafts (never offered) and answered quotes are left alone.
    """
    with uow() as repo:
        lapsed = [
            q
            for q in repo.list_quotes(company_id, status=QuoteStatus.SENT.value)
            if q.validity_date < today and q.id is not None
        ]
        expired = []
        for quote in lapsed:
            status = lifecycle.next_quote_status(quote.status, "expire")
            if not repo.answer_quote(replace(quote, status=status), expected=QuoteStatus.SENT):
                continue  # answered meanwhile: the answer stands
            expired.append(quote.number)
            audit.record(
                repo,
                company_id,
                "quote.expire",
                "quote",
                quote.id or 0,
                {"number": quote.number, "validity_date": quote.validity_date.isoformat()},
                actor=actor,
            )
        return expired


def _invoices_of(repo: Repository, quote: Quote) -> list[Invoice]:
    return [
        repo.get_invoice(quote.company_id, i)
        for i in repo.invoice_ids_of_quote(quote.company_id, quote.number)
    ]


def create_deposit_invoice(
    uow: UnitOfWork,
    company_id: int,
    quote_id: int,
    today: date,
    percent: Decimal = DEFAULT_DEPOSIT_PERCENT,
    *,
    actor: str = "",
) -> Invoice:
    """A draft deposit invoice of ``percent`` % of an accepted quote (DEP-FINAL, type code 386)."""
    if not (ZERO < percent < HUNDRED):
        raise ValidationError(
            "deposit percentage must be between 0 and 100",
            code="DEPOSIT-PERCENT",
            problems=[Problem("DEPOSIT-PERCENT", "between 0 and 100 (excluded)", field="percent")],
        )
    with uow() as repo:
        quote = repo.get_quote(company_id, quote_id)
        lifecycle.next_quote_status(quote.status, "deposit")
        previous = [
            inv
            for inv in _invoices_of(repo, quote)
            if inv.kind is DocumentKind.DEPOSIT and inv.status is not InvoiceStatus.CANCELLED
        ]
        quote_excl = compute_totals(quote).total_excl_tax
        already = sum((compute_totals(d).total_excl_tax for d in previous), ZERO)
        lines = deposit_lines(quote, percent)
        new = compute_totals(quote, lines=lines).total_excl_tax
        if already + new > quote_excl:
            raise ValidationError(
                f"deposits would exceed the quote ({already + new} > {quote_excl} excl. VAT)",
                code="DEPOSIT-EXCEEDS-QUOTE",
                problems=[Problem("DEPOSIT-EXCEEDS-QUOTE", "deposits exceed the quote", field="percent")],
            )
        invoice = Invoice(
            company_id=company_id,
            customer=quote.customer,
            issue_date=today,
            lines=tuple(replace(ln, nature=_quote_nature(quote)) for ln in lines),
            kind=DocumentKind.DEPOSIT,
            quote_number=quote.number,
            currency=quote.currency,
        )
        stored = repo.add_invoice(invoice)
        audit.record(
            repo,
            company_id,
            "quote.deposit_invoiced",
            "quote",
            quote_id,
            {"invoice_id": stored.id, "percent": str(percent)},
            actor=actor,
        )
        return stored


def _quote_nature(quote: Quote) -> LineNature:
    natures = {ln.nature for ln in quote.lines}
    return LineNature.GOODS if natures == {LineNature.GOODS} else LineNature.SERVICES


def convert_to_invoice(
    uow: UnitOfWork, company_id: int, quote_id: int, today: date, *, actor: str = ""
) -> Invoice:
    """The final draft invoice of an accepted quote, deducting its issued deposits (DEP-FINAL)."""
    with uow() as repo:
        quote = repo.get_quote(company_id, quote_id)
        lifecycle.next_quote_status(quote.status, "invoice")
        deposits = [
            inv
            for inv in _invoices_of(repo, quote)
            if inv.kind is DocumentKind.DEPOSIT and inv.status is not InvoiceStatus.CANCELLED
        ]
        drafts = [d for d in deposits if d.status is InvoiceStatus.DRAFT]
        if drafts:
            raise ValidationError(
                "a deposit invoice of this quote is still a draft: issue or delete it first",
                code="QUOTE-DEPOSIT-DRAFT",
                problems=[Problem("QUOTE-DEPOSIT-DRAFT", "deposit draft pending", field="deposits")],
            )
        deductions = tuple(ln for d in deposits for ln in deposit_deduction_lines(d))
        invoice = Invoice(
            company_id=company_id,
            customer=quote.customer,
            issue_date=today,
            lines=quote.lines + deductions,
            kind=DocumentKind.INVOICE,
            quote_number=quote.number,
            deposit_numbers=tuple(d.number for d in deposits),
            document_discount_percent=quote.document_discount_percent,
            currency=quote.currency,
            note=quote.note,
        )
        stored = repo.add_invoice(invoice)
        repo.update_quote(replace(quote, status=QuoteStatus.INVOICED))
        audit.record(
            repo,
            company_id,
            "quote.invoiced",
            "quote",
            quote_id,
            {"invoice_id": stored.id, "deposits": list(invoice.deposit_numbers)},
            actor=actor,
        )
        return stored


def save_item(
    uow: UnitOfWork,
    company_id: int,
    *,
    code: str,
    description: str,
    unit: str,
    unit_price: Decimal,
    vat_rate: Decimal,
    nature: str,
) -> int:
    """Add a catalogue item (article) offered when writing quotes and invoices."""
    problems: list[Problem] = []
    if not description.strip():
        problems.append(Problem("INPUT-REQUIRED", "is required", field="description"))
    if len(description) > 500:
        problems.append(Problem("INPUT-TOO-LONG", "longer than 500 characters", field="description"))
    if len(code) > 40:
        problems.append(Problem("INPUT-TOO-LONG", "longer than 40 characters", field="code"))
    if unit_price < 0:
        problems.append(Problem("LINE-NEGATIVE-PRICE", "must not be negative", field="unit_price"))
    if not (ZERO <= vat_rate <= HUNDRED):
        problems.append(Problem("LINE-VAT-RANGE", "between 0 and 100", field="vat_rate"))
    if nature not in {n.value for n in LineNature}:
        problems.append(Problem("INPUT-CHOICE", "goods or services", field="nature"))
    if problems:
        raise ValidationError("invalid item", code="ITEM-INVALID", problems=problems)
    with uow() as repo:
        return repo.add_item(
            company_id,
            code=code.strip(),
            description=description.strip(),
            unit=unit or "C62",
            unit_price=unit_price,
            vat_rate=vat_rate,
            nature=nature,
        )
