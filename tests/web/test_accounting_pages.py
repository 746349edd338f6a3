"""The Comptabilité page (SCENARIOS §6): the accountant reads the journals, the VAT of a month, aged
receivables and DSO, and downloads the FEC of a year and the monthly package; company A never sees B."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import Any

import pytest

from encaisse.domain.ledger import Period
from encaisse.domain.numbering import fiscal_year_of
from encaisse.formats import fec

from .conftest import World, table_counts


def test_accountant_sees_journals_vat_and_receivables(world: World, client_for: Any) -> None:
    accountant = client_for(world.a.accountant_email)
    r = accountant.get("/comptabilite")
    assert r.status_code == 200
    page = r.text
    year = fiscal_year_of(date.today())
    for words in (
        "Journal des ventes",
        f"Télécharger le FEC {year}",
        f'href="/comptabilite/fec?annee={year}"',
        "Balance âgée",
        "Délai moyen de paiement (DSO)",
        "Client A",
        f"{world.a.siren}FEC{year}1231.txt",
        "contrôles du format réussis",
    ):
        assert words in page, words
    assert "Bientôt disponible" not in page
    assert "Client B" not in page


def test_fec_download_is_valid_and_scoped_to_the_company(world: World, client_for: Any) -> None:
    accountant = client_for(world.a.accountant_email)
    before = table_counts(world.url)
    year = fiscal_year_of(date.today())
    r = accountant.get(f"/comptabilite/fec?annee={year}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=iso-8859-15"
    name = f"{world.a.siren}FEC{year}1231.txt"
    assert r.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert fec.validate(r.content, period=Period.fiscal_year(year), name=name) == []
    text = r.content.decode("iso-8859-15")
    assert "Client A" in text
    assert "Client B" not in text
    assert table_counts(world.url) == before  # reading the books writes nothing


def test_monthly_package_download(world: World, client_for: Any) -> None:
    owner = client_for(world.a.owner_email)
    month = date.today().strftime("%Y-%m")
    r = owner.get(f"/comptabilite/envoi?mois={month}")
    if r.status_code == 503:
        pytest.skip("PDF rendering is not installed")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    pdfs = [n for n in archive.namelist() if n.startswith("factures/")]
    assert len(pdfs) == 1  # the one issued invoice of the month; the draft is not sent
    assert archive.read(pdfs[0]).startswith(b"%PDF")
    journal = archive.read(f"ecritures_{month}.csv").decode("utf-8-sig")
    assert journal.splitlines()[0] == ";".join(fec.COLUMNS)
    assert "Client A" in journal


@pytest.mark.parametrize("query", ["?annee=abcd&mois=2026-99", "?annee=99999", "?mois=x", "?annee=1901"])
def test_odd_parameters_fall_back_to_defaults(world: World, client_for: Any, query: str) -> None:
    r = client_for(world.a.accountant_email).get("/comptabilite" + query)
    assert r.status_code == 200
    assert "Comptabilité" in r.text


def test_anonymous_is_sent_to_login(world: World) -> None:
    from .conftest import Client

    anonymous = Client(world.app)
    for path in ("/comptabilite", "/comptabilite/fec", "/comptabilite/envoi"):
        r = anonymous.get(path)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/connexion")
