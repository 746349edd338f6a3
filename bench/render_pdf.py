"""Benchmark: one-page Factur-X invoices (PDF/A-3b + embedded CII) rendered per second on one core.

    .venv/bin/python bench/render_pdf.py [--count 1000] [--xml cii|sample]

The WeasyPrint font configuration, the parsed stylesheets, the Latin cut of DejaVu Sans and the
Jinja environment are built once (first render, excluded from the timing) and reused, as in a
long-running worker (see ``encaisse.adapters.pdf.engine``).
The CII XML comes from ``encaisse.formats.cii.export`` when present, else from a fixed sample.
Each invoice differs (number, customer, lines) so nothing is cached between documents.
Target: >= 20 PDFs/s. Both wall-clock and CPU-time rates are printed: on a shared machine the
wall-clock rate also measures the other processes.
"""

from __future__ import annotations

import argparse
import importlib
import os
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from encaisse.adapters.pdf.documents import payment_block
from encaisse.adapters.pdf.render import PaymentBlock, render_invoice_pdf
from encaisse.domain.documents import Invoice, InvoiceStatus, Line
from encaisse.domain.parties import Address, Company, Party

COMPANY = Company(
    name="Atelier Dupont",
    siren="732829320",
    legal_form="SAS",
    share_capital=Decimal(10000),
    rcs_city="Lyon",
    vat_number="FR44732829320",
    address=Address("12 rue de la République", "", "69002", "Lyon"),
    email="contact@dupont.example",
    iban="FR7630006000011234567890189",
    bic="AGRIFRPP",
)
PAYMENT = PaymentBlock(
    iban="FR7630006000011234567890189",
    bic="AGRIFRPP",
    account_holder="Atelier Dupont SAS",
    reference="RF18539007547034",
)


def make_invoice(i: int) -> Invoice:
    customer = Party(
        name=f"Client {i:05d} SARL",
        siren="552100554",
        vat_number="FR40552100554",
        address=Address(f"{i % 90 + 1} avenue Foch", "", "75016", "Paris"),
    )
    lines = tuple(
        Line(f"Prestation {k + 1} – intervention n° {i}", Decimal(k + 1), Decimal(100 + i % 50), unit="HUR")
        for k in range(1 + i % 5)
    )
    issue = date(2026, 1, 1) + timedelta(days=i % 300)
    return Invoice(
        company_id=1,
        customer=customer,
        issue_date=issue,
        lines=lines,
        number=f"F2026-{i:05d}",
        status=InvoiceStatus.ISSUED,
        due_date=issue + timedelta(days=30),
    )


def xml_source(kind: str) -> Callable[[Invoice], bytes]:
    if kind == "cii":
        try:
            export = importlib.import_module("encaisse.formats.cii").export
        except (ModuleNotFoundError, AttributeError):
            print("encaisse.formats.cii not available: using the fixed sample XML")
        else:
            return lambda inv: bytes(export(inv, COMPANY, profile="EN16931"))
    sample = open_sample()
    return lambda _inv: sample


def open_sample() -> bytes:
    shared = os.environ.get(
        "ENCAISSE_SHARED_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "shared")
    )
    path = os.path.join(shared, "corpora", "facturx", "valid", "xml", "factur-x-en16931.xml")
    with open(path, "rb") as handle:
        return handle.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--xml", choices=("cii", "sample"), default="cii")
    parser.add_argument(
        "--no-qr",
        action="store_true",
        help="fixed payment block without the EPC QR code (real invoices have one)",
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    to_xml = xml_source(args.xml)

    render_invoice_pdf(make_invoice(0), COMPANY, xml=to_xml(make_invoice(0)), payment=PAYMENT)  # warm-up
    invoices = [make_invoice(i) for i in range(1, args.count + 1)]
    xml_time = render_time = 0.0
    total_bytes = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for invoice in invoices:
        t0 = time.perf_counter()
        xml = to_xml(invoice)
        t1 = time.perf_counter()
        # What `encaisse invoice pdf` does: the payment block with its EPC QR code for the amount due.
        payment = PAYMENT if args.no_qr else payment_block(COMPANY, invoice)
        pdf = render_invoice_pdf(invoice, COMPANY, xml=xml, payment=payment)
        render_time += time.perf_counter() - t1
        xml_time += t1 - t0
        total_bytes += len(pdf)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    n = len(invoices)
    print(f"{n} one-page Factur-X invoices in {elapsed:.1f} s wall, {cpu:.1f} s CPU, on one core")
    print(f"  {n / elapsed:.1f} PDFs/s wall-clock, {n / cpu:.1f} PDFs/s of CPU time (target >= 20/s)")
    print(f"  load average at the end: {os.getloadavg()[0]:.2f} (other processes share the core)")
    print(
        f"  render + embed: {1000 * render_time / n:.1f} ms/invoice; CII export: {1000 * xml_time / n:.1f} ms"
    )
    print(f"  average size: {total_bytes / n / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
