"""A verification whose record read fails in the database answers 503, as every other query's failure does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from certsvc.store import db
from verifier import counting

from .support import empty_database
from .verify_support import Seeded, seed_database

HOLDER = "Maria Santos Dela Cruz"


@pytest.fixture
def seeded_postgres(postgres_url: str) -> Iterator[Seeded]:
    empty_database(postgres_url)
    yield seed_database(postgres_url)


def test_a_record_read_the_database_refuses_is_a_503_not_a_500(seeded_postgres: Seeded) -> None:
    url = make_url(seeded_postgres.url)
    options = url.query.get("options", "")
    # The service waits for a lock a third of a second at most: a locked table stands for a database in trouble.
    impatient = url.update_query_dict({"options": f"{options} -c lock_timeout=300"}).render_as_string(False)
    app = seeded_postgres.app(DATABASE_URL=impatient)
    locker = db.make_engine(seeded_postgres.url)
    try:
        client = app.test_client()
        body = {"credential": seeded_postgres.qr[HOLDER]}
        assert client.post("/api/v1/verify", json=body).get_json()["status"] == "recognized"
        with locker.begin() as connection:
            connection.execute(text("LOCK TABLE credentials IN ACCESS EXCLUSIVE MODE"))
            refused = client.post("/api/v1/verify", json=body)
        assert refused.status_code == 503, refused.get_data(as_text=True)[:300]
        assert refused.get_json()["code"] == "database_unavailable" and refused.headers["Retry-After"]
        # The lock gone, the same process verifies again.
        assert client.post("/api/v1/verify", json=body).get_json()["status"] == "recognized"
    finally:
        counting.counter(app).flush()
        db.dispose(app)
        locker.dispose()
