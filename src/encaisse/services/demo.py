"""Load the generated demo company into the store (``encaisse demo``), once.

Payments received in the last days are left unreconciled so the bank page and
``encaisse reconcile`` have real work to show (SCENARIOS 4).
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from encaisse.domain.bank import dedupe_key
from encaisse.domain.documents import Invoice, InvoiceStatus, Line, LineNature, QuoteStatus, compute_totals
from encaisse.domain.lifecycle import status_after_payments
from encaisse.domain.money import ZERO
from encaisse.domain.numbering import fiscal_year_of, series_key
from encaisse.domain.parties import Address, Company, Party
from encaisse.formats import cii
from encaisse.services import audit
from encaisse.services.accounts import hash_password
from encaisse.services.demo_data import DEMO_LOGIN, DemoDataset, DemoPayment, generate
from encaisse.services.ports import Repository, StoredTransaction, UnitOfWork
from encaisse.services.reconciliation import categorize_all, reconcile

ACCOUNTANT_LOGIN = ("comptable@encaisse.fr", "demo-encaisse")
UNRECONCILED_DAYS = 6


def _seq_of(number: str) -> int:
    digits = number.rsplit("-", 1)[-1]
    return int(digits) if digits.isdigit() else 0


def load_demo(uow: UnitOfWork, *, seed: int, today: date, months: int = 14) -> str:
    ds = generate(seed, today=today, months=months)
    with uow() as repo:
        if repo.company_by_siren(ds.company.siren):
            return f"demo company {ds.company.name} already present (login {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]})"
        company = repo.add_company(ds.company)
        cid = company.id or 0
        for (email, password), role, name in (
            (DEMO_LOGIN, "owner", "Gérant démo"),
            (ACCOUNTANT_LOGIN, "accountant", "Cabinet comptable démo"),
        ):
            user = repo.user_by_email(email)
            uid = user.id if user else repo.add_user(email, name, hash_password(password))
            repo.add_membership(uid, cid, role)
        parties: dict[str, Party] = {}
        for p in (*ds.customers, *ds.suppliers):
            parties[p.name] = repo.add_party(cid, p)
        for item in ds.items:
            repo.add_item(
                cid,
                code=item.code,
                description=item.description,
                unit=item.unit,
                unit_price=item.unit_price,
                vat_rate=Decimal(20),
                nature=item.nature.value,
            )
        for q in ds.quotes:
            quote = repo.add_quote(replace(q, company_id=cid, customer=parties[q.customer.name]))
            if quote.status is QuoteStatus.SENT and quote.id is not None:  # sent: its online link
                repo.set_quote_link_nonce(cid, quote.id, secrets.token_urlsafe(32))

        recent = {p for p in ds.payments if p.bank_ref and p.date > today - timedelta(days=UNRECONCILED_DAYS)}
        unrecorded: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for pay in recent:
            unrecorded[pay.invoice_number] += pay.amount
        by_number: dict[str, Invoice] = {}
        sequences: dict[tuple[str, int], int] = {}
        for inv in sorted(ds.invoices, key=lambda i: (i.issue_date, i.number)):
            inv = replace(inv, company_id=cid, customer=parties.get(inv.customer.name, inv.customer))
            if inv.number in unrecorded:
                paid = inv.amount_paid - unrecorded[inv.number]
                status = status_after_payments(
                    InvoiceStatus.ISSUED, inv.total_incl_tax - inv.amount_credited, paid
                )
                inv = replace(inv, amount_paid=paid, status=status)
            if inv.number:
                pattern = (
                    company.credit_note_pattern
                    if inv.kind.value == "credit_note"
                    else company.invoice_pattern
                )
                key = (series_key(inv.kind.value, pattern), fiscal_year_of(inv.issue_date))
                sequences[key] = max(sequences.get(key, 0), _seq_of(inv.number))
                inv = replace(inv, series=key[0])
            stored = repo.add_invoice(inv)
            if stored.number:
                by_number[stored.number] = stored
        for (series, year), last in sequences.items():
            repo.set_sequence(cid, series, year, last)
        quote_year_max: dict[int, int] = {}
        for q in ds.quotes:
            if q.number:
                quote_year_max[q.issue_date.year] = max(
                    quote_year_max.get(q.issue_date.year, 0), _seq_of(q.number)
                )
        for year, last in quote_year_max.items():
            repo.set_sequence(cid, "quote", year, last)

        _load_supplier_invoices(repo, company, ds, parties)
        account_id = repo.get_or_create_account(
            cid, ds.account_iban, bic=ds.account_bic, name="Compte courant"
        )
        occurrences: dict[str, int] = defaultdict(int)
        rows = []
        for tx in ds.transactions:
            base = dedupe_key(ds.account_iban, tx, 0)
            occurrences[base] += 1
            rows.append((tx, tx.bank_ref, dedupe_key(ds.account_iban, tx, occurrences[base] - 1)))
        repo.add_transactions(cid, account_id, rows, None)
        repo.set_account_balance(cid, account_id, ds.closing_balance, today)
        tx_ids = {s.tx.bank_ref: s for s in repo.list_transactions(cid)}
        _record_payments(repo, cid, ds.payments, recent, by_number, tx_ids)
        audit.record(repo, cid, "demo.loaded", "company", cid, {"seed": seed, "invoices": len(ds.invoices)})
    categorize_all(uow, cid, before=today - timedelta(days=UNRECONCILED_DAYS))
    reconcile(uow, cid, today, auto=False)  # the last days' credits wait in the review queue
    return (
        f"demo company {company.name} created: {len(ds.customers)} customers, {len(ds.invoices)} documents, "
        f"{len(ds.transactions)} bank transactions; login {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]} "
        f"(accountant: {ACCOUNTANT_LOGIN[0]})"
    )


def _load_supplier_invoices(
    repo: Repository, company: Company, ds: DemoDataset, parties: dict[str, Party]
) -> None:
    """The suppliers' invoices as they would arrive in the inbox: CII e-invoices kept as originals."""
    buyer = Party(
        name=company.name, siren=company.siren, vat_number=company.vat_number, address=company.address
    )
    for si in ds.supplier_invoices:
        supplier = parties[si.supplier_name]
        seller = Company(
            name=supplier.name,
            siren=supplier.siren,
            legal_form=supplier.legal_form,
            vat_number=supplier.vat_number,
            address=Address("ZI des Platières", "", "69200", "Vénissieux"),
            iban=supplier.iban,
            penalty_rate=Decimal("12.15"),
        )
        invoice = Invoice(
            company_id=company.id or 0,
            customer=buyer,
            issue_date=si.issue_date,
            due_date=si.due_date,
            number=si.number,
            status=InvoiceStatus.ISSUED,
            supply_date=si.issue_date,
            lines=(
                Line(
                    "Fournitures électriques du mois", Decimal(1), si.total_excl_tax, nature=LineNature.GOODS
                ),
            ),
        )
        xml = cii.export(invoice, seller)
        totals = compute_totals(invoice)
        paid = si.paid_on is not None
        repo.add_received(
            company.id or 0,
            {
                "supplier_id": supplier.id,
                "number": si.number,
                "type_code": "380",
                "issue_date": si.issue_date,
                "due_date": si.due_date,
                "currency": "EUR",
                "total_excl_tax": totals.total_excl_tax,
                "total_vat": totals.total_vat,
                "total_incl_tax": totals.total_incl_tax,
                "amount_due": totals.total_incl_tax,
                "amount_paid": totals.total_incl_tax if paid else ZERO,
                "iban": supplier.iban,
                "payment_reference": "",
                "syntax": "cii",
                "filename": f"{si.number}.xml",
                "sha256": hashlib.sha256(xml).hexdigest(),
                "original": xml,
                "data": {"profile": "EN16931"},
                "status": "paid" if paid else "received",
            },
        )


def _record_payments(
    r: Repository,
    cid: int,
    payments: tuple[DemoPayment, ...],
    recent: set[DemoPayment],
    by_number: dict[str, Invoice],
    tx_ids: dict[str, StoredTransaction],
) -> None:
    left: dict[str, Decimal] = {}
    for p in sorted(payments, key=lambda p: (p.date, p.invoice_number)):
        if p in recent or p.invoice_number not in by_number:
            continue
        inv = by_number[p.invoice_number]
        alloc_id = None
        stx = tx_ids.get(p.bank_ref) if p.bank_ref else None
        if stx is not None:
            remaining = left.setdefault(p.bank_ref, abs(stx.tx.amount))
            share = min(p.amount - p.fee, remaining)
            if share > 0:
                alloc_id = r.add_allocation(
                    cid,
                    stx.id,
                    inv.id or 0,
                    share,
                    how="manual",
                    score=None,
                    explanation="rapprochement de la démo",
                )
                left[p.bank_ref] = remaining - share
        r.add_payment(cid, inv.id or 0, p.date, p.amount, method=p.method, allocation_id=alloc_id)
