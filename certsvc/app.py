"""The application factory: the one place that knows every part."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from certsvc import access, audit_cli, auth_views, config, db, db_cli, errors_web, i18n, published, published_lists


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web application; fails loudly if SECRET_KEY or KEY_ENCRYPTION_KEY is missing."""
    instance_folder = config.instance_path()
    settings = config.load_settings(instance_folder, test_config)
    config.require_secrets(settings)
    app = Flask(
        "certsvc",
        instance_path=instance_folder,
        instance_relative_config=True,
        template_folder=templates_folder(),
        static_folder=None,
    )
    app.config.update(settings)
    if app.config["PROXY_COUNT"]:
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    db.init_app(app)
    errors_web.init_app(app)
    access.init_app(app)
    i18n.init_app(app)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(published.bp)
    app.register_blueprint(published_lists.bp)
    app.cli.add_command(db_cli.db)
    app.cli.add_command(audit_cli.audit_group)
    return app


def templates_folder() -> str:
    """Return the top-level ``templates`` package's folder (shipped as package data)."""
    return str(files("templates"))
