"""Explicit row <-> dataclass mapping (no ORM magic)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from encaisse.domain.documents import (
    DocumentKind,
    Exemption,
    Invoice,
    InvoiceStatus,
    Line,
    LineNature,
    Quote,
    QuoteStatus,
)
from encaisse.domain.parties import Address, Company, Party, PartyKind, SizeCategory, VatFiling, VatRegime


def address_from(row: Any, prefix: str = "") -> Address | None:
    m = row._mapping
    if m.get(f"{prefix}line1") is None and prefix:
        return None
    return Address(
        line1=m[f"{prefix}line1"] or "",
        line2=m[f"{prefix}line2"] or "",
        postcode=m[f"{prefix}postcode"] or "",
        city=m[f"{prefix}city"] or "",
        country=m[f"{prefix}country"] or "FR",
    )


def address_values(addr: Address | None, prefix: str = "") -> dict[str, Any]:
    if addr is None:
        return {f"{prefix}{k}": None for k in ("line1", "line2", "postcode", "city", "country")}
    return {
        f"{prefix}line1": addr.line1,
        f"{prefix}line2": addr.line2,
        f"{prefix}postcode": addr.postcode,
        f"{prefix}city": addr.city,
        f"{prefix}country": addr.country,
    }


def address_to_json(addr: Address | None) -> dict[str, str] | None:
    if addr is None:
        return None
    return {
        "line1": addr.line1,
        "line2": addr.line2,
        "postcode": addr.postcode,
        "city": addr.city,
        "country": addr.country,
    }


def address_from_json(data: dict[str, str] | None) -> Address | None:
    if not data:
        return None
    return Address(
        **{k: data.get(k, "") or "" for k in ("line1", "line2", "postcode", "city")},
        country=data.get("country") or "FR",
    )


def company_values(c: Company) -> dict[str, Any]:
    return {
        "name": c.name,
        "siren": c.siren,
        "legal_form": c.legal_form,
        "share_capital": c.share_capital,
        "capital_variable": c.capital_variable,
        "rcs_city": c.rcs_city,
        "rm_mention": c.rm_mention,
        "vat_number": c.vat_number,
        **address_values(c.address),
        "email": c.email,
        "phone": c.phone,
        "iban": c.iban,
        "bic": c.bic,
        "account_holder": c.account_holder,
        "vat_regime": c.vat_regime.value,
        "vat_filing": c.vat_filing.value,
        "size_category": c.size_category.value,
        "default_payment_days": c.default_payment_days,
        "penalty_rate": c.penalty_rate,
        "early_payment_discount": c.early_payment_discount,
        "invoice_pattern": c.invoice_pattern,
        "credit_note_pattern": c.credit_note_pattern,
        "quote_pattern": c.quote_pattern,
        "insurance_mention": c.insurance_mention,
        "requires_insurance_mention": c.requires_insurance_mention,
        "oga_member": c.oga_member,
        "fiscal_year_end_month": c.fiscal_year_end_month,
        "logo": c.logo,
    }


def company_from(row: Any) -> Company:
    m = row._mapping
    return Company(
        id=m["id"],
        name=m["name"],
        siren=m["siren"],
        legal_form=m["legal_form"],
        share_capital=m["share_capital"],
        capital_variable=m["capital_variable"],
        rcs_city=m["rcs_city"],
        rm_mention=m["rm_mention"],
        vat_number=m["vat_number"],
        address=address_from(row) or Address(),
        email=m["email"],
        phone=m["phone"],
        iban=m["iban"],
        bic=m["bic"],
        account_holder=m["account_holder"],
        vat_regime=VatRegime(m["vat_regime"]),
        vat_filing=VatFiling(m["vat_filing"]),
        size_category=SizeCategory(m["size_category"]),
        default_payment_days=m["default_payment_days"],
        penalty_rate=m["penalty_rate"],
        early_payment_discount=m["early_payment_discount"],
        invoice_pattern=m["invoice_pattern"],
        credit_note_pattern=m["credit_note_pattern"],
        quote_pattern=m["quote_pattern"],
        insurance_mention=m["insurance_mention"],
        requires_insurance_mention=m["requires_insurance_mention"],
        oga_member=m["oga_member"],
        fiscal_year_end_month=m["fiscal_year_end_month"],
        logo=m["logo"],
    )


def party_values(company_id: int, p: Party) -> dict[str, Any]:
    return {
        "company_id": company_id,
        "kind": p.kind.value,
        "name": p.name,
        "legal_form": p.legal_form,
        "siren": p.siren,
        "siret": p.siret,
        "vat_number": p.vat_number,
        "is_business": p.is_business,
        "is_public_body": p.is_public_body,
        **address_values(p.address),
        **address_values(p.delivery_address, "delivery_"),
        "email": p.email,
        "phone": p.phone,
        "iban": p.iban,
        "bic": p.bic,
        "payment_terms_days": p.payment_terms_days,
        "reference": p.reference,
    }


def party_from(row: Any) -> Party:
    m = row._mapping
    return Party(
        id=m["id"],
        kind=PartyKind(m["kind"]),
        name=m["name"],
        legal_form=m["legal_form"],
        siren=m["siren"],
        siret=m["siret"],
        vat_number=m["vat_number"],
        is_business=m["is_business"],
        is_public_body=m["is_public_body"],
        address=address_from(row) or Address(),
        delivery_address=address_from(row, "delivery_"),
        email=m["email"],
        phone=m["phone"],
        iban=m["iban"],
        bic=m["bic"],
        payment_terms_days=m["payment_terms_days"],
        reference=m["reference"],
    )


def party_to_json(p: Party) -> dict[str, Any]:
    return {
        "id": p.id,
        "kind": p.kind.value,
        "name": p.name,
        "legal_form": p.legal_form,
        "siren": p.siren,
        "siret": p.siret,
        "vat_number": p.vat_number,
        "is_business": p.is_business,
        "is_public_body": p.is_public_body,
        "address": address_to_json(p.address),
        "delivery_address": address_to_json(p.delivery_address),
        "email": p.email,
        "phone": p.phone,
        "iban": p.iban,
        "bic": p.bic,
        "payment_terms_days": p.payment_terms_days,
        "reference": p.reference,
    }


def party_from_json(d: dict[str, Any]) -> Party:
    return Party(
        id=d.get("id"),
        kind=PartyKind(d.get("kind", "customer")),
        name=d.get("name", ""),
        legal_form=d.get("legal_form", ""),
        siren=d.get("siren", ""),
        siret=d.get("siret", ""),
        vat_number=d.get("vat_number", ""),
        is_business=d.get("is_business", True),
        is_public_body=d.get("is_public_body", False),
        address=address_from_json(d.get("address")) or Address(),
        delivery_address=address_from_json(d.get("delivery_address")),
        email=d.get("email", ""),
        phone=d.get("phone", ""),
        iban=d.get("iban", ""),
        bic=d.get("bic", ""),
        payment_terms_days=d.get("payment_terms_days"),
        reference=d.get("reference", ""),
    )


def line_values(company_id: int, position: int, ln: Line, **owner: int) -> dict[str, Any]:
    return {
        "company_id": company_id,
        **owner,
        "position": position,
        "description": ln.description,
        "quantity": ln.quantity,
        "unit": ln.unit,
        "unit_price": ln.unit_price,
        "vat_rate": ln.vat_rate,
        "exemption": ln.exemption.value if ln.exemption else None,
        "discount_percent": ln.discount_percent,
        "nature": ln.nature.value,
        "item_code": ln.item_code,
        "deposit_invoice_number": ln.deposit_invoice_number,
    }


def line_from(row: Any) -> Line:
    m = row._mapping
    return Line(
        description=m["description"],
        quantity=m["quantity"],
        unit_price=m["unit_price"],
        unit=m["unit"],
        vat_rate=m["vat_rate"].normalize() if m["vat_rate"] else Decimal(0),
        exemption=Exemption(m["exemption"]) if m["exemption"] else None,
        discount_percent=m["discount_percent"],
        nature=LineNature(m["nature"]),
        item_code=m["item_code"],
        deposit_invoice_number=m["deposit_invoice_number"],
    )


def invoice_values(
    inv: Invoice, totals: tuple[Decimal, Decimal, Decimal], series: str = ""
) -> dict[str, Any]:
    excl, vat, incl = totals
    return {
        "company_id": inv.company_id,
        "kind": inv.kind.value,
        "status": inv.status.value,
        "number": inv.number or None,
        "series": series or inv.series,
        "customer_id": inv.customer.id,
        "customer_snapshot": party_to_json(inv.customer),
        "issue_date": inv.issue_date,
        "supply_date": inv.supply_date,
        "due_date": inv.due_date,
        "currency": inv.currency,
        "eur_rate": inv.eur_rate,
        "document_discount_percent": inv.document_discount_percent,
        "discount_reason": inv.discount_reason,
        "deposit_deduction_discounted": inv.deposit_deduction_discounted,
        "purchase_order": inv.purchase_order,
        "delivery_address": address_to_json(inv.delivery_address),
        "corrects_id": inv.corrects_id,
        "corrects_number": inv.corrects_number,
        "corrects_date": inv.corrects_date,
        "quote_number": inv.quote_number,
        "deposit_numbers": list(inv.deposit_numbers),
        "penalty_rate": inv.penalty_rate,
        "recovery_indemnity": inv.recovery_indemnity,
        "payment_terms_text": inv.payment_terms_text,
        "early_payment_discount": inv.early_payment_discount,
        "vat_on_debits": inv.vat_on_debits,
        "note": inv.note,
        "amount_paid": inv.amount_paid,
        "amount_credited": inv.amount_credited,
        "total_excl_tax": excl,
        "total_vat": vat,
        "total_incl_tax": incl,
        "imported": inv.total_incl_tax_override is not None,
        "payment_reference": inv.payment_reference,
        "disputed": inv.disputed,
        "end_of_month_terms": inv.end_of_month_terms,
        "periodic": inv.periodic,
    }


def invoice_from(row: Any, lines: tuple[Line, ...]) -> Invoice:
    m = row._mapping
    return Invoice(
        id=m["id"],
        company_id=m["company_id"],
        kind=DocumentKind(m["kind"]),
        status=InvoiceStatus(m["status"]),
        number=m["number"] or "",
        series=m["series"],
        customer=party_from_json(m["customer_snapshot"]),
        issue_date=m["issue_date"],
        supply_date=m["supply_date"],
        due_date=m["due_date"],
        lines=lines,
        currency=m["currency"],
        eur_rate=m["eur_rate"],
        document_discount_percent=m["document_discount_percent"],
        discount_reason=m["discount_reason"],
        deposit_deduction_discounted=m["deposit_deduction_discounted"],
        purchase_order=m["purchase_order"],
        delivery_address=address_from_json(m["delivery_address"]),
        corrects_id=m["corrects_id"],
        corrects_number=m["corrects_number"],
        corrects_date=m["corrects_date"],
        quote_number=m["quote_number"],
        deposit_numbers=tuple(m["deposit_numbers"] or ()),
        penalty_rate=m["penalty_rate"],
        recovery_indemnity=m["recovery_indemnity"],
        payment_terms_text=m["payment_terms_text"],
        early_payment_discount=m["early_payment_discount"],
        vat_on_debits=m["vat_on_debits"],
        note=m["note"],
        amount_paid=m["amount_paid"],
        amount_credited=m["amount_credited"],
        total_incl_tax_override=m["total_incl_tax"] if m["imported"] else None,
        payment_reference=m["payment_reference"],
        disputed=m["disputed"],
        end_of_month_terms=m["end_of_month_terms"],
        periodic=m["periodic"],
    )


def quote_from(row: Any, customer: Party, lines: tuple[Line, ...]) -> Quote:
    m = row._mapping
    return Quote(
        id=m["id"],
        company_id=m["company_id"],
        number=m["number"],
        customer=customer,
        issue_date=m["issue_date"],
        validity_date=m["validity_date"],
        lines=lines,
        status=QuoteStatus(m["status"]),
        document_discount_percent=m["document_discount_percent"],
        currency=m["currency"],
        note=m["note"],
        accepted_on=m["accepted_on"],
    )


def iso(d: date | None) -> str:
    return d.isoformat() if d else ""
