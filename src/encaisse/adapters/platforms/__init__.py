"""Approved e-invoicing platforms (plateformes agréées, CHECKLIST EINV-PA / EINV-SC).

Encaisse is a "solution compatible": it hands invoices to a PA and reads what the PA delivers.
Every PA adapter implements :class:`EInvoicingPlatform`; :class:`InMemoryPlatform` is the fake
used by tests and the demo.
"""

from encaisse.adapters.platforms.protocol import (
    DirectoryEntry,
    EInvoicingPlatform,
    IncomingDocument,
    InMemoryNetwork,
    InMemoryPlatform,
    PayloadFormat,
    PlatformError,
    StatusEvent,
)

__all__ = [
    "DirectoryEntry",
    "EInvoicingPlatform",
    "InMemoryNetwork",
    "InMemoryPlatform",
    "IncomingDocument",
    "PayloadFormat",
    "PlatformError",
    "StatusEvent",
]
