"""The web read cache: keyed by the database's data version, so a page is never served stale, even
when another process wrote; cached pages keep per-session CSRF tokens and per-user content; the
babel-free formatters of the pages give exactly the French typography of ``fr_format``; the invoice
page's direct reads give exactly the repository's objects (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import re
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from encaisse.adapters.pdf.fr_format import fr_amount, fr_number, fr_percent, fr_quantity, fr_unit_price
from encaisse.adapters.store.db import make_engine
from encaisse.adapters.store.sql_repository import SqlUnitOfWork
from encaisse.adapters.store.web_reads import DataVersion, invoice_with_payments, read_only
from encaisse.adapters.web.read_cache import ReadCache
from encaisse.adapters.web.rendering import (
    CSRF_PLACEHOLDER,
    _amount,
    _percent,
    _quantity,
    _unit_price,
    fast_number,
)
from encaisse.domain.documents import Invoice, InvoiceStatus, compute_totals
from encaisse.domain.errors import NotFoundError
from encaisse.services import invoicing

from .conftest import CSRF_RE, Client, World, build_world

TEMPLATES = Path(__file__).resolve().parents[2] / "src/encaisse/adapters/web/templates"


# ---- formatting -----------------------------------------------------------------------------------


def _values() -> list[Decimal]:
    rng = random.Random(11)
    fixed = ["0", "-0", "-0.00", "-0.004", "0.005", "-0.005", "999.995", "1E+3", "1E-7", "1500.000", "5.50"]
    out = [Decimal(v) for v in [*fixed, "123456789012.345", "-1234567.891", "0.00005", "-12.5"]]
    out += [Decimal(rng.randrange(-(10**9), 10**9)).scaleb(rng.randrange(-8, 4)) for _ in range(3000)]
    return out


def test_fast_formatters_match_fr_format() -> None:
    for v in _values():
        assert _amount(v) == fr_amount(v), v
        assert _unit_price(v) == fr_unit_price(v), v
        assert _quantity(v) == fr_quantity(v), v
        assert _percent(v) == fr_percent(v), v
        assert fast_number(v, 2) == fr_number(v, 2), v
    assert _amount(Decimal("-12.5"), "USD") == fr_amount(Decimal("-12.5"), "USD")  # other currencies: babel
    assert _amount(None) == "—"


# ---- the cache itself ------------------------------------------------------------------------------


def test_versioned_entries_are_served_only_to_the_same_version() -> None:
    cache = ReadCache(ttl_s=15)
    calls: list[int] = []

    def compute(n: int) -> int:
        calls.append(n)
        return n

    assert cache.get("k", lambda: compute(1), version="v1") == 1
    assert cache.get("k", lambda: compute(2), version="v1") == 1  # same version: cached
    assert cache.get("k", lambda: compute(3), version="v2") == 3  # data changed: computed again
    assert cache.get("k", lambda: compute(4), version="v1") == 4  # never an entry of another version
    assert cache.get("k", lambda: compute(5)) == 5  # a timed entry is another entry
    assert calls == [1, 3, 4, 5]
    cache.bump()  # a write of this process drops everything
    assert cache.get("k", lambda: compute(6), version="v1") == 6
    off = ReadCache(ttl_s=0)
    assert off.get("k", lambda: compute(7), version="v") == 7
    assert off.get("k", lambda: compute(8), version="v") == 8


def test_timed_entries_expire_and_are_dropped_by_a_local_write() -> None:
    cache = ReadCache(ttl_s=0.05)
    assert cache.get("k", lambda: 1) == 1
    assert cache.get("k", lambda: 2) == 1
    assert cache.peek("k") == 1
    cache.bump()
    assert cache.peek("k") is None
    assert cache.get("k", lambda: 3) == 3
    time.sleep(0.06)
    assert cache.get("k", lambda: 4) == 4


def test_concurrent_misses_compute_once() -> None:
    cache = ReadCache(ttl_s=15)
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        started.set()
        release.wait(5)
        return "value"

    results: list[str] = []
    first = threading.Thread(target=lambda: results.append(cache.get("k", slow, version=1)))
    first.start()
    started.wait(5)
    others = [
        threading.Thread(target=lambda: results.append(cache.get("k", slow, version=1))) for _ in range(5)
    ]
    for th in others:
        th.start()
    release.set()
    for th in [first, *others]:
        th.join(5)
    assert results == ["value"] * 6
    assert calls == [1]


def test_a_failed_computation_is_not_cached() -> None:
    cache = ReadCache(ttl_s=15)

    def boom() -> int:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        cache.get("k", boom, version=1)
    assert cache.get("k", lambda: 2, version=1) == 2


# ---- the data version ----------------------------------------------------------------------------


def test_data_version_changes_when_another_process_commits(db_url: str) -> None:
    engine, other = make_engine(db_url), make_engine(db_url)
    versions = DataVersion(engine)
    try:
        with engine.connect() as conn:
            before = versions.read(conn)
            assert before is not None
            if not versions.postgresql:  # (the PostgreSQL cluster under test may be written by others)
                assert versions.read(conn) == before  # nothing written: same version
        with other.begin() as conn:  # "another process"
            conn.exec_driver_sql("UPDATE company SET name = name WHERE id = -1")
            conn.exec_driver_sql("DELETE FROM app_user WHERE id = -1")
            conn.exec_driver_sql(
                "INSERT INTO app_user (email, name, password_hash) VALUES ('x@y.fr', '', 'h')"
            )
        with engine.connect() as conn:
            assert versions.read(conn) != before
    finally:
        versions.close()
        engine.dispose()
        other.dispose()


def test_no_version_for_an_in_memory_database() -> None:
    engine = make_engine("sqlite://")
    try:
        assert DataVersion(engine).read() is None
    finally:
        engine.dispose()


# ---- pages: fresh after a write by another process, per-session tokens, per-user content -------------


@pytest.fixture
def web(db_url: str) -> World:
    return build_world(db_url)


def _due_text(world: World, invoice_id: int) -> str:
    with world.uow.read() as repo:
        inv = repo.get_invoice(world.a.company_id, invoice_id)
    return _amount(inv.amount_due)


def test_pages_show_a_payment_recorded_by_another_process_at_once(web: World) -> None:
    a = web.a
    owner = Client(web.app).login(a.owner_email)
    page, listing, board = f"/factures/{a.issued_id}", "/factures", "/"
    with web.uow.read() as repo:
        total = compute_totals(repo.get_invoice(a.company_id, a.issued_id)).total_incl_tax
    for path in (page, listing, board):  # fill the caches
        assert owner.get(path).status_code == 200
    assert _amount(total) in owner.get(page).text
    other = make_engine(web.url)  # the worker, the CLI or another web process
    try:
        invoicing.record_payment(
            SqlUnitOfWork(other), a.company_id, a.issued_id, Decimal("100.00"), date.today(), method="cheque"
        )
    finally:
        other.dispose()
    due = _amount(total - Decimal("100.00"))
    assert due == _due_text(web, a.issued_id)
    assert due in owner.get(page).text
    assert "Partiellement payée" in owner.get(listing).text
    assert due in owner.get(board).text  # "ce que vos clients vous doivent" has the new figure


def test_cached_pages_keep_each_session_token_and_each_user_role(web: World) -> None:
    a = web.a
    first, second = Client(web.app).login(a.owner_email), Client(web.app).login(a.owner_email)
    accountant = Client(web.app).login(a.accountant_email)
    for path in ("/", "/factures", f"/factures/{a.issued_id}"):
        pages = [c.get(path) for c in (first, second, first, accountant)]
        tokens = [CSRF_RE.search(p.text).group(1) for p in pages]  # type: ignore[union-attr]
        assert tokens[0] == tokens[2] == first.csrf
        assert tokens[1] == second.csrf != first.csrf
        assert all(CSRF_PLACEHOLDER not in p.text for p in pages)
        assert pages[0].text.replace(tokens[0], "") == pages[1].text.replace(tokens[1], "")
        assert a.owner_email in pages[0].text
        assert a.owner_email not in pages[3].text
        assert a.accountant_email in pages[3].text
    assert "Nouvelle facture" in first.get("/factures").text
    assert "Nouvelle facture" not in accountant.get("/factures").text
    # the token of a cached page works for a form
    assert first.post("/deconnexion").status_code == 303


def test_flash_messages_are_shown_once_on_cached_pages(web: World) -> None:
    a = web.a
    owner = Client(web.app).login(a.owner_email)
    page = f"/factures/{a.issued_id}"
    owner.get(page)
    r = owner.post(
        f"{page}/paiements", {"amount": "10,00", "date": date.today().isoformat(), "method": "cheque"}
    )
    assert r.status_code == 303
    shown = owner.get(page).text
    assert "Paiement enregistré." in shown
    assert "Paiement enregistré." not in owner.get(page).text


def test_company_scoping_holds_on_cached_pages(web: World) -> None:
    a, b = web.a, web.b
    owner_a = Client(web.app).login(a.owner_email)
    assert owner_a.get(f"/factures/{a.issued_id}").status_code == 200
    owner_b = Client(web.app).login(b.owner_email)
    assert owner_b.get(f"/factures/{a.issued_id}").status_code == 404
    assert "Société A" not in owner_b.get("/factures").text


def test_cached_templates_do_not_read_the_request() -> None:
    """Cached pages are shared by the requests of a user: their templates may not use ``request``."""
    names = ["base.html", "dashboard.html", "invoices/list.html", "invoices/detail.html", "_macros.html"]
    names += ["forecast/_alerts.html"]
    for name in names:
        text = (TEMPLATES / name).read_text()
        assert not re.search(r"\brequest\b|url_for", text), name


# ---- the invoice page's direct reads ------------------------------------------------------------------


def test_invoice_reads_equal_the_repository(web: World) -> None:
    a, b, uow, today = web.a, web.b, web.uow, date.today()
    invoicing.record_payment(uow, a.company_id, a.issued_id, Decimal("10.50"), today, method="cheque")
    note = invoicing.create_credit_note(uow, a.company_id, a.issued_id, today)
    with uow() as repo:
        customer = repo.get_party(a.company_id, a.customer_id)
        repo.add_imported_invoices(
            [
                Invoice(
                    company_id=a.company_id,
                    customer=customer,
                    issue_date=today,
                    due_date=today,
                    number="IMP-1",
                    status=InvoiceStatus.ISSUED,
                    total_incl_tax_override=Decimal("123.45"),
                )
            ]
        )
        imported = repo.invoice_by_number(a.company_id, "IMP-1")
    assert imported is not None
    for invoice_id in (a.draft_id, a.issued_id, note.id or 0, imported.id or 0):
        with read_only(uow) as repo:
            fast = invoice_with_payments(repo, a.company_id, invoice_id)
        with uow.read() as repo:
            assert fast == (
                repo.get_invoice(a.company_id, invoice_id),
                repo.payments_of(a.company_id, invoice_id),
            )
    with read_only(uow) as repo:
        assert invoice_with_payments(repo, a.company_id, a.issued_id)[1][0][2] == Decimal("10.50")
        for cid, invoice_id in ((b.company_id, a.issued_id), (a.company_id, 2**31 - 1)):
            with pytest.raises(NotFoundError):
                invoice_with_payments(repo, cid, invoice_id)


def test_a_full_cache_drops_its_oldest_entries() -> None:
    cache = ReadCache(ttl_s=15, max_entries=10)
    for n in range(10):
        cache.get(n, lambda n=n: n, version="v")
    cache.get(0, lambda: -1, version="w")  # key 0 stored again: now the newest
    cache.get(10, lambda: 10, version="v")  # full: drops the oldest (key 1)
    assert cache.peek(0, "w") == -1
    assert cache.peek(1, "v") is None
    assert [cache.peek(n, "v") for n in range(2, 11)] == list(range(2, 11))
