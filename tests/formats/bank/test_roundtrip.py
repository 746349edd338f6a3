"""export → parse gives back the same statements, for hypothesis-generated statements.

Each format carries a different subset of the fields; the strategies generate exactly what the
format can hold (e.g. no counterparty IBAN in OFX, no statement id in CFONB), so equality is
checked on whole ``Statement`` objects where the format keeps everything.
"""

from __future__ import annotations

import string
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from encaisse.domain.bank import BankTransaction, Statement
from encaisse.formats import bank_csv, camt053, cfonb120, mt940, ofx

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALNUM = string.ascii_letters + string.digits

amounts = st.decimals(min_value=Decimal("-9999999.99"), max_value=Decimal("9999999.99"), places=2)
dates = st.dates(min_value=date(2001, 1, 1), max_value=date(2069, 12, 31))
french_ibans = st.builds(
    cfonb120.iban_from_rib,
    st.text(string.digits, min_size=5, max_size=5),
    st.text(string.digits, min_size=5, max_size=5),
    st.text(string.digits + string.ascii_uppercase, min_size=11, max_size=11),
)


def words(alphabet: str = ALNUM, max_words: int = 6, max_len: int = 12) -> st.SearchStrategy[str]:
    """Whitespace-normalized text (parsers collapse blanks)."""
    word = st.text(alphabet, min_size=1, max_size=max_len)
    return st.lists(word, max_size=max_words).map(" ".join)


def token(max_size: int, alphabet: str = ALNUM) -> st.SearchStrategy[str]:
    return st.text(alphabet, max_size=max_size)


@st.composite
def statements(draw: st.DrawFn, /, tx: st.SearchStrategy[BankTransaction], **fixed: object) -> Statement:
    txs = tuple(draw(st.lists(tx, max_size=6)))
    opening = draw(amounts)
    first = min((t.booking_date for t in txs), default=date(2026, 1, 1))
    last = max((t.booking_date for t in txs), default=date(2026, 1, 1))
    stmt = Statement(
        account_iban=draw(french_ibans),
        currency="EUR",
        transactions=txs,
        opening_balance=opening,
        closing_balance=opening + sum((t.amount for t in txs), Decimal(0)),
        opening_date=first,
        closing_date=last,
    )
    account = stmt.account_iban
    stmt = replace(stmt, transactions=tuple(replace(t, account_iban=account) for t in txs))
    return replace(stmt, **fixed)  # type: ignore[arg-type]


@st.composite
def transactions(draw: st.DrawFn, /, **fields: st.SearchStrategy[object]) -> BankTransaction:
    booking = draw(dates)
    values = {
        "booking_date": booking,
        "amount": draw(amounts),
        "value_date": booking + timedelta(days=draw(st.integers(-3, 3))),
    }
    values.update({name: draw(strategy) for name, strategy in fields.items()})
    return BankTransaction(**values)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- camt

camt_tx = transactions(
    value_date=st.none() | dates,
    counterparty_name=words(ALNUM + "&<>'\"éàç", max_words=8),
    counterparty_iban=st.just("") | french_ibans,
    remittance=words(ALNUM + "&/-.éè", max_words=40, max_len=20),
    structured_reference=token(35),
    # "NOTPROVIDED"/"NONREF" mean "no end-to-end id" in camt (read back as ""): not a value to round-trip
    end_to_end_id=token(35, ALNUM + "/-").filter(lambda v: v.upper() not in {"NOTPROVIDED", "NONREF"}),
    bank_ref=token(35, ALNUM + "/-"),
    bank_code=st.sampled_from(["", "PMNT/RCDT/ESCT", "PMNT/IDDT/ESDD", "544", "X-PRTRY-CODE"]),
)


@SETTINGS
@given(stmts=st.lists(statements(camt_tx, statement_id="S-1"), min_size=1, max_size=3))
def test_camt053_round_trip_and_xsd(stmts: list[Statement], camt_schema_02: etree.XMLSchema) -> None:
    data = camt053.export(stmts)
    assert camt_schema_02.validate(etree.fromstring(data)), camt_schema_02.error_log
    parsed = camt053.parse(data)
    assert parsed.statements == tuple(stmts)
    assert [p for p in camt053.validate(data) if p.code != "BANK-BALANCE-MISMATCH"] == []


# ----------------------------------------------------------------------------------------------- OFX

ofx_tx = transactions(
    currency=st.just("EUR"),
    counterparty_name=words(ALNUM + "&<'", max_words=3, max_len=9),
    remittance=words(ALNUM + "&<>;'", max_words=10),
    bank_ref=token(30).filter(bool),
    bank_code=st.sampled_from(["CREDIT", "DEBIT", "XFER", "CHECK", "FEE", "DIRECTDEBIT", "OTHER"]),
    value_date=st.none() | dates,
)


@SETTINGS
@given(stmts=st.lists(statements(ofx_tx), min_size=1, max_size=3))
def test_ofx_round_trip_and_conformance(stmts: list[Statement]) -> None:
    data = ofx.export(stmts)
    parsed = ofx.parse(data)
    assert [s.transactions for s in parsed.statements] == [s.transactions for s in stmts]
    assert [(s.account_iban, s.closing_balance) for s in parsed.statements] == [
        (s.account_iban, s.closing_balance) for s in stmts
    ]
    assert ofx.validate(data) == []  # ofxtools accepts what we write


