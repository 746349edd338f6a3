"""``encaisse reminders preview|run``, ``encaisse invoice link|send`` and the embedded worker."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from encaisse.adapters.cli.main import app
from encaisse.adapters.jobs.runner import Scheduler, run_worker
from encaisse.services.collections import reminders_preview
from encaisse.services.payment_links import resolve
from encaisse.settings import Settings

from .conftest import SECRET, Shop, SmtpServer

TODAY = date(2026, 12, 14)


@pytest.fixture
def cli(shop: Shop, db_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    monkeypatch.setenv("ENCAISSE_DATABASE_URL", db_url)
    monkeypatch.setenv("ENCAISSE_SECRET_KEY", SECRET)
    monkeypatch.setenv("ENCAISSE_BASE_URL", "https://pay.example.fr")
    monkeypatch.setenv("ENCAISSE_TODAY", TODAY.isoformat())
    monkeypatch.setenv("ENCAISSE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("ENCAISSE_SMTP_HOST", raising=False)
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True) -> Any:
        result = runner.invoke(app, list(args))
        if ok:
            assert result.exit_code == 0, (result.output, result.exception)
        return result

    return invoke


def seed(shop: Shop) -> None:
    martin = shop.customer("Martin SARL", "compta@martin.fr")
    petit = shop.customer("Mme Claire Petit", "claire@example.fr", business=False)
    shop.invoice(martin, Decimal("100.00"), TODAY - timedelta(days=7))  # reminder_1 today
    shop.invoice(martin, Decimal("200.00"), TODAY - timedelta(days=7))
    shop.invoice(petit, Decimal("300.00"), TODAY + timedelta(days=5))  # courtesy in 2 days


def test_reminders_preview_json_csv_and_table(shop: Shop, cli: Callable[..., Any]) -> None:
    seed(shop)
    out = json.loads(cli("reminders", "preview", "--format", "json").stdout)
    assert out[0] == {
        "date": "2026-12-14",
        "customer_name": "Martin SARL",
        "invoice_numbers": ["F2026-00001", "F2026-00002"],
        "step": "reminder_1",
        "channel": "email",
    }
    assert all(set(row) == {"date", "customer_name", "invoice_numbers", "step", "channel"} for row in out)
    expected = [p.to_json() for p in reminders_preview(shop.uow, shop.company_id, TODAY, 14)]
    assert out == expected
    assert {"courtesy", "reminder_1"} <= {row["step"] for row in out}
    rows = list(
        csv.DictReader(io.StringIO(cli("reminders", "preview", "--days", "3", "--format", "csv").stdout))
    )
    assert rows[0]["invoice_numbers"] == "F2026-00001 F2026-00002"
    assert list(rows[0]) == ["date", "customer_name", "invoice_numbers", "step", "channel", "reason"]
    assert "Première relance : 7 jours de retard" in cli("reminders", "preview").stdout


def test_reminders_run_is_idempotent_and_says_when_smtp_is_missing(
    shop: Shop, cli: Callable[..., Any]
) -> None:
    seed(shop)
    first = cli("reminders", "run").stdout
    assert "1 reminder(s) written, 1 email(s) queued" in first
    assert "SMTP is not configured" in first
    assert "0 reminder(s) written, 0 email(s) queued" in cli("reminders", "run").stdout
    with shop.uow.read() as repo:
        (queued,) = repo.list_emails(shop.company_id)
    assert queued.status == "queued"
    assert "https://pay.example.fr/pay/" in queued.body


def test_invoice_link_and_send(
    shop: Shop, cli: Callable[..., Any], smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(shop)
    url = cli("invoice", "link", "F2026-00003").stdout.strip()
    assert url.startswith("https://pay.example.fr/pay/")
    assert cli("invoice", "link", "F2026-00003").stdout.strip() == url  # reused
    with shop.uow.read() as repo:
        invoice = resolve(repo, url.rsplit("/", 1)[1], SECRET)
    assert invoice is not None
    assert invoice.number == "F2026-00003"
    missing = cli("invoice", "link", "F2099-99999", ok=False)
    assert missing.exit_code != 0

    monkeypatch.setenv("ENCAISSE_SMTP_HOST", smtp_server.settings.host)
    monkeypatch.setenv("ENCAISSE_SMTP_PORT", str(smtp_server.settings.port))
    monkeypatch.setenv("ENCAISSE_SMTP_SENDER", "factures@encaisse.test")
    output = cli("invoice", "send", "F2026-00003", "--to", "autre@example.fr").stdout
    assert "emails: 1 sent" in output
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["autre@example.fr"]
    assert received.message["Subject"] == "Facture F2026-00003 — Élec Durand"
    assert url in received.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_worker_runs_the_daily_plan_once_and_sends_every_minute(
    shop: Shop,
    db_url: str,
    smtp_server: SmtpServer,
    settings_for: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENCAISSE_TODAY", TODAY.isoformat())
    seed(shop)
    settings = settings_for(db_url, smtp=smtp_server.settings)
    scheduler = run_worker(settings, once=True)  # what `encaisse worker --once` does
    assert scheduler.ran == ["bank sync", "dunning", "emails"]
    assert len(smtp_server.received) == 1
    ticking = Scheduler(settings, scheduler.uow, scheduler.sender, today=lambda: TODAY)
    paris_0700 = datetime(2026, 12, 14, 6, 0, tzinfo=UTC)
    assert ticking.tick(paris_0700) == ["emails"]  # before 08:00 Paris: no dunning run yet
    paris_0800 = datetime(2026, 12, 14, 7, 0, tzinfo=UTC)
    assert ticking.tick(paris_0800) == ["bank sync", "dunning", "emails"]  # restart the same day: nothing new
    assert ticking.tick(paris_0800 + timedelta(seconds=30)) == []
    assert ticking.tick(paris_0800 + timedelta(minutes=1)) == ["emails"]
    assert len(smtp_server.received) == 1


def test_worker_loop_stops_after_max_ticks(
    shop: Shop, db_url: str, settings_for: Callable[..., Settings]
) -> None:
    sleeps: list[float] = []
    scheduler = run_worker(settings_for(db_url), max_ticks=3, sleep=sleeps.append)
    assert len(sleeps) == 2
    assert scheduler.sender is None
