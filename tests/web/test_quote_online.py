"""SCENARIOS §2: « The customer accepts it online » — the public page of a sent quote.

The owner sends the quote; its page shows the link to give the customer. The customer, not
signed in, reads the quote, downloads the PDF, and accepts it with their name and « Bon pour
accord » (audited), or declines it. Tampered and unsent links get the neutral 404; an answered
or expired quote says so and offers nothing more.
"""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from encaisse.domain.documents import Line, Quote, QuoteStatus
from encaisse.services import quotes
from encaisse.services.quote_links import QuoteLinkError, accept_online, link_token, token_of

from .conftest import Client, World

SECRET = "k" * 48  # the web world's secret key


def sent_quote(world: World, *, validity: date | None = None) -> tuple[int, str]:
    today = date.today()
    made = quotes.create_quote(
        world.uow,
        Quote(
            world.a.company_id,
            _customer(world),
            today if validity is None else validity - timedelta(days=30),
            validity or today + timedelta(days=30),
            (Line("Rénovation du tableau électrique", Decimal(1), Decimal("1450.00")),),
        ),
    )
    quotes.send_quote(world.uow, world.a.company_id, made.id or 0)  # sending makes the link
    token = link_token(world.uow, world.a.company_id, made.id or 0, SECRET)
    assert token is not None
    return made.id or 0, token


def _customer(world: World) -> Any:
    with world.uow.read() as repo:
        return repo.get_quote(world.a.company_id, world.a.quote_id).customer


def status_of(world: World, quote_id: int) -> QuoteStatus:
    with world.uow.read() as repo:
        return repo.get_quote(world.a.company_id, quote_id).status


def test_the_owner_gives_the_link_and_the_customer_accepts_online(fresh_world: World) -> None:
    quote_id, token = sent_quote(fresh_world)
    owner = Client(fresh_world.app).login(fresh_world.a.owner_email)
    page = owner.get(f"/devis/{quote_id}")
    (link,) = re.findall(r'value="(http://testserver/devis-en-ligne/[^"]+)"', page.text)
    assert link.endswith(token)

    customer = Client(fresh_world.app)  # not signed in
    public = customer.http.get(f"/devis-en-ligne/{token}")
    assert public.status_code == 200
    text = html.unescape(public.text)
    assert "Rénovation du tableau électrique" in text
    assert re.search(r"1\s740,00\s€", text)  # 1 450 € HT + 20 % VAT
    assert public.headers["Referrer-Policy"] == "no-referrer"
    pdf = customer.http.get(f"/devis-en-ligne/{token}/pdf")
    assert (pdf.status_code, pdf.content[:5]) == (200, b"%PDF-")

    incomplete = customer.http.post(f"/devis-en-ligne/{token}/accepter", data={"signatory": "Marie Curie"})
    assert incomplete.status_code == 422
    assert "Cochez « Bon pour accord »" in html.unescape(incomplete.text)
    assert status_of(fresh_world, quote_id) is QuoteStatus.SENT  # nothing changed

    done = customer.http.post(
        f"/devis-en-ligne/{token}/accepter", data={"signatory": "Marie Curie, gérante", "agreed": "oui"}
    )
    assert done.status_code == 303
    assert status_of(fresh_world, quote_id) is QuoteStatus.ACCEPTED
    after = html.unescape(customer.http.get(f"/devis-en-ligne/{token}").text)
    assert "Ce devis a été accepté le" in after
    assert 'id="accept"' not in after
    with fresh_world.uow.read() as repo:
        (event,) = [e for e in repo.audit_entries(fresh_world.a.company_id) if e.action == "quote.accept"]
    assert event.payload["signatory"] == "Marie Curie, gérante"
    assert event.payload["online"] == "yes"
    assert event.payload["encaisse_session"] == "no"  # not someone of the company, signed in
    assert event.payload["user_agent"]
    again = customer.http.post(f"/devis-en-ligne/{token}/refuser")  # too late: nothing changes
    assert again.status_code == 303
    assert status_of(fresh_world, quote_id) is QuoteStatus.ACCEPTED


def test_declining_and_expired_quotes(fresh_world: World) -> None:
    quote_id, token = sent_quote(fresh_world)
    customer = Client(fresh_world.app)
    assert customer.http.post(f"/devis-en-ligne/{token}/refuser").status_code == 303
    assert status_of(fresh_world, quote_id) is QuoteStatus.REFUSED
    assert "Ce devis a été décliné." in html.unescape(customer.http.get(f"/devis-en-ligne/{token}").text)

    lapsed_id, lapsed = sent_quote(fresh_world, validity=date.today() - timedelta(days=1))
    page = html.unescape(customer.http.get(f"/devis-en-ligne/{lapsed}").text)
    assert "n'est plus valable" in page
    assert 'id="accept"' not in page
    customer.http.post(f"/devis-en-ligne/{lapsed}/accepter", data={"signatory": "X", "agreed": "oui"})
    assert status_of(fresh_world, lapsed_id) is QuoteStatus.SENT
    with pytest.raises(QuoteLinkError):
        accept_online(fresh_world.uow, lapsed, SECRET, "X", True, date.today())


