"""Who may do what on the provider and embassy pages: every role x every route, own and others' ids.

Refusals: anonymous -> redirect to the login page; wrong kind of organisation or read-only
role -> 403; another organisation's learner or credential -> 404 (ids are not disclosed).
After every refused POST the database is exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from certsvc.store import db
from certsvc.store.models import AuditHead, Credential, CredentialState, Learner, Organisation, Role

from .support import PASSWORD, csrf_token, make_user
from .test_provider_views import AUTHORITY, EMBASSY_MM, EMBASSY_PH, PROVIDER, sign_in

VIEWER = "viewer@klwa.example"
ACTORS = ("provider officer", "provider viewer", "embassy PH", "embassy MM", "authority admin", "anonymous")
OK, LOGIN, FORBIDDEN, NOT_FOUND = "ok", "login", 403, 404


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # with {learner} or {credential}
    area: str  # provider | embassy
    data: tuple[tuple[str, str], ...] = ()

    @property
    def writes(self) -> bool:
        return self.method == "POST"

    @property
    def targeted(self) -> bool:
        """Whether the route names a learner or credential (in its path or its form)."""
        return "{learner}" in self.path or "{credential}" in self.path or ("credential", "{credential}") in self.data


def _form(prefix: str = "", **fields: str) -> tuple[tuple[str, str], ...]:
    dash = f"{prefix}-" if prefix else ""
    return ((f"{dash}csrf_token", "{token}"), *((f"{dash}{k}", v) for k, v in fields.items()))


ASSESSED = (date.today() - timedelta(days=1)).isoformat()
ROUTES = (
    Route("GET", "/provider/", "provider"),
    Route("GET", "/provider/learners", "provider"),
    Route("GET", "/provider/learners/{learner}", "provider"),
    Route("GET", "/provider/credentials", "provider"),
    Route("GET", "/provider/credentials/{credential}", "provider"),
    Route("GET", "/provider/credentials/{credential}/receipt", "provider"),
    Route("GET", "/provider/credentials/{credential}/qr.png", "provider"),
    Route("GET", "/provider/credentials/{credential}/qr.svg", "provider"),
    Route("GET", "/provider/credentials/{credential}/file", "provider"),
    Route(
        "POST",
        "/provider/learners",
        "provider",
        _form(name="Matrix Learner", birth_date="1990-01-01", nationality="PH", id_number="M1"),
    ),
    Route("POST", "/provider/learners/{learner}/credentials", "provider", _form("training", qualification="{code}")),
    Route(
        "POST",
        "/provider/learners/{learner}/assessments",
        "provider",
        _form(
            "prior",
            qualification="{code}",
            method="interview",
            evidence="Described weld joints.",
            assessor="A. Assessor",
            assessed_on=ASSESSED,
        ),
    ),
    Route("POST", "/provider/credentials/{credential}/suspend", "provider", _form("suspend", reason="Review.")),
    Route("POST", "/provider/credentials/{credential}/reinstate", "provider", _form()),
    Route("POST", "/provider/credentials/{credential}/revoke", "provider", _form("revoke", reason="Error.")),
    Route("GET", "/embassy/", "embassy"),
    Route("GET", "/embassy/cosigned", "embassy"),
    Route("GET", "/embassy/credentials/{credential}", "embassy"),
    Route("POST", "/embassy/cosign", "embassy", (*_form(), ("credential", "{credential}"))),
    Route("POST", "/embassy/credentials/{credential}/cosign", "embassy", _form()),
    Route("POST", "/embassy/credentials/{credential}/reject", "embassy", _form("reject", reason="Mismatch.")),
    Route("POST", "/embassy/credentials/{credential}/withdraw", "embassy", _form("withdraw", reason="Correction.")),
)


@dataclass(frozen=True)
class Target:
    """The ids a route is called with, and whose they are."""

    name: str
    learner: int
    credential: str
    code: str
    provider: str  # the provider's slug
    nationality: str


def expected(actor: str, route: Route, target: Target) -> Any:
    """The outcome the access rules demand."""
    if actor == "anonymous":
        return LOGIN
    kind = actor.split()[0]
    if kind != route.area:
        return FORBIDDEN
    if actor == "provider viewer" and route.writes:
        return FORBIDDEN
    if not route.targeted:
        return OK
    if kind == "provider":
        return OK if target.provider == "klwa" else NOT_FOUND
    return OK if target.nationality == actor.split()[1] else NOT_FOUND


def outcome(response: Any) -> Any:
    if response.status_code == 302 and response.headers["Location"].startswith("/login"):
        return LOGIN
    if response.status_code in (FORBIDDEN, NOT_FOUND, 401):
        return response.status_code
    # Allowed: the page, a redirect after success, or a state conflict/bad input on a real target.
    assert response.status_code in (200, 302, 400, 409), response.status_code
    return OK


def snapshot(app: Flask) -> tuple[Any, ...]:
    """Everything a refused POST could have changed."""
    with db.session_factory(app)() as session:
        credentials = session.execute(
            select(
                Credential.public_id,
                Credential.state,
                Credential.cosign_jws,
                Credential.embassy_id,
                Credential.withdrawn_at,
                Credential.reason,
                Credential.reject_reason,
            ).order_by(Credential.id)
        ).all()
        learners = session.scalars(select(Learner.id).order_by(Learner.id)).all()
        head = session.execute(select(AuditHead.seq, AuditHead.hash)).one()
        return tuple(credentials), tuple(learners), tuple(head)


def targets(app: Flask) -> dict[str, Target]:
    """An awaiting credential (and its learner) of the PH corridor's and the MM corridor's provider."""
    found = {}
    with db.session_factory(app)() as session:
        for name, slug in (("PH", "klwa"), ("MM", "jcsc")):
            credential = session.scalar(
                select(Credential)
                .join(Organisation, Credential.provider_id == Organisation.id)
                .where(Organisation.slug == slug, Credential.state == CredentialState.AWAITING_COSIGN)
                .order_by(Credential.id)
                .limit(1)
            )
            assert credential is not None
            found[name] = Target(
                name,
                credential.learner_id,
                credential.public_id,
                credential.qualification_code,
                slug,
                credential.learner.nationality,
            )
    return found


def clients(app: Flask) -> dict[str, tuple[FlaskClient, str]]:
    """A signed-in client and its CSRF token per actor."""
    with db.session_factory(app)() as session:
        provider = session.scalar(select(Organisation).where(Organisation.slug == "klwa"))
        assert provider is not None
        make_user(session, provider, VIEWER, Role.VIEWER)
        session.commit()
    emails = {
        "provider officer": PROVIDER,
        "embassy PH": EMBASSY_PH,
        "embassy MM": EMBASSY_MM,
        "authority admin": AUTHORITY,
    }
    signed_in = {}
    for actor in ACTORS:
        client = app.test_client()
        if actor == "anonymous":
            token = csrf_token(client, "/login")  # a valid token: the refusal must come from the access check
        elif actor == "provider viewer":
            token = sign_in(client, VIEWER, PASSWORD)
        else:
            token = sign_in(client, emails[actor])
        signed_in[actor] = (client, token)
    return signed_in


def call(client: FlaskClient, token: str, route: Route, target: Target) -> Any:
    values = {"learner": str(target.learner), "credential": target.credential, "code": target.code, "token": token}
    path = route.path.format(**values)
    if not route.writes:
        return client.get(path)
    data = {key: value.format(**values) for key, value in route.data}
    return client.post(path, data=data)


def test_access_matrix(demo: Flask) -> None:
    by_actor, by_name = clients(demo), targets(demo)
    failures = []
    checked = 0
    for route in ROUTES:
        for target in by_name.values() if route.targeted else [by_name["PH"]]:
            # Refused actors first: an allowed POST changes the state the next cells see.
            for actor in sorted(ACTORS, key=lambda a: expected(a, route, target) == OK):
                want = expected(actor, route, target)
                before = snapshot(demo) if route.writes and want != OK else None
                client, token = by_actor[actor]
                got = outcome(call(client, token, route, target))
                checked += 1
                if got != want:
                    failures.append(f"{actor} {route.method} {route.path} on {target.name}: got {got}, want {want}")
                if before is not None and snapshot(demo) != before:
                    failures.append(f"{actor} {route.method} {route.path} on {target.name}: refused but changed data")
    assert not failures, "\n".join(failures)
    assert checked == len(ACTORS) * sum(2 if r.targeted else 1 for r in ROUTES)


def test_unknown_ids_are_not_found(demo: Flask) -> None:
    by_actor = clients(demo)
    provider, _ = by_actor["provider officer"]
    for path in ("/provider/credentials/NOSUCHID", "/provider/credentials/NOSUCHID/file", "/provider/learners/9999"):
        assert provider.get(path).status_code == 404, path
    assert provider.get(f"/provider/learners/{2**70}").status_code == 404  # past any database integer
    assert provider.get(f"/provider/credentials/{'X' * 5000}").status_code == 404
    embassy, token = by_actor["embassy PH"]
    assert embassy.get("/embassy/credentials/NOSUCHID").status_code == 404
    assert embassy.post("/embassy/cosign", data={"csrf_token": token, "credential": "NOSUCHID"}).status_code == 404


def test_allowed_posts_did_their_work(demo: Flask) -> None:
    """The matrix's allowed cells are real actions: check one of each area landed."""
    by_actor, by_name = clients(demo), targets(demo)
    client, token = by_actor["provider officer"]
    route = next(r for r in ROUTES if r.path.endswith("/revoke"))
    assert call(client, token, route, by_name["PH"]).status_code == 302
    client, token = by_actor["embassy MM"]
    route = next(r for r in ROUTES if r.path == "/embassy/cosign")
    assert call(client, token, route, by_name["MM"]).status_code == 302
    with db.session_factory(demo)() as session:
        got = dict(
            session.execute(
                select(Credential.public_id, Credential.state).where(
                    Credential.public_id.in_([by_name["PH"].credential, by_name["MM"].credential])
                )
            ).all()
        )
    assert got == {
        by_name["PH"].credential: CredentialState.REVOKED,
        by_name["MM"].credential: CredentialState.COSIGNED,
    }
