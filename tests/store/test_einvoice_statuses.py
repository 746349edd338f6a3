"""E-invoicing lifecycle statuses stored with their history; disputes stop reminders (DUN-RELANCE-PRACTICE)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from encaisse.domain.einvoice_status import EInvoiceStatus as S
from encaisse.domain.errors import TransitionError
from encaisse.services import invoicing
from encaisse.services.einvoice_statuses import history_of, record_status
from tests_support import draft, new_company, new_customer


def at(day: int) -> datetime:
    return datetime(2026, 12, day, 9, 0, tzinfo=UTC)


def test_history_is_kept_and_a_dispute_stops_reminders(uow: Any) -> None:
    company = new_company(uow)
    cid = company.id or 0
    inv = invoicing.issue(
        uow, cid, invoicing.create_draft(uow, draft(company, new_customer(uow, company))).id or 0
    )
    for day, status in ((4, S.DEPOSITED), (4, S.ISSUED), (5, S.MADE_AVAILABLE)):
        record_status(uow, cid, inv.id or 0, status, at(day))
    with pytest.raises(TransitionError):  # "deposited" cannot follow "made available"
        record_status(uow, cid, inv.id or 0, S.DEPOSITED, at(6))
    record_status(uow, cid, inv.id or 0, S.DISPUTED, at(7), reason="8 livrés, 10 facturés")
    with uow() as repo:
        history = history_of(repo, cid, inv.id or 0)
        stored = repo.get_invoice(cid, inv.id or 0)
    assert [c.status for c in history.changes] == [S.DEPOSITED, S.ISSUED, S.MADE_AVAILABLE, S.DISPUTED]
    assert history.changes[-1].reason == "8 livrés, 10 facturés"
    assert stored.disputed is True
    with uow() as repo:
        entries = repo.audit_entries(cid)
    assert [e.action for e in entries].count("einvoice.status") == 4
