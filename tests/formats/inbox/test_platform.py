"""Round trip through the in-memory approved platform (CHECKLIST EINV-PA, EINV-DIRECTORY, EINV-STATUS-*).

A supplier deposits an invoice, the buyer fetches it, reads it with the inbox reader, and both sides
exchange lifecycle statuses; what cannot be routed is Rejetée (213).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from encaisse.adapters.platforms import (
    EInvoicingPlatform,
    InMemoryNetwork,
    InMemoryPlatform,
    PayloadFormat,
    PlatformError,
)
from encaisse.domain.einvoice_status import Direction, EInvoiceStatus
from encaisse.domain.errors import TransitionError
from encaisse.formats import einvoice_in

from .conftest import BUYER_SIREN, SUPPLIER_SIREN, MakeCii

S = EInvoiceStatus
EPOCH = datetime(2026, 9, 1, tzinfo=UTC)


class TickingClock:
    def __init__(self) -> None:
        self.now = EPOCH

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def network() -> InMemoryNetwork:
    return InMemoryNetwork(TickingClock())


def test_fake_implements_the_protocol(network: InMemoryNetwork) -> None:
    platform: EInvoicingPlatform = network.register(SUPPLIER_SIREN, "Carrelages Dupont")
    assert isinstance(platform, EInvoicingPlatform)


def test_invoice_and_statuses_round_trip(network: InMemoryNetwork, make_cii: MakeCii) -> None:
    supplier = network.register(SUPPLIER_SIREN, "Carrelages Dupont")
    buyer = network.register(BUYER_SIREN, "Atelier Martin")
    assert buyer.lookup_directory(SUPPLIER_SIREN) is not None
    assert supplier.lookup_directory("443061841") is None

    xml = make_cii(number="F2026-00042")  # seller identified by its VAT number only
    platform_id = supplier.send_invoice(xml, syntax=PayloadFormat.CII)

    [incoming] = buyer.fetch_incoming(EPOCH)
    assert (incoming.platform_id, incoming.sender_siren, incoming.syntax) == (
        platform_id,
        SUPPLIER_SIREN,
        PayloadFormat.CII,
    )
    assert incoming.content == xml
    received = einvoice_in.parse(incoming.content)
    assert (received.number, str(received.totals.payable)) == ("F2026-00042", "240.00")
    assert buyer.fetch_incoming(incoming.received_at) == []  # nothing new since

    buyer.send_status(platform_id, S.TAKEN_OVER)
    buyer.send_status(platform_id, S.APPROVED)
    seen = supplier.fetch_statuses(EPOCH)
    assert [e.status for e in seen] == [
        S.DEPOSITED,
        S.ISSUED,
        S.RECEIVED,
        S.MADE_AVAILABLE,
        S.TAKEN_OVER,
        S.APPROVED,
    ]
    assert {e.direction for e in seen} == {Direction.ISSUED}

    supplier.send_status(platform_id, S.COLLECTED)
    [collected] = buyer.fetch_statuses(seen[-1].at)
    assert (collected.status, collected.direction, collected.status.code) == (
        S.COLLECTED,
        Direction.RECEIVED,
        212,
    )
    assert supplier.fetch_statuses(seen[-1].at) == []  # our own statuses are not echoed back


def test_statuses_are_checked_against_the_lifecycle(network: InMemoryNetwork, make_cii: MakeCii) -> None:
    supplier = network.register(SUPPLIER_SIREN, "Carrelages Dupont")
    buyer = network.register(BUYER_SIREN, "Atelier Martin")
    platform_id = supplier.send_invoice(make_cii(), syntax=PayloadFormat.CII)

    with pytest.raises(TransitionError) as caught:
        buyer.send_status(platform_id, S.REFUSED)  # a refusal needs a reason
    assert caught.value.code == "EINV-STATUS-REASON-REQUIRED"
    with pytest.raises(PlatformError) as not_yours:
        buyer.send_status(platform_id, S.COLLECTED)  # only the supplier declares Encaissée
    assert not_yours.value.code == "PA-STATUS-NOT-YOURS"

    buyer.send_status(platform_id, S.REFUSED, "Commande non reçue")
    [refused] = supplier.fetch_statuses(EPOCH)[-1:]
    assert (refused.status, refused.reason) == (S.REFUSED, "Commande non reçue")
    with pytest.raises(TransitionError) as final:
        supplier.send_status(platform_id, S.COLLECTED)
    assert final.value.code == "EINV-STATUS-FINAL"

    stranger = network.register("443061841", "Autre")
    with pytest.raises(PlatformError) as unknown:
        stranger.send_status(platform_id, S.APPROVED)
    assert unknown.value.code == "PA-UNKNOWN-DOCUMENT"


@pytest.mark.parametrize(
    ("payload", "syntax", "reason"),
    [
        ("unknown buyer", PayloadFormat.CII, "not in the directory"),
        ("garbage", PayloadFormat.CII, "INBOX-NOT-PDF-OR-XML"),
        ("wrong syntax", PayloadFormat.UBL, "declared as ubl"),
        ("someone else's", PayloadFormat.CII, "not the depositor's"),
        ("wrong total", PayloadFormat.CII, "BR-CO-15"),
    ],
)
def test_undeliverable_invoices_are_rejected(
    network: InMemoryNetwork, make_cii: MakeCii, payload: str, syntax: PayloadFormat, reason: str
) -> None:
    supplier: InMemoryPlatform = network.register(SUPPLIER_SIREN, "Carrelages Dupont")
    buyer = network.register(BUYER_SIREN, "Atelier Martin")
    content = {
        "unknown buyer": make_cii(buyer_siren="443061841"),
        "garbage": b"not an invoice",
        "wrong syntax": make_cii(),
        "someone else's": make_cii(seller_vat="FR19787878784"),
        "wrong total": make_cii(grand_total="250.00"),
    }[payload]
    platform_id = supplier.send_invoice(content, syntax=syntax)
    [event] = supplier.fetch_statuses(EPOCH)
    assert (event.platform_id, event.status, event.status.code) == (platform_id, S.REJECTED, 213)
    assert reason in event.reason
    assert buyer.fetch_incoming(EPOCH) == []
