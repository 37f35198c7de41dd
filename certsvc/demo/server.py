"""``certsvc demo``: a ready-to-try service on SQLite with the demo world, served locally."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import click
from flask import Flask

from certsvc import config
from certsvc.accounts.access import password_hasher
from certsvc.demo.seed import DEMO_PASSWORD, demo_claim, seed
from certsvc.store import db, db_commands

HOST = "127.0.0.1"
PORT = 5000


def prepare_demo(base_url: str, app_factory: Callable[[], Flask]) -> Flask:
    """Create the instance secrets (once), migrate, seed (idempotently) and return the app."""
    folder = config.instance_path()
    # Plain http on localhost: the demo's cookies cannot be Secure.
    config.write_instance_secrets(folder, {"SESSION_COOKIE_SECURE": False, "BASE_URL": base_url})
    app = app_factory()
    db_commands.upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        session = db.get_session()
        logins = seed(
            session,
            kek=app.config["KEY_ENCRYPTION_KEY"],
            base_url=app.config["BASE_URL"].rstrip("/"),
            hasher=password_hasher(),
            now=datetime.now(UTC),
        )
        session.commit()
        app.extensions["certsvc.demo_claim"] = demo_claim(session, app.config["KEY_ENCRYPTION_KEY"])
    app.extensions["certsvc.demo_logins"] = logins
    return app


def print_welcome(app: Flask) -> None:
    """Print the URL and the demo logins."""
    base = app.config["BASE_URL"].rstrip("/")
    click.echo(f"\ncertsvc demo: {base}/  (database: {app.config['DATABASE_URL']})\n")
    click.echo(f"Every demo user's password: {DEMO_PASSWORD}")
    for login in app.extensions["certsvc.demo_logins"]:
        click.echo(f"  {login.email:32s} {login.role:8s} {login.organisation}")
    click.echo(f"\nSign in at {base}/login; verify credentials at {base}/verify\n")
    claim = app.extensions.get("certsvc.demo_claim")
    if claim is not None:
        click.echo(f"Try the migrant's wallet: open {base}/wallet/claim and enter claim code {claim.code}")
        click.echo(f"with PIN {claim.pin} (the credential of {claim.holder}).\n")
