"""The reconciliation benchmark's generator writes valid files, and the engine beats the baseline on it."""

from __future__ import annotations

import csv
import importlib.util
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from lxml import etree
from schwifty import IBAN
from stdnum.fr import siren

from encaisse.domain.matching.engine import match

BENCH = Path(__file__).resolve().parents[3] / "bench"
NS = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"}


def _load(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return _load("gen_reconciliation")


@pytest.fixture(scope="module")
def written(gen: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    dataset = gen.generate(7, 600)
    out = tmp_path_factory.mktemp("recon")
    gen.write(dataset, out)
    return dataset, out


def test_generation_is_reproducible(gen: ModuleType) -> None:
    a, b = gen.generate(3, 200), gen.generate(3, 200)
    assert a.transactions == b.transactions
    assert a.truth == b.truth
    assert gen.generate(4, 200).truth != a.truth


def test_invoices_csv_has_the_cli_contract_header_and_valid_sirens(written: tuple[object, Path]) -> None:
    _, out = written
    with (out / "invoices.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [
        "number",
        "issue_date",
        "due_date",
        "customer_name",
        "customer_siren",
        "total_incl_tax",
        "currency",
    ]
    assert len(rows) == 601
    assert all(siren.is_valid(r[4]) for r in rows[1:])
    assert all(Decimal(r[5]) > 0 and r[6] == "EUR" for r in rows[1:])


def test_statement_is_valid_camt053_with_consistent_balances(
    written: tuple[object, Path], corpora: Path
) -> None:
    dataset, out = written
    schema = etree.XMLSchema(etree.parse(str(corpora / "camt053" / "xsd" / "camt.053.001.02.xsd")))
    doc = etree.parse(str(out / "statement.xml"))
    assert schema.validate(doc), schema.error_log.last_error
    entries = doc.findall(".//c:Ntry", NS)
    assert len(entries) == len(dataset.transactions)  # type: ignore[attr-defined]
    ids = [e.findtext("c:AcctSvcrRef", namespaces=NS) for e in entries]
    assert len(set(ids)) == len(ids)

    def signed(node: etree._Element) -> Decimal:
        value = Decimal(node.findtext("c:Amt", namespaces=NS) or "0")
        return value if node.findtext("c:CdtDbtInd", namespaces=NS) == "CRDT" else -value

    balances = {
        b.findtext("c:Tp/c:CdOrPrtry/c:Cd", namespaces=NS): signed(b) for b in doc.findall(".//c:Bal", NS)
    }
    assert balances["OPBD"] + sum(signed(e) for e in entries) == balances["CLBD"]
    ibans = [n.text or "" for n in doc.iterfind(".//c:RltdPties//c:IBAN", NS)]
    assert ibans
    assert all(IBAN(i).is_valid for i in ibans[:200])


def test_truth_links_existing_transactions_and_invoices(written: tuple[object, Path]) -> None:
    dataset, out = written
    with (out / "truth.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    tx_amount = {t.bank_ref: t.amount for t in dataset.transactions}  # type: ignore[attr-defined]
    totals = {i.number: i.total for i in dataset.invoices}  # type: ignore[attr-defined]
    assert rows
    for row in rows:
        assert Decimal(row["amount"]) <= totals[row["invoice_number"]]
        assert Decimal(row["amount"]) <= tx_amount[row["transaction_id"]]


def test_engine_beats_the_naive_baseline(gen: ModuleType) -> None:
    bench = _load("reconcile_inmemory")
    dataset = gen.generate(11, 1500)
    items = bench.open_items(dataset)
    truth = {(t, n): v for t, n, v in dataset.truth}
    today = dataset.transactions[-1].booking_date + timedelta(days=1)
    result = match(dataset.transactions, items, today=today)
    predicted = {
        (p.transaction_id, a.number): a.amount for p in result.proposals if p.confident for a in p.allocations
    }
    precision, recall, f1, amounts_ok = bench.scores(predicted, truth)
    _, _, baseline_f1, _ = bench.scores(bench.baseline(dataset.transactions, items), truth)
    assert precision >= 0.995
    assert recall >= 0.93
    assert amounts_ok >= 0.99
    assert f1 > baseline_f1 + 0.03
