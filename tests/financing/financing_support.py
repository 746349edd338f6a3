"""Builders of the payables and financing tests (``from financing.financing_support import …``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from encaisse.domain.financing import Letter
from encaisse.domain.parties import Company, Party

SUPPLIER_IBAN = "FR7630004000031234567890143"
OTHER_IBAN = "DE89370400440532013000"


def add_received(
    fuow: Any,
    company: Company,
    supplier: Party,
    number: str,
    *,
    due: date,
    amount: str = "1200.00",
    iban: str = SUPPLIER_IBAN,
    status: str = "received",
    currency: str = "EUR",
) -> int:
    """A supplier invoice as the inbox stores it (without going through the e-invoice reader)."""
    with fuow() as repo:
        return int(
            repo.add_received(
                company.id,
                {
                    "supplier_id": supplier.id,
                    "number": number,
                    "issue_date": date(2026, 11, 2),
                    "due_date": due,
                    "currency": currency,
                    "total_excl_tax": Decimal(amount),
                    "total_vat": Decimal("0.00"),
                    "total_incl_tax": Decimal(amount),
                    "amount_due": Decimal(amount),
                    "amount_paid": Decimal("0.00"),
                    "iban": iban,
                    "syntax": "cii",
                    "sha256": "0" * 64,
                    "original": b"<xml/>",
                    "data": {},
                    "status": status,
                },
            )
        )


def new_supplier(fuow: Any, company: Company, **changes: Any) -> Party:
    from encaisse.domain.parties import Address, PartyKind
    from encaisse.services.companies import save_party

    values: dict[str, Any] = {
        "name": "Matériaux Rhône SAS",
        "kind": PartyKind.SUPPLIER,
        "siren": "542065479",
        "iban": SUPPLIER_IBAN,
        "address": Address("5 quai Perrache", "", "69002", "Lyon"),
    }
    values.update(changes)
    return save_party(fuow, company.id or 0, Party(**values))


class FakeRenderer:
    """Records the letters instead of rendering them (the real renderer is tested once)."""

    def __init__(self) -> None:
        self.letters: list[tuple[str, Letter]] = []

    def __call__(self, company: Company, recipient: Party, letter: Letter) -> bytes:
        self.letters.append((recipient.name, letter))
        return f"%PDF-fake {letter.title} {recipient.name}".encode()
