"""Builders shared by the matching tests, exposed as fixtures (``make_item``, ``make_tx``)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from encaisse.domain.bank import BankTransaction
from encaisse.domain.matching.model import ItemKind, OpenItem

TODAY = date(2026, 6, 30)


def item(
    number: str,
    amount: str,
    party: str,
    name: str,
    *,
    issue: date = date(2026, 1, 10),
    due_days: int = 30,
    kind: ItemKind = ItemKind.INVOICE,
    reference: str = "",
) -> OpenItem:
    value = Decimal(amount)
    return OpenItem(
        id=number,
        number=number,
        kind=kind,
        party_id=party,
        party_name=name,
        amount_due=value,
        total=value,
        issue_date=issue,
        due_date=issue + timedelta(days=due_days),
        payment_reference=reference,
    )


def tx(
    ref: str,
    amount: str,
    *,
    name: str = "",
    text: str = "",
    structured: str = "",
    iban: str = "",
    day: date = date(2026, 2, 15),
) -> BankTransaction:
    return BankTransaction(
        booking_date=day,
        amount=Decimal(amount),
        counterparty_name=name,
        counterparty_iban=iban,
        remittance=text,
        structured_reference=structured,
        bank_ref=ref,
    )


@pytest.fixture
def make_item() -> object:
    return item


@pytest.fixture
def make_tx() -> object:
    return tx
