"""Every public sample of ``shared/corpora/{camt053,ofx,mt940,cfonb120}`` behaves as its
``expected.tsv`` says; a few samples are pinned down field by field and as golden files."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from encaisse.domain.bank import StatementFile
from encaisse.domain.errors import FormatError, Severity
from encaisse.formats import bank_registry, camt053, cfonb120, mt940, ofx

MODULES: dict[str, ModuleType] = {"camt053": camt053, "ofx": ofx, "mt940": mt940, "cfonb120": cfonb120}
# Ntry elements whose TxDtls are split into several transactions: file -> extra transactions.
CAMT_BATCH_EXTRA = {"oca_test-camt053.xml": 1}


def _total(parsed: StatementFile) -> int:
    return sum(len(s.transactions) for s in parsed.statements)


def _check_camt(data: bytes, row: dict[str, str]) -> None:
    if row["status"] == "valid":
        parsed = camt053.parse(data)
        entries = int(re.search(r"(\d+) entries", row["note"]).group(1))  # type: ignore[union-attr]
        assert _total(parsed) == entries + CAMT_BATCH_EXTRA.get(row["file"], 0)
        assert not [p for p in camt053.validate(data) if p.severity is Severity.ERROR]
    else:
        with pytest.raises(FormatError) as caught:
            camt053.parse(data)
        assert caught.value.code == "BANK-CAMT-INVALID"
        assert "Stmt" in caught.value.message
        assert [p.code for p in camt053.validate(data)] == ["BANK-CAMT-INVALID"]


def _check_ofx(data: bytes, row: dict[str, str]) -> None:
    if row["status"] == "valid":
        m = re.search(r"(\d+) statement\(s\), (\d+) transaction\(s\)", row["note"])
        assert m is not None
        parsed = ofx.parse(data)
        assert len(parsed.statements) == int(m.group(1))
        assert _total(parsed) == int(m.group(2))
        assert ofx.validate(data) == []
        return
    # Not spec-conformant per ofxtools: either unreadable, or imported leniently with a warning.
    try:
        ofx.parse(data)
    except FormatError as exc:
        error_code = exc.code
    else:
        error_code = ""
    if error_code:
        assert error_code == "BANK-OFX-INVALID"
        return
    codes = {p.code for p in ofx.validate(data)}
    assert codes & {"BANK-OFX-NONCONFORMANT", "BANK-OFX-NO-TRANSACTION-LIST"}, codes


def _check_mt940(data: bytes, row: dict[str, str]) -> None:
    if row["status"] == "valid":
        count = int(re.search(r"parsed (\d+) transaction", row["note"]).group(1))  # type: ignore[union-attr]
        assert _total(mt940.parse(data)) == count
        assert not [p for p in mt940.validate(data) if p.severity is Severity.ERROR]
    else:
        with pytest.raises(FormatError) as caught:
            mt940.parse(data)
        assert caught.value.code == "BANK-MT940-INVALID"


def _check_cfonb(data: bytes, row: dict[str, str]) -> None:
    if row["status"] == "valid":
        parsed = cfonb120.parse(data)
        assert len(parsed.statements) == 2
        assert parsed.problems == ()  # balances are consistent
    elif row["status"] == "fragment":
        parsed = cfonb120.parse(data)
        assert _total(parsed) == 1
        assert [p.code for p in parsed.problems] == ["BANK-CFONB-NO-BALANCE"]
    else:
        with pytest.raises(FormatError) as caught:
            cfonb120.parse(data)
        assert caught.value.code == "BANK-CFONB-INVALID"
        assert re.search(r"line \d+", caught.value.message)


CHECKS: dict[str, Callable[[bytes, dict[str, str]], None]] = {
    "camt053": _check_camt,
    "ofx": _check_ofx,
    "mt940": _check_mt940,
    "cfonb120": _check_cfonb,
}


def test_sample_behaves_as_expected_tsv_says(corpus_row: tuple[str, dict[str, str]], corpora: Path) -> None:
    folder, row = corpus_row
    CHECKS[folder]((corpora / folder / row["file"]).read_bytes(), row)


def test_registry_detects_and_parses_the_sample(
    corpus_row: tuple[str, dict[str, str]], corpora: Path
) -> None:
    folder, row = corpus_row
    data = (corpora / folder / row["file"]).read_bytes()
    if row["file"] == "selfprovided_invalid_statement.sta":  # ten numbered lines: no format at all
        with pytest.raises(FormatError) as caught:
            bank_registry.detect_format(data)
        assert caught.value.code == "BANK-FILE-UNKNOWN-FORMAT"
        return
    assert bank_registry.detect_format(data) == folder
    try:
        expected: object = MODULES[folder].parse(data)
    except FormatError as exc:
        expected = exc.code
    if isinstance(expected, str):
        with pytest.raises(FormatError) as caught:
            bank_registry.parse_statement_file(data)
        assert caught.value.code == expected
    else:
        assert bank_registry.parse_statement_file(data) == expected


# ------------------------------------------------------------------------------------ field by field


def test_camt_batch_entry_is_split_per_tx_details(corpora: Path) -> None:
    parsed = camt053.parse((corpora / "camt053" / "oca_test-camt053.xml").read_bytes())
    (stmt,) = parsed.statements
    assert stmt.account_iban == "NL77ABNA0574908765"
    assert stmt.bic == "ABNANL2A"
    assert (stmt.opening_balance, stmt.closing_balance) == (Decimal("15568.27"), Decimal("15121.12"))
    assert [t.amount for t in stmt.transactions] == [
        Decimal("-754.25"),
        Decimal("-564.05"),
        Decimal("-100.00"),
        Decimal("1405.31"),
    ]
    assert sum(t.amount for t in stmt.transactions) == Decimal("-12.99")
    debit, batch1, batch2, credit = stmt.transactions
    assert debit.counterparty_name == "INSURANCE COMPANY TESTX"  # creditor of a debit
    assert debit.counterparty_iban == "NL46ABNA0499998748"
    assert debit.end_to_end_id == "435005714488-ABNO33052620"
    assert debit.bank_code == "PMNT/RDDT/ESDD"
    assert [batch1.end_to_end_id, batch2.end_to_end_id] == [
        "TESTBANK/NL/20141229/01206408",
        "TESTBANK/NL/20141229/01206407",
    ]
    assert credit.counterparty_name == "3rd party Media"  # debtor of a credit
    assert credit.remittance == "#RD PARTY MEDIA CUSNO 90782 4210773"  # AddtlTxInf when no Ustrd
    # The file itself does not balance (15568.27 - 12.99 != 15121.12): reported, not fatal.
    assert [p.code for p in parsed.problems] == ["BANK-BALANCE-MISMATCH"]


def test_camt_split_keeps_the_entry_reference_and_index(corpora: Path) -> None:
    data = (corpora / "camt053" / "oca_test-camt053.xml").read_bytes()
    data = data.replace(b"<RvslInd>true</RvslInd>", b"<RvslInd>true</RvslInd><Sts>BOOK</Sts>", 0)
    data = data.replace(
        b"<Sts>BOOK</Sts>\n                <BookgDt>\n                    <Dt>2014-01-05</Dt>\n"
        b"                </BookgDt>\n                <ValDt>\n                    <Dt>2014-01-05</Dt>\n"
        b"                </ValDt>\n                <BkTxCd>\n                    <Domn>\n"
        b"                        <Cd>PMNT</Cd>\n                        <Fmly>\n"
        b"                            <Cd>IDDT</Cd>",
        b"<Sts>BOOK</Sts>\n<BookgDt><Dt>2014-01-05</Dt></BookgDt><ValDt><Dt>2014-01-05</Dt></ValDt>"
        b"<AcctSvcrRef>BATCH-7</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd>",
    )
    txs = camt053.parse(data).statements[0].transactions
    assert [t.bank_ref for t in txs] == ["", "BATCH-7#1", "BATCH-7#2", ""]


def test_camt_batch_not_split_when_amounts_do_not_add_up(corpora: Path) -> None:
    data = (corpora / "camt053" / "oca_test-camt053.xml").read_bytes()
    data = data.replace(b'<Amt Ccy="EUR">100.00</Amt>', b'<Amt Ccy="EUR">99.00</Amt>')
    parsed = camt053.parse(data)
    assert [t.amount for t in parsed.statements[0].transactions][1] == Decimal("-664.05")
    assert "BANK-CAMT-BATCH-NOT-SPLIT" in [p.code for p in parsed.problems]


def test_camt_pending_entries_are_skipped_with_a_notice(corpora: Path) -> None:
    data = (
        (corpora / "camt053" / "oca_test-camt053.xml")
        .read_bytes()
        .replace(b"<Sts>BOOK</Sts>", b"<Sts>PDNG</Sts>", 1)
    )
    parsed = camt053.parse(data)
    assert len(parsed.statements[0].transactions) == 3
    assert "BANK-CAMT-ENTRY-NOT-BOOKED" in [p.code for p in parsed.problems]


def test_camt_more_than_two_decimals_kept_and_reported(corpora: Path) -> None:
    parsed = camt053.parse((corpora / "camt053" / "genkgo_camt053.v2.five.decimals.xml").read_bytes())
    (tx,) = parsed.statements[0].transactions
    assert str(tx.amount) == "8.850"  # full precision from the file
    assert str(parsed.statements[0].opening_balance) == "18.150"
    decimals = [p for p in parsed.problems if p.code == "BANK-CAMT-AMOUNT-DECIMALS"]
    assert decimals
    assert decimals[0].severity is Severity.WARN
    assert decimals[0].line == 62


def test_camt_versions_3_4_8_read_the_same_entry(corpora: Path) -> None:
    refs = {}
    for version in ("v3", "v4", "v8"):
        parsed = camt053.parse((corpora / "camt053" / f"genkgo_camt053.{version}.xml").read_bytes())
        (tx,) = parsed.statements[0].transactions
        assert (tx.amount, str(tx.booking_date), tx.counterparty_name) == (
            Decimal("8.85"),
            "2014-12-31",
            "NAME NAME",
        )
        assert tx.structured_reference == "4654654654654654"
        assert parsed.statements[0].account_iban == "NL26VAYB8060476890"  # Othr/Id
        refs[version] = (tx.bank_ref, tx.end_to_end_id)
    assert refs == {
        "v3": ("XXXXXXXXXXXXXXXXXXXXXXEUR", ""),
        "v4": ("AAAASESS-FP-CN_98765/01", ""),
        "v8": ("AAAASESS-FP-CN_98765/01", "MUELL/FINP/RA12345"),
    }


def test_camt_multi_statement_balances(corpora: Path) -> None:
    parsed = camt053.parse((corpora / "camt053" / "genkgo_camt053.v2.multi.statement.xml").read_bytes())
    assert [(s.statement_id, s.opening_balance, s.closing_balance) for s in parsed.statements] == [
        ("253EURNL26VAYB8060476890", Decimal("18.15"), Decimal("27.00")),
        ("254EURNL26VAYB8060476890", Decimal("27.00"), Decimal("20.00")),
    ]
    assert parsed.problems == ()  # both statements balance


def test_camt054_notification_is_read(corpora: Path) -> None:
    data = (corpora / "camt053" / "genkgo_camt053.v2.minimal.xml").read_bytes()
    data = data.replace(b"camt.053.001.02", b"camt.054.001.02").replace(
        b"BkToCstmrStmt", b"BkToCstmrDbtCdtNtfctn"
    )
    data = data.replace(b"<Stmt>", b"<Ntfctn>").replace(b"</Stmt>", b"</Ntfctn>")
    parsed = camt053.parse(data)
    assert parsed.format == "camt054"
    assert [t.amount for t in parsed.statements[0].transactions] == [Decimal("8.85")]


def test_ofx_bank_statement_fields(corpora: Path) -> None:
    (stmt,) = ofx.parse((corpora / "ofx" / "ofxparse_bank_medium.ofx").read_bytes()).statements
    assert stmt.currency == "CAD"
    assert stmt.closing_balance == Decimal("382.34")
    assert sum(t.amount for t in stmt.transactions) == Decimal("-345.27")
    first = stmt.transactions[0]
    assert (first.bank_ref, first.bank_code, first.counterparty_name) == (
        "0000123456782009040100001",
        "POS",
        "MCDONALD'S #112",
    )
    assert first.remittance == "POS MERCHANDISE;MCDONALD'S #112"


def test_ofx_several_transaction_lists_and_card_statement(corpora: Path) -> None:
    parsed = ofx.parse((corpora / "ofx" / "oca_test_ofx.ofx").read_bytes())
    bank, card = parsed.statements
    assert [t.bank_ref for t in bank.transactions] == ["219378", "219379", "219380", "219381"]
    assert (card.account_iban, card.closing_balance, card.transactions) == (
        "123412341234",
        Decimal("-562.00"),
        (),
    )


def test_ofx_french_rib_becomes_iban() -> None:
    sgml = (
        b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nENCODING:USASCII\nCHARSET:1252\n\n<OFX><BANKMSGSRSV1><STMTTRNRS>"
        b"<STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>30006<BRANCHID>00001<ACCTID>12345678901<ACCTTYPE>CHECKING"
        b"</BANKACCTFROM><BANKTRANLIST><STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20260105<TRNAMT>1234,50<FITID>A1"
        b"<NAME>VIR SOCI\xc9T\xc9 X<MEMO>FACTURE F-1</STMTTRN></BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    )
    (stmt,) = ofx.parse(sgml).statements
    assert stmt.account_iban == "FR7630006000011234567890189"
    (tx,) = stmt.transactions
    assert (tx.amount, tx.counterparty_name, tx.remittance) == (
        Decimal("1234.50"),
        "VIR SOCIÉTÉ X",
        "FACTURE F-1",
    )


def test_mt940_german_structured_details(corpora: Path) -> None:
    parsed = mt940.parse((corpora / "mt940" / "betterplace_sepa_snippet.sta").read_bytes())
    first = parsed.statements[0].transactions[0]
    assert first.amount == Decimal("50990.05")
    assert (str(first.value_date), str(first.booking_date)) == ("2007-09-07", "2007-09-04")
    assert first.counterparty_name == "KARL KAUFMANN"
    assert first.counterparty_iban == "DE14508800500194785000"
    assert first.end_to_end_id == "EndToEndId TFNR 22 004 00001"
    assert first.remittance == "Verw CTSc-01 BC-PPP TFNr 22 004"
    assert first.bank_ref == "0724710333343453"
    assert first.bank_code == "NTRF"
    stmt = parsed.statements[0]
    assert (stmt.opening_balance, stmt.closing_balance) == (Decimal("766656.49"), Decimal("1125250.4"))
    assert stmt.opening_balance is not None
    assert stmt.opening_balance + sum(t.amount for t in stmt.transactions) == stmt.closing_balance


def test_mt940_rabobank_several_86_fields_are_joined(corpora: Path) -> None:
    parsed = mt940.parse((corpora / "mt940" / "jejik_rabobank.sta").read_bytes())
    tx = parsed.statements[0].transactions[0]
    assert tx.remittance == "Terugboeking NIET AKKOORD MET AFSCHRIJVING KOSTEN KINDEROPVANG JUNI 20095731"
    assert [len(s.transactions) for s in parsed.statements] == [1, 0, 2, 2]


def test_mt940_ing_tags_reversal_and_iban_account() -> None:
    data = (
        b":20:P140220000000001\n:25:NL91ABNA0417164300EUR\n:28C:00001\n:60F:C140219EUR662,23\n"
        b":61:1402200220RD1,56NTRFEREF//00000000001005\n"
        b":86:/EREF/EV12341//CNTP/DE89370400440532013000/COBADEFF/ING BANK NV INZAKE WEB///REMI/USTD//FACT 7/\n"
        b":61:1402200220RC1,00NTRFNONREF//00000000001006\n"
        b":86:/REMI/STRD/CUR/RF18539007547034/\n"
        b":62F:C140220EUR662,79\n-\n"
    )
    (stmt,) = mt940.parse(data).statements
    assert stmt.account_iban == "NL91ABNA0417164300"
    back, reversed_credit = stmt.transactions
    assert back.amount == Decimal("1.56")  # RD: reversal of a debit is a credit
    assert (back.end_to_end_id, back.counterparty_iban, back.counterparty_name, back.remittance) == (
        "EV12341",
        "DE89370400440532013000",
        "ING BANK NV INZAKE WEB",
        "FACT 7",
    )
    assert reversed_credit.amount == Decimal("-1.00")  # RC: reversal of a credit is a debit
    assert reversed_credit.structured_reference == "RF18539007547034"


def test_cfonb_statements_balances_and_complements(corpora: Path) -> None:
    parsed = cfonb120.parse((corpora / "cfonb120" / "pennylane_example.txt").read_bytes())
    first, second = parsed.statements
    assert first.account_iban == cfonb120.iban_from_rib("15589", "00000", "98765432100")
    assert (first.opening_balance, first.closing_balance) == (Decimal("-190.40"), Decimal("-241.21"))
    assert (second.opening_balance, second.closing_balance) == (Decimal("-241.21"), Decimal("-163.72"))
    assert [t.amount for t in second.transactions] == [Decimal("97.49"), Decimal("-12.10"), Decimal("-7.90")]
    op = first.transactions[0]
    assert op.remittance == "PRLV SEPA TEST CABINET MENSUEAUHTR13133 MENSUEAUHTR13DUP"  # 04 label + LIB
    assert (op.counterparty_name, op.end_to_end_id, op.bank_code) == ("INTERNET SFR", "OTHER REFERENCE", "B1")
    assert first.transactions[1].bank_ref == "REFERENCE"
    assert str(first.transactions[2].booking_date) == "2019-05-15"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("0000000001904{", Decimal("190.40")),
        ("0000000001904A", Decimal("190.41")),
        ("0000000001904I", Decimal("190.49")),
        ("0000000001904}", Decimal("-190.40")),
        ("0000000001904J", Decimal("-190.41")),
        ("0000000001904R", Decimal("-190.49")),
    ],
)
def test_cfonb_sign_and_digit_amount_encoding(field: str, value: Decimal) -> None:
    assert cfonb120.decode_amount(field, 2) == value
    assert cfonb120.encode_amount(value) == field


def test_cfonb_number_of_decimals_is_honoured() -> None:
    assert cfonb120.decode_amount("0000000001904{", 0) == Decimal("19040")
    assert cfonb120.decode_amount("0000000001904{", 3) == Decimal("19.040")


# ------------------------------------------------------------------------------------------- golden

GOLDEN_SAMPLES = [
    ("camt053", "oca_test-camt053.xml"),
    ("camt053", "genkgo_camt053.v8.xml"),
    ("ofx", "ofxparse_bank_medium.ofx"),
    ("ofx", "ofxparse_ofx-v102-empty-tags.ofx"),
    ("mt940", "betterplace_sepa_snippet.sta"),
    ("mt940", "cmxl_mt940.sta"),
    ("cfonb120", "pennylane_example.txt"),
]


@pytest.mark.parametrize(("folder", "name"), GOLDEN_SAMPLES, ids=[n for _, n in GOLDEN_SAMPLES])
def test_golden(folder: str, name: str, corpora: Path, golden: Callable[[str, StatementFile], None]) -> None:
    golden(f"{folder}__{name}", MODULES[folder].parse((corpora / folder / name).read_bytes()))
