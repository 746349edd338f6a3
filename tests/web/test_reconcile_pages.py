"""Rapprochement page (issue "Bank" §2): automatic run on the demo, the review queue (accept /
reject), unmatch, manual search and split, categorisation with a rule made from one example,
accountant read-only, another company's ids answer 404 and change nothing.
"""

from __future__ import annotations

import html
import itertools
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from encaisse.domain.bank import BankTransaction, Statement
from encaisse.domain.documents import Invoice, InvoiceStatus
from encaisse.formats import camt053
from encaisse.services import invoicing, reconciliation
from encaisse.services.bank_import import import_statement
from encaisse.services.clock import today
from encaisse.services.companies import save_party
from encaisse.services.demo import load_demo

from .conftest import Client, World, customer, lines, table_counts

IBAN = "FR7630006000011234567890189"
TOTAL = Decimal("1019.28")  # conftest lines(): 849.40 HT + 20 % VAT
_refs = itertools.count(1)
_sirens = itertools.count(10000001)


def shown(response: Any) -> str:
    return html.unescape(response.text)


def luhn_siren() -> str:
    base = str(next(_sirens))
    for check in "0123456789":
        digits = [int(c) for c in base + check]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
        if total % 10 == 0:
            return base + check
    raise AssertionError("no Luhn digit")


def invoices(w: World, name: str, n: int) -> list[Invoice]:
    cid = w.a.company_id
    cust = save_party(w.uow, cid, customer(name, luhn_siren()), actor="test")
    out = []
    for _ in range(n):
        draft = invoicing.create_draft(
            w.uow,
            Invoice(company_id=cid, customer=cust, issue_date=today(), supply_date=today(), lines=lines()),
        )
        out.append(invoicing.issue(w.uow, cid, draft.id or 0))
    return out


def bank(w: World, company_id: int, *specs: tuple[str, str, str]) -> list[int]:
    """Import (amount, counterparty, libellé) lines for today; their database ids, in order."""
    refs = [f"T-{next(_refs)}" for _ in specs]
    txs = tuple(
        BankTransaction(today(), Decimal(a), counterparty_name=c, remittance=r, bank_ref=ref)
        for (a, c, r), ref in zip(specs, refs, strict=True)
    )
    closing = sum((t.amount for t in txs), Decimal(0))
    day = today()
    stmt = Statement(IBAN, "EUR", txs, Decimal(0), closing, day - timedelta(days=1), day, "S")
    import_statement(w.uow, company_id, camt053.export([stmt]))
    with w.uow.read() as repo:
        by_ref = {s.transaction_id: s.id for s in repo.list_transactions(company_id)}
    return [by_ref[ref] for ref in refs]


def invoice(w: World, invoice_id: int) -> Invoice:
    with w.uow.read() as repo:
        return repo.get_invoice(w.a.company_id, invoice_id)


def proposal_for(w: World, tx_id: int) -> int:
    with w.uow.read() as repo:
        (found,) = [p.id for p in repo.list_proposals(w.a.company_id) if p.transaction_id == tx_id]
    return found or 0


