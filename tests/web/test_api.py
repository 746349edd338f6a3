"""REST API: explicit behaviour, and schemathesis against /openapi.json in-process (ASGI).

Schemathesis generates requests from the OpenAPI document for every operation, with a valid API
token of a seeded company: no 5xx, status codes, content types and bodies conform to the schema.
Bounded (few examples per operation) to stay well under a minute.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import World, build_world, fresh_db_url, table_counts


@pytest.fixture(scope="module")
def api_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(fresh_db_url(Path(tmp_path_factory.mktemp("apidb"))))


def test_api_conforms_to_its_schema(api_world: World) -> None:
    """Every operation of /openapi.json, fuzzed with a valid token: no 5xx, responses as documented."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_world.app)
    headers = {"authorization": f"Bearer {api_world.a.token}"}
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=checks)

        run()


def _api(world: World, token: str) -> TestClient:
    return TestClient(world.app, headers={"authorization": f"Bearer {token}"}, raise_server_exceptions=False)


def test_invoice_lifecycle_over_the_api(api_world: World) -> None:
    api = _api(api_world, api_world.a.token)
    today = date.today().isoformat()
    company = api.get("/api/v1/company").json()
    assert company["siren"] == api_world.a.siren
    assert company["vat_number"] == "FR44732829320"
    body = {
        "customer_id": api_world.a.customer_id,
        "issue_date": today,
        "supply_date": today,
        "lines": [
            {"description": "Installation", "quantity": "3", "unit_price": "120.50", "unit": "HUR"},
            {
                "description": "Câble",
                "quantity": "10",
                "unit_price": "2.35",
                "vat_rate": "20",
                "nature": "goods",
            },
        ],
    }
    created = api.post("/api/v1/invoices", json=body)
    assert created.status_code == 201, created.text
    draft = created.json()
    assert draft["status"] == "draft"
    assert draft["number"] == ""
    assert draft["total_excl_tax"] == "385.00"
    assert draft["total_vat"] == "77.00"
    assert draft["total_incl_tax"] == "462.00"
    issued = api.post(f"/api/v1/invoices/{draft['id']}/issue").json()
    assert issued["status"] == "issued"
    assert issued["number"].startswith("F")
    again = api.post(f"/api/v1/invoices/{draft['id']}/issue")
    assert again.status_code == 409
    assert again.json()["code"] == "LIFECYCLE-FORBIDDEN"
    paid = api.post(
        f"/api/v1/invoices/{draft['id']}/payments", json={"amount": "462.00", "date": today}
    ).json()
    assert paid["status"] == "paid"
    assert paid["amount_due"] == "0.00"
    listed = api.get("/api/v1/invoices", params={"status": "paid", "limit": 5}).json()
    assert draft["id"] in [row["id"] for row in listed["items"]]


def test_api_errors_carry_codes_fields_and_french_messages(api_world: World) -> None:
    api = _api(api_world, api_world.a.token)
    before = table_counts(api_world.url)
    r = api.post(
        "/api/v1/invoices",
        json={
            "issue_date": "2026-12-01",
            "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}],
        },
    )
    assert r.status_code == 422
    assert r.json()["problems"] == [
        {"code": "INPUT-REQUIRED", "field": "customer", "message": "Ce champ est obligatoire."}
    ]
    r = api.post("/api/v1/invoices", json={"issue_date": "pas une date", "lines": []})
    assert r.status_code == 422
    assert r.json()["code"] == "INPUT-INVALID"
    assert any(p["field"] == "issue_date" for p in r.json()["problems"])
    r = api.post("/api/v1/customers", json={"name": "X", "siren": "123456789"})
    assert r.status_code == 422
    assert r.json()["problems"][0]["field"] == "siren"
    assert r.json()["problems"][0]["message"].startswith("Ce SIREN n'est pas valide")
    r = api.post("/api/v1/customers", json={"name": "Nul\x00"})
    assert r.status_code == 422
    assert api.get(f"/api/v1/invoices/{api_world.b.issued_id}").status_code == 404
    assert api.get("/api/v1/invoices/999999").json()["code"] == "INVOICE-NOT-FOUND"
    assert table_counts(api_world.url) == before
    accountant = _api(api_world, api_world.a.accountant_token)
    assert accountant.get("/api/v1/invoices").status_code == 200
    assert accountant.post("/api/v1/customers", json={"name": "Y"}).status_code == 403


def test_customer_created_over_the_api(api_world: World) -> None:
    api = _api(api_world, api_world.a.token)
    r = api.post(
        "/api/v1/customers",
        json={
            "name": "Mairie de Lyon",
            "siren": "216901231",
            "is_public_body": True,
            "address": {"city": "Lyon"},
        },
    )
    assert r.status_code == 201, r.text
    found = api.get("/api/v1/customers", params={"search": "mairie"}).json()
    assert [c["name"] for c in found["items"]] == ["Mairie de Lyon"]
    assert api.get(f"/api/v1/customers/{r.json()['id']}").json()["is_public_body"] is True
