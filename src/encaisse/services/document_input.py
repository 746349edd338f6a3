"""Build draft documents from plain JSON-like data (CLI ``invoice create --json``, REST API).

Every problem is reported at once with the field path (``lines[2].quantity``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from encaisse.domain.documents import DocumentKind, Exemption, Invoice, Line, LineNature
from encaisse.domain.errors import Problem, ValidationError
from encaisse.domain.money import ZERO
from encaisse.domain.parties import Address, Party, PartyKind


@dataclass(frozen=True)
class Reader:
    data: dict[str, Any]
    path: str
    problems: list[Problem]

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def text(self, key: str, default: str = "", *, required: bool = False, max_len: int = 500) -> str:
        value = self.data.get(key, default)
        if value is None:
            value = default
        if not isinstance(value, str | int):
            self.problems.append(Problem("INPUT-TYPE", "must be text", field=self._where(key)))
            return default
        out = str(value).strip()
        if required and not out:
            self.problems.append(Problem("INPUT-REQUIRED", "is required", field=self._where(key)))
        if len(out) > max_len:
            self.problems.append(
                Problem("INPUT-TOO-LONG", f"is longer than {max_len} characters", field=self._where(key))
            )
            out = out[:max_len]
        return out

    def decimal(self, key: str, default: Decimal | None = None, *, required: bool = False) -> Decimal:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self.problems.append(Problem("INPUT-REQUIRED", "is required", field=self._where(key)))
            return default if default is not None else ZERO
        try:
            dec = Decimal(str(value).replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            self.problems.append(
                Problem("INPUT-NUMBER", f"{value!r} is not a number", field=self._where(key))
            )
            return default if default is not None else ZERO
        if not dec.is_finite() or abs(dec) > Decimal("1e12"):
            self.problems.append(
                Problem("INPUT-NUMBER", f"{value!r} is out of range", field=self._where(key))
            )
            return ZERO
        return dec

    def date(self, key: str, *, required: bool = False) -> date | None:
        value = self.data.get(key)
        if value in (None, ""):
            if required:
                self.problems.append(Problem("INPUT-REQUIRED", "is required", field=self._where(key)))
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.problems.append(
                Problem("INPUT-DATE", f"{value!r} is not a date (YYYY-MM-DD)", field=self._where(key))
            )
            return None

    def sub(self, key: str) -> Reader | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problems.append(Problem("INPUT-TYPE", "must be an object", field=self._where(key)))
            return None
        return Reader(value, self._where(key), self.problems)


def read_address(r: Reader | None) -> Address | None:
    if r is None:
        return None
    return Address(
        line1=r.text("line1", max_len=200),
        line2=r.text("line2", max_len=200),
        postcode=r.text("postcode", max_len=20),
        city=r.text("city", max_len=100),
        country=(r.text("country", "FR", max_len=2) or "FR").upper(),
    )


def read_party(r: Reader, kind: PartyKind = PartyKind.CUSTOMER) -> Party:
    return Party(
        name=r.text("name", required=True, max_len=200),
        kind=kind,
        legal_form=r.text("legal_form", max_len=40),
        siren=r.text("siren", max_len=20),
        siret=r.text("siret", max_len=20),
        vat_number=r.text("vat_number", max_len=20),
        is_business=bool(r.data.get("is_business", True)),
        is_public_body=bool(r.data.get("is_public_body", False)),
        address=read_address(r.sub("address")) or Address(),
        delivery_address=read_address(r.sub("delivery_address")),
        email=r.text("email", max_len=200),
        iban=r.text("iban", max_len=40),
    )


def read_line(r: Reader) -> Line:
    exemption_raw = r.text("exemption", max_len=20)
    exemption = None
    if exemption_raw:
        try:
            exemption = Exemption(exemption_raw)
        except ValueError:
            r.problems.append(
                Problem(
                    "INPUT-CHOICE",
                    f"unknown exemption {exemption_raw!r} (one of {', '.join(e.value for e in Exemption)})",
                    field=r._where("exemption"),
                )
            )
    nature_raw = r.text("nature", "services", max_len=10) or "services"
    try:
        nature = LineNature(nature_raw)
    except ValueError:
        r.problems.append(
            Problem("INPUT-CHOICE", "nature must be goods or services", field=r._where("nature"))
        )
        nature = LineNature.SERVICES
    return Line(
        description=r.text("description", required=True, max_len=5000),
        quantity=r.decimal("quantity", required=True),
        unit_price=r.decimal("unit_price", required=True),
        unit=r.text("unit", "C62", max_len=10) or "C62",
        vat_rate=r.decimal("vat_rate", Decimal(20)),
        exemption=exemption,
        discount_percent=r.decimal("discount_percent", ZERO),
        nature=nature,
        item_code=r.text("item_code", max_len=40),
    )


def invoice_from_data(company_id: int, data: Any, customer: Party | None = None) -> Invoice:
    """A draft Invoice from JSON-like data; raises ValidationError listing every problem."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise ValidationError("invoice document must be a JSON object", code="INPUT-TYPE")
    r = Reader(data, "", problems)
    kind_raw = r.text("kind", "invoice", max_len=20) or "invoice"
    try:
        kind = DocumentKind(kind_raw)
    except ValueError:
        problems.append(Problem("INPUT-CHOICE", "kind must be invoice, deposit or credit_note", field="kind"))
        kind = DocumentKind.INVOICE
    if customer is None:
        cr = r.sub("customer")
        if cr is None:
            problems.append(Problem("INPUT-REQUIRED", "is required", field="customer"))
            customer = Party(name="")
        else:
            customer = read_party(cr)
    raw_lines = data.get("lines", [])
    lines: list[Line] = []
    if not isinstance(raw_lines, list):
        problems.append(Problem("INPUT-TYPE", "must be a list", field="lines"))
    else:
        for i, raw in enumerate(raw_lines[:1000]):
            if not isinstance(raw, dict):
                problems.append(Problem("INPUT-TYPE", "must be an object", field=f"lines[{i}]"))
                continue
            lines.append(read_line(Reader(raw, f"lines[{i}]", problems)))
    issue_date = r.date("issue_date", required=True) or date(1970, 1, 1)
    invoice = Invoice(
        company_id=company_id,
        customer=customer,
        issue_date=issue_date,
        lines=tuple(lines),
        kind=kind,
        supply_date=r.date("supply_date"),
        due_date=r.date("due_date"),
        currency=(r.text("currency", "EUR", max_len=3) or "EUR").upper(),
        eur_rate=r.decimal("eur_rate", Decimal(1)),
        document_discount_percent=r.decimal("document_discount_percent", ZERO),
        purchase_order=r.text("purchase_order", max_len=100),
        delivery_address=read_address(r.sub("delivery_address")),
        note=r.text("note", max_len=2000),
    )
    if problems:
        raise ValidationError(
            "invalid invoice document: " + "; ".join(p.describe() for p in problems),
            code="INPUT-INVALID",
            problems=problems,
        )
    return invoice
