"""Issue #3 must-show: every demo document's PDF is a PDF/A-3b whose embedded Factur-X XML passes the
official EN 16931 XSD and schematron with zero fatal asserts (what ``encaisse invoice pdf`` writes)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from encaisse.adapters.pdf.documents import invoice_pdf_bytes
from encaisse.adapters.store.db import make_engine, upgrade
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.domain.errors import errors_only
from encaisse.formats.en16931 import validate_cii
from encaisse.services.demo import load_demo
from encaisse.services.ports import InvoiceFilter


@pytest.mark.slow
def test_every_demo_document_is_a_valid_facturx(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    engine = make_engine(url)
    uow = SqlUnitOfWork(engine)
    load_demo(uow, seed=1, today=date(2026, 12, 4))
    failures: list[str] = []
    checked = 0
    with uow.read() as repo:
        company = repo.list_companies()[0]
        rows = repo.list_invoices(company.id or 0, InvoiceFilter())
        kinds = set()
        for row in rows:
            if row.status == "draft":
                continue
            invoice = repo.get_invoice(company.id or 0, row.id)
            pdf = invoice_pdf_bytes(repo, company, invoice)
            reader = PdfReader(io.BytesIO(pdf))
            meta = reader.xmp_metadata
            assert meta is not None
            part = meta.rdf_root.getElementsByTagNameNS("http://www.aiim.org/pdfa/ns/id/", "part")
            conformance = meta.rdf_root.getElementsByTagNameNS(
                "http://www.aiim.org/pdfa/ns/id/", "conformance"
            )
            assert part[0].firstChild.data == "3", row.number
            assert conformance[0].firstChild.data == "B", row.number
            xml = reader.attachments["factur-x.xml"][0]
            fatal = errors_only(validate_cii(xml))
            if fatal:
                failures.append(f"{row.number}: {[p.code for p in fatal]}")
            kinds.add(row.kind)
            checked += 1
    engine.dispose()
    assert failures == []
    assert checked > 150
    assert kinds == {"invoice", "deposit", "credit_note"}
