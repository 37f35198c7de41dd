"""Outside JOSE libraries find our keys by ``kid`` alone, over HTTP from a running app; URIs answer."""

from __future__ import annotations

import json
import shutil
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from joserfc import jws as joserfc_jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws
from sqlalchemy import select
from werkzeug.serving import make_server

from certsvc.app import create_app
from certsvc.credentials.b64 import b64url_decode
from certsvc.credentials.keys import PublicKey, jwk_thumbprint
from certsvc.demo.seed import seed
from certsvc.store import db
from certsvc.store.credential_records import cosigned_of
from certsvc.store.models import Credential, CredentialState

from .support import CHEAP_HASHER, KEK, settings_for


@dataclass
class Running:
    base: str
    compacts: list[list[str]]
    payloads: list[dict[str, Any]]


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Running]:
    """The seeded service, its BASE_URL the address it listens on, so that every URI it mints answers."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    path = tmp_path_factory.mktemp("jose") / "certsvc.sqlite3"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    app = create_app(settings_for(url, BASE_URL=base))
    with db.session_factory(app)() as session:
        seed(session, kek=KEK, base_url=base, hasher=CHEAP_HASHER, now=datetime.now(UTC))
        session.commit()
        issued = session.scalars(select(Credential).where(Credential.state == CredentialState.COSIGNED)).all()
        compacts = [cosigned_of(c).compacts() for c in issued]
        payloads = [json.loads(c.payload) for c in issued]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Running(base, compacts, payloads)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        db.dispose(app)


def _signatures(running: Running) -> list[tuple[str, str]]:
    found = [(compact, jwt.get_unverified_header(compact)["kid"]) for both in running.compacts for compact in both]
    assert len(found) >= 6 and len({kid for _, kid in found}) >= 4  # providers and embassies of three corridors
    return found


def _key_set_url(kid: str) -> str:
    return kid.partition("#")[0]  # the kid URI without its fragment


def test_pyjwt_jwk_client_verifies_every_signature_by_kid(running: Running) -> None:
    for compact, kid in _signatures(running):
        client = jwt.PyJWKClient(_key_set_url(kid), cache_keys=False)
        signing_key = client.get_signing_key_from_jwt(compact)
        assert signing_key.key_id == kid
        decoded = jwt.PyJWS().decode_complete(compact, signing_key, algorithms=["EdDSA", "ES256"])
        assert b64url_decode(compact.split(".")[1]) == decoded["payload"]


def test_jwcrypto_jwk_set_verifies_every_signature_by_kid(running: Running) -> None:
    for compact, kid in _signatures(running):
        key_set = jwcrypto_jwk.JWKSet.from_json(requests.get(_key_set_url(kid), timeout=10).text)
        token = jwcrypto_jws.JWS()
        token.deserialize(compact)
        token.verify(key_set.get_key(kid))
        assert token.payload == b64url_decode(compact.split(".")[1])


def test_joserfc_key_set_verifies_every_signature_by_kid(running: Running) -> None:
    for compact, kid in _signatures(running):
        key_set = KeySet.import_key_set(requests.get(_key_set_url(kid), timeout=10).json())
        with warnings.catch_warnings():
            # joserfc warns that RFC 9864 deprecates the name "EdDSA"; Open Badges still uses it.
            warnings.filterwarnings("ignore", category=SecurityWarning)
            result = joserfc_jws.deserialize_compact(compact, key_set, algorithms=["EdDSA", "ES256"])
        assert result.protected["kid"] == kid


@pytest.mark.parametrize("where", ["service", "organisation"])
def test_the_well_known_key_sets_hold_every_key_named_by_its_uri(running: Running, where: str) -> None:
    for compact, kid in _signatures(running):
        url = (
            running.base + "/.well-known/jwks.json"
            if where == "service"
            else _key_set_url(kid) + "/.well-known/jwks.json"
        )
        client = jwt.PyJWKClient(url, cache_keys=False)
        assert jwt.PyJWS().decode_complete(compact, client.get_signing_key(kid), algorithms=["EdDSA", "ES256"])


def test_each_key_keeps_its_rfc7638_thumbprint(running: Running) -> None:
    profile = requests.get(running.base + "/o/klwa", timeout=10).json()
    for key in profile["keys"]:
        public = {k: v for k, v in key.items() if k in ("kty", "crv", "x", "y")}
        assert key["jkt"] == jwk_thumbprint(public) == PublicKey.from_jwk(public).kid
    old_form = requests.get(running.base + "/orgs/klwa/jwks.json", timeout=10).json()
    assert {k["kid"] for k in old_form["keys"]} == {k["jkt"] for k in profile["keys"]}


def test_the_issuer_profile_is_an_open_badges_profile_and_a_jwk_set(running: Running) -> None:
    response = requests.get(running.base + "/o/klwa", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    assert "Accept" in response.headers["Vary"]
    profile = response.json()
    assert profile["id"] == running.base + "/o/klwa" and profile["type"] == ["Profile"]
    assert profile["name"] == "Kuala Lumpur Welding Academy" and profile["address"]["addressCountryCode"] == "MY"
    assert profile["accreditations"] and all(k["kid"].startswith(profile["id"] + "#k") for k in profile["keys"])
    assert all("d" not in k for k in profile["keys"])
    page = requests.get(running.base + "/o/klwa", headers={"Accept": "text/html,*/*;q=0.8"}, timeout=10)
    assert page.headers["Content-Type"].startswith("text/html") and "Kuala Lumpur Welding Academy" in page.text


def _uris(value: Any, base: str) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_uris(v, base) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_uris(v, base) for v in value)) if value else set()
    return {value.partition("#")[0]} if isinstance(value, str) and value.startswith(base + "/") else set()


@pytest.mark.parametrize("accept", ["application/json", "text/html", None])
def test_every_uri_inside_a_credential_answers(running: Running, accept: str | None) -> None:
    uris = set().union(*(_uris(p, running.base) for p in running.payloads))
    kids = {kid for _, kid in _signatures(running)}
    uris |= {_key_set_url(kid) for kid in kids}
    kinds = {u.removeprefix(running.base).split("/")[1] + ("/q" if "/q/" in u else "") for u in uris}
    assert {"c", "o", "o/q"} <= kinds
    headers = {"Accept": accept} if accept else {}
    for uri in sorted(uris):
        response = requests.get(uri, headers=headers, timeout=10)
        assert response.status_code == 200, (uri, response.status_code)
        if accept == "text/html" and "/status/" not in uri:
            assert response.headers["Content-Type"].startswith("text/html"), uri


def test_the_credential_page_tells_the_status_and_no_personal_data(running: Running) -> None:
    payload = running.payloads[0]
    response = requests.get(payload["id"], timeout=10)
    status = response.json()
    assert status["status"] == "valid" and status["cosignature"] == "cosigned"
    assert status["issuer"]["id"] == payload["issuer"]
    page = requests.get(payload["id"], headers={"Accept": "text/html"}, timeout=10).text
    holder = payload["credentialSubject"]["name"]
    assert holder not in response.text and holder not in page
    assert payload["credentialSubject"]["birthDate"] not in page
    assert requests.get(running.base + "/c/NOSUCH00", timeout=10).status_code == 404
    assert requests.get(running.base + "/c/" + "A" * 100, timeout=10).status_code == 404


def test_the_qualification_page_names_the_level(running: Running) -> None:
    achievement = running.payloads[0]["credentialSubject"]["achievement"]
    framework = next(a for a in achievement["alignment"] if a["targetUrl"].startswith(running.base))
    record = requests.get(framework["targetUrl"], timeout=10).json()
    assert record["type"] == ["Achievement"] and record["id"] == achievement["id"]
    assert record["level"]["level"] == framework["targetCode"]
    page = requests.get(framework["targetUrl"], headers={"Accept": "text/html"}, timeout=10).text
    assert f"{record['level']['framework']} level {record['level']['level']}" in page
    assert requests.get(running.base + "/o/klwa/q/NOPE", timeout=10).status_code == 404