def test_bad_links_get_the_same_neutral_404(fresh_world: World) -> None:
    quote_id, token = sent_quote(fresh_world)
    nonce, signature = token.rsplit(".", 1)
    assert str(quote_id) not in nonce.split("-")  # nothing to read in a link
    forged = token_of(nonce, "another-secret")
    tampered = f"{nonce[:-1]}{'A' if nonce[-1] != 'A' else 'B'}.{signature}"
    unknown = token_of("x" * 43, SECRET)  # well signed, no such link
    bodies = set()
    for bad in (forged, tampered, unknown, "garbage", token + "x"):
        for path in (f"/devis-en-ligne/{bad}", f"/devis-en-ligne/{bad}/pdf"):
            answer = Client(fresh_world.app).http.get(path)
            assert answer.status_code == 404, (bad, path)
            bodies.add(answer.text)
        post = Client(fresh_world.app).http.post(
            f"/devis-en-ligne/{bad}/accepter", data={"signatory": "X", "agreed": "oui"}
        )
        assert post.status_code == 404
    assert len(bodies) == 1
    assert status_of(fresh_world, quote_id) is QuoteStatus.SENT
    assert (
        link_token(fresh_world.uow, fresh_world.a.company_id, fresh_world.a.quote_id, SECRET) is None
    )  # draft


def test_the_owner_replaces_or_revokes_the_link(fresh_world: World) -> None:
    quote_id, token = sent_quote(fresh_world)
    owner = Client(fresh_world.app).login(fresh_world.a.owner_email)
    assert owner.post(f"/devis/{quote_id}/lien").status_code == 303  # replace
    new = link_token(fresh_world.uow, fresh_world.a.company_id, quote_id, SECRET)
    assert new is not None
    assert new != token
    customer = Client(fresh_world.app).http
    assert customer.get(f"/devis-en-ligne/{token}").status_code == 404  # the old one stopped working
    assert customer.get(f"/devis-en-ligne/{new}").status_code == 200
    assert owner.post(f"/devis/{quote_id}/lien/revoquer").status_code == 303
    assert customer.get(f"/devis-en-ligne/{new}").status_code == 404
    page = html.unescape(owner.get(f"/devis/{quote_id}").text)
    assert "Ce devis n'a pas de lien d'acceptation en ligne." in page
    assert "Créer le lien" in page
    other_company = Client(fresh_world.app).login(fresh_world.b.owner_email)
    assert other_company.post(f"/devis/{quote_id}/lien").status_code == 404
    assert link_token(fresh_world.uow, fresh_world.a.company_id, quote_id, SECRET) is None


def test_the_link_is_for_writers_and_a_number_with_a_dash_downloads(fresh_world: World) -> None:
    import sqlalchemy as sa

    from encaisse.adapters.store import tables as t

    quote_id, token = sent_quote(fresh_world)
    accountant = Client(fresh_world.app).login(fresh_world.a.accountant_email)
    assert "/devis-en-ligne/" not in accountant.get(f"/devis/{quote_id}").text  # read-only members
    with fresh_world.uow() as repo:
        repo.conn.execute(sa.update(t.quote).where(t.quote.c.id == quote_id).values(number="D2026–007"))
    pdf = Client(fresh_world.app).http.get(f"/devis-en-ligne/{token}/pdf")
    assert pdf.status_code == 200
    assert "filename*=UTF-8''devis-D2026%E2%80%93007.pdf" in pdf.headers["content-disposition"]


def test_an_answer_given_meanwhile_is_never_overwritten(fresh_world: World) -> None:
    quote_id, token = sent_quote(fresh_world)
    accept_online(fresh_world.uow, token, SECRET, "Marie Curie", True, date.today())
    with fresh_world.uow() as repo:
        current = repo.get_quote(fresh_world.a.company_id, quote_id)
        from dataclasses import replace

        stale = replace(current, status=QuoteStatus.EXPIRED)
        assert not repo.answer_quote(stale, expected=QuoteStatus.SENT)
    assert status_of(fresh_world, quote_id) is QuoteStatus.ACCEPTED
    assert (
        quotes.expire_quotes(fresh_world.uow, fresh_world.a.company_id, date.today() + timedelta(days=90))
        == []
    )
    assert status_of(fresh_world, quote_id) is QuoteStatus.ACCEPTED
