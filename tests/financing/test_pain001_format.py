"""pain.001 (SEPA-SCT): the shared corpus verdicts, XSD validation of our exports, and the round trip."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from encaisse.domain.errors import FormatError
from encaisse.domain.payables import PaymentBatch, PaymentInstruction, is_valid_iban
from encaisse.formats import pain001

IBANS = [
    "FR7630006000011234567890189",
    "DE89370400440532013000",
    "BE68539007547034",
    "IT60X0542811101000000123456",
    "NL91ABNA0417164300",
    "FR1420041010050500013M02606",
]
BICS = ["", "BNPAFRPP", "COBADEFFXXX", "GEBABEBB", "ABNANL2A"]
SEPA_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/-?:().,'+"


def corpus_rows(corpora: Path) -> list[tuple[Path, str]]:
    folder = corpora / "pain001" / "samples"
    with (folder / "expected.tsv").open(encoding="utf-8") as handle:
        return [(folder / r["file"], r["expected"]) for r in csv.DictReader(handle, delimiter="\t")]


def batch_of(*amounts: str, version_bic: str = "") -> PaymentBatch:
    return PaymentBatch(
        message_id="ENC1-20261204-0001",
        created_at=datetime(2026, 12, 4, 9, 30, tzinfo=UTC),
        execution_date=date(2026, 12, 7),
        debtor_name="Electricite Martin",
        debtor_iban="FR7630006000011234567890189",
        debtor_bic=version_bic,
        instructions=tuple(
            PaymentInstruction(
                end_to_end_id=f"{n}-F2026-{n:05d}",
                amount=Decimal(a),
                creditor_name=f"Fournisseur {n}",
                creditor_iban=IBANS[n % len(IBANS)],
                remittance=f"Facture F2026-{n:05d}",
                creditor_bic=BICS[n % len(BICS)],
            )
            for n, a in enumerate(amounts, start=1)
        ),
    )


def test_corpus_verdicts(corpora: Path) -> None:
    """Every shared sample gets the expected verdict: valid ones no problem, each mutation caught."""
    rows = corpus_rows(corpora)
    assert len(rows) == 18
    for path, expected in rows:
        data = path.read_bytes()
        assert pain001.detect(data), path.name
        problems = pain001.validate(data)
        assert (problems == []) == (expected == "valid"), (path.name, [p.describe() for p in problems])


@pytest.mark.parametrize(
    ("mutation", "code"),
    [
        ("bad_ctrlsum", "PAIN001-CTRLSUM"),
        ("bad_nboftxs", "PAIN001-NBOFTXS"),
        ("bad_iban_checksum", "PAIN001-IBAN"),
        ("bad_bic", "PAIN001-BIC"),
        ("xsd_missing_msgid", "PAIN001-XSD"),
        ("non_eur_currency", "PAIN001-CURRENCY"),
    ],
)
@pytest.mark.parametrize("version", ["03", "09"])
def test_each_mutation_has_its_code(corpora: Path, mutation: str, code: str, version: str) -> None:
    data = (corpora / "pain001" / "samples" / "invalid" / f"shared_{version}_{mutation}.xml").read_bytes()
    assert code in {p.code for p in pain001.validate(data)}


def test_corpus_valid_files_parse(corpora: Path) -> None:
    data = (corpora / "pain001" / "samples" / "valid" / "shared_03_3tx_batch.xml").read_bytes()
    batch = pain001.parse(data)
    assert batch.count == 3
    assert batch.total == Decimal("54535.99")
    assert batch.execution_date == date(2026, 2, 14)
    assert batch.debtor_bic == "PSSTFRPPPAR"
    assert [i.creditor_iban for i in batch.instructions] == [
        "IT60X0542811101000000123456",
        "DE89370400440532013000",
        "BE68539007547034",
    ]
    nobic = pain001.parse(
        (corpora / "pain001" / "samples" / "valid" / "shared_09_5tx_single_nobic.xml").read_bytes()
    )
    assert nobic.count == 5
    assert not nobic.batch_booking
    assert nobic.debtor_bic == ""


@pytest.mark.parametrize("version", ["03", "09"])
@pytest.mark.parametrize("debtor_bic", ["", "PSSTFRPPPAR"])
def test_our_exports_pass_the_xsd(
    version: str, debtor_bic: str, monkeypatch: pytest.MonkeyPatch, shared_dir: Path
) -> None:
    monkeypatch.setenv("ENCAISSE_PAIN001_XSD_DIR", str(shared_dir / "corpora" / "pain001"))
    batch = batch_of("120.00", "99999.99", "0.01", "18151.57", version_bic=debtor_bic)
    data = pain001.export(batch, version=version)
    assert pain001.validate(data) == []
    # and independently, straight against the corpus XSD
    schema = etree.XMLSchema(
        etree.parse(str(shared_dir / "corpora" / "pain001" / "xsd" / f"pain.001.001.{version}.xsd"))
    )
    assert schema.validate(etree.fromstring(data)), schema.error_log
    root = etree.fromstring(data)
    ns = {"p": pain001.namespace(version)}
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns) == "118271.57"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns) == "4"


def test_xsd_really_runs() -> None:
    """A structural error only the XSD can see (MsgId removed) is reported as PAIN001-XSD."""
    data = pain001.export(batch_of("10.00"))
    root = etree.fromstring(data)
    header = root[0][0]
    header.remove(header[0])
    problems = pain001.validate(etree.tostring(root))
    assert [p.code for p in problems] == ["PAIN001-XSD"]
    assert "MsgId" in problems[0].message


def test_bad_iban_in_a_file_is_caught_even_though_the_xsd_accepts_it() -> None:
    batch = batch_of("10.00")
    wrong = "DE88370400440532013000"  # DE89… with a wrong check digit: right shape for the XSD
    assert not is_valid_iban(wrong)
    assert batch.instructions[0].creditor_iban == "DE89370400440532013000"
    data = pain001.export(batch).replace(b"DE89370400440532013000", wrong.encode())
    assert [p.code for p in pain001.validate(data)] == ["PAIN001-IBAN"]


def test_amount_with_too_many_decimals_and_zero_amount() -> None:
    data = pain001.export(batch_of("10.00")).replace(b">10.00<", b">10.001<")  # amount and both sums
    assert [p.code for p in pain001.validate(data)] == ["PAIN001-AMOUNT"]
    zero = pain001.export(batch_of("0.00"))
    assert "PAIN001-AMOUNT" in {p.code for p in pain001.validate(zero)}


def test_schema_dir_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ENCAISSE_PAIN001_XSD_DIR", str(tmp_path))
    assert pain001.schema_dir() == tmp_path
    monkeypatch.delenv("ENCAISSE_PAIN001_XSD_DIR")
    assert (
        pain001.schema_dir()
        == Path(pain001.__file__).resolve().parents[3].parent / "shared" / "corpora" / "pain001"
    )


def test_detect_and_refusals() -> None:
    assert not pain001.detect(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'/>")
    with pytest.raises(FormatError) as err:
        pain001.parse(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'/>")
    assert err.value.code == "PAIN001-UNKNOWN"
    with pytest.raises(FormatError) as err:
        pain001.parse(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')
    assert err.value.code == "XML-DTD-FORBIDDEN"
    assert [p.code for p in pain001.validate(b"<not-closed")] == ["XML-MALFORMED"]
    with pytest.raises(FormatError):
        pain001.export(batch_of("1.00"), version="12")


sepa_text = st.text(alphabet=SEPA_CHARS + " ", min_size=1, max_size=70).map(str.strip).filter(bool)
instruction = st.builds(
    PaymentInstruction,
    end_to_end_id=st.text(alphabet=SEPA_CHARS.replace("/", ""), min_size=1, max_size=35),
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999.99"), places=2),
    creditor_name=sepa_text,
    creditor_iban=st.sampled_from(IBANS),
    remittance=st.text(alphabet=SEPA_CHARS + " ", min_size=1, max_size=140).map(str.strip).filter(bool),
    creditor_bic=st.sampled_from(BICS),
)
batches = st.builds(
    PaymentBatch,
    message_id=st.text(alphabet=SEPA_CHARS.replace("/", ""), min_size=1, max_size=35),
    created_at=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    execution_date=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 1, 1)),
    debtor_name=sepa_text,
    debtor_iban=st.sampled_from(IBANS),
    instructions=st.lists(instruction, min_size=1, max_size=6).map(tuple),
    debtor_bic=st.sampled_from(BICS),
    batch_booking=st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(batch=batches, version=st.sampled_from(["03", "09"]))
def test_round_trip_and_always_valid(batch: PaymentBatch, version: str) -> None:
    """parse(export(b)) == b, and any batch of valid data gives a file without problem."""
    data = pain001.export(batch, version=version)
    assert pain001.parse(data) == batch
    assert pain001.validate(data) == []
