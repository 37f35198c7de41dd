"""The origin authority changes things through its pages: admins and officers get the forms and buttons their
role allows, read-only users see the same lists with no dead button."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from certsvc.store import db
from certsvc.store.models import Role

from .support import PASSWORD, login, make_user
from .test_authority import ADMIN, org
from .test_authority import site as site  # the fixture
from .test_embassy_queue import shown
from .test_provider_views import DEMO_PASSWORD

OFFICER = "officer@ph-tesda.example"
VIEWER = "viewer@ph-tesda.example"
#: Per page, what an editor must be able to press (and a viewer must not see).
CONTROLS = {
    "/authority/accreditations": ["Accredit", "Suspend from", "Last day", "Apply"],
    "/authority/embassies": ["Enrol", "Remove"],
    "/authority/catalogue": ["Add"],
    "/authority/equivalences": ["Save rule"],
}


@pytest.fixture
def officer(site: Flask) -> FlaskClient:
    with db.session_factory(site)() as session:
        make_user(session, org(session, "ph-tesda"), OFFICER, Role.OFFICER)
        session.commit()
    client = site.test_client()
    assert login(client, OFFICER, PASSWORD).status_code == 302
    return client


def posting_forms(page: str) -> list[str]:
    """The POST forms of the page's main part (the header's sign-out aside)."""
    main = page.split("<main>", 1)[1]
    return re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', main)


def buttons(page: str) -> list[str]:
    main = page.split("<main>", 1)[1]
    return [shown(b) for b in re.findall(r"<button[^>]*>(.*?)</button>", main, re.S)]


@pytest.mark.parametrize("who", [ADMIN, OFFICER])
def test_editors_get_the_forms_and_actions(site: Flask, officer: FlaskClient, who: str) -> None:
    client = officer if who == OFFICER else site.test_client()
    if who == ADMIN:
        login(client, ADMIN, DEMO_PASSWORD)
    for path, controls in CONTROLS.items():
        page = client.get(path).get_data(as_text=True)
        pressed = " | ".join(buttons(page)) + " " + shown(page)
        for control in controls:
            assert control in pressed, (who, path, control)
        assert posting_forms(page), (who, path)
    _add_national(client, f"ED-{who[:5]}")
    catalogue = client.get("/authority/catalogue").get_data(as_text=True)
    assert "Edit" in shown(catalogue) and any(b.startswith("Delete") for b in buttons(catalogue))


def test_a_viewer_sees_every_list_and_no_control(site: Flask, officer: FlaskClient) -> None:
    _add_national(officer, "VIEW-1")
    viewer = site.test_client()  # the site's own viewer
    login(viewer, VIEWER, PASSWORD)
    for path in [*CONTROLS, "/authority/", "/authority/trust-list"]:
        page = viewer.get(path).get_data(as_text=True)
        assert posting_forms(page) == [] and buttons(page) == [], path
        assert '<th scope="col">Change</th>' not in page, path
    assert "Kuala Lumpur Welding Academy" in viewer.get("/authority/accreditations").get_data(as_text=True)
    entry = re.search(r"/authority/catalogue/(\d+)", officer.get("/authority/catalogue").get_data(as_text=True))
    if entry:  # the demo's catalogue: a viewer reads an entry without a form
        page = viewer.get(entry.group(0)).get_data(as_text=True)
        assert posting_forms(page) == [] and "ISCO-08" in page


def test_an_officer_changes_things_through_the_pages_and_the_version_goes_up(site: Flask, officer: FlaskClient) -> None:
    overview = officer.get("/authority/").get_data(as_text=True)
    before = re.search(r"<strong>(\d+)</strong>Current trust-list version", overview)
    assert before is not None
    token = _add_national(officer, "WELD-NCIII")
    listed = officer.get("/authority/catalogue").get_data(as_text=True)
    assert "WELD-NCIII" in listed and "National qualification added." in listed
    accreditations = officer.get("/authority/accreditations").get_data(as_text=True)
    row = re.search(r'action="(/authority/accreditations/\d+/suspend)"', accreditations)
    assert row is not None
    response = officer.post(row.group(1), data={"on": "2027-01-01", "csrf_token": token})
    assert response.status_code == 302
    flashed = officer.get("/authority/accreditations").get_data(as_text=True)
    version = re.search(r"Accreditation suspended\. Trust list version (\d+) is current\.", flashed)
    assert version is not None and int(version.group(1)) == int(before.group(1)) + 1
    overview = officer.get("/authority/").get_data(as_text=True)
    assert f"<strong>{version.group(1)}</strong>Current trust-list version" in overview


def _add_national(client: FlaskClient, code: str) -> str:
    """Add a national qualification through the catalogue page; return the page's CSRF token."""
    page = client.get("/authority/catalogue").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    data = {"code": code, "title": "Shielded Metal Arc Welding NC III", "framework": "PQF", "level": "3",
            "isco_code": "7212", "csrf_token": token.group(1)}  # fmt: skip
    assert client.post("/authority/catalogue", data=data).status_code == 302
    return token.group(1)
