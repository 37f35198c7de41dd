"""Embassy pages: the queue of its own nationals, co-sign a selection, reject with a reason, withdraw."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from certsvc.credentials.statuslist import Status
from certsvc.store import db
from certsvc.store.credential_records import status_value
from certsvc.store.models import AuditEntry, Credential, CredentialState, Learner, Organisation

from .test_provider_views import (
    EMBASSY_MM,
    EMBASSY_PH,
    PROVIDER,
    credential_of,
    issue_training,
    issued_id,
    learner_path,
    qr_credential,
    register,
    sign_in,
)


def awaiting_of(app: Flask, nationality: str) -> list[str]:
    """Public ids of credentials awaiting co-signature for nationals of ``nationality``."""
    with db.session_factory(app)() as session:
        return list(
            session.scalars(
                select(Credential.public_id)
                .join(Learner, Credential.learner_id == Learner.id)
                .where(Credential.state == CredentialState.AWAITING_COSIGN, Learner.nationality == nationality)
            )
        )


def issue_for_ph(app: Flask, count: int = 1, name: str = "Rosa Mae Dizon") -> list[str]:
    """Issue ``count`` training credentials through the provider's pages; return their ids."""
    provider = app.test_client()
    token = sign_in(provider, PROVIDER)
    learner = learner_path(register(provider, token, name=name))
    return [issued_id(issue_training(provider, token, learner)) for _ in range(count)]


def states(app: Flask, ids: list[str]) -> dict[str, CredentialState]:
    return {public_id: credential_of(app, public_id).state for public_id in ids}


def cosign_selection(client: FlaskClient, token: str, ids: list[str]) -> Any:
    return client.post("/embassy/cosign", data={"csrf_token": token, "credential": ids})


def test_queue_shows_only_own_nationals(demo: Flask, client: FlaskClient) -> None:
    ph_waiting, mm_waiting = awaiting_of(demo, "PH"), awaiting_of(demo, "MM")
    assert ph_waiting and mm_waiting and awaiting_of(demo, "SV")
    sign_in(client, EMBASSY_PH)
    page = client.get("/embassy/").get_data(as_text=True)
    assert all(public_id in page for public_id in ph_waiting)
    assert not any(public_id in page for public_id in mm_waiting + awaiting_of(demo, "SV"))
    assert "Ana Lim Garcia" in page and "Kuala Lumpur Welding Academy" in page

    other = demo.test_client()
    sign_in(other, EMBASSY_MM)
    page = other.get("/embassy/").get_data(as_text=True)
    assert all(public_id in page for public_id in mm_waiting)
    assert not any(public_id in page for public_id in ph_waiting)
    assert other.get(f"/embassy/credentials/{ph_waiting[0]}").status_code == 404


def test_cosign_a_selection_in_one_post(demo: Flask, client: FlaskClient) -> None:
    new = issue_for_ph(demo, 2)
    token = sign_in(client, EMBASSY_PH)
    queue = client.get("/embassy/").get_data(as_text=True)
    assert all(f'value="{public_id}"' in queue for public_id in new)

    response = cosign_selection(client, token, new)
    assert response.status_code == 302 and response.headers["Location"] == "/embassy/"
    assert states(demo, new) == dict.fromkeys(new, CredentialState.COSIGNED)
    queue = client.get("/embassy/").get_data(as_text=True)
    assert "2 credentials co-signed." in queue and not any(public_id in queue for public_id in new)
    listed = client.get("/embassy/cosigned").get_data(as_text=True)
    assert all(public_id in listed for public_id in new)

    with db.session_factory(demo)() as session:
        embassy = session.scalar(select(Organisation).where(Organisation.slug == "ph-kl"))
        cosigned = session.scalars(select(Credential).where(Credential.public_id.in_(new))).all()
        assert embassy is not None and {c.embassy_id for c in cosigned} == {embassy.id}
        actors = session.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "credential.cosigned", AuditEntry.subject.in_(new))
        ).all()
        assert actors == [EMBASSY_PH, EMBASSY_PH]
    # The provider's QR now carries both signatures.
    provider = demo.test_client()
    sign_in(provider, PROVIDER)
    assert len(qr_credential(provider, new[0]).signatures) == 2