def test_review_queue_accept_reject_then_unmatch(world: World, client_for: Any) -> None:
    inv, other = invoices(world, "Menuiserie Accept", 2)
    sure, vague = bank(
        world,
        world.a.company_id,
        (str(TOTAL), "MENUISERIE ACCEPT", f"VIR SEPA RECU /MOTIF FACT {inv.number}"),
        (str(TOTAL), "SCI LES TILLEULS", "VIREMENT"),
    )
    reconciliation.reconcile(world.uow, world.a.company_id, today(), auto=False)  # queue everything
    p_sure, p_vague = proposal_for(world, sure), proposal_for(world, vague)
    staff = client_for(world.a.staff_email)
    page = shown(staff.get("/rapprochement"))
    assert "Propositions à valider" in page
    assert inv.number in page
    with world.uow.read() as repo:
        explanation = next(p.explanation for p in repo.list_proposals(world.a.company_id) if p.id == p_sure)
    assert explanation
    assert explanation in page
    assert re.search(r">\d{1,3} %</td>", page)  # the score, as a percentage

    r = staff.post("/rapprochement/accepter", {"proposal_id": str(p_sure), "retour": "/rapprochement"})
    assert r.status_code == 303
    assert r.headers["location"] == "/rapprochement"
    assert invoice(world, inv.id or 0).status is InvoiceStatus.PAID
    assert "Proposition acceptée : 1 facture(s) réglée(s)." in shown(staff.get("/rapprochement"))
    replay = staff.post("/rapprochement/accepter", {"proposal_id": str(p_sure)})
    assert replay.status_code == 404  # no longer pending: never applied twice

    r = staff.post("/rapprochement/rejeter", {"proposal_id": str(p_vague), "retour": "https://evil.example/"})
    assert r.status_code == 303
    assert r.headers["location"] == "/rapprochement"
    with world.uow.read() as repo:
        assert p_vague not in {p.id for p in repo.list_proposals(world.a.company_id)}
        (alloc,) = repo.list_allocations(world.a.company_id, transaction_id=sure)
    page = shown(staff.get("/rapprochement"))
    assert f'href="/rapprochement/operation?id={vague}"' in page  # back among the lines to match
    assert invoice(world, other.id or 0).status is InvoiceStatus.ISSUED

    r = staff.post("/rapprochement/annuler", {"allocation_id": str(alloc.id)})
    assert r.status_code == 303
    back = invoice(world, inv.id or 0)
    assert (back.status, back.amount_paid) == (InvoiceStatus.ISSUED, Decimal("0.00"))
    assert f"Rapprochement annulé : le paiement de la facture {inv.number} a été retiré." in shown(
        staff.get("/rapprochement")
    )
    assert staff.post("/rapprochement/annuler", {"allocation_id": str(alloc.id)}).status_code == 404


