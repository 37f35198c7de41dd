"""The public indicators do their real work (the figures) at most once a minute per filter and process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from certsvc.accounts.access import password_hasher
from certsvc.demo.seed import seed
from certsvc.store import db


@contextmanager
def counted_statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs meanwhile (instrumentation, not a stand-in)."""
    engine = db.session_factory(app).kw["bind"]
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_the_public_figures_are_computed_once_for_a_burst(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        session = db.get_session()
        seed(session, kek=app.config["KEY_ENCRYPTION_KEY"], base_url=app.config["BASE_URL"], hasher=password_hasher(),
             now=datetime.now(UTC))  # fmt: skip
        session.commit()
    with counted_statements(app) as first:
        page = client.get("/indicators/ph-tesda")
    assert page.status_code == 200 and len(first) > 10
    with counted_statements(app) as again:
        for path in ("/indicators/ph-tesda", "/indicators/ph-tesda/issued-by-kind.csv") * 5:
            assert client.get(path).status_code == 200
    assert len(again) <= 10 * 2  # the authority's row (and BEGIN) each time; the figures come from the cache
    with counted_statements(app) as other_filter:
        assert client.get("/indicators/ph-tesda?corridor=MY").status_code == 200
    assert len(other_filter) > 10