def test_a_selection_is_co_signed_item_by_item(demo: Flask, client: FlaskClient) -> None:
    mine = issue_for_ph(demo, 3)
    not_mine = awaiting_of(demo, "MM")[0]
    token = sign_in(client, EMBASSY_PH)
    # Another embassy's credential in the selection: refused whole, as if it did not exist.
    assert cosign_selection(client, token, [mine[0], not_mine]).status_code == 404
    assert cosign_selection(client, token, []).status_code == 400
    assert states(demo, [*mine, not_mine]) == dict.fromkeys([*mine, not_mine], CredentialState.AWAITING_COSIGN)

    assert cosign_selection(client, token, [mine[0]]).status_code == 302
    # A colleague co-signed one of them meanwhile: the others go ahead, and the summary says so.
    response = cosign_selection(client, token, [mine[1], mine[0], mine[2]])
    assert response.status_code == 302
    assert states(demo, mine) == dict.fromkeys(mine, CredentialState.COSIGNED)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 credentials co-signed." in page and f"1 already co-signed ({mine[0]})" in page

    response = cosign_selection(client, token, [mine[1]])  # nothing left to do
    assert response.status_code == 409 and "Nothing was co-signed: 1 already co-signed" in response.get_data(
        as_text=True
    )


def test_detail_page_and_cosign_one(demo: Flask, client: FlaskClient) -> None:
    [public_id] = issue_for_ph(demo)
    token = sign_in(client, EMBASSY_PH)
    page = client.get(f"/embassy/credentials/{public_id}").get_data(as_text=True)
    assert "Rosa Mae Dizon" in page and "Shielded Metal Arc Welding" in page and "7212" in page
    response = client.post(f"/embassy/credentials/{public_id}/cosign", data={"csrf_token": token})
    assert response.status_code == 302
    assert credential_of(demo, public_id).state is CredentialState.COSIGNED
    response = client.post(f"/embassy/credentials/{public_id}/cosign", data={"csrf_token": token})
    assert response.status_code == 409

    with db.session_factory(demo)() as session:
        prior = session.scalar(
            select(Credential.public_id)
            .join(Learner, Credential.learner_id == Learner.id)
            .where(Credential.kind == "prior_skills", Learner.nationality == "PH")
            .limit(1)
        )
    page = client.get(f"/embassy/credentials/{prior}").get_data(as_text=True)
    assert "Practical test" in page and "Bed bath, transfers and medication log observed" in page


def test_reject_with_a_reason_from_the_list_the_provider_sees(demo: Flask, client: FlaskClient) -> None:
    [public_id] = issue_for_ph(demo)
    token = sign_in(client, EMBASSY_PH)
    path = f"/embassy/credentials/{public_id}/reject"
    form = client.get(f"/embassy/credentials/{public_id}").get_data(as_text=True)
    assert 'name="reject-reason_code" type="radio" value="training_record_mismatch"' in form
    assert "Other reason (explain in the note)" in form

    # No reason chosen; "other" without a note; a code not on the list: each refused, nothing changes.
    for data, message in (
        ({"reject-reason": "Hours do not add up."}, "Reason: Choose a reason."),
        ({"reject-reason_code": "other", "reject-reason": " "}, "Say why in the note"),
        ({"reject-reason_code": "because", "reject-reason": "x"}, "Reason: Choose a reason."),
    ):
        response = client.post(path, data={"reject-csrf_token": token, **data})
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and 'class="error-summary"' in page and message in page, data
        assert "<title>Error: " in page
    assert credential_of(demo, public_id).state is CredentialState.AWAITING_COSIGN

    note = "Attendance sheet shows 40 of the 120 training hours."
    data = {"reject-csrf_token": token, "reject-reason_code": "training_record_mismatch", "reject-reason": note}
    response = client.post(path, data=data)
    assert response.status_code == 302
    rejected = credential_of(demo, public_id)
    assert rejected.state is CredentialState.REJECTED
    assert (rejected.reject_code, rejected.reject_reason) == ("training_record_mismatch", note)
    assert f"Credential {public_id} rejected." in client.get("/embassy/").get_data(as_text=True)
    assert public_id not in client.get("/embassy/").get_data(as_text=True)  # out of the queue
    with db.session_factory(demo)() as session:
        entry = session.scalar(
            select(AuditEntry).where(AuditEntry.action == "credential.rejected", AuditEntry.subject == public_id)
        )
        assert entry is not None and entry.details == {"reason_code": "training_record_mismatch", "reason": note}

    provider = demo.test_client()
    sign_in(provider, PROVIDER)
    page = provider.get(f"/provider/credentials/{public_id}").get_data(as_text=True)
    assert "The embassy rejected this credential" in page and note in page
    assert "Training hours or attendance do not match the records" in page
    assert public_id in provider.get("/provider/credentials?state=rejected").get_data(as_text=True)


