"""Every staff form that fails says so at the top: the GOV.UK error summary, focused, linking to each field.

One table of failing submissions, one per form of the provider, embassy, cohort import and
authority pages: each must answer with a summary above the page's heading whose links lead
to fields that exist (marked invalid, with their message beside them), and change nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from certsvc.store import db
from certsvc.store.models import Accreditation, AuditHead, Credential, Learner, Organisation, Qualification

from .staff_pages import assert_error_summary_links, error_summary, field_error
from .test_embassy_views import cosign_selection, issue_for_ph
from .test_provider_views import AUTHORITY, EMBASSY_PH, PROVIDER, learner_path, register, sign_in


@dataclass(frozen=True)
class Failing:
    """One form sent wrong: who, where, what, and the fields the summary must link to."""

    name: str
    who: str
    path: Callable[[Flask, FlaskClient, str], str]
    data: dict[str, str]
    targets: list[str]
    prefix: str = ""  # the form's field prefix, for its CSRF token
    status: int = 400


def _learner(app: Flask, client: FlaskClient, token: str) -> str:
    return learner_path(register(client, token, name="Joy Errors Santos"))


def _credential(app: Flask, client: FlaskClient, token: str) -> str:
    [public_id] = issue_for_ph(app)
    return f"/provider/credentials/{public_id}"


def _awaiting(app: Flask, client: FlaskClient, token: str) -> str:
    [public_id] = issue_for_ph(app)
    return f"/embassy/credentials/{public_id}"


def _cosigned(app: Flask, client: FlaskClient, token: str) -> str:
    [public_id] = issue_for_ph(app)
    assert cosign_selection(client, token, [public_id]).status_code == 302
    return f"/embassy/credentials/{public_id}"


def _accreditation(app: Flask, client: FlaskClient, token: str) -> str:
    with db.session_factory(app)() as session:
        accreditation = session.scalar(select(Accreditation).order_by(Accreditation.id).limit(1))
        assert accreditation is not None
        return f"/authority/accreditations/{accreditation.id}"


def _embassy(app: Flask, client: FlaskClient, token: str) -> str:
    with db.session_factory(app)() as session:
        embassy = session.scalar(select(Organisation).where(Organisation.slug == "ph-kl"))
        assert embassy is not None
        return f"/authority/embassies/{embassy.id}"


def _national(app: Flask, client: FlaskClient, token: str) -> str:
    data = {"code": "ERR-1", "title": "Errors NC I", "framework": "PQF", "level": "1", "isco_code": "7212"}
    assert client.post("/authority/catalogue", data={**data, "csrf_token": token}).status_code == 302
    page = client.get("/authority/catalogue").get_data(as_text=True)
    start = page.index("ERR-1")
    return page[page.index('href="/authority/catalogue/', start) + 6 :].split('"', 1)[0]


def _static(path: str) -> Callable[[Flask, FlaskClient, str], str]:
    return lambda app, client, token: path


def _then(make: Callable[[Flask, FlaskClient, str], str], tail: str) -> Callable[[Flask, FlaskClient, str], str]:
    return lambda app, client, token: make(app, client, token) + tail


FAILING = [
    Failing(
        "register a learner",
        PROVIDER,
        _static("/provider/learners"),
        {"name": " ", "birth_date": "1990-13-01", "nationality": "PHL", "id_number": ""},
        ["name", "birth_date", "nationality", "id_number"],
    ),
    Failing(
        "issue a training credential",
        PROVIDER,
        _then(_learner, "/credentials"),
        {"training-qualification": "NOPE"},
        ["training-qualification"],
        prefix="training-",
    ),
    Failing(
        "record a prior-skills assessment",
        PROVIDER,
        _then(_learner, "/assessments"),
        {"prior-qualification": "CARE2", "prior-method": "interview", "prior-evidence": "", "prior-assessor": "A"},
        ["prior-evidence", "prior-assessed_on"],
        prefix="prior-",
    ),
    Failing(
        "revoke", PROVIDER, _then(_credential, "/revoke"), {"revoke-reason": ""}, ["revoke-reason"], prefix="revoke-"
    ),
    Failing(
        "suspend",
        PROVIDER,
        _then(_credential, "/suspend"),
        {"suspend-reason": ""},
        ["suspend-reason"],
        prefix="suspend-",
    ),
    Failing(
        "reject",
        EMBASSY_PH,
        _then(_awaiting, "/reject"),
        {"reject-reason": "x"},
        ["reject-reason_code-0"],
        prefix="reject-",
    ),
    Failing(
        "withdraw",
        EMBASSY_PH,
        _then(_cosigned, "/withdraw"),
        {"withdraw-reason": " "},
        ["withdraw-reason"],
        prefix="withdraw-",
    ),
    Failing(
        "accredit",
        AUTHORITY,
        _static("/authority/accreditations"),
        {"valid_from": "soon"},
        ["qualifications", "valid_from"],
    ),
    Failing("end an accreditation", AUTHORITY, _then(_accreditation, "/end"), {"on": "31/12/2026"}, []),
    Failing(
        "enrol an embassy",
        AUTHORITY,
        _static("/authority/embassies"),
        {"name": "", "slug": "Not A Slug", "host_country": "MYS"},
        ["name", "slug", "host_country"],
    ),
    Failing("remove an embassy", AUTHORITY, _then(_embassy, "/remove"), {"reason": ""}, []),
    Failing(
        "add a national qualification",
        AUTHORITY,
        _static("/authority/catalogue"),
        {"code": "", "title": "T", "framework": "PQF", "level": "2", "isco_code": "72a"},
        ["code", "isco_code"],
    ),
    Failing(
        "edit a national qualification",
        AUTHORITY,
        _national,
        {"code": "ERR-1", "title": "", "framework": "PQF", "level": "1", "isco_code": "12345"},
        ["title", "isco_code"],
    ),
    Failing(
        "set an equivalence",
        AUTHORITY,
        _static("/authority/equivalences"),
        {"qualification": "999999", "national": "", "level": "", "note": ""},
        ["qualification", "national"],
    ),
]


@pytest.mark.parametrize("failing", FAILING, ids=lambda f: f.name)
def test_a_failed_form_shows_an_error_summary_linking_to_each_field(
    demo: Flask, client: FlaskClient, failing: Failing
) -> None:
    token = sign_in(client, failing.who)
    path = failing.path(demo, client, token)
    before = _snapshot(demo)
    response = client.post(path, data={**failing.data, f"{failing.prefix}csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == failing.status, page[:2000]
    assert _snapshot(demo) == before, "a refused form changed something"
    summary = assert_error_summary_links(page, failing.targets)
    for target in failing.targets:
        field_id = target.removesuffix("-0")
        message = field_error(page, field_id)
        assert message and message.startswith("Error:"), (target, message)
        assert message.removeprefix("Error: ") in summary.text_for(target)  # the same words at the top and by it
        assert 'aria-invalid="true"' in page
    if not failing.targets:  # a row's own small form: the summary links to that row's date or reason
        assert len(summary.targets) == 1 and field_error(page, summary.targets[0])


def test_a_domain_refusal_links_to_the_field_it_names(demo: Flask, client: FlaskClient) -> None:
    token = sign_in(client, AUTHORITY)
    data = {"name": "Philippine Embassy Again", "slug": "ph-kl", "host_country": "MY", "csrf_token": token}
    response = client.post("/authority/embassies", data=data)  # the slug is taken
    summary = assert_error_summary_links(response.get_data(as_text=True), ["slug"])
    assert response.status_code == 409 and "exists" in summary.text_for("slug")


def test_an_upload_without_a_file_and_a_file_with_bad_rows(demo: Flask, client: FlaskClient) -> None:
    token = sign_in(client, PROVIDER)
    response = _upload(client, token, b"not,a,cohort\n", "cohort.txt")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "must be a .csv file" in assert_error_summary_links(page, ["file"]).text_for("file")

    header = "external_id,name,birth_date,nationality,id_number,sex,qualification_code,kind,assessment_method"
    rows = [
        "A-1,Ana Reyes,1990-01-01,PH,P111111A,F,SMAW2,training,",
        "A-2,Ben Cruz,1990-13-01,PH,P222222B,M,SMAW2,training,",
        "A-3,Cora Lim,1991-02-02,P1,P333333C,F,SMAW2,training,",
    ]
    response = _upload(client, token, "\n".join([header, *rows]).encode(), "cohort.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    summary = assert_error_summary_links(page, ["problem-1", "problem-2", "file"])
    assert summary.text_for("problem-1").startswith("Line 3")
    # The corrected file can be uploaded right there, above the list of problems.
    assert page.index('id="file"') < page.index('id="row-errors"')


def test_forms_sit_above_the_lists(demo: Flask, client: FlaskClient) -> None:
    sign_in(client, PROVIDER)
    page = client.get("/provider/learners").get_data(as_text=True)
    assert page.index('action="/provider/learners" novalidate') < page.index("<table")
    assert page.index('role="search"') < page.index("<table")
    authority = demo.test_client()
    sign_in(authority, AUTHORITY)
    for path, form in (
        ("/authority/accreditations", 'action="/authority/accreditations"'),
        ("/authority/embassies", 'action="/authority/embassies"'),
        ("/authority/catalogue", 'action="/authority/catalogue"'),
        ("/authority/equivalences", 'action="/authority/equivalences"'),
    ):
        page = authority.get(path).get_data(as_text=True)
        assert page.index(form) < page.index("<table"), path
        assert error_summary(page) is None


def test_good_pages_have_no_summary_and_lists_scroll_in_a_labelled_region(demo: Flask, client: FlaskClient) -> None:
    sign_in(client, PROVIDER)
    for path in ("/provider/learners", "/provider/credentials", "/provider/imports"):
        page = client.get(path).get_data(as_text=True)
        assert error_summary(page) is None and "<title>Error" not in page, path
        assert "/staff/assets/staff.css?v=" in page and "/staff/assets/staff.js?v=" in page
        if "<table" in page:
            assert '<div class="table-scroll" role="region" aria-label="' in page and 'tabindex="0"' in page, path


def test_the_staff_assets_are_served_cacheable(demo: Flask, client: FlaskClient) -> None:
    sign_in(client, PROVIDER)
    page = client.get("/provider/").get_data(as_text=True)
    href = page[page.index("/staff/assets/staff.css?v=") :].split('"', 1)[0]
    response = client.get(href)
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert response.cache_control.public and response.cache_control.max_age >= 3600
    assert b".error-summary" in response.data
    assert client.get("/staff/assets/staff.js").mimetype == "text/javascript"
    assert client.get("/staff/assets/../app.py").status_code == 404
    assert client.get("/staff/assets/nothing.css").status_code == 404


def _upload(client: FlaskClient, token: str, data: bytes, filename: str) -> Any:
    boundary, body = encode_multipart({"csrf_token": token, "file": FileStorage(io.BytesIO(data), filename)})
    return client.post("/provider/imports", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _snapshot(app: Flask) -> tuple[Any, ...]:
    with db.session_factory(app)() as session:
        return (
            session.scalar(select(func.count(Learner.id))),
            tuple(session.execute(select(Credential.public_id, Credential.state, Credential.reason)).all()),
            session.scalar(select(func.count(Qualification.id))),
            session.execute(select(AuditHead.seq)).scalar(),
        )
