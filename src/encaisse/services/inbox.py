"""Supplier e-invoice inbox (``encaisse inbox import FILE``, upload in the web app).

Reads Factur-X PDF, CII or UBL; validates them (XSD + EN 16931 schematron); refuses invoices
with errors, listing every rule id; extracts supplier (matched or created by SIREN / VAT number),
totals, due date, IBAN; stores the original file untouched with its SHA-256 (RET-E-ORIGINAL);
detects duplicates (same supplier + number) and never stores them twice. A supplier IBAN that
differs from the one on file is flagged before any payment (SCENARIOS 7).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from encaisse.domain.errors import Problem, Severity, ValidationError
from encaisse.domain.parties import Address, Party, PartyKind, compact_digits
from encaisse.domain.received import ReceivedInvoice
from encaisse.formats import einvoice_in
from encaisse.services import audit
from encaisse.services.ports import Repository, UnitOfWork


@dataclass(frozen=True)
class InboxResult:
    status: str  # imported | duplicate
    received_id: int | None
    supplier_name: str
    number: str
    total_incl_tax: Decimal
    due_date: date | None
    warnings: tuple[Problem, ...]
    iban_changed: bool = False


def read_and_validate(data: bytes) -> tuple[ReceivedInvoice, list[Problem]]:
    """Parse then run the official validation; problems merged, official rule ids first."""
    received = einvoice_in.parse(data)
    official = einvoice_in.validate(data)
    codes = {p.code for p in official}
    merged = official + [p for p in received.problems if p.code not in codes]
    return received, merged


def _supplier(repo: Repository, company_id: int, received: ReceivedInvoice) -> tuple[Party, bool]:
    s = received.supplier
    siren = compact_digits(s.siren)
    found = repo.find_party(company_id, siren=siren, kind="supplier") if siren else None
    if found is None:
        found = repo.find_party(company_id, name=s.name, kind="supplier")
    iban = compact_digits(s.iban)
    if found is None:
        party = Party(
            name=s.name[:200] or "Fournisseur",
            kind=PartyKind.SUPPLIER,
            siren=siren,
            vat_number=compact_digits(s.vat_number)[:20],
            address=Address(
                s.address.line1,
                s.address.line2,
                s.address.postcode,
                s.address.city,
                s.address.country or "FR",
            ),
            iban=iban[:40],
            bic=s.bic[:11],
        )
        return repo.add_party(company_id, party), False
    changed = bool(iban and found.iban and iban != found.iban)
    if iban and not found.iban:
        found = repo.update_party(company_id, replace(found, iban=iban[:40], bic=s.bic[:11]))
    return found, changed


def _data(received: ReceivedInvoice) -> dict[str, Any]:
    return {
        "profile": received.profile,
        "lines": [
            {
                "id": ln.line_id,
                "name": ln.name,
                "quantity": str(ln.quantity),
                "net_amount": str(ln.net_amount),
                "vat_category": ln.vat_category,
                "vat_rate": str(ln.vat_rate),
            }
            for ln in received.lines
        ],
        "vat": [
            {
                "category": v.category,
                "rate": str(v.rate),
                "base": str(v.taxable_amount),
                "tax": str(v.tax_amount),
            }
            for v in received.vat_rows
        ],
        "buyer": {"name": received.buyer.name, "siren": received.buyer.siren},
        "preceding_invoice": received.preceding_invoice,
        "notes": list(received.notes)[:20],
    }


def import_einvoice(
    uow: UnitOfWork, company_id: int, data: bytes, *, filename: str = "", actor: str = ""
) -> InboxResult:
    received, problems = read_and_validate(data)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        rules = ", ".join(sorted({p.code for p in errors}))
        raise ValidationError(
            f"the e-invoice is not valid ({rules}): nothing stored", code="INBOX-INVALID", problems=errors
        )
    if received.issue_date is None or not received.number:
        raise ValidationError("the e-invoice has no number or issue date", code="INBOX-INVALID")
    warnings = tuple(p for p in problems if p.severity is not Severity.ERROR)
    with uow() as repo:
        supplier, iban_changed = _supplier(repo, company_id, received)
        existing = repo.find_received(company_id, supplier.id or 0, received.number)
        t = received.totals
        if existing is not None:
            return InboxResult(
                "duplicate",
                existing,
                supplier.name,
                received.number,
                t.tax_inclusive,
                received.due_date,
                warnings,
            )
        rid = repo.add_received(
            company_id,
            {
                "supplier_id": supplier.id,
                "number": received.number[:60],
                "type_code": received.type_code[:3],
                "issue_date": received.issue_date,
                "due_date": received.due_date,
                "currency": received.currency[:3] or "EUR",
                "total_excl_tax": t.tax_exclusive,
                "total_vat": t.tax_total,
                "total_incl_tax": t.tax_inclusive,
                "amount_due": t.payable,
                "amount_paid": Decimal("0.00"),
                "iban": compact_digits(received.supplier.iban)[:40],
                "payment_reference": received.payment_reference[:60],
                "syntax": received.syntax.value,
                "filename": filename[:300],
                "sha256": einvoice_sha256(data),
                "original": data,
                "data": _data(received),
                "status": "iban_changed" if iban_changed else "received",
            },
        )
        audit.record(
            repo,
            company_id,
            "inbox.received",
            "received_invoice",
            rid,
            {
                "supplier": supplier.name,
                "number": received.number,
                "sha256": einvoice_sha256(data),
                "iban_changed": iban_changed,
            },
            actor=actor,
        )
        return InboxResult(
            "imported",
            rid,
            supplier.name,
            received.number,
            t.tax_inclusive,
            received.due_date,
            warnings,
            iban_changed,
        )


def einvoice_sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
