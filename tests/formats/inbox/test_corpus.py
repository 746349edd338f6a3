"""Every sample of the shared corpora through the inbox reader (EINV-FORMATS, EINV-FX-PROFILES).

Valid samples: the totals read must equal ``corpus_totals.tsv`` (values taken from the files by an
independent reader: ``facturx.get_xml_from_pdf`` and plain ``local-name()`` XPath) and the official
EN 16931 validation must find no error. Invalid samples (``facturx/expected.tsv``): each one is
rejected with the FormatError code, or reported with the rule id, that its recorded reason implies.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from encaisse.domain.errors import FormatError, Severity
from encaisse.domain.received import arithmetic_problems
from encaisse.formats import einvoice_in

GOLDEN = Path(__file__).with_name("corpus_totals.tsv")


def _golden_rows() -> list[dict[str, str]]:
    lines = [ln for ln in GOLDEN.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _expected_rows(corpora: Path) -> list[dict[str, str]]:
    with (corpora / "facturx" / "expected.tsv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _valid_files(corpora: Path) -> set[str]:
    examples = {
        str(p.relative_to(corpora)) for p in (corpora / "en16931" / "examples").glob("*/*.xml")
    }  # all pass XSD + schematron per en16931/SOURCES.md
    facturx = {f"facturx/{r['file']}" for r in _expected_rows(corpora) if r["expected"] == "valid"}
    return examples | facturx


def test_golden_table_covers_every_valid_sample(corpora: Path) -> None:
    assert {row["file"] for row in _golden_rows()} == _valid_files(corpora)


@pytest.mark.parametrize("row", _golden_rows(), ids=lambda r: r["file"].rsplit("/", 1)[-1])
def test_valid_sample_imports_with_its_totals(corpora: Path, row: dict[str, str]) -> None:
    data = (corpora / row["file"]).read_bytes()
    invoice = einvoice_in.parse(data)

    assert invoice.number == row["number"]
    assert invoice.type_code == row["type_code"]
    assert invoice.currency == row["currency"]
    iso = row["issue_date"]
    assert invoice.issue_date == date(int(iso[:4]), int(iso[4:6]), int(iso[6:]))
    t = invoice.totals
    assert t.line_total == Decimal(row["bt106"])
    assert t.tax_exclusive == Decimal(row["bt109"])
    assert t.tax_total == Decimal(row["bt110"])
    assert t.tax_inclusive == Decimal(row["bt112"])
    assert t.prepaid == Decimal(row["bt113"] or "0")
    assert t.payable == Decimal(row["bt115"])
    assert len(invoice.lines) == int(row["lines"])
    assert arithmetic_problems(invoice) == []
    assert not invoice.has_errors, [p.describe() for p in invoice.problems]
    assert einvoice_in.detect(data)
    assert einvoice_in.export(invoice) == data  # RET-E-ORIGINAL


def test_valid_samples_pass_the_official_validation(corpora: Path) -> None:
    failures = {}
    for name in sorted(_valid_files(corpora)):
        errors = [
            p for p in einvoice_in.validate((corpora / name).read_bytes()) if p.severity is Severity.ERROR
        ]
        if errors:
            failures[name] = [p.describe() for p in errors]
    assert failures == {}


#: What a recorded failure reason (expected.tsv, 3rd column) becomes in Encaisse.
REASON_TO_CODE = {
    "xmp: fx:ConformanceLevel is 'MINIMUM'": "EINV-FX-PROFILES",
    "xmp: no Factur-X extension properties": "FX-XMP-MISSING",
    "xmp: fx:DocumentFileName is": "FX-ATTACHMENT-NAME",
    "attachment: /AFRelationship is": "FX-AF-RELATIONSHIP",
    "xml: not well-formed": "INBOX-XML-INVALID",
    "xml: unknown root element": "INBOX-NOT-AN-INVOICE",
}


def _expected_code(reason: str) -> str:
    if reason.startswith("schematron ["):
        return reason.split("[", 1)[1].split("]", 1)[0]
    matches = [code for prefix, code in REASON_TO_CODE.items() if reason.startswith(prefix)]
    assert len(matches) == 1, f"no mapping for the recorded reason {reason!r}"
    return matches[0]


def test_invalid_samples_are_rejected_or_reported_with_their_rule(corpora: Path) -> None:
    rows = [r for r in _expected_rows(corpora) if r["expected"] == "invalid"]
    assert len(rows) >= 10
    missed = {}
    for row in rows:
        data = (corpora / "facturx" / row["file"]).read_bytes()
        expected = _expected_code(row["first_fatal_reported_by_check_facturx"])
        try:
            invoice = einvoice_in.parse(data)
        except FormatError as exc:
            found = {exc.code}
        else:
            found = {p.code for p in einvoice_in.validate(data)}
            assert einvoice_in.export(invoice) == data
        if expected not in found:
            missed[row["file"]] = (expected, sorted(found))
    assert missed == {}


def test_rejected_samples_also_report_through_validate(corpora: Path) -> None:
    data = (corpora / "facturx" / "invalid" / "xml" / "zugferd-basic.xml").read_bytes()
    problems = einvoice_in.validate(data)  # never raises
    assert [p.code for p in problems] == ["INBOX-NOT-AN-INVOICE"]
    assert "ZUGFeRD 1.0" in problems[0].message
    assert not einvoice_in.detect(data)


def test_minimum_profile_is_an_error_not_an_invoice(corpora: Path) -> None:
    invoice = einvoice_in.parse(
        (corpora / "facturx" / "invalid" / "pdf" / "Facture_FR_MINIMUM.pdf").read_bytes()
    )
    assert invoice.level.value == "MINIMUM"
    profile = [p for p in invoice.problems if p.code == "EINV-FX-PROFILES"]
    assert [p.severity for p in profile] == [Severity.ERROR]
    assert invoice.has_errors
