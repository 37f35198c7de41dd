"""Providers find learners and credentials by name, by ID document number (checked against the salted
hash, never stored) or by credential number, only among their own."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from certsvc.store import db
from certsvc.store.models import Credential, Learner, Organisation
from issuers import search

from .staff_pages import assert_error_summary_links
from .test_embassy_queue import shown
from .test_provider_views import OTHER_PROVIDER, PROVIDER, issue_training, issued_id, learner_path, register, sign_in


def learners_listed(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/provider/learners/\d+">([^<]+)</a></th>', page)


def credentials_listed(page: str) -> set[str]:
    return set(re.findall(r'<a href="/provider/credentials/([0-9A-Z]+)"><code>', page))


def _two_learners(client: FlaskClient, token: str) -> tuple[str, str]:
    first = learner_path(register(client, token, name="Rosa Mae Dizon", id_number="P 1234-567 Z"))
    second = learner_path(register(client, token, name="Ramón Díaz Ortega", id_number="XK9988776"))
    return first, second


def test_learners_by_name_words_in_any_case(demo: Flask, client: FlaskClient) -> None:
    token = sign_in(client, PROVIDER)
    _two_learners(client, token)
    assert learners_listed(client.get("/provider/learners?q=rosa+dizon").get_data(as_text=True)) == ["Rosa Mae Dizon"]
    assert learners_listed(client.get("/provider/learners?q=DIZON").get_data(as_text=True)) == ["Rosa Mae Dizon"]
    assert learners_listed(client.get("/provider/learners?q=Ortega").get_data(as_text=True)) == ["Ramón Díaz Ortega"]
    assert "Maria Santos Dela Cruz" in learners_listed(client.get("/provider/learners").get_data(as_text=True))
    nothing = client.get("/provider/learners?q=Nobody+Here").get_data(as_text=True)
    assert learners_listed(nothing) == [] and "No learner matches “Nobody Here”." in shown(nothing)


def test_learners_by_id_number_match_the_salted_hash(demo: Flask, client: FlaskClient) -> None:
    token = sign_in(client, PROVIDER)
    _two_learners(client, token)
    with db.session_factory(demo)() as session:
        stored = session.scalars(select(Learner.id_number_hash).where(Learner.name == "Rosa Mae Dizon")).one()
        assert "1234567" not in stored  # only the hash is kept
    for typed in ("P1234567Z", "p 1234 567 z", "P-1234-567-Z"):
        page = client.get("/provider/learners", query_string={"q": typed}).get_data(as_text=True)
        assert learners_listed(page) == ["Rosa Mae Dizon"], typed
    assert learners_listed(client.get("/provider/learners?q=P1234567").get_data(as_text=True)) == []  # whole only
    # The demo's Maria Santos Dela Cruz has P1234567A at this provider: her number finds her, and no one else.
    assert learners_listed(client.get("/provider/learners?q=P1234567A").get_data(as_text=True)) == [
        "Maria Santos Dela Cruz"
    ]


def test_another_providers_learners_are_never_found(demo: Flask, client: FlaskClient) -> None:
    token = sign_in(client, PROVIDER)
    _two_learners(client, token)
    other = demo.test_client()
    sign_in(other, OTHER_PROVIDER)
    for typed in ("Rosa", "P1234567Z", "Dizon"):
        page = other.get("/provider/learners", query_string={"q": typed}).get_data(as_text=True)
        assert learners_listed(page) == [], typed
        listed = other.get("/provider/credentials", query_string={"q": typed}).get_data(as_text=True)
        assert credentials_listed(listed) == set(), typed


def test_credentials_by_name_id_number_or_credential_number(demo: Flask, client: FlaskClient) -> None:
    token = sign_in(client, PROVIDER)
    rosa, ramon = _two_learners(client, token)
    rosas = {issued_id(issue_training(client, token, rosa)), issued_id(issue_training(client, token, rosa, "COOK2"))}
    ramons = {issued_id(issue_training(client, token, ramon))}
    assert credentials_listed(client.get("/provider/credentials?q=Dizon").get_data(as_text=True)) == rosas
    assert credentials_listed(client.get("/provider/credentials?q=xk+998-8776").get_data(as_text=True)) == ramons
    [number] = ramons
    for typed in (number, number.lower(), number[:5], number.replace("0", "O")):
        found = credentials_listed(
            client.get("/provider/credentials", query_string={"q": typed}).get_data(as_text=True)
        )
        assert number in found, typed
    # Combined with the state filter; the pager carries both.
    page = client.get("/provider/credentials?q=Dizon&state=cosigned").get_data(as_text=True)
    assert credentials_listed(page) == set() and "No credential matches “Dizon”." in shown(page)
    assert 'value="Dizon"' in client.get("/provider/credentials?q=Dizon").get_data(as_text=True)


def test_the_pager_carries_the_search(demo: Flask, client: FlaskClient) -> None:
    token = sign_in(client, PROVIDER)
    for n in range(52):
        register(client, token, name=f"Pager Tester {n:02d}", id_number=f"PG{n:06d}")
    page = client.get("/provider/learners?q=pager+tester").get_data(as_text=True)
    assert len(learners_listed(page)) == 50
    assert 'href="/provider/learners?page=2&amp;q=pager+tester"' in page
    second = client.get("/provider/learners?page=2&q=pager+tester").get_data(as_text=True)
    assert len(learners_listed(second)) == 2


def test_bad_searches_are_refused_clearly(demo: Flask, client: FlaskClient) -> None:
    sign_in(client, PROVIDER)
    page = client.get("/provider/learners", query_string={"q": "x" * 101}).get_data(as_text=True)
    assert "Search: Type at most 100 characters." in assert_error_summary_links(page, ["q"]).text_for("q")
    assert "Maria Santos Dela Cruz" in learners_listed(page)  # a refused search narrows nothing
    script = client.get("/provider/credentials", query_string={"q": "<img src=x onerror=alert(1)>"})
    assert script.status_code == 200 and "<img src=x" not in script.get_data(as_text=True)
    assert credentials_listed(client.get("/provider/credentials?q=%25").get_data(as_text=True)) == set()
    # A NUL byte is in no name (and PostgreSQL refuses it in text): refused before any query, clearly.
    nul = client.get("/provider/learners", query_string={"q": "Maria\x00 Santos"})
    assert nul.status_code == 400 and "characters that are not allowed" in nul.get_data(as_text=True)


def test_a_search_with_an_id_number_costs_one_hash_per_learner(demo: Flask, client: FlaskClient) -> None:
    """The typed number is hashed with each learner's salt in Python: the database never sees it."""
    token = sign_in(client, PROVIDER)
    _two_learners(client, token)
    with db.session_factory(demo)() as session:
        provider = session.scalar(select(Organisation).where(Organisation.slug == "klwa"))
        assert provider is not None
        assert search.learners_with_id_number(session, provider.id, "Rosa") == []  # a name is no ID number
        found = search.learners_with_id_number(session, provider.id, "p1234567z")
        assert [session.get(Learner, i).name for i in found] == ["Rosa Mae Dizon"]  # type: ignore[union-attr]
        assert session.scalar(select(Credential.id).limit(1)) is not None