# --------------------------------------------------------------------------------------------- MT940

MT_TEXT = ALNUM + "/.,()'"
mt940_tx = transactions(
    counterparty_name=words(MT_TEXT, max_words=4),
    counterparty_iban=st.just("") | french_ibans,
    remittance=words(MT_TEXT + ":-", max_words=12),
    # values the format reserves for "no reference" (read back as ""): not values to round-trip
    end_to_end_id=token(30, MT_TEXT).filter(
        lambda v: v.upper() not in {"NONREF", "NOTPROVIDED", "EREF", "PREF", "KREF"}
    ),
    bank_ref=token(16),
    bank_code=st.sampled_from(["NTRF", "NMSC", "NDDT", "FCHK"]),
)


@SETTINGS
@given(stmts=st.lists(statements(mt940_tx, statement_id="ST1"), min_size=1, max_size=3))
def test_mt940_round_trip(stmts: list[Statement]) -> None:
    assert mt940.parse(mt940.export(stmts)).statements == tuple(stmts)


# ---------------------------------------------------------------------------------------------- CFONB

cfonb_tx = transactions(
    value_date=st.none() | dates,
    counterparty_name=words(max_words=5),
    remittance=words(max_words=15),
    end_to_end_id=token(35),
    structured_reference=token(35),
    bank_ref=token(16),
    bank_code=st.sampled_from(["", "B1", "62", "A3", "05"]),
)


@SETTINGS
@given(stmts=st.lists(statements(cfonb_tx), min_size=1, max_size=3))
def test_cfonb120_round_trip(stmts: list[Statement]) -> None:
    data = cfonb120.export(stmts)
    assert all(len(line) == 120 for line in data.decode("ascii").splitlines())
    assert cfonb120.parse(data).statements == tuple(stmts)


# ------------------------------------------------------------------------------------------------ CSV

CSV_TEXT = ALNUM + ",;\"'éà€"
csv_tx = transactions(
    value_date=st.none() | dates,
    counterparty_name=words(CSV_TEXT),
    counterparty_iban=st.just("") | french_ibans,
    remittance=words(CSV_TEXT, max_words=12),
    structured_reference=token(20),
    end_to_end_id=token(20, ALNUM + "/-"),
    bank_ref=token(20),
    bank_code=token(8),
)


@SETTINGS
@given(
    stmts=st.lists(
        statements(csv_tx, opening_balance=None, closing_balance=None, opening_date=None, closing_date=None),
        min_size=1,
        max_size=3,
        unique_by=lambda s: s.account_iban,
    ).map(lambda ss: [s for s in ss if s.transactions])
)
def test_csv_round_trip(stmts: list[Statement]) -> None:
    data = bank_csv.export(stmts)
    assert bank_csv.detect_map(data) is bank_csv.ENCAISSE
    parsed = bank_csv.parse(data)
    if stmts:
        assert parsed.statements == tuple(stmts)
    else:
        assert [s.transactions for s in parsed.statements] == [()]


def test_fields_at_their_maximum_length_survive() -> None:
    """Boundaries the random strategies rarely reach: 35-character references, long names."""
    tx = BankTransaction(
        booking_date=date(2026, 3, 31),
        value_date=date(2026, 4, 1),
        amount=Decimal("-9999999.99"),
        counterparty_name="N" * 27 + "M" * 27,
        remittance=" ".join(["FACTURE F-2026-0001"] * 8),
        end_to_end_id="E" * 35,
        structured_reference="RF18539007547034",
        bank_ref="B" * 16,
        bank_code="62",
    )
    stmt = Statement(
        "FR7630006000011234567890189",
        transactions=(replace(tx, account_iban="FR7630006000011234567890189"),),
        opening_balance=Decimal("10000000.00"),
        closing_balance=Decimal("0.01"),
        opening_date=date(2026, 3, 31),
        closing_date=date(2026, 3, 31),
    )
    (cfonb,) = cfonb120.parse(cfonb120.export([stmt])).statements
    assert cfonb == stmt
    mt_stmt = replace(
        stmt, transactions=(replace(stmt.transactions[0], bank_code="NTRF", structured_reference=""),)
    )
    (mt,) = mt940.parse(mt940.export([mt_stmt])).statements
    assert mt == replace(mt_stmt, statement_id="ENCAISSE")
    camt_stmt = replace(stmt, statement_id="S1")
    assert camt053.parse(camt053.export([camt_stmt])).statements == (camt_stmt,)


def test_registry_gives_csv_the_callers_account() -> None:
    from encaisse.formats import bank_registry

    data = "Date;Libellé;Montant\n05/01/2026;VIR ACME;12,00\n".encode()
    parsed = bank_registry.parse_statement_file(data, account_iban="FR7630006000011234567890189")
    assert parsed.statements[0].account_iban == "FR7630006000011234567890189"
    assert parsed.statements[0].transactions[0].account_iban == "FR7630006000011234567890189"
