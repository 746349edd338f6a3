"""Banque page: connect an account through the aggregator (sandbox bank), sync it, see its state.

The sandbox bank (``ENCAISSE_BANK_FEED=sandbox``) approves consent at once and sends the owner
straight back to ``/banque/connexions/retour?ref=…``, as the real bank does after authentication.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import Any

from .conftest import Client, World

IBAN = "FR7630006000011234567890189"


def flashes(page: Any) -> str:
    return " ".join(
        re.findall(r'<div class="flash [a-z]+" role="status">([^<]*)</div>', html.unescape(page.text))
    )


def test_connect_sync_and_resync_an_account(fresh_world: World) -> None:
    web = fresh_world.app.state.web
    web.settings = replace(web.settings, bank_feed="sandbox")
    client = Client(fresh_world.app).login(fresh_world.a.owner_email)
    page = html.unescape(client.get("/banque").text)
    assert "Connecter un compte" in page
    assert '<option value="BNP_PARIBAS_BNPAFRPP">BNP Paribas</option>' in page  # the owner picks a name

    sent = client.post("/banque/connexions", {"institution_id": "SANDBOXFINANCE_SFIN0000"})
    assert sent.status_code == 303
    back = sent.headers["location"]
    assert back.startswith("http://testserver/banque/connexions/retour?ref=")
    returned = client.get(back.removeprefix("http://testserver"))
    assert (returned.status_code, returned.headers["location"]) == (303, "/banque")
    page = client.get("/banque")
    text = html.unescape(page.text)
    assert "synchronisé : 20 nouvelles opérations importées" in flashes(page)
    assert "SANDBOXFINANCE_SFIN0000" in text
    assert "Active" in text
    assert "CLIENT 01" in text  # the transactions are listed

    form = re.findall(r'action="(/banque/connexions/\d+/synchroniser)"', page.text)[-1]  # the newest
    again = client.post(form)
    assert again.status_code == 303
    assert "0 nouvelles opérations importées" in flashes(client.get("/banque"))

    replayed = client.get(back.removeprefix("http://testserver"))  # the bank's redirect reloaded
    assert replayed.status_code == 303
    assert "0 nouvelles opérations importées" in flashes(client.get("/banque"))


def test_bad_answers_get_french_messages_and_store_nothing(fresh_world: World) -> None:
    client = Client(fresh_world.app).login(fresh_world.a.owner_email)
    # No aggregator secrets configured (the default feed is GoCardless).
    assert 'name="institution_id" required' in client.get("/banque").text  # no list: the identifier
    refused = client.post("/banque/connexions", {"institution_id": "BNP_PARIBAS_BNPAFRPP"})
    assert (refused.status_code, refused.headers["location"]) == (303, "/banque")
    assert "ENCAISSE_GOCARDLESS_SECRET_ID" in flashes(client.get("/banque"))

    web = fresh_world.app.state.web
    web.settings = replace(web.settings, bank_feed="sandbox")
    empty = client.post("/banque/connexions", {"institution_id": "  "})
    assert empty.headers["location"] == "/banque"
    assert "Indiquez la banque à connecter" in flashes(client.get("/banque"))
    unknown = client.get("/banque/connexions/retour?ref=forged")
    assert unknown.headers["location"] == "/banque"
    assert "inconnue ou a déjà été utilisée" in flashes(client.get("/banque"))
    assert client.post("/banque/connexions/999/synchroniser").status_code == 404
    with fresh_world.uow() as repo:  # the seeded connection's consent has lapsed
        (seeded,) = repo.list_bank_connections(fresh_world.a.company_id)
        repo.update_bank_connection(replace(seeded, status="expired"))
    page = client.get("/banque")
    assert "Accord expiré" in html.unescape(page.text)
    assert "/synchroniser" not in page.text
    expired = client.post(f"/banque/connexions/{seeded.id}/synchroniser")
    assert expired.headers["location"] == "/banque"
    assert "n'est pas active" in flashes(client.get("/banque"))
    with fresh_world.uow.read() as repo:
        assert repo.count_transactions(fresh_world.a.company_id) == 0


def test_the_accountant_sees_connections_but_cannot_connect(fresh_world: World) -> None:
    client = Client(fresh_world.app).login(fresh_world.a.accountant_email)
    page = client.get("/banque")
    assert "Synchronisation bancaire" in page.text
    assert "Connecter un compte" not in page.text
    assert client.post("/banque/connexions", {"institution_id": "X"}).status_code == 403
