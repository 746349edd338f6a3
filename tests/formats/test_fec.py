"""FEC flat file (LPF A47 A-1): golden file, header, name, encoding, separator safety, the FEC-*
checks of CHECKLIST §11 one by one, and the parse/export round trip.

Regenerate the golden file with ``ENCAISSE_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encaisse.domain.documents import Invoice, InvoiceStatus, Line, LineNature, credit_note_for
from encaisse.domain.errors import FormatError, Severity
from encaisse.domain.ledger import BankLine, Entry, LedgerSources, Payment, Period, ledger_for_period
from encaisse.domain.parties import Party
from encaisse.formats import fec

GOLDEN = Path(__file__).parent / "golden"
SIREN = "732829320"
YEAR = Period.fiscal_year(2026)
HEADER = (
    "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\tCompAuxLib\t"
    "PieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise"
)


def small_dataset(*, third_name: str = "Hôtel du Parc SARL") -> LedgerSources:
    """3 invoices (two VAT rates), a credit note, a partial and a full payment, a bank fee."""
    dupont = Party(name="Boulangerie Dupont SAS", id=1)
    galerie = Party(name="Œuvres & Cœur – Galerie 5 €", id=2)
    hotel = Party(name=third_name, id=3)

    def inv(number: str, day: date, customer: Party, *lines: Line) -> Invoice:
        return Invoice(
            company_id=1,
            customer=customer,
            issue_date=day,
            lines=lines,
            number=number,
            status=InvoiceStatus.ISSUED,
        )

    f1 = inv(
        "F2026-00001",
        date(2026, 1, 15),
        dupont,
        Line("Pose d'un tableau électrique", D(6), D("48.00"), unit="HUR"),
        Line("Disjoncteur 40 A", D(2), D("86.50"), nature=LineNature.GOODS),
    )
    f2 = inv(
        "F2026-00002",
        date(2026, 2, 3),
        galerie,
        Line("Rénovation de l'éclairage", D(1), D("1000.00"), vat_rate=D(10)),
        Line("Forfait déplacement", D(1), D("50.00")),
    )
    f3 = inv(
        "F2026-00003",
        date(2026, 3, 10),
        hotel,
        Line("Borne de recharge 7,4 kW", D(1), D("1200.00"), nature=LineNature.GOODS),
    )
    note = replace(
        credit_note_for(
            f3, date(2026, 3, 20), (Line("Remise sur borne", D(1), D("200.00"), nature=LineNature.GOODS),)
        ),
        number="AV2026-00001",
        status=InvoiceStatus.ISSUED,
    )
    return LedgerSources(
        invoices=(f1, f2, f3, note),
        payments=(
            Payment("F2026-00001", date(2026, 2, 10), D("553.20"), reference="VIR-0210"),
            Payment("F2026-00002", date(2026, 3, 1), D("500.00"), reference="VIR-0301"),
        ),
        bank_lines=(
            BankLine(
                date(2026, 3, 31),
                D("-12.50"),
                "COMMISSIONS ET FRAIS DE TENUE DE COMPTE 03/2026",
                "FRAIS-0331",
                "bank_fees",
            ),
        ),
    )


def small_fec(**kw: str) -> tuple[list[Entry], bytes]:
    entries = ledger_for_period(small_dataset(**kw), YEAR)
    return entries, fec.export(entries, siren=SIREN, year_end=YEAR.end)


def test_golden_fec_of_a_small_dataset() -> None:
    _, data = small_fec()
    path = GOLDEN / "732829320FEC20261231.txt"
    if os.environ.get("ENCAISSE_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.is_file(), f"golden file {path} missing: run with ENCAISSE_UPDATE_GOLDEN=1"
    assert data == path.read_bytes(), "the FEC differs from its golden file"
    assert fec.validate(data, period=YEAR, name=path.name) == []


def test_header_is_exactly_the_18_columns_and_name_has_the_closing_date() -> None:
    _, data = small_fec()
    lines = data.split(b"\r\n")
    assert lines[0].decode() == HEADER
    assert tuple(lines[0].decode().split("\t")) == fec.COLUMNS
    assert len(fec.COLUMNS) == 18
    assert all(line.count(b"\t") == 17 for line in lines if line)
    name = fec.filename(SIREN, YEAR.end)
    assert re.fullmatch(r"\d{9}FEC\d{8}\.txt", name)
    assert name == "732829320FEC20261231.txt"
    assert fec.filename("732 829 320", date(2026, 6, 30)) == "732829320FEC20260630.txt"
    with pytest.raises(FormatError) as err:
        fec.filename("12345", YEAR.end)
    assert err.value.code == "FEC-FILENAME"


def test_iso_8859_15_keeps_oe_and_euro_and_dates_amounts_are_french() -> None:
    _, data = small_fec()
    assert "Œuvres & Cœur - Galerie 5 €".encode("iso-8859-15") in data  # the en dash made plain
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("iso-8859-15")
    assert "\tF2026-00001\t20260115\tFacture F2026-00001 Boulangerie Dupont SAS\t553,20\t0,00\t" in text
    assert "1000,00" in text
    assert "1.000" not in text
    assert "1 000" not in text


@pytest.mark.parametrize(
    "name", ["Hôtel\tdu Parc\nSARL", "Hôtel\r\ndu\x0bParc | SARL", "Hôtel “du Parc” ‐ SARL\u202f"]
)
def test_tabs_and_line_breaks_in_a_name_never_break_the_file(name: str) -> None:
    _, data = small_fec(third_name=name)
    assert fec.validate(data, period=YEAR) == []
    rows = data.decode("iso-8859-15").split("\r\n")[1:-1]
    assert all(len(r.split("\t")) == 18 for r in rows)
    assert any("Hôtel du Parc" in r or 'Hôtel "du Parc"' in r for r in rows)


@given(st.text(max_size=60))
def test_clean_text_always_fits_the_file(value: str) -> None:
    cleaned = fec.clean_text(value)
    assert not any(ch in cleaned for ch in "\t\r\n")
    cleaned.encode("iso-8859-15")
    assert cleaned == cleaned.strip()


def shape(entries: list[Entry] | tuple[Entry, ...]) -> list[tuple[object, ...]]:
    """What must survive a round trip whatever the text cleaning: numbers, dates, accounts, amounts."""
    return [
        (
            e.journal,
            e.number,
            e.date,
            e.piece_ref,
            e.piece_date,
            e.valid_date,
            [
                (ln.account, ln.aux_account, ln.debit, ln.credit, ln.lettering, ln.lettering_date)
                for ln in e.lines
            ],
        )
        for e in entries
    ]


def test_parse_round_trip() -> None:
    entries, data = small_fec()
    parsed = fec.parse(data)
    assert parsed.problems == ()
    assert shape(parsed.entries) == shape(entries)
    assert fec.export(list(parsed.entries), siren=SIREN, year_end=YEAR.end) == data
    assert parsed.entries[0] == entries[0]  # plain text: equal field for field
    lettered = [ln for e in parsed.entries for ln in e.lines if ln.lettering]
    assert {(ln.aux_account, ln.lettering, ln.lettering_date) for ln in lettered} == {
        ("C00001", "A", date(2026, 2, 10))
    }


def test_detect() -> None:
    _, data = small_fec()
    assert fec.detect(data)
    assert fec.detect(data.replace(b"\t", b"|"))
    assert not fec.detect(b"number,issue_date\n")
    assert not fec.detect(b"")


def codes(data: bytes, **kw: object) -> set[tuple[str, Severity]]:
    return {(p.code, p.severity) for p in fec.validate(data, **kw)}  # type: ignore[arg-type]


def edit(data: bytes, line: int, column: str, value: str) -> bytes:
    rows = data.decode("iso-8859-15").split("\r\n")
    cells = rows[line].split("\t")
    cells[fec.COLUMNS.index(column)] = value
    rows[line] = "\t".join(cells)
    return "\r\n".join(rows).encode("iso-8859-15")


ERR, WARN = Severity.ERROR, Severity.WARN


def test_validate_finds_each_kind_of_defect() -> None:
    _, good = small_fec()
    assert fec.validate(good, period=YEAR, name="732829320FEC20261231.txt") == []
    assert codes(good.replace(b"EcritureLib", b"Libelle", 1)) == {("FEC-FORMAT", ERR)}
    assert ("FEC-ENCODING", ERR) in codes(good.decode("iso-8859-15").encode("utf-8"))
    assert ("FEC-ENCODING", ERR) in codes(b"\xef\xbb\xbf" + good)
    assert codes(edit(good, 1, "EcritureDate", "2026-01-15")) >= {("FEC-DATE", ERR)}
    assert codes(edit(good, 1, "Debit", "553.20")) >= {("FEC-AMOUNT", ERR)}
    assert codes(edit(good, 1, "Debit", "1 553,20")) >= {("FEC-AMOUNT", ERR)}
    assert codes(edit(good, 1, "Debit", "600,00")) == {("FEC-BALANCED", ERR)}
    assert codes(edit(good, 1, "CompteNum", "ABC")) == {("FEC-ACCOUNT", ERR)}
    assert codes(edit(good, 1, "CompteNum", "801")) == {("FEC-ACCOUNT", ERR)}
    assert codes(edit(good, 1, "CompAuxNum", "")) == {("FEC-ACCOUNT", WARN)}
    assert codes(edit(good, 1, "PieceRef", "")) == {("FEC-FORMAT", ERR)}
    assert codes(edit(good, 1, "EcritureLib", "Dupont\x07")) == {("FEC-ENCODING", ERR)}
    assert codes(good, period=Period.fiscal_year(2025)) == {("FEC-SEQUENCE", ERR)}
    assert codes(good, name="732829320FEC20251231.txt", period=YEAR) == {("FEC-FILENAME", ERR)}
    assert codes(good, name="FEC2026.txt") == {("FEC-FILENAME", ERR)}
    broken = good.replace(b"Boulangerie Dupont SAS", b"Boulangerie\tDupont SAS")
    assert ("FEC-FORMAT", ERR) in codes(broken)


def test_validate_finds_numbering_gaps_and_split_entries() -> None:
    entries, _ = small_fec()
    gap = [e for e in entries if e.number != "VE000002"]
    assert ("FEC-SEQUENCE", ERR) in codes(fec.export(gap, siren=SIREN, year_end=YEAR.end))
    first, second = entries[1], entries[2]
    split = [
        entries[0],
        replace(first, lines=first.lines[:1]),
        second,
        replace(first, lines=first.lines[1:]),
        *entries[3:],
    ]
    problems = fec.validate(fec.export(split, siren=SIREN, year_end=YEAR.end))
    assert {p.code for p in problems} == {"FEC-SEQUENCE"}
    assert "split" in problems[0].message


def test_pipe_separated_file_is_read_too() -> None:
    entries, data = small_fec()
    piped = data.replace(b"\t", b"|")
    assert fec.validate(piped, period=YEAR) == []
    assert shape(fec.parse(piped).entries) == shape(entries)