def test_a_reason_from_the_list_needs_no_note_and_other_keeps_its_text(demo: Flask, client: FlaskClient) -> None:
    first, second = issue_for_ph(demo, 2)
    token = sign_in(client, EMBASSY_PH)
    data = {"reject-csrf_token": token, "reject-reason_code": "duplicate"}
    assert client.post(f"/embassy/credentials/{first}/reject", data=data).status_code == 302
    assert (credential_of(demo, first).reject_code, credential_of(demo, first).reject_reason) == ("duplicate", None)
    note = "<script>alert(1)</script> Worker asked us to wait."
    data = {"reject-csrf_token": token, "reject-reason_code": "other", "reject-reason": note}
    assert client.post(f"/embassy/credentials/{second}/reject", data=data).status_code == 302
    assert credential_of(demo, second).reject_code == "other"
    page = client.get(f"/embassy/credentials/{second}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Worker asked us to wait." in page and "<script>alert" not in page


def test_withdraw_a_cosignature(demo: Flask, client: FlaskClient) -> None:
    [public_id] = issue_for_ph(demo)
    token = sign_in(client, EMBASSY_PH)
    assert cosign_selection(client, token, [public_id]).status_code == 302
    listed = client.get("/embassy/cosigned").get_data(as_text=True)
    assert f"/embassy/credentials/{public_id}#withdraw" in listed

    path = f"/embassy/credentials/{public_id}/withdraw"
    assert client.post(path, data={"withdraw-csrf_token": token, "withdraw-reason": " "}).status_code == 400
    assert credential_of(demo, public_id).withdrawn_at is None
    reason = "Nationality record under correction."
    response = client.post(path, data={"withdraw-csrf_token": token, "withdraw-reason": reason})
    assert response.status_code == 302 and response.headers["Location"] == "/embassy/cosigned"
    withdrawn = credential_of(demo, public_id)
    assert withdrawn.withdrawn_at is not None and withdrawn.reason == reason
    assert status_value(withdrawn) is Status.COSIGNATURE_WITHDRAWN
    assert client.post(path, data={"withdraw-csrf_token": token, "withdraw-reason": "again"}).status_code == 409

    provider = demo.test_client()
    sign_in(provider, PROVIDER)
    page = provider.get(f"/provider/credentials/{public_id}").get_data(as_text=True)
    assert "The embassy withdrew its co-signature" in page and reason in page


def test_embassy_actions_need_csrf(demo: Flask, client: FlaskClient) -> None:
    [public_id] = issue_for_ph(demo)
    sign_in(client, EMBASSY_PH)
    assert client.post("/embassy/cosign", data={"credential": [public_id]}).status_code == 400
    assert client.post(f"/embassy/credentials/{public_id}/cosign").status_code == 400
    response = client.post(f"/embassy/credentials/{public_id}/reject", data={"reject-reason": "No token."})
    assert response.status_code == 400
    assert credential_of(demo, public_id).state is CredentialState.AWAITING_COSIGN
