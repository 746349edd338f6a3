"""Mutated corpus samples (truncation, bit flips, insertions, deletions) never make a parser
raise anything but ``FormatError``; ``detect`` never raises; ``validate`` returns problems."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from encaisse.domain.bank import StatementFile
from encaisse.domain.errors import FormatError, Problem
from encaisse.formats import bank_csv, bank_registry, camt053, cfonb120, mt940, ofx

FUZZ = settings(
    max_examples=int(os.environ.get("ENCAISSE_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TOKENS = [
    b"<",
    b">",
    b"&",
    b"&amp;",
    b"]]>",
    b"<!--",
    b"\x00",
    b"\xff\xfe",
    b"\xe9",
    b"\n",
    b"\r\n",
    b":61:",
    b":86:?20",
    b"?",
    b"//",
    b"}",
    b"{",
    b"J",
    b";",
    b'"',
    b"0",
    b"9",
    b",",
    b"-",
    b"</STMTTRN>",
    b"<STMTTRN>",
    b"<Ntry>",
    b"</Ntry>",
    b"<TxDtls>",
    b"CRDT",
    b"DBIT",
]
CSV_SAMPLE = (
    "Date;Libellé;Débit;Crédit;Date de valeur\n"
    "05/01/2026;VIR SEPA ACME F-1;;1 234,50;06/01/2026\n"
    '04/01/2026;"PRLV ""EDF""\nREF 9";45,10;;04/01/2026\n'
).encode()
SAMPLES = {"camt053": "*.xml", "ofx": "*.ofx", "mt940": "*.sta", "cfonb120": "*.txt"}


@st.composite
def mutations(draw: st.DrawFn, samples: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "duplicate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "truncate":
            del data[at:]
        elif kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS) | st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 200))]
    return bytes(data)


def _exercise(module: ModuleType, data: bytes) -> None:
    module.detect(data)
    try:
        parsed: StatementFile | FormatError = module.parse(data)
    except FormatError as exc:
        parsed = exc
    assert isinstance(parsed, StatementFile) or (parsed.code and parsed.message)
    problems = module.validate(data)
    assert all(isinstance(p, Problem) for p in problems)


@pytest.mark.parametrize("folder", list(SAMPLES))
@FUZZ
@given(data=st.data())
def test_parser_survives_mutations(folder: str, data: st.DataObject, corpora: Path) -> None:
    module = bank_registry.module_for(folder)
    samples = [p.read_bytes() for p in sorted((corpora / folder).glob(SAMPLES[folder]))]
    _exercise(module, data.draw(mutations(samples)))


@FUZZ
@given(data=mutations([CSV_SAMPLE, CSV_SAMPLE.decode().encode("cp1252")]))
def test_csv_parser_survives_mutations(data: bytes) -> None:
    _exercise(bank_csv, data)


@FUZZ
@given(data=st.data())
def test_registry_survives_mutations(data: st.DataObject, corpora: Path) -> None:
    samples = [
        p.read_bytes() for folder, pattern in SAMPLES.items() for p in (corpora / folder).glob(pattern)
    ]
    mutated = data.draw(mutations([*samples, CSV_SAMPLE]))
    try:
        outcome: object = bank_registry.parse_statement_file(mutated)
    except FormatError as exc:
        outcome = exc.code
    assert isinstance(outcome, (StatementFile, str))


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=400))
def test_random_bytes_give_format_errors_only(data: bytes) -> None:
    for module in (camt053, ofx, mt940, cfonb120, bank_csv):
        _exercise(module, data)
