"""Real-browser fixtures: a live seeded service, Debian's Chromium driven by Playwright, and axe-core.

Reusable by every browser test (verifier, wallet, ...):

- ``live_server``: the whole app on a temporary SQLite database, migrated and seeded with the
  demo world (three corridors, credentials in every state), served by werkzeug on a free
  127.0.0.1 port in a background thread; ``BASE_URL`` is that origin, so QR codes point at it.
  Its verifier reloads trust and status lists on every request (VERIFY_DOCUMENTS_MAX_AGE=0),
  so a revocation shows at once.
- ``browser`` (one per session), ``context`` and ``page`` (one per test).
- ``assert_accessible(page)``: axe-core finds no serious or critical violation.

All browser tests are marked ``e2e`` (select with ``-m e2e``, skip with ``-m "not e2e"``);
they run in the default test run.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from certsvc.accounts import users
from certsvc.app import create_app
from certsvc.demo.seed import DEMO_PASSWORD, seed
from certsvc.store import db, db_commands
from certsvc.store.credential_records import qr_text_of
from certsvc.store.models import Credential, Learner, Organisation
from verifier import counting

CHROMIUM = os.environ.get("CERTSVC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET_KEY = "e2e-secret-key-" + "s" * 32
KEK = "e2e-key-encryption-key-" + "k" * 32
#: The demo corridor whose provider has credentials in every state.
PH_PROVIDER = "klwa"
SERIOUS = frozenset({"serious", "critical"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: real-browser test (Playwright with Debian's Chromium)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@dataclass
class LiveServer:
    """A running service: its origin, its app and helpers to reach its database."""

    url: str
    app: Flask
    server: BaseWSGIServer

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A database session on the live service's database; commit what you want kept."""
        with db.session_factory(self.app)() as session:
            yield session

    def credential(self, holder: str, provider: str = PH_PROVIDER) -> Credential:
        """A seeded credential by its holder's name (names repeat across corridors: the provider picks one)."""
        with self.session() as session:
            found = session.scalar(
                select(Credential)
                .join(Learner, Credential.learner_id == Learner.id)
                .join(Organisation, Credential.provider_id == Organisation.id)
                .where(Learner.name == holder, Organisation.slug == provider)
                .order_by(Credential.id.desc())
            )
            assert found is not None, f"no credential of {holder!r} at {provider}"
            session.expunge(found)
            return found

    def qr_text(self, holder: str, provider: str = PH_PROVIDER) -> str:
        """The QR text of a seeded holder's credential."""
        return self.qr_text_of(self.credential(holder, provider))

    def qr_text_of(self, credential: Credential) -> str:
        return qr_text_of(credential, self.url)


def live_settings(database_url: str, base_url: str, **overrides: Any) -> dict[str, Any]:
    """The configuration of a live test service."""
    return {
        "TESTING": True,
        "SECRET_KEY": SECRET_KEY,
        "KEY_ENCRYPTION_KEY": KEK,
        "DATABASE_URL": database_url,
        "BASE_URL": base_url,
        "SESSION_COOKIE_SECURE": False,
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_KIB": 1024,
        "PASSWORD_HASH_PARALLELISM": 1,
        "VERIFY_DOCUMENTS_MAX_AGE": 0,
        "VERIFY_RATE_LIMIT": "100000 per minute",
        "VERIFY_BATCH_RATE_LIMIT": "100000 per minute",
        **overrides,
    }


@contextmanager
def running_service(folder: Path, **overrides: Any) -> Iterator[LiveServer]:
    """Migrate and seed a SQLite database in ``folder`` and serve the app on a free local port."""
    url = f"sqlite:///{folder / 'certsvc.sqlite3'}"
    db_commands.upgrade(url)
    # Bind first (port 0 picks a free port), then build the app for that origin.
    server = make_server("127.0.0.1", 0, Flask("placeholder"), threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app = create_app(live_settings(url, base_url, **overrides))
    with db.session_factory(app)() as session:
        hasher = users.make_password_hasher(1, 1024, 1)
        seed(session, kek=KEK, base_url=base_url, hasher=hasher, now=datetime.now(UTC))
        session.commit()
    server.app = app
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(base_url, app, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        counting.counter(app).flush()
        db.dispose(app)


class Served(NamedTuple):
    """The seeded service and Chromium, for the browser benchmarks (bench/verify_page.py, verify_offline.py)."""

    browser: Any
    #: The QR link of BENCH_HOLDER's credential.
    qr_link: str
    #: The service's origin.
    url: str


#: The co-signed, recognised demo credential every browser benchmark opens.
BENCH_HOLDER = "Maria Santos Dela Cruz"


@contextmanager
def served_to_chromium() -> Iterator[Served]:
    """Start the seeded service (documents cached for their ttl, as in production) and Chromium; stop both after."""
    from playwright.sync_api import sync_playwright  # as tests/conftest.py: loaded when a browser is wanted

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with (
        tempfile.TemporaryDirectory() as folder,
        sync_playwright() as playwright,
        running_service(Path(folder), VERIFY_DOCUMENTS_MAX_AGE=None) as live,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield Served(browser, live.qr_text(BENCH_HOLDER), live.url)
        finally:
            browser.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The seeded service, running for the whole test session."""
    with running_service(tmp_path_factory.mktemp("live")) as live:
        yield live


@pytest.fixture(scope="session")
def demo_password() -> str:
    """Every seeded user's password (logins: ``officer@<slug>.example``, ``admin@<authority>.example``)."""
    return DEMO_PASSWORD


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    """Debian's Chromium, headless (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser profile (no cookies) with an English UI, phone-sized by default."""
    context = browser.new_context(locale="en-GB", viewport={"width": 412, "height": 915})
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


def assert_accessible(page: Any, *, context: str = "") -> None:
    """Run axe-core in the page; fail on any serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    described = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in violations
    ]
    assert not violations, f"axe found serious accessibility problems {context}:\n" + "\n".join(described)


@pytest.fixture
def axe() -> Any:
    """The accessibility check as a fixture: ``axe(page)``."""
    return assert_accessible
