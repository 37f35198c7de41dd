"""``certsvc demo``: a ready-to-try service on SQLite with the demo world, served locally."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import click
from flask import Flask, url_for
from werkzeug.serving import make_server

from certsvc import config
from certsvc.accounts.access import password_hasher
from certsvc.demo import console
from certsvc.demo.seed import DEMO_PASSWORD, DemoLogin, demo_claim, seed
from certsvc.store import db, db_commands
from certsvc.store.models import OrgKind
from certsvc.web.workspace import WORKSPACE_NAMES, workspace_endpoint

HOST = "127.0.0.1"
PORT = 5000


def demo_address(instance_folder: str, base_url: str | None, port: int | None) -> tuple[str, int]:
    """The base URL and port of this run: as asked, else as the instance was created; refuse a different one.

    ``--port`` alone implies ``http://127.0.0.1:<port>``; with neither option a demo that
    exists keeps the address it was created with.
    """
    created_with = config.instance_base_url(instance_folder)
    if base_url is not None:
        base = config.normalise_base_url(base_url)
    elif port is None and created_with is not None:
        base = created_with
    else:
        base = f"http://{HOST}:{port or PORT}"
    config.check_instance_base_url(instance_folder, base)
    return base, port or urlsplit(base).port or PORT


def prepare_demo(base_url: str, app_factory: Callable[[], Flask]) -> Flask:
    """Create the instance secrets (once), migrate, seed (idempotently) and return the app."""
    folder = config.instance_path()
    # Plain http on localhost: the demo's cookies cannot be Secure.
    config.write_instance_secrets(folder, {"SESSION_COOKIE_SECURE": False, "BASE_URL": base_url})
    app = app_factory()
    configured = config.normalise_base_url(str(app.config["BASE_URL"]))
    if configured != base_url:
        raise config.ConfigError(
            f"{config.ENV_PREFIX}_BASE_URL says {configured}, but this demo runs at {base_url}; unset it or make "
            "them the same",
            setting="BASE_URL",
        )
    db_commands.upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        session = db.get_session()
        logins = seed(
            session,
            kek=app.config["KEY_ENCRYPTION_KEY"],
            base_url=base_url,
            hasher=password_hasher(),
            now=datetime.now(UTC),
        )
        session.commit()
        app.extensions["certsvc.demo_claim"] = demo_claim(session, app.config["KEY_ENCRYPTION_KEY"])
    app.extensions["certsvc.demo_logins"] = logins
    return app


def print_welcome(app: Flask) -> None:
    """Print the address, who is who (role, organisation, where they work) and how to try the wallet."""
    base = app.config["BASE_URL"].rstrip("/")
    click.echo(f"\ncertsvc demo at {base}/")
    click.echo(f"  Check a credential (employers): {base}/verify")
    click.echo(f"  The migrant's wallet:           {base}/wallet")
    click.echo(f"  Staff sign-in:                  {base}/login")
    click.echo(f"\nStaff users (every password: {DEMO_PASSWORD}), and where each one works after signing in:")
    with app.test_request_context():
        for login in app.extensions["certsvc.demo_logins"]:
            click.echo(_login_line(login, base))
    claim = app.extensions.get("certsvc.demo_claim")
    if claim is not None:
        click.echo(f"\nTry the migrant's wallet: open {base}/wallet/claim and enter claim code {claim.code}")
        click.echo(f"with PIN {claim.pin} (the credential of {claim.holder}).")
    click.echo(f"\nData: {app.config['DATABASE_URL']}")


def _login_line(login: DemoLogin, base: str) -> str:
    kind = OrgKind(login.kind)
    with_role = f"{login.role} of the {WORKSPACE_NAMES[kind]}"
    workspace = base + url_for(workspace_endpoint(kind))
    return f"  {login.email:30s} {with_role:33s} {login.organisation}\n  {'':30s} works at {workspace}"


def serve(app: Flask, port: int, host: str = HOST) -> None:
    """Serve the demo with werkzeug's development server until Ctrl+C; the console reads as plain lines."""
    console.use_plain_console()
    server = make_server(host, port, app, threaded=True)
    click.echo(f"\nListening on http://{host}:{server.server_port}/ (a development server, for trying it out;")
    click.echo("run `certsvc serve` in production). Press Ctrl+C to stop.\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("\nStopped.")
    finally:
        server.server_close()
