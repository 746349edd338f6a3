"""Authorization over every route of the app (issue "Web app and REST API", Must show).

Each route has a policy in :data:`POLICY`; a new route without one fails
``test_every_route_is_classified``. Then, for every route: anonymous users are sent to the login
page (pages) or get 401 (API); an accountant cannot change anything (every POST is refused and no
table changes); staff cannot reach the owner's settings; a user of company A gets 403/404 on every
object of company B.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from encaisse.adapters.web.app import route_table

from .conftest import Client, World, table_counts

PUBLIC, ACCOUNT, MEMBER, WRITER, OWNER = "public", "account", "member", "writer", "owner"
API_READ, API_WRITE = "api-read", "api-write"
#: Routes of the other issues' public router (payment page, provider webhooks): public by design.
PUBLIC_PREFIXES = ("/pay/", "/webhooks/", "/devis-en-ligne/")

POLICY: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("*", "/static"): PUBLIC,
    ("GET", "/connexion"): PUBLIC,
    ("POST", "/connexion"): PUBLIC,
    ("POST", "/deconnexion"): PUBLIC,
    ("GET", "/inscription"): PUBLIC,
    ("POST", "/inscription"): PUBLIC,
    ("GET", "/mot-de-passe-oublie"): PUBLIC,
    ("POST", "/mot-de-passe-oublie"): PUBLIC,
    ("GET", "/mot-de-passe/nouveau"): PUBLIC,
    ("POST", "/mot-de-passe/nouveau"): PUBLIC,
    ("GET", "/entreprises"): MEMBER,
    ("POST", "/entreprises/choisir"): ACCOUNT,
    ("POST", "/entreprises"): ACCOUNT,
    ("GET", "/"): MEMBER,
    ("GET", "/clients"): MEMBER,
    ("GET", "/clients.csv"): MEMBER,
    ("GET", "/clients/nouveau"): WRITER,
    ("POST", "/clients"): WRITER,
    ("GET", "/clients/{customer_id}"): MEMBER,
    ("GET", "/clients/{customer_id}/modifier"): WRITER,
    ("POST", "/clients/{customer_id}"): WRITER,
    ("GET", "/articles"): MEMBER,
    ("GET", "/articles.csv"): MEMBER,
    ("POST", "/articles"): WRITER,
    ("GET", "/devis"): MEMBER,
    ("GET", "/devis.csv"): MEMBER,
    ("GET", "/devis/nouveau"): WRITER,
    ("POST", "/devis"): WRITER,
    ("GET", "/devis/{quote_id}"): MEMBER,
    ("GET", "/devis/{quote_id}/modifier"): WRITER,
    ("POST", "/devis/{quote_id}"): WRITER,
    ("POST", "/devis/{quote_id}/envoyer"): WRITER,
    ("POST", "/devis/{quote_id}/accepter"): WRITER,
    ("POST", "/devis/{quote_id}/refuser"): WRITER,
    ("POST", "/devis/{quote_id}/acompte"): WRITER,
    ("POST", "/devis/{quote_id}/facturer"): WRITER,
    ("GET", "/devis/{quote_id}/pdf"): MEMBER,
    ("GET", "/factures"): MEMBER,
    ("GET", "/factures.csv"): MEMBER,
    ("GET", "/factures/nouvelle"): WRITER,
    ("POST", "/factures"): WRITER,
    ("GET", "/factures/{invoice_id}"): MEMBER,
    ("GET", "/factures/{invoice_id}/modifier"): WRITER,
    ("POST", "/factures/{invoice_id}"): WRITER,
    ("POST", "/factures/{invoice_id}/emettre"): WRITER,
    ("POST", "/factures/{invoice_id}/supprimer"): WRITER,
    ("POST", "/factures/{invoice_id}/paiements"): WRITER,
    ("POST", "/factures/{invoice_id}/avoir"): WRITER,
    ("GET", "/factures/{invoice_id}/pdf"): MEMBER,
    ("GET", "/parametres"): OWNER,
    ("POST", "/parametres"): OWNER,
    ("POST", "/parametres/logo"): OWNER,
    ("GET", "/parametres/logo"): MEMBER,
    ("POST", "/parametres/comptes"): OWNER,
    ("GET", "/parametres/utilisateurs"): OWNER,
    ("POST", "/parametres/utilisateurs"): OWNER,
    ("POST", "/parametres/utilisateurs/{user_id}/role"): OWNER,
    ("POST", "/parametres/utilisateurs/{user_id}/retirer"): OWNER,
    ("GET", "/parametres/api"): OWNER,
    ("POST", "/parametres/api"): OWNER,
    ("POST", "/parametres/api/{token_id}/revoquer"): OWNER,
    ("GET", "/banque"): MEMBER,
    ("GET", "/banque.csv"): MEMBER,
    ("POST", "/banque/releves"): WRITER,
    ("POST", "/banque/connexions"): WRITER,
    ("POST", "/devis/{quote_id}/lien"): WRITER,
    ("POST", "/devis/{quote_id}/lien/revoquer"): WRITER,
    ("GET", "/banque/connexions/retour"): WRITER,
    ("POST", "/banque/connexions/{connection_id}/synchroniser"): WRITER,
    ("GET", "/rapprochement"): MEMBER,
    ("GET", "/rapprochement/operation"): MEMBER,
    ("POST", "/rapprochement/automatique"): WRITER,
    ("POST", "/rapprochement/accepter"): WRITER,
    ("POST", "/rapprochement/rejeter"): WRITER,
    ("POST", "/rapprochement/annuler"): WRITER,
    ("POST", "/rapprochement/associer"): WRITER,
    ("POST", "/rapprochement/categoriser"): WRITER,
    ("GET", "/relances"): MEMBER,
    ("POST", "/relances/envoyer"): WRITER,
    ("GET", "/relances/factures/{invoice_id}"): MEMBER,
    ("POST", "/relances/factures/{invoice_id}/renvoyer"): WRITER,
    ("GET", "/tresorerie"): MEMBER,
    ("POST", "/tresorerie/seuil"): OWNER,
    ("POST", "/tresorerie/scenarios"): MEMBER,
    ("GET", "/tresorerie/precision"): MEMBER,
    ("GET", "/tresorerie/rapport.png"): MEMBER,
    ("GET", "/tresorerie/rapport.pdf"): MEMBER,
    ("GET", "/comptabilite"): MEMBER,
    ("GET", "/comptabilite/fec"): MEMBER,
    ("GET", "/comptabilite/envoi"): MEMBER,
    ("GET", "/fournisseurs"): MEMBER,
    ("GET", "/fournisseurs/original"): MEMBER,
    ("POST", "/fournisseurs/factures"): WRITER,
    ("GET", "/api/v1/company"): API_READ,
    ("GET", "/api/v1/customers"): API_READ,
    ("GET", "/api/v1/customers/{customer_id}"): API_READ,
    ("POST", "/api/v1/customers"): API_WRITE,
    ("GET", "/api/v1/invoices"): API_READ,
    ("GET", "/api/v1/invoices/{invoice_id}"): API_READ,
    ("POST", "/api/v1/invoices"): API_WRITE,
    ("POST", "/api/v1/invoices/{invoice_id}/issue"): API_WRITE,
    ("POST", "/api/v1/invoices/{invoice_id}/payments"): API_WRITE,
    ("POST", "/api/v1/invoices/{invoice_id}/credit-note"): API_WRITE,
}
PARAM = re.compile(r"\{([a-z_]+)\}")


def routes(world: World) -> list[tuple[str, str, str]]:
    """(method, path, policy) of every route, HEAD aside; public payment routes by prefix."""
    out = []
    for path, methods in route_table(world.app):
        if path.startswith(PUBLIC_PREFIXES):
            continue
        for method in sorted(methods - {"HEAD"}) or ["*"]:
            key = (method, path)
            out.append((method, path, POLICY.get(key, "UNCLASSIFIED")))
    return out


def fill(path: str, ids: dict[str, int]) -> str:
    return PARAM.sub(lambda m: str(ids[m.group(1)]), path)


def form_body(world: World) -> dict[str, str]:
    """A body that would succeed on most forms: a refused request is refused for its rights."""
    today = date.today()
    return {
        "name": "Intrus SARL",
        "email": "intrus@example.fr",
        "role": "accountant",
        "customer_id": str(world.a.customer_id),
        "company_id": str(world.b.company_id),
        "issue_date": today.isoformat(),
        "supply_date": today.isoformat(),
        "validity_date": (today + timedelta(days=30)).isoformat(),
        "lines[0].description": "Intrusion",
        "lines[0].quantity": "1",
        "lines[0].unit_price": "100",
        "lines[0].vat_rate": "20",
        "amount": "10",
        "date": today.isoformat(),
        "method": "transfer",
        "percent": "30",
        "description": "Article intrus",
        "unit_price": "10",
        "vat_rate": "20",
        "account_iban": "FR7630006000011234567890189",
    }


def api_body(path: str) -> dict[str, Any]:
    today = date.today().isoformat()
    if path.endswith("/payments"):
        return {"amount": "10.00", "date": today}
    if path == "/api/v1/customers":
        return {"name": "Intrus", "siren": "732829320"}
    if path == "/api/v1/invoices":
        return {
            "customer": {
                "name": "Intrus",
                "address": {"line1": "1 rue X", "postcode": "75001", "city": "Paris"},
            },
            "issue_date": today,
            "lines": [{"description": "x", "quantity": "1", "unit_price": "10"}],
        }
    return {}


def test_every_route_is_classified(world: World) -> None:
    found = routes(world)
    unclassified = [(m, p) for m, p, policy in found if policy == "UNCLASSIFIED"]
    assert not unclassified, f"routes without an authorization policy: {unclassified}"
    stale = set(POLICY) - {(m, p) for m, p, _ in found}
    assert not stale, f"policies of routes that no longer exist: {stale}"


def test_anonymous_reaches_only_public_pages(world: World) -> None:
    anonymous = Client(world.app)
    anonymous.get("/connexion")  # a session with a CSRF token, to pass the CSRF check
    for method, path, policy in routes(world):
        url = fill(path, world.a.ids)
        if policy == PUBLIC or method == "*":
            continue
        if policy in (API_READ, API_WRITE):
            r = anonymous.http.request(method, url, json=api_body(path))
            assert r.status_code == 401, (method, url, r.status_code)
            assert r.json()["code"] == "UNAUTHORIZED"
            r = anonymous.http.request(
                method, url, json=api_body(path), headers={"authorization": "Bearer enc_nope"}
            )
            assert r.status_code == 401, (method, url)
            continue
        if method == "GET":
            r = anonymous.get(url)
        else:
            r = anonymous.post(url, form_body(world))
            assert anonymous.post(url, form_body(world), csrf=False).status_code == 403, (method, url)
        assert r.status_code == 303, (method, url, r.status_code)
        assert r.headers["location"].startswith("/connexion?suivant="), (method, url)


def test_public_pages_answer_without_login(world: World) -> None:
    anonymous = Client(world.app)
    for path in ("/connexion", "/inscription", "/mot-de-passe-oublie", "/openapi.json", "/static/app.css"):
        assert anonymous.get(path).status_code == 200, path


def test_accountant_cannot_modify_anything(world: World, client_for: Any) -> None:
    accountant = client_for(world.a.accountant_email)
    before = table_counts(world.url)
    checked = 0
    for method, path, policy in routes(world):
        url = fill(path, world.a.ids)
        if policy in (WRITER, OWNER):
            r = accountant.get(url) if method == "GET" else accountant.post(url, form_body(world))
            assert r.status_code == 403, (method, url, r.status_code)
            assert r.headers.get("x-error-code") == "FORBIDDEN-ROLE", (method, url)
            checked += 1
        elif policy == API_WRITE:
            r = accountant.http.post(
                url, json=api_body(path), headers={"authorization": f"Bearer {world.a.accountant_token}"}
            )
            assert r.status_code == 403, (method, url, r.status_code, r.text)
            assert r.json()["code"] == "FORBIDDEN-ROLE"
            checked += 1
        elif policy == MEMBER and method == "GET":
            r = accountant.get(url)
            assert r.status_code in (200, 404, 503), (
                url,
                r.status_code,
            )  # 404: no logo; 503: PDF not installed
    assert checked == sum(1 for p in POLICY.values() if p in (WRITER, OWNER, API_WRITE))
    assert table_counts(world.url) == before


def test_staff_cannot_reach_owner_settings(world: World, client_for: Any) -> None:
    staff = client_for(world.a.staff_email)
    before = table_counts(world.url)
    for method, path, policy in routes(world):
        if policy != OWNER:
            continue
        url = fill(path, world.a.ids)
        r = staff.get(url) if method == "GET" else staff.post(url, form_body(world))
        assert r.status_code == 403, (method, url, r.status_code)
    assert table_counts(world.url) == before
    assert staff.get("/factures/nouvelle").status_code == 200


def test_company_a_never_sees_company_b(world: World, client_for: Any) -> None:
    owner_a = client_for(world.a.owner_email)
    api = TestClient(world.app, raise_server_exceptions=False)
    headers = {"authorization": f"Bearer {world.a.token}"}
    before = table_counts(world.url)
    checked = 0
    for method, path, policy in routes(world):
        if not PARAM.search(path):
            continue
        own, foreign = fill(path, world.a.ids), fill(path, world.b.ids)
        if policy in (API_READ, API_WRITE):
            r = api.request(method, foreign, json=api_body(path), headers=headers)
        elif method == "GET":
            mine = owner_a.get(own)
            assert mine.status_code in (200, 503), (
                own,
                mine.status_code,
            )  # the same route works on A's objects
            r = owner_a.get(foreign)
        else:
            r = owner_a.post(foreign, form_body(world))
        assert r.status_code in (403, 404), (method, foreign, r.status_code)
        checked += 1
    assert checked >= 20
    assert table_counts(world.url) == before
    # choosing company B in the session is refused too
    r = owner_a.post("/entreprises/choisir", {"company_id": str(world.b.company_id)})
    assert r.status_code == 403
    assert world.b.customer_id not in set(_customer_ids(owner_a))


def _customer_ids(client: Client) -> set[int]:
    page = client.get("/clients").text
    return {int(x) for x in re.findall(r'href="/clients/(\d+)"', page)}


@pytest.mark.parametrize("role_email", ["owner_email", "staff_email", "accountant_email"])
def test_every_member_page_renders(world: World, client_for: Any, role_email: str) -> None:
    client = client_for(getattr(world.a, role_email))
    for method, path, policy in routes(world):
        if method == "GET" and policy == MEMBER:
            r = client.get(fill(path, world.a.ids))
            assert r.status_code in (200, 404, 503), (path, r.status_code)
            if r.status_code == 200 and r.headers["content-type"].startswith("text/html"):
                assert "Une erreur inattendue" not in r.text
