"""Accounting use cases (SCENARIOS §6, "the accountant"): the books of a fiscal year built from the
store, the FEC export checked by its own validator (FEC-*), the VAT report of a month, aged
receivables and DSO, and the monthly package sent to the accountant (journal CSV + the PDFs).

Everything here only reads: the books are derived from the immutable documents, payments and
bank lines each time (no entry table to keep in sync), so the FEC of a closed year is the same
every time it is produced.

Bank lines enter the books this way: a payment recorded on an invoice is one settlement entry
(BQ 512 / 411, or OD for fees, discounts, rounding and losses); what a bank line holds beyond its
allocations is booked on its category's account (``bank_transaction.category``, the company's
rules may name the PCG account), or on 471 (suspense) until someone categorises it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from encaisse.domain import ledger
from encaisse.domain.documents import Invoice
from encaisse.domain.errors import Problem, Severity
from encaisse.domain.ledger import (
    AgedReceivables,
    BankLine,
    Entry,
    JournalTotal,
    LedgerSources,
    Payment,
    Period,
    SupplierInvoice,
    VatReport,
)
from encaisse.domain.numbering import fiscal_year_of
from encaisse.domain.parties import Company, VatRegime
from encaisse.formats import fec
from encaisse.services.ports import Repository, UnitOfWork

#: Renders the PDF of a stored invoice (``adapters.pdf.documents.invoice_pdf_bytes``).
PdfRenderer = Callable[[Repository, Company, Invoice], bytes]


@dataclass(frozen=True)
class Books:
    """The entries of one fiscal year (opening balances first) and the documents they come from."""

    company: Company
    period: Period
    entries: tuple[Entry, ...]
    invoices: tuple[Invoice, ...]

    @property
    def journals(self) -> list[JournalTotal]:
        return ledger.journal_totals(self.entries)


@dataclass(frozen=True)
class FecExport:
    filename: str
    data: bytes
    problems: tuple[Problem, ...]
    entries: int
    lines: int

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]


@dataclass(frozen=True)
class ReceivablesReport:
    aged: AgedReceivables
    dso: Decimal | None
    dso_days: int


@dataclass(frozen=True)
class Package:
    """The monthly zip for the accountant."""

    filename: str
    data: bytes
    entries: int
    documents: int


def fiscal_period(company: Company, year: int) -> Period:
    """The fiscal year closing in ``year`` (the company's closing month)."""
    return Period.fiscal_year(year, company.fiscal_year_end_month)


def _rule_accounts(repo: Repository, company_id: int) -> dict[str, str]:
    """Category -> PCG account named by the company's own categorisation rules."""
    out = {}
    for _, category, definition in repo.list_rules(company_id):
        account = str(definition.get("pcg_account") or "")
        if len(account) >= 3 and account.isdigit():
            out[category] = account
    return out


def _bank_lines(repo: Repository, company_id: int) -> list[BankLine]:
    accounts = _rule_accounts(repo, company_id)
    out = []
    for st in repo.list_transactions(company_id):
        left = abs(st.tx.amount) - st.amount_allocated
        if left <= 0:
            continue
        text = st.tx.remittance or st.tx.counterparty_name
        category = accounts.get(st.category, st.category) if st.category else None
        out.append(
            BankLine(
                st.tx.booking_date,
                left if st.tx.amount > 0 else -left,
                text,
                reference=st.transaction_id,
                category=category,
            )
        )
    return out


def _supplier_invoices(rows: list[dict[str, Any]]) -> list[SupplierInvoice]:
    return [
        SupplierInvoice(
            number=str(r["number"]),
            issue_date=r["issue_date"],
            supplier_name=str(r["supplier_name"]),
            total_excl_tax=Decimal(r["total_excl_tax"]),
            total_vat=Decimal(r["total_vat"]),
            supplier_id=r.get("supplier_id"),
            credit_note=str(r.get("type_code", "380")) in {"381", "261", "383", "396", "532"},
        )
        for r in rows
        if r.get("status") not in ("rejected", "refused")
    ]


def load_sources(repo: Repository, company: Company) -> LedgerSources:
    """Everything booked for ``company``: issued documents, their settlements, bank lines, purchases."""
    cid = company.id or 0
    invoices = repo.load_invoices(cid)
    payments = [
        Payment(inv.number, day, amount, method)
        for inv in invoices
        if inv.id is not None and ledger.is_booked(inv) and inv.amount_paid
        for _, day, amount, method in repo.payments_of(cid, inv.id)
    ]
    return LedgerSources(
        invoices=tuple(invoices),
        payments=tuple(payments),
        bank_lines=tuple(_bank_lines(repo, cid)),
        supplier_invoices=tuple(_supplier_invoices(repo.list_received(cid))),
        vat_on_collection=company.vat_regime is VatRegime.COLLECTION,
    )


def books_in(repo: Repository, company_id: int, year: int) -> Books:
    company = repo.get_company(company_id)
    sources = load_sources(repo, company)
    period = fiscal_period(company, year)
    entries = ledger.ledger_for_period(sources, period)
    return Books(company, period, tuple(entries), sources.invoices)


def books(uow: UnitOfWork, company_id: int, year: int) -> Books:
    """The books of the fiscal year closing in ``year``."""
    with uow() as repo:
        return books_in(repo, company_id, year)


def fec_of(book: Books) -> FecExport:
    """The FEC of ``book`` and every problem found by the domain checks and the file validator."""
    entries = list(book.entries)
    name = fec.filename(book.company.siren, book.period.end)
    data = fec.export(entries, siren=book.company.siren, year_end=book.period.end)
    problems = ledger.balance_check(entries) + ledger.sequence_check(entries)
    problems += fec.validate(data, period=book.period, name=name)
    return FecExport(name, data, tuple(problems), len(entries), sum(len(e.lines) for e in entries))


def export_fec(uow: UnitOfWork, company_id: int, year: int) -> FecExport:
    """FEC-OBLIG: the FEC of the fiscal year closing in ``year``; check ``.errors`` before handing it over."""
    return fec_of(books(uow, company_id, year))


def vat_report(uow: UnitOfWork, company_id: int, year: int, month: int) -> VatReport:
    """The VAT of one month (CA3): output VAT that became due against deductible VAT."""
    with uow() as repo:
        company = repo.get_company(company_id)
        book = books_in(repo, company_id, fiscal_year_of(date(year, month, 1), company.fiscal_year_end_month))
    return ledger.vat_report(book.entries, Period.month(year, month))


def receivables_of(
    invoices: tuple[Invoice, ...] | list[Invoice], today: date, days: int = 90
) -> ReceivablesReport:
    return ReceivablesReport(
        ledger.aged_receivables(invoices, today), ledger.dso(invoices, today, days=days), days
    )


def receivables(uow: UnitOfWork, company_id: int, today: date, *, days: int = 90) -> ReceivablesReport:
    """Aged receivables on ``today`` and the DSO over the last ``days`` days."""
    with uow() as repo:
        invoices = repo.load_invoices(company_id)
    return receivables_of(invoices, today, days)


def _safe_cell(text: str) -> str:
    """A cell a spreadsheet will not execute (formula injection), numbers left alone."""
    if text and text[0] in "=+-@" and not text.lstrip("+-").replace(",", "").isdigit():
        return "'" + text
    return text


def journal_csv(entries: list[Entry]) -> bytes:
    """The entries in the FEC's 18 columns as a spreadsheet-friendly CSV (UTF-8 with BOM, ``;``)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(fec.COLUMNS)
    for row in fec.records(entries):
        writer.writerow([_safe_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode()


def _summary(
    company: Company, period: Period, entries: list[Entry], report: VatReport, documents: int
) -> str:
    def amount(value: Decimal) -> str:
        return f"{value:.2f}".replace(".", ",") + " EUR"

    lines = [
        f"{company.name} (SIREN {company.siren})",
        f"Période du {period.start:%d/%m/%Y} au {period.end:%d/%m/%Y}",
        "",
        f"Écritures : {len(entries)} ({', '.join(f'{t.journal} {t.entries}' for t in ledger.journal_totals(entries))})",
        f"Factures et avoirs joints (PDF) : {documents}",
        "",
        f"TVA collectée exigible : {amount(report.collected_total)}",
        f"TVA déductible : {amount(report.deductible)}",
        f"TVA nette due : {amount(report.net_due)}",
        f"TVA collectée non encore exigible (44574) : {amount(report.pending)}",
        "",
        "Fichier des écritures : colonnes du FEC (A47 A-1), séparateur point-virgule, UTF-8.",
    ]
    return "\r\n".join(lines) + "\r\n"


def monthly_package(
    uow: UnitOfWork, company_id: int, year: int, month: int, *, render_pdf: PdfRenderer | None = None
) -> Package:
    """SCENARIOS §6: the month's entries (sales, payments, bank, purchases) and the PDFs of the month's
    invoices and credit notes, in one zip for the accountant."""
    period = Period.month(year, month)
    with uow() as repo:
        company = repo.get_company(company_id)
        book = books_in(repo, company_id, fiscal_year_of(period.start, company.fiscal_year_end_month))
        entries = [e for e in book.entries if e.journal != "AN" and e.date in period]
        documents = sorted(
            (inv for inv in book.invoices if ledger.is_booked(inv) and inv.issue_date in period),
            key=lambda inv: inv.number,
        )
        pdfs = [(inv.number, render_pdf(repo, company, inv)) for inv in documents] if render_pdf else []
    report = ledger.vat_report(book.entries, period)
    stamp = (year, month, 1, 0, 0, 0)
    tag = f"{year}-{month:02d}"
    files = [
        (f"ecritures_{tag}.csv", journal_csv(entries)),
        ("LISEZMOI.txt", _summary(company, period, entries, report, len(pdfs)).encode()),
    ]
    for number, pdf in pdfs:
        files.append(
            (f"factures/{''.join(ch if ch.isalnum() or ch in '-_' else '-' for ch in number)}.pdf", pdf)
        )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in files:  # fixed timestamps: the same month gives the same bytes
            zf.writestr(zipfile.ZipInfo(name, stamp), content, compress_type=zipfile.ZIP_DEFLATED)
    return Package(f"{company.siren}_comptabilite_{tag}.zip", buf.getvalue(), len(entries), len(pdfs))
