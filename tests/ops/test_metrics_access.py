"""/metrics: off unless enabled, only for allowed addresses, endpoints by URL rule, counters that count."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from prometheus_client import REGISTRY

from certsvc.app import create_app
from certsvc.store import db
from certsvc.store.models import Credential
from certsvc.web import metrics

from .support import World, app_settings


@pytest.fixture
def make_app(seeded_sqlite: World) -> Iterator:
    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        app = create_app(app_settings(seeded_sqlite.database_url, **overrides))
        made.append(app)
        return app

    yield make
    for app in made:
        db.dispose(app)


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_are_off_by_default(make_app) -> None:
    assert make_app().test_client().get("/metrics").status_code == 404


@pytest.mark.parametrize(
    ("allow", "address", "served"),
    [
        (None, "127.0.0.1", True),
        (None, "203.0.113.7", False),
        (["10.0.0.0/8"], "10.20.30.40", True),
        (["10.0.0.0/8"], "127.0.0.1", False),
        (["not an address"], "127.0.0.1", False),
    ],
)
def test_metrics_only_for_allowed_addresses(make_app, allow, address: str, served: bool) -> None:
    overrides: dict = {"METRICS_ENABLED": True}
    if allow is not None:
        overrides["METRICS_ALLOW"] = allow
    response = make_app(**overrides).test_client().get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == (200 if served else 404)


def test_forwarded_addresses_count_only_through_trusted_proxies(make_app) -> None:
    # Without PROXY_COUNT a forged X-Forwarded-For changes nothing; the socket address decides.
    client = make_app(METRICS_ENABLED=True).test_client()
    forged = client.get(
        "/metrics", headers={"X-Forwarded-For": "127.0.0.1"}, environ_base={"REMOTE_ADDR": "203.0.113.7"}
    )
    assert forged.status_code == 404
    # Behind one proxy on this host, the client's own address (from the proxy) is the one checked.
    proxied = make_app(METRICS_ENABLED=True, PROXY_COUNT=1).test_client()
    outside = proxied.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    assert outside.status_code == 404


def test_requests_are_counted_by_url_rule(make_app) -> None:
    client = make_app(METRICS_ENABLED=True).test_client()
    rule = "/o/<slug>/status/<int:number>"
    before = value("certsvc_http_requests_total", method="GET", endpoint=rule, status="200")
    for _ in range(3):
        assert client.get("/o/klwa/status/1").status_code == 200
    client.get("/no/such/thing")
    assert value("certsvc_http_requests_total", method="GET", endpoint=rule, status="200") == before + 3
    assert value("certsvc_http_requests_total", method="GET", endpoint="<unmatched>", status="404") >= 1
    text = client.get("/metrics").get_data(as_text=True)
    assert "/o/klwa/status/1" not in text and rule in text


def test_queue_depth_is_read_from_the_database_at_scrape_time(make_app, seeded_sqlite: World) -> None:
    app = make_app(METRICS_ENABLED=True)
    with db.session_factory(app)() as session:
        expected = dict(metrics.queue_depth(session))
    assert expected.get("PH") == 1  # the demo world has one PH credential awaiting co-signature
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'certsvc_cosign_queue_depth{nationality="PH"} 1.0' in text


def test_verifications_are_counted_by_result() -> None:
    before = value("certsvc_verifications_total", result="invalid")
    metrics.record_verification("invalid")
    metrics.record_verification("something else")
    assert value("certsvc_verifications_total", result="invalid") == before + 1
    assert value("certsvc_verifications_total", result="other") >= 1


def test_issued_credentials_are_counted_when_committed_only(make_app) -> None:
    app = make_app()
    before = value("certsvc_credentials_issued_total", kind="training")
    with db.session_factory(app)() as session:
        template = session.query(Credential).filter(Credential.kind == "training").first()
        assert template is not None

        def copy(public_id: str) -> Credential:
            columns = {c.key: getattr(template, c.key) for c in Credential.__mapper__.column_attrs if c.key != "id"}
            columns.update(
                public_id=public_id, external_id=public_id, status_idx=template.status_idx + 1000 + len(public_id)
            )
            return Credential(**columns)

        session.add(copy("rolledback"))
        session.flush()
        session.rollback()
        assert value("certsvc_credentials_issued_total", kind="training") == before
        session.add(copy("committed"))
        session.commit()
    assert value("certsvc_credentials_issued_total", kind="training") == before + 1
