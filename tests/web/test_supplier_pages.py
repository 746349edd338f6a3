"""Fournisseurs page (issue "Invoice documents" §4, SCENARIOS 7): supplier e-invoices uploaded as
Factur-X PDF, CII or UBL; invalid ones refused with their rule ids and nothing stored; duplicates
reported; the original file given back byte for byte (RET-E-ORIGINAL); a changed supplier IBAN
flagged in red; accountant read-only; another company's invoices are not found.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from encaisse.domain.parties import Party, PartyKind

from .conftest import Client, World, table_counts

VALID = [
    ("facturx/valid/xml/factur-x-en16931.xml", "LE FOURNISSEUR", "F20260023", "104,90\xa0€"),
    ("facturx/valid/pdf/EN16931_Einfach.pdf", "Lieferant GmbH", "471102", "529,87\xa0€"),
    ("en16931/examples/ubl/ubl-tc434-example1.xml", "De Koksmaat", "12115118", "250,33\xa0€"),
]


def shown(response: Any) -> str:
    return html.unescape(response.text)


def send(client: Client, data: bytes, name: str) -> Any:
    return client.post("/fournisseurs/factures", files={"fichier": (name, data, "application/octet-stream")})


def received(w: World, company_id: int) -> list[dict[str, Any]]:
    with w.uow.read() as repo:
        return repo.list_received(company_id)


@pytest.mark.parametrize(("name", "supplier", "number", "total"), VALID)
def test_valid_einvoice_is_received_once_and_its_original_kept(
    world: World, client_for: Any, corpora: Path, name: str, supplier: str, number: str, total: str
) -> None:
    staff = client_for(world.a.staff_email)
    data = (corpora / name).read_bytes()
    r = send(staff, data, Path(name).name)
    assert r.status_code == 303, shown(r)[:3000]
    page = shown(staff.get("/fournisseurs"))
    assert f"Facture {number} de {supplier} reçue : {total} TTC" in page
    (row,) = [x for x in received(world, world.a.company_id) if x["number"] == number]
    assert row["supplier_name"] == supplier
    assert re.search(rf"<td>{re.escape(supplier)}</td>\s*<td>{re.escape(number)}</td>", page)

    count = len(received(world, world.a.company_id))
    again = send(staff, data, "copie-" + Path(name).name)
    assert again.status_code == 303
    assert f"Facture {number} de {supplier} déjà reçue : rien n'a été ajouté." in shown(
        staff.get("/fournisseurs")
    )
    assert len(received(world, world.a.company_id)) == count

    download = staff.get(f"/fournisseurs/original?id={row['id']}")
    assert download.status_code == 200
    assert download.content == data  # untouched, byte for byte
    kind = "application/pdf" if name.endswith(".pdf") else "application/xml"
    assert download.headers["content-type"].startswith(kind)
    assert Path(name).name in download.headers["content-disposition"]


@pytest.mark.parametrize(
    ("name", "rules"),
    [
        ("facturx/invalid/xml/factur-x-minimum.xml", ["BR-10", "BR-11", "BR-16", "BR-CO-10"]),
        ("facturx/invalid/pdf/Facture_FR_EN16931.pdf", ["CII-DT-031"]),
        ("facturx/invalid/pdf/EN16931_ElektronischeAdresse.pdf", ["BR-CL-25"]),
    ],
)
def test_invalid_einvoice_lists_failed_rules_and_stores_nothing(
    world: World, client_for: Any, corpora: Path, name: str, rules: list[str]
) -> None:
    owner = client_for(world.a.owner_email)
    before = table_counts(world.url)
    r = send(owner, (corpora / name).read_bytes(), Path(name).name)
    assert r.status_code == 422
    page = shown(r)
    assert "n'est pas conforme à la norme EN 16931 : elle n'a pas été enregistrée." in page
    for rule in rules:
        assert f"<strong>{rule}</strong> : " in page, rule
    if "CII-DT-031" in rules:  # one line per rule, with how many times it fails
        assert page.count("<strong>CII-DT-031</strong>") == 1
        assert re.search(r"\((\d+) fois\)", page)
    assert table_counts(world.url) == before


def test_unreadable_files_get_a_french_error(world: World, client_for: Any, corpora: Path) -> None:
    owner = client_for(world.a.owner_email)
    pdf = (corpora / "facturx/valid/pdf/EN16931_Miete.pdf").read_bytes()
    cases = [
        (
            (corpora / "facturx/invalid/xml/zugferd-basic.xml").read_bytes(),
            "n'est pas une facture électronique",
        ),
        (pdf[: len(pdf) // 2], "Le PDF est incomplet (fichier coupé)"),
        (b"bonjour, ceci n'est pas une facture", "ni un PDF Factur-X ni un XML CII ou UBL"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "refusé"),
        ((corpora / "camt053/oca_test-camt053.xml").read_bytes(), "n'est pas une facture électronique"),
    ]
    before = table_counts(world.url)
    for data, message in cases:
        r = send(owner, data, "x")
        assert r.status_code == 422, message
        assert message in shown(r), (message, shown(r)[-3000:])
        assert "root:x:" not in r.text  # no external entity was ever read
    empty = send(owner, b"", "vide.xml")
    assert empty.status_code == 422
    assert "Le fichier envoyé est vide." in shown(empty)
    missing = owner.post("/fournisseurs/factures", {})
    assert missing.status_code == 422
    assert "Choisissez le fichier à importer." in shown(missing)
    assert table_counts(world.url) == before


def test_changed_supplier_iban_is_flagged_in_red(world: World, corpora: Path) -> None:
    w = world  # company B has received nothing yet
    with w.uow() as repo:  # the supplier is known with another IBAN than the invoice's
        repo.add_party(
            w.b.company_id,
            Party(
                name="LE FOURNISSEUR",
                kind=PartyKind.SUPPLIER,
                siren="123456782",
                iban="FR7630006000011234567890189",
            ),
        )
    owner = Client(w.app).login(w.b.owner_email)
    r = send(owner, (corpora / "facturx/valid/xml/factur-x-en16931.xml").read_bytes(), "f.xml")
    assert r.status_code == 303
    page = shown(owner.get("/fournisseurs"))
    assert "Attention : l'IBAN de LE FOURNISSEUR sur cette facture diffère de celui enregistré." in page
    assert '<span class="badge late">IBAN modifié : à vérifier</span>' in page
    assert "1 facture(s) portent un IBAN différent" in page
    (row,) = received(w, w.b.company_id)
    assert row["status"] == "iban_changed"


def test_accountant_reads_and_downloads_but_cannot_upload(
    world: World, client_for: Any, corpora: Path
) -> None:
    data = (corpora / "en16931/examples/cii/CII_example4.xml").read_bytes()
    assert send(client_for(world.a.owner_email), data, "cii4.xml").status_code == 303
    (row,) = [x for x in received(world, world.a.company_id) if x["number"] == "TOSL110"]
    accountant = client_for(world.a.accountant_email)
    page = shown(accountant.get("/fournisseurs"))
    assert "TOSL110" in page
    assert "Recevoir une facture fournisseur" not in page
    assert accountant.get(f"/fournisseurs/original?id={row['id']}").content == data
    before = table_counts(world.url)
    r = send(accountant, (corpora / "en16931/examples/cii/CII_example3.xml").read_bytes(), "cii3.xml")
    assert r.status_code == 403
    assert r.headers["x-error-code"] == "FORBIDDEN-ROLE"
    assert table_counts(world.url) == before

    intruder = client_for(world.b.owner_email)
    assert "TOSL110" not in shown(intruder.get("/fournisseurs"))
    assert intruder.get(f"/fournisseurs/original?id={row['id']}").status_code == 404
    for bad in ("", "abc", "0", "-1", "99999999999", "1e3"):
        assert intruder.get(f"/fournisseurs/original?id={bad}").status_code == 404, bad
