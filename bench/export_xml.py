"""Measure e-invoice XML export throughput and EN 16931 validation time (no assertions).

Run: ``.venv/bin/python bench/export_xml.py [--invoices 1000] [--validate 200]``.
Target: CII export ≥ 2,000 invoices/s.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta
from decimal import Decimal

from encaisse.domain.documents import Exemption, Invoice, Line, LineNature
from encaisse.domain.errors import errors_only
from encaisse.domain.parties import Address, Company, Party, french_vat_number
from encaisse.formats import cii, en16931, ubl

SELLER = Company(
    name="Atelier Encaisse",
    siren="732829320",
    vat_number="FR44732829320",
    address=Address("12 rue de la République", "", "69002", "Lyon"),
    iban="FR7630006000011234567890189",
    bic="AGRIFRPP",
)
BUYERS = [
    Party(
        name=f"Client {s}",
        siren=s,
        vat_number=french_vat_number(s),
        address=Address("1 rue X", "", "75001", "Paris"),
    )
    for s in ("542051180", "552100554", "443061841", "552032534")
]
RATES = [
    (Decimal(20), None),
    (Decimal(10), None),
    (Decimal("5.5"), None),
    (Decimal(0), Exemption.REVERSE_CHARGE),
]


def make_invoices(count: int, seed: int = 7) -> list[Invoice]:
    rng = random.Random(seed)
    invoices = []
    for i in range(count):
        lines = []
        for _ in range(rng.randint(1, 8)):
            rate, exemption = rng.choice(RATES)
            lines.append(
                Line(
                    f"Prestation {rng.randint(1, 999)}",
                    Decimal(rng.randint(1, 4000)) / 4,
                    Decimal(rng.randint(100, 500_000)) / 100,
                    vat_rate=rate,
                    exemption=exemption,
                    discount_percent=rng.choice([Decimal(0), Decimal(0), Decimal(5)]),
                    nature=rng.choice(list(LineNature)),
                )
            )
        issued = date(2026, 1, 1) + timedelta(days=i % 300)
        invoices.append(
            Invoice(
                company_id=1,
                customer=BUYERS[i % len(BUYERS)],
                issue_date=issued,
                due_date=issued + timedelta(days=30),
                number=f"F2026-{i + 1:05d}",
                lines=tuple(lines),
                document_discount_percent=rng.choice([Decimal(0), Decimal(0), Decimal("2.5")]),
                vat_on_debits=bool(i % 2),
            )
        )
    return invoices


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--validate", type=int, default=200)
    args = parser.parse_args()
    invoices = make_invoices(args.invoices)

    for name, export in (
        ("CII EN16931", lambda inv: cii.export(inv, SELLER)),
        ("UBL 2.1", lambda inv: ubl.export(inv, SELLER)),
    ):
        start = time.perf_counter()
        size = sum(len(export(inv)) for inv in invoices)
        elapsed = time.perf_counter() - start
        print(
            f"{name:12} export: {len(invoices) / elapsed:8.0f} invoices/s ({size / len(invoices) / 1024:.1f} KiB avg)"
        )

    sample = invoices[: args.validate]
    for name, export, validate in (
        ("CII", lambda inv: cii.export(inv, SELLER), en16931.validate_cii),
        ("UBL", lambda inv: ubl.export(inv, SELLER), en16931.validate_ubl),
    ):
        documents = [export(inv) for inv in sample]
        start = time.perf_counter()
        validate(documents[0])  # compiles the XSD and the CEN stylesheet
        first = time.perf_counter() - start
        start = time.perf_counter()
        fatal = sum(len(errors_only(validate(doc))) for doc in documents)
        per_doc = (time.perf_counter() - start) / len(documents)
        print(
            f"{name} validation: first call {first * 1000:.0f} ms (compile), then {per_doc * 1000:.1f} ms/document "
            f"over {len(documents)} documents, {fatal} fatal asserts"
        )


if __name__ == "__main__":
    main()
