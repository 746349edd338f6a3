"""The approved-platform (PA) adapter Protocol and an in-memory fake network of platforms.

What every PA offers a "solution compatible" (CHECKLIST EINV-PA, EINV-SC, EINV-DIRECTORY): deposit
an invoice (Factur-X, CII or UBL: EINV-FORMATS), receive the invoices addressed to us, send and
receive lifecycle statuses (EINV-STATUS-*), and look a company up in the central directory
(annuaire, keyed by SIREN). Real adapters (one per PA API) implement :class:`EInvoicingPlatform`.

:class:`InMemoryNetwork` behaves like the real chain for tests: it reads each deposited file with
``formats.einvoice_in``, routes it by the buyer's SIREN through the directory, rejects what cannot be
read or routed (Rejetée 213), and checks every status against ``domain.einvoice_status``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from encaisse.domain.einvoice_status import (
    SENT_BY_US,
    Direction,
    EInvoiceStatus,
    StatusHistory,
    apply_status,
)
from encaisse.domain.errors import EncaisseError, FormatError
from encaisse.domain.received import Container, Syntax
from encaisse.formats import einvoice_in


class PayloadFormat(StrEnum):
    """What is deposited (CHECKLIST EINV-FORMATS)."""

    FACTURX = "facturx"
    CII = "cii"
    UBL = "ubl"


class PlatformError(EncaisseError):
    code = "PA-ERROR"


@dataclass(frozen=True)
class IncomingDocument:
    """A supplier invoice the platform made available to us (status 203)."""

    platform_id: str
    received_at: datetime
    content: bytes = field(repr=False)
    syntax: PayloadFormat
    sender_siren: str = ""


@dataclass(frozen=True)
class StatusEvent:
    """A lifecycle status on one of our documents, seen from our side (``direction``)."""

    platform_id: str
    status: EInvoiceStatus
    at: datetime
    direction: Direction
    reason: str = ""


@dataclass(frozen=True)
class DirectoryEntry:
    """One company of the central directory (annuaire, EINV-DIRECTORY)."""

    siren: str
    name: str
    platform: str  # the PA the company receives through
    routing_code: str = ""


@runtime_checkable
class EInvoicingPlatform(Protocol):
    """One approved platform, as used by the services (the adapter owns transport and credentials)."""

    def send_invoice(self, xml_or_pdf: bytes, *, syntax: PayloadFormat) -> str:
        """Deposit an invoice; return the platform's id for it (statuses follow in fetch_statuses)."""
        ...

    def fetch_incoming(self, since: datetime) -> list[IncomingDocument]:
        """Invoices made available to us after ``since``, oldest first."""
        ...

    def send_status(self, platform_id: str, status: EInvoiceStatus, reason: str = "") -> None:
        """Send one of our statuses (e.g. Refusée with its reason, Encaissée)."""
        ...

    def fetch_statuses(self, since: datetime) -> list[StatusEvent]:
        """Statuses others set on our documents after ``since``, oldest first."""
        ...

    def lookup_directory(self, siren: str) -> DirectoryEntry | None:
        """The directory entry of a company, or None when it cannot receive e-invoices yet."""
        ...


@dataclass
class _Deposit:
    sender: str
    recipient: str
    content: bytes
    syntax: PayloadFormat
    history: StatusHistory
    authors: list[str] = field(default_factory=list)  # SIREN (or "" for a platform) per change


class InMemoryNetwork:
    """The platforms of every company in one process: directory, deposits, one injected clock."""

    def __init__(self, clock: Callable[[], datetime], platform_name: str = "PA-FAKE") -> None:
        self.clock = clock
        self.platform_name = platform_name
        self.directory: dict[str, DirectoryEntry] = {}
        self.deposits: dict[str, _Deposit] = {}

    def register(self, siren: str, name: str) -> InMemoryPlatform:
        """Put a company in the directory and return its platform connection."""
        self.directory[siren] = DirectoryEntry(siren=siren, name=name, platform=self.platform_name)
        return InMemoryPlatform(self, siren)

    def record(self, platform_id: str, status: EInvoiceStatus, author: str, reason: str = "") -> None:
        deposit = self.deposits[platform_id]
        deposit.history = apply_status(deposit.history, status, self.clock(), reason)
        deposit.authors.append(author)


