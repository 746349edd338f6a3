"""Reconciliation benchmark end to end through the CLI contract (DESIGN.md "CLI contract").

    python bench/reconcile.py --seed 1 --invoices 20000 [--keep DIR]

Generates the dataset (``gen_reconciliation.py``), then, on a fresh temporary SQLite database
(``ENCAISSE_DATABASE_URL``): ``encaisse db upgrade``, ``company create``, ``import invoices``,
``bank import``, ``reconcile --auto``, ``export matches --format csv``; scores the exported
``transaction_id,invoice_number,amount`` rows against ``truth.csv`` (links and amounts) and
prints the time of each step. Exits 1 when a command fails.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from gen_reconciliation import generate, write  # noqa: E402
from reconcile_inmemory import scores  # noqa: E402

Link = tuple[str, str]


def encaisse_command() -> list[str]:
    """The ``encaisse`` entry point of this virtualenv (or of PATH)."""
    beside = Path(sys.executable).with_name("encaisse")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("encaisse")
    if found:
        return [found]
    return [sys.executable, "-m", "encaisse.adapters.cli.main"]


def read_links(path: Path) -> dict[Link, Decimal]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"transaction_id", "invoice_number", "amount"} - set(reader.fieldnames or [])
        if missing:
            raise SystemExit(f"{path}: missing columns {sorted(missing)} (header: {reader.fieldnames})")
        links: dict[Link, Decimal] = {}
        for row in reader:
            key = (row["transaction_id"], row["invoice_number"])
            links[key] = links.get(key, Decimal(0)) + Decimal(row["amount"])
        return links


def run_step(label: str, args: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [*encaisse_command(), *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    print(f"  {label:<22} {elapsed:7.1f}s  exit={proc.returncode}")
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise SystemExit(f"step failed: encaisse {' '.join(args)}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--invoices", type=int, default=20000)
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="encaisse-recon-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        dataset = generate(args.seed, args.invoices)
        write(dataset, work)
        print(
            f"seed={args.seed} invoices={len(dataset.invoices)} transactions={len(dataset.transactions)} dir={work}"
        )
        env = dict(os.environ, ENCAISSE_DATABASE_URL=f"sqlite:///{work / 'encaisse.db'}")
        total = 0.0
        total += run_step("db upgrade", ["db", "upgrade"], env, work)
        company = ["company", "create", "--name", dataset.company_name, "--siren", dataset.company_siren]
        total += run_step("company create", [*company, "--iban", dataset.company_iban], env, work)
        total += run_step("import invoices", ["import", "invoices", str(work / "invoices.csv")], env, work)
        total += run_step("bank import", ["bank", "import", str(work / "statement.xml")], env, work)
        total += run_step("reconcile --auto", ["reconcile", "--auto"], env, work)
        matches = work / "m.csv"
        total += run_step(
            "export matches", ["export", "matches", "--format", "csv", "-o", str(matches)], env, work
        )
        predicted = read_links(matches)
        truth = read_links(work / "truth.csv")
        precision, recall, f1, amounts_ok = scores(predicted, truth)
        print(f"  total {total:.1f}s")
        print(
            f"  cli      precision={precision:.4f} recall={recall:.4f} f1={f1:.4f} amounts_ok={amounts_ok:.4f}"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