def test_search_and_split_one_payment_over_two_invoices(world: World, client_for: Any) -> None:
    first, second = invoices(world, "Plomberie Partage", 2)
    (tx,) = bank(world, world.a.company_id, ("1500.00", "PLOMBERIE PARTAGE", "REGLEMENT GROUPE"))
    (debit,) = bank(world, world.a.company_id, ("-75.00", "", "CHEQUE 123"))
    owner = client_for(world.a.owner_email)
    found = shown(owner.get(f"/rapprochement/operation?id={tx}&q=Plomberie Partage"))
    assert first.number in found
    assert second.number in found
    by_amount = shown(owner.get(f"/rapprochement/operation?id={tx}&q=1 019,28 €"))
    assert first.number in by_amount
    assert second.number in by_amount
    url = "/rapprochement/associer"
    before = table_counts(world.url)
    cases = [
        (
            {f"amount[{first.id}]": "1019.28", f"amount[{second.id}]": "600"},
            "dépasse ce qui reste à rapprocher",
        ),
        ({f"amount[{first.id}]": "1100"}, "Le montant dépasse le reste dû de la facture."),
        ({f"amount[{first.id}]": "abc"}, "Saisissez un nombre"),
        ({f"amount[{first.id}]": "-5"}, "Le montant doit être positif."),
        ({f"amount[{first.id}]": "1,234"}, "2 décimales au plus."),
        ({}, "Saisissez le montant à rapprocher sur au moins une facture."),
    ]
    for amounts, message in cases:
        r = owner.post(url, {"tx_id": str(tx), "q": "Plomberie", **amounts})
        assert r.status_code == 422, (amounts, r.status_code)
        assert message in shown(r), amounts
    r = owner.post(url, {"tx_id": str(debit), f"amount[{first.id}]": "75"})
    assert r.status_code == 422
    assert "Seul un encaissement (crédit) peut régler une facture client." in shown(r)
    assert table_counts(world.url) == before

    r = owner.post(
        url, {"tx_id": str(tx), f"amount[{first.id}]": "1 019,28", f"amount[{second.id}]": "480,72"}
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/rapprochement/operation?id={tx}"
    assert invoice(world, first.id or 0).status is InvoiceStatus.PAID
    partly = invoice(world, second.id or 0)
    assert (partly.status, partly.amount_paid) == (InvoiceStatus.PARTIALLY_PAID, Decimal("480.72"))
    page = shown(owner.get(f"/rapprochement/operation?id={tx}"))
    assert "Opération rapprochée avec 2 facture(s)." in page
    assert "Factures déjà rapprochées" in page
    assert "Rapprocher les montants saisis" not in page
    assert f'href="/factures/{first.id}">{first.number}</a>, <a href="/factures/{second.id}"' in shown(
        owner.get("/banque?etat=rapprochees")
    )


def test_categorise_with_a_rule_learnt_from_one_example(world: World, client_for: Any) -> None:
    cid = world.a.company_id
    (fee, odd) = bank(
        world,
        cid,
        ("-300.00", "CABINET EXPERTISE", "PRLV SEPA CABINET EXPERTISE HONORAIRES 03/2026"),
        ("-20.00", "", "12345 678"),
    )
    staff = client_for(world.a.staff_email)
    r = staff.post("/rapprochement/categoriser", {"tx_id": str(fee), "category": "piratage"})
    assert r.status_code == 303
    assert "Choisissez une catégorie de la liste." in shown(staff.get("/rapprochement"))
    r = staff.post(
        "/rapprochement/categoriser", {"tx_id": str(fee), "category": "suppliers", "create_rule": "1"}
    )
    assert r.status_code == 303
    assert "Opération classée en « Fournisseurs » et règle créée" in shown(staff.get("/rapprochement"))
    with world.uow.read() as repo:
        assert repo.get_transaction(cid, fee).category == "suppliers"
        rules = [(c, d["pcg_account"], set(d["tokens"])) for _, c, d in repo.list_rules(cid)]
    assert ("suppliers", "401", {"PRLV", "SEPA", "CABINET", "EXPERTISE", "HONORAIRES"}) in rules

    (later,) = bank(
        world, cid, ("-310.00", "CABINET EXPERTISE", "PRLV SEPA CABINET EXPERTISE HONORAIRES 04/2026")
    )
    assert staff.post("/rapprochement/automatique").status_code == 303
    assert re.search(
        r"Rapprochement automatique : \d+ opération\(s\) rapprochée\(s\)", shown(staff.get("/banque"))
    )
    with world.uow.read() as repo:
        assert repo.get_transaction(cid, later).category == "suppliers"

    r = staff.post("/rapprochement/categoriser", {"tx_id": str(odd), "category": "other", "create_rule": "1"})
    assert r.status_code == 303
    assert "aucun mot stable pour créer une règle" in shown(staff.get("/rapprochement"))
    r = staff.post("/rapprochement/categoriser", {"tx_id": str(odd), "category": "", "retour": "/banque"})
    assert r.headers["location"] == "/banque"
    with world.uow.read() as repo:
        assert repo.get_transaction(cid, odd).category is None


def categorized(w: World, company_id: int) -> int:
    with w.uow.read() as repo:
        return sum(1 for s in repo.list_transactions(company_id) if s.category)


def test_auto_reconciliation_on_the_demo(world: World) -> None:
    load_demo(world.uow, seed=1, today=today())
    with world.uow.read() as repo:
        demo_id = next(c.id for c in repo.list_companies() if c.name.startswith("Élec Durand")) or 0
    filed_before = categorized(world, demo_id)
    demo = Client(world.app).login("demo@encaisse.fr", "demo-encaisse")
    page = shown(demo.get("/rapprochement"))
    before = count_in(r"Rapprochements effectués \((\d+)\)", page)
    assert count_in(r"Opérations à rapprocher \((\d+)\)", page) > 0
    assert demo.post("/rapprochement/automatique").status_code == 303
    page = shown(demo.get("/rapprochement"))
    m = re.search(
        r"Rapprochement automatique : (\d+) opération\(s\) rapprochée\(s\) \((\d+) facture\(s\) réglée\(s\)\), "
        r"(\d+) proposition\(s\) à valider, (\d+) opération\(s\) catégorisée\(s\)",
        page,
    )
    assert m, page[:2000]
    applied, allocations, queued, filed = (int(x) for x in m.groups())
    assert applied > 0
    assert allocations >= applied
    assert filed > 0
    assert count_in(r"Rapprochements effectués \((\d+)\)", page) == before + allocations
    assert count_in(r"Propositions à valider \((\d+)\)", page) == queued
    assert "Automatique" in page
    assert categorized(world, demo_id) == filed_before + filed
    assert "Catégorisée" in shown(demo.get("/banque?etat=categorisees"))


def count_in(pattern: str, page: str) -> int:
    found = re.search(pattern, page)
    assert found, pattern
    return int(found.group(1))


@pytest.fixture
def a_objects(world: World) -> dict[str, int]:
    """One transaction, one pending proposal and one allocation of company A."""
    (inv,) = invoices(world, "Electricite Ids", 1)
    tx, matched = bank(
        world,
        world.a.company_id,
        (str(TOTAL), "ELECTRICITE IDS", f"FACT {inv.number}"),
        ("99.00", "ELECTRICITE IDS", "ACOMPTE"),
    )
    reconciliation.reconcile(world.uow, world.a.company_id, today(), auto=False)
    (extra,) = invoices(world, "Electricite Ids Bis", 1)
    reconciliation.manual_match(
        world.uow,
        world.a.company_id,
        matched,
        [{"invoice_id": extra.id, "amount": Decimal("99.00")}],
        today(),
    )
    with world.uow.read() as repo:
        (alloc,) = repo.list_allocations(world.a.company_id, transaction_id=matched)
    return {
        "tx": tx,
        "proposal": proposal_for(world, tx),
        "allocation": alloc.id,
        "invoice": inv.id or 0,
    }


def posts(ids: dict[str, int]) -> list[tuple[str, dict[str, str]]]:
    return [
        ("/rapprochement/automatique", {}),
        ("/rapprochement/accepter", {"proposal_id": str(ids["proposal"])}),
        ("/rapprochement/rejeter", {"proposal_id": str(ids["proposal"])}),
        ("/rapprochement/annuler", {"allocation_id": str(ids["allocation"])}),
        ("/rapprochement/categoriser", {"tx_id": str(ids["tx"]), "category": "other", "create_rule": "1"}),
        ("/rapprochement/associer", {"tx_id": str(ids["tx"]), f"amount[{ids['invoice']}]": "1"}),
    ]


def test_accountant_reads_but_every_action_is_refused(
    world: World, client_for: Any, a_objects: dict[str, int]
) -> None:
    accountant = client_for(world.a.accountant_email)
    page = shown(accountant.get("/rapprochement"))
    assert "Propositions à valider" in page
    for action in (
        "Lancer le rapprochement automatique",
        ">Accepter<",
        ">Rejeter<",
        "Annuler le rapprochement",
    ):
        assert action not in page
    assert "Rapprocher les montants saisis" not in shown(
        accountant.get(f"/rapprochement/operation?id={a_objects['tx']}")
    )
    before = table_counts(world.url)
    for url, body in posts(a_objects):
        r = accountant.post(url, body)
        assert r.status_code == 403, url
        assert r.headers["x-error-code"] == "FORBIDDEN-ROLE"
    assert table_counts(world.url) == before


def test_other_company_ids_are_not_found_and_garbage_never_crashes(
    world: World, client_for: Any, a_objects: dict[str, int]
) -> None:
    intruder = client_for(world.b.owner_email)
    before = table_counts(world.url)
    for url, body in posts(a_objects)[1:]:
        r = intruder.post(url, body)
        assert r.status_code == 404, (url, r.status_code)
    assert intruder.get(f"/rapprochement/operation?id={a_objects['tx']}").status_code == 404
    (b_tx,) = bank(world, world.b.company_id, ("50.00", "X", "VIREMENT B"))
    before = table_counts(world.url)
    r = intruder.post("/rapprochement/associer", {"tx_id": str(b_tx), f"amount[{a_objects['invoice']}]": "1"})
    assert r.status_code == 404  # A's invoice, B's own transaction
    for bad in ("abc", "0", "-1", "99999999999", "", "1e3"):
        for url, key in (
            ("/rapprochement/accepter", "proposal_id"),
            ("/rapprochement/annuler", "allocation_id"),
            ("/rapprochement/categoriser", "tx_id"),
            ("/rapprochement/associer", "tx_id"),
        ):
            assert intruder.post(url, {key: bad}).status_code == 404, (url, bad)
        assert intruder.get(f"/rapprochement/operation?id={bad}").status_code == 404
    assert (
        intruder.get("/rapprochement?propositions=abc&operations=-3&rapprochees=99999999").status_code == 200
    )
    assert table_counts(world.url) == before
    assert invoice(world, a_objects["invoice"]).status is InvoiceStatus.ISSUED
