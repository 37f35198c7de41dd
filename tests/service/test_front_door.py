"""The front door, the landing after sign-in, the workspace link on every staff page, and the site icon."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from certsvc.demo.seed import DEMO_PASSWORD

from .support import login

#: Pages that review what the user ticked on another page (without it, a 400 that says what to do).
NEEDS_A_SELECTION = {"/embassy/cosign/review"}
WORKSPACES = {
    "officer@klwa.example": "/provider/",
    "officer@ph-kl.example": "/embassy/",
    "admin@ph-tesda.example": "/authority/",
}
#: Every staff area, with the prefix of the pages that belong to it.
AREAS = {"/provider/": "/provider", "/embassy/": "/embassy", "/authority/": ("/authority", "/indicators")}


def test_front_door_offers_check_then_wallet_then_staff_sign_in(app: Flask, client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    links = re.findall(r'<a class="go[^"]*" href="([^"]+)">([^<]+)</a>', page)
    assert links == [("/verify", "Check a credential"), ("/wallet", "Open my wallet"), ("/login", "Staff sign-in")]
    assert "Cookie" in response.headers["Vary"] and "private" in response.headers["Cache-Control"]
    spanish = client.get("/?lang=es").get_data(as_text=True)
    assert '<html lang="es">' in spanish


@pytest.mark.parametrize("email", list(WORKSPACES))
def test_sign_in_lands_on_the_users_workspace_and_every_staff_page_links_to_it(
    demo: Flask, client: FlaskClient, email: str
) -> None:
    response = login(client, email, DEMO_PASSWORD)
    workspace = WORKSPACES[email]
    assert response.status_code == 302 and response.headers["Location"] == workspace
    assert client.get(workspace).status_code == 200
    link = f'<a class="workspace" href="{workspace}">Workspace</a>'
    pages = [*_staff_pages(demo, AREAS[workspace]), "/account", "/account/tokens", "/"]
    assert len(pages) > 4
    for path in pages:
        page = client.get(path)
        # The review of a selection is the answer to the queue's form: asked with none, it says so.
        assert page.status_code == (400 if path in NEEDS_A_SELECTION else 200), path
        text = page.get_data(as_text=True)
        assert link in text or (path == "/" and f'href="{workspace}"' in text), path


def _staff_pages(app: Flask, prefix: str | tuple[str, ...]) -> list[str]:
    """Every GET page of an area that takes no argument (lists, dashboards, forms)."""
    found = []
    for rule in app.url_map.iter_rules():
        page = "GET" in (rule.methods or ()) and not rule.arguments and str(rule).startswith(prefix)
        if page and not str(rule).endswith((".csv", ".json", ".png", ".svg")):
            found.append(str(rule))
    return sorted(found)


def test_nobody_signed_in_sees_no_workspace_link(app: Flask, client: FlaskClient) -> None:
    for path in ("/", "/login", "/verify"):
        assert 'class="workspace"' not in client.get(path).get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "media_type", "magic"),
    [
        ("/favicon.svg", "image/svg+xml", b"<svg"),
        ("/favicon.ico", "image/vnd.microsoft.icon", b"\x00\x00\x01\x00"),
        ("/apple-touch-icon.png", "image/png", b"\x89PNG"),
    ],
)
def test_favicon_is_served_with_its_type_and_cache_headers(
    app: Flask, client: FlaskClient, path: str, media_type: str, magic: bytes
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.data.startswith(magic)
    assert response.cache_control.public and response.cache_control.max_age == 24 * 3600
    assert "Set-Cookie" not in response.headers
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    page = client.get("/verify").get_data(as_text=True)
    assert f'href="{path}"' in page
