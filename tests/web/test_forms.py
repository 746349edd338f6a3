"""Bad input in forms: French messages next to the field, values kept, output escaped, nothing
stored half-way (issue "Web app and REST API", Must show); plus CSRF, login limit, reset.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date
from typing import Any

from encaisse.adapters.web.security import make_reset_token

from .conftest import PASSWORD, Client, World, table_counts

SCRIPT = '<script>alert("x")</script>'


def errors_of(page: str, field_id: str) -> list[str]:
    """The French messages shown right under one input (``<ul id="err-...">``)."""
    block = re.search(rf'<ul class="field-errors" id="err-{re.escape(field_id)}">(.*?)</ul>', page, re.S)
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)] if block else []


def signup_form(**changes: str) -> dict[str, str]:
    data = {
        "name": "Nouvelle Entreprise",
        "siren": "443061841",
        "legal_form": "SARL",
        "share_capital": "5000",
        "rcs_city": "Nantes",
        "line1": "1 quai de la Fosse",
        "postcode": "44000",
        "city": "Nantes",
        "user_name": "Alice",
        "email": "alice@example.fr",
        "password": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(changes)
    return data


def test_signup_reports_every_problem_in_french_and_stores_nothing(world: World) -> None:
    before = table_counts(world.url)
    c = Client(world.app)
    r = c.post(
        "/inscription",
        signup_form(name="", siren="123456789", email="pas-un-email", password="court", password2="autre"),
    )
    assert r.status_code == 422
    assert errors_of(r.text, "name") == ["La raison sociale est obligatoire (200 caractères au plus)."]
    assert "Ce SIREN n'est pas valide" in errors_of(r.text, "siren")[0]
    assert errors_of(r.text, "email") == ["Cette adresse e-mail n'est pas valide."]
    assert errors_of(r.text, "password") == ["Le mot de passe doit contenir au moins 10 caractères."]
    assert errors_of(r.text, "password2") == ["Les deux mots de passe ne sont pas identiques."]
    assert 'value="pas-un-email"' in r.text  # typed values are kept
    assert PASSWORD not in r.text
    assert "court" not in r.text.split("<main", 1)[1]
    assert table_counts(world.url) == before


def test_signup_shows_the_vat_number_derived_from_a_valid_siren(world: World) -> None:
    c = Client(world.app)
    r = c.post("/inscription", signup_form(email="", siren="443 061 841"))
    assert r.status_code == 422
    assert "FR64443061841" in r.text  # key (12 + 3 × (443061841 mod 97)) mod 97 = 64
    r = c.post("/inscription", signup_form())
    assert r.status_code == 303
    assert "FR64443061841" in c.get("/").text  # the welcome message
    assert c.get("/parametres").status_code == 200  # the new user owns the new company


def test_signup_refuses_an_existing_siren(world: World) -> None:
    before = table_counts(world.url)
    r = Client(world.app).post("/inscription", signup_form(siren=world.a.siren, email="bob@example.fr"))
    assert r.status_code == 422
    assert errors_of(r.text, "siren") == ["Une entreprise avec ce SIREN est déjà inscrite."]
    assert table_counts(world.url) == before


def test_customer_form_huge_name_invalid_ids_and_script(world: World, client_for: Any) -> None:
    owner = client_for(world.a.owner_email)
    before = table_counts(world.url)
    huge = "A" * 100_000
    r = owner.post(
        "/clients", {"name": huge, "siren": "123", "iban": "FR76 0000", "email": "x", "country": "FR"}
    )
    assert r.status_code == 422
    assert errors_of(r.text, "name") == ["Le nom est obligatoire (200 caractères au plus)."]
    assert "Ce SIREN n'est pas valide" in errors_of(r.text, "siren")[0]
    assert errors_of(r.text, "iban") == ["Cet IBAN n'est pas valide (vérifiez les chiffres et la clé)."]
    assert errors_of(r.text, "email") == ["Cette adresse e-mail n'est pas valide."]
    r = owner.post("/clients", {"name": "", "country": "FR"})
    assert errors_of(r.text, "name") == ["Le nom est obligatoire (200 caractères au plus)."]
    assert table_counts(world.url) == before

    r = owner.post("/clients", {"name": SCRIPT, "line1": SCRIPT, "country": "FR"})
    assert r.status_code == 303
    page = owner.get(r.headers["location"]).text
    assert SCRIPT not in page
    assert html.escape(SCRIPT, quote=False).replace('"', "&#34;") in page or "&lt;script&gt;" in page
    listing = owner.get("/clients?q=script").text
    assert SCRIPT not in listing
    assert "&lt;script&gt;" in listing
    rows = list(csv.reader(io.StringIO(owner.get("/clients.csv").content.decode("utf-8-sig"))))
    assert [r[0] for r in rows if r[0].startswith("<")] == [SCRIPT]  # CSV is data, not HTML: kept as typed


def test_settings_iban_bic_and_numbering_are_checked(world: World, client_for: Any) -> None:
    owner = client_for(world.a.owner_email)
    before = table_counts(world.url)
    form = {
        "name": "Société A",
        "siren": world.a.siren,
        "iban": "FR7630006000011234567890188",
        "bic": "ZZZZZZZZ",
        "invoice_pattern": "F-{seq}",
        "penalty_rate": "12,15",
        "default_payment_days": "30",
        "share_capital": "10000,123",
    }
    r = owner.post("/parametres", form)
    assert r.status_code == 422
    assert errors_of(r.text, "iban") == ["Cet IBAN n'est pas valide (vérifiez les chiffres et la clé)."]
    assert errors_of(r.text, "bic")[0].startswith("Ce BIC n'est pas valide")
    assert errors_of(r.text, "invoice_pattern")[0].startswith("Le modèle de numérotation")
    assert errors_of(r.text, "share_capital") == ["2 décimales au plus."]
    r = owner.post("/parametres/comptes", {"account_iban": "FR00 1234", "account_name": "Principal"})
    assert errors_of(r.text, "account_iban") == [
        "Cet IBAN n'est pas valide (vérifiez les chiffres et la clé)."
    ]
    r = owner.post("/parametres/logo", {}, files={"logo": ("logo.png", b"GIF89a not a png", "image/png")})
    assert r.status_code == 422
    assert "PNG ou JPEG" in r.text
    assert table_counts(world.url) == before


def test_logo_upload_accepts_a_png(world: World, client_for: Any) -> None:
    owner = client_for(world.a.owner_email)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    r = owner.post("/parametres/logo", {}, files={"logo": ("logo.png", png, "image/png")})
    assert r.status_code == 303
    shown = owner.get("/parametres/logo")
    assert shown.headers["content-type"] == "image/png"
    assert shown.content == png


def test_invoice_form_problems_next_to_lines(world: World, client_for: Any) -> None:
    owner = client_for(world.a.owner_email)
    before = table_counts(world.url)
    r = owner.post(
        "/factures",
        {
            "customer_id": "",
            "issue_date": "31/02/2026",
            "lines[0].description": "Pose",
            "lines[0].quantity": "deux",
            "lines[0].unit_price": "10,123456",
            "lines[1].description": "",
            "lines[1].quantity": "1",
            "lines[1].unit_price": "5",
        },
    )
    assert r.status_code == 422
    assert errors_of(r.text, "customer") == ["Ce champ est obligatoire."]
    assert errors_of(r.text, "issue_date") == ["Saisissez une date valide."]
    assert errors_of(r.text, "lines-0-quantity") == ["Saisissez un nombre (par exemple 1 234,56)."]
    assert errors_of(r.text, "lines-1-description") == ["Ce champ est obligatoire."]
    assert 'value="deux"' in r.text
    assert table_counts(world.url) == before


def test_issue_shows_compliance_problems_next_to_the_fields(world: World, client_for: Any) -> None:
    owner = client_for(world.a.owner_email)
    r = owner.post("/clients", {"name": "Sans Adresse SAS", "customer_type": "business", "country": "FR"})
    customer_id = r.headers["location"].rsplit("/", 1)[1]
    today = date.today().isoformat()
    r = owner.post(
        "/factures",
        {
            "customer_id": customer_id,
            "issue_date": today,
            "supply_date": today,
            "lines[0].description": "Dépannage",
            "lines[0].quantity": "1",
            "lines[0].unit_price": "80",
            "lines[0].vat_rate": "0",
        },
    )
    assert r.status_code == 303
    invoice_path = r.headers["location"]
    before = table_counts(world.url)
    r = owner.post(f"{invoice_path}/emettre")
    assert r.status_code == 422
    customer_box = errors_of(r.text, "customer")
    assert "L'adresse du client manque." in customer_box
    assert any(
        m.startswith("Conseil : Le SIREN du client manque") or m.startswith("Le SIREN du client manque")
        for m in customer_box
    )
    assert errors_of(r.text, "lines-0-vat_rate") == [
        "La ligne 1 est à 0 % de TVA sans motif d'exonération : choisissez le motif."
    ]
    assert f'href="/clients/{customer_id}/modifier"' in r.text
    assert table_counts(world.url) == before  # no number consumed, nothing issued
    assert "Brouillon" in owner.get(invoice_path).text


def test_payment_form_and_credit_note(world: World, client_for: Any) -> None:
    owner = client_for(world.a.owner_email)
    path = f"/factures/{world.a.issued_id}"
    r = owner.post(f"{path}/paiements", {"amount": "-5", "date": "", "method": "troc"})
    assert r.status_code == 422
    assert errors_of(r.text, "date") == ["Ce champ est obligatoire."]
    assert errors_of(r.text, "method") == ["Choisissez une valeur de la liste."]
    r = owner.post(
        f"{path}/paiements", {"amount": "100,00", "date": date.today().isoformat(), "method": "transfer"}
    )
    assert r.status_code == 303
    page = owner.get(path).text
    assert "Partiellement payée" in page
    assert "100,00\xa0€" in page
    r = owner.post(f"{path}/avoir")
    assert r.status_code == 303
    note = owner.get(r.headers["location"]).text
    assert "Avoir" in note
    assert "Corrige la facture" in note


def test_csrf_is_required_on_every_form(world: World, client_for: Any) -> None:
    owner = client_for(world.a.owner_email)
    before = table_counts(world.url)
    r = owner.post(
        "/articles", {"description": "Sans jeton", "unit_price": "1", "vat_rate": "20"}, csrf=False
    )
    assert r.status_code == 403
    assert r.headers["x-error-code"] == "CSRF"
    r = owner.http.post(
        "/articles", data={"description": "Faux jeton", "unit_price": "1", "csrf_token": "x" * 43}
    )
    assert r.status_code == 403
    assert table_counts(world.url) == before


def test_login_is_rate_limited(world: World) -> None:
    c = Client(world.app)
    for _ in range(10):
        assert c.post("/connexion", {"email": world.b.staff_email, "password": "mauvais"}).status_code == 401
    r = c.post("/connexion", {"email": world.b.staff_email, "password": PASSWORD})
    assert r.status_code == 429
    assert "Trop de tentatives" in r.text


def test_password_reset_token_works_once(world: World) -> None:
    state = world.app.state.web
    with world.uow.read() as repo:
        user = repo.user_by_email(world.b.accountant_email)
    assert user is not None
    token = make_reset_token(state.secret_key, user.id, user.password_hash)
    c = Client(world.app)
    assert c.get(f"/mot-de-passe/nouveau?jeton={token}").status_code == 200
    r = c.post(
        "/mot-de-passe/nouveau",
        {"jeton": token, "password": "nouveau-secret-1", "password2": "nouveau-secret-1"},
    )
    assert r.status_code == 303
    Client(world.app).login(world.b.accountant_email, "nouveau-secret-1")
    c.get("/connexion")
    again = c.post(
        "/mot-de-passe/nouveau", {"jeton": token, "password": "encore-autre-1", "password2": "encore-autre-1"}
    )
    assert again.status_code == 403
    assert again.headers["x-error-code"] == "RESET-TOKEN-INVALID"
    assert c.get("/mot-de-passe/nouveau?jeton=forged").status_code == 403
    forgot = Client(world.app).post("/mot-de-passe-oublie", {"email": "inconnu@example.fr"})
    assert forgot.status_code == 200
    assert "Si un compte existe" in forgot.text