def _routing(content: bytes, syntax: PayloadFormat) -> tuple[str, str, str]:
    """(seller SIREN, buyer SIREN, rejection reason) of a deposited file."""
    try:
        invoice = einvoice_in.parse(content)
    except FormatError as exc:
        return "", "", f"{exc.code}: {exc.message}"
    expected = {
        PayloadFormat.FACTURX: (Container.PDF, Syntax.CII),
        PayloadFormat.CII: (Container.XML, Syntax.CII),
        PayloadFormat.UBL: (Container.XML, Syntax.UBL),
    }[syntax]
    if (invoice.container, invoice.syntax) != expected:
        return (
            "",
            "",
            f"declared as {syntax.value} but the file is {invoice.container.value}/{invoice.syntax.value}",
        )
    if invoice.has_errors:
        first = next(p for p in invoice.problems if p.severity.value == "error")
        return "", "", f"{first.code}: {first.message}"
    return invoice.supplier.siren, invoice.buyer.siren, ""


class InMemoryPlatform:
    """One company's connection to the :class:`InMemoryNetwork` (implements EInvoicingPlatform)."""

    def __init__(self, network: InMemoryNetwork, siren: str) -> None:
        self.network = network
        self.siren = siren

    def send_invoice(self, xml_or_pdf: bytes, *, syntax: PayloadFormat) -> str:
        net = self.network
        platform_id = f"{net.platform_name}-{len(net.deposits) + 1:06d}"
        seller, buyer, reason = _routing(xml_or_pdf, syntax)
        if not reason and seller != self.siren:
            reason = f"the seller SIREN {seller or '(none)'} is not the depositor's ({self.siren})"
        if not reason and buyer not in net.directory:
            reason = f"the buyer SIREN {buyer or '(none)'} is not in the directory (EINV-DIRECTORY)"
        net.deposits[platform_id] = _Deposit(
            self.siren, buyer, xml_or_pdf, syntax, StatusHistory(Direction.ISSUED)
        )
        if reason:
            net.record(platform_id, EInvoiceStatus.REJECTED, "", reason)
            return platform_id
        for status in (
            EInvoiceStatus.DEPOSITED,
            EInvoiceStatus.ISSUED,
            EInvoiceStatus.RECEIVED,
            EInvoiceStatus.MADE_AVAILABLE,
        ):
            net.record(platform_id, status, "")
        return platform_id

    def fetch_incoming(self, since: datetime) -> list[IncomingDocument]:
        found = []
        for platform_id, deposit in self.network.deposits.items():
            if deposit.recipient != self.siren:
                continue
            available = [c.at for c in deposit.history.changes if c.status is EInvoiceStatus.MADE_AVAILABLE]
            if available and available[0] > since:
                found.append(
                    IncomingDocument(
                        platform_id, available[0], deposit.content, deposit.syntax, deposit.sender
                    )
                )
        return sorted(found, key=lambda d: d.received_at)

    def _deposit(self, platform_id: str) -> tuple[_Deposit, Direction]:
        deposit = self.network.deposits.get(platform_id)
        if deposit is None or self.siren not in (deposit.sender, deposit.recipient):
            raise PlatformError(
                f"no document {platform_id} for SIREN {self.siren}", code="PA-UNKNOWN-DOCUMENT"
            )
        return deposit, Direction.ISSUED if deposit.sender == self.siren else Direction.RECEIVED

    def send_status(self, platform_id: str, status: EInvoiceStatus, reason: str = "") -> None:
        _, direction = self._deposit(platform_id)
        if status not in SENT_BY_US[direction]:
            raise PlatformError(
                f"status {status.label_fr} ({status.code}) is not set by the "
                f"{'supplier' if direction is Direction.ISSUED else 'buyer'}",
                code="PA-STATUS-NOT-YOURS",
            )
        self.network.record(platform_id, status, self.siren, reason)

    def fetch_statuses(self, since: datetime) -> list[StatusEvent]:
        events = []
        for platform_id, deposit in self.network.deposits.items():
            if self.siren not in (deposit.sender, deposit.recipient):
                continue
            direction = Direction.ISSUED if deposit.sender == self.siren else Direction.RECEIVED
            for change, author in zip(deposit.history.changes, deposit.authors, strict=True):
                if change.at > since and author != self.siren:
                    events.append(
                        StatusEvent(platform_id, change.status, change.at, direction, change.reason)
                    )
        return sorted(events, key=lambda e: e.at)

    def lookup_directory(self, siren: str) -> DirectoryEntry | None:
        return self.network.directory.get(siren)
