"""What the invoice and quote forms share: customers to choose from, the catalogue, the typed
lines, and where each problem is shown (next to its field, or in the box of the customer /
company / payment terms it concerns, with a link to fix it there).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from starlette.datastructures import FormData

from encaisse.adapters.web.forms import has_too_many_places, line_json, lines_data, parse_date, text
from encaisse.domain.documents import Line
from encaisse.domain.errors import NotFoundError, Problem
from encaisse.domain.parties import Party
from encaisse.services.ports import ItemRecord, Repository

MAX_CUSTOMERS_IN_SELECT = 2000
#: Problem fields about the payment terms and mentions set in the company settings.
TERMS_FIELDS = (
    "penalty_rate",
    "recovery_indemnity",
    "vat_on_debits",
    "early_payment_discount",
    "payment_terms_text",
)


def customer_options(repo: Repository, company_id: int) -> list[tuple[str, str]]:
    parties = repo.list_parties(company_id, "customer", limit=MAX_CUSTOMERS_IN_SELECT)
    return [("", "— Choisir un client —")] + [(str(p.id), p.name) for p in parties]


def catalogue(repo: Repository, company_id: int) -> tuple[list[ItemRecord], str]:
    """The catalogue for the "add from catalogue" picker: items, and their data as a JSON block."""
    records = repo.list_items(company_id)
    items = [
        {
            "id": i.id,
            "code": i.code,
            "description": i.description,
            "unit": i.unit,
            "unit_price": f"{i.unit_price.normalize():f}",
            "vat_rate": f"{i.vat_rate.normalize():f}",
            "nature": i.nature,
        }
        for i in records
    ]
    # "</" cannot close the data block: JSON escapes are still valid JSON.
    return records, json.dumps(items, ensure_ascii=False).replace("</", "<\\/")


def typed_lines(form: FormData) -> list[dict[str, Any]]:
    return [line_json(row) for row in lines_data(form)]


def iso_date(form: FormData, key: str) -> str:
    """A typed date (ISO from the date picker, or ``04/12/2026``) in ISO form for the readers."""
    raw = text(form, key)
    found = parse_date(raw, key, [])
    return found.isoformat() if found else raw


def chosen_customer(
    repo: Repository, company_id: int, form: FormData, problems: list[Problem]
) -> Party | None:
    raw = text(form, "customer_id")
    if not raw:
        problems.append(Problem("INPUT-REQUIRED", "choose a customer", field="customer"))
        return None
    if not raw.isdigit() or len(raw) > 9:
        problems.append(Problem("INPUT-CHOICE", "unknown customer", field="customer"))
        return None
    try:
        party = repo.get_party(company_id, int(raw))
    except NotFoundError:  # another company's customer is just "unknown" here
        party = None
    if party is None or party.kind.value != "customer":
        problems.append(Problem("INPUT-CHOICE", "unknown customer", field="customer"))
        return None
    return party


def line_values(lines: Sequence[Line]) -> dict[str, str]:
    """Stored lines as form values (``lines[0].quantity`` …); deposit deductions are not editable."""
    out: dict[str, str] = {}
    editable = [ln for ln in lines if not ln.deposit_invoice_number]
    for i, ln in enumerate(editable):
        out[f"lines[{i}].description"] = ln.description
        out[f"lines[{i}].quantity"] = f"{ln.quantity.normalize():f}"
        out[f"lines[{i}].unit"] = ln.unit
        out[f"lines[{i}].unit_price"] = f"{ln.unit_price.normalize():f}"
        out[f"lines[{i}].vat_rate"] = f"{ln.vat_rate.normalize():f}"
        out[f"lines[{i}].exemption"] = ln.exemption.value if ln.exemption else ""
        out[f"lines[{i}].nature"] = ln.nature.value
    return out


def line_count(form: dict[str, str]) -> int:
    """How many line rows the form shows (typed ones, at least one)."""
    indexes = {
        int(k[6 : k.index("]")])
        for k in form
        if k.startswith("lines[") and "]" in k and k[6 : k.index("]")].isdigit()
    }
    return max(indexes) + 1 if indexes else 1


def group_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Problems about the customer, the company or the payment terms gathered in their own box."""
    grouped: dict[str, list[str]] = {}
    for key, messages in errors.items():
        if key == "customer" or key.startswith("customer."):
            target = "customer"
        elif key.startswith("company."):
            target = "company"
        elif key in TERMS_FIELDS:
            target = "terms"
        elif key in (
            "deposit_numbers",
            "corrects_number",
            "corrects_date",
            "currency",
            "delivery_address",
            "discount_reason",
        ):
            target = "_"
        else:
            target = key
        grouped.setdefault(target, [])
        grouped[target] += [m for m in messages if m not in grouped[target]]
    return grouped


MAX_DOCUMENT_TOTAL = Decimal("1e11")


def storage_problems(lines: Sequence[Line], discount: Decimal = Decimal(0)) -> list[Problem]:
    """What the store cannot hold exactly: more than 4 decimals on a quantity, price or rate, or a
    total beyond 100 billion (amounts are stored as exact scaled integers)."""
    problems: list[Problem] = []
    for i, ln in enumerate(lines):
        for key in ("quantity", "unit_price", "vat_rate", "discount_percent"):
            value: Decimal = getattr(ln, key)
            if has_too_many_places(value, 4):
                problems.append(
                    Problem(
                        "INPUT-PLACES", "at most 4 decimals", field=f"lines[{i}].{key}", args={"places": 4}
                    )
                )
    if has_too_many_places(discount, 4):
        problems.append(
            Problem(
                "INPUT-PLACES", "at most 4 decimals", field="document_discount_percent", args={"places": 4}
            )
        )
    if not problems:
        gross = sum((abs(ln.quantity * ln.unit_price) for ln in lines), Decimal(0))
        if gross * 2 > MAX_DOCUMENT_TOTAL:
            problems.append(Problem("AMOUNT-TOO-LARGE", "total too large", field="lines"))
    return problems
