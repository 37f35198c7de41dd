"""The application factory: the one place that knows every part."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from certsvc import config
from certsvc.accounts import access
from certsvc.accounts import views as account_views
from certsvc.authority import indicators_views
from certsvc.authority import views as authority_views
from certsvc.store import audit_commands, db, db_commands
from certsvc.wallet import views as wallet_views
from certsvc.web import (
    error_handlers,
    front_door,
    health,
    i18n,
    logs,
    metrics,
    public_pages,
    published_keys,
    published_lists,
    staff_assets,
)
from issuers import api, views_embassy, views_imports, views_provider
from verifier import web as verifier_web


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
    logs.init_app(app)
    metrics.init_app(app)
    if app.config["PROXY_COUNT"]:
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    db.init_app(app)
    error_handlers.init_app(app)
    access.init_app(app)
    i18n.init_app(app)
    health.init_app(app)
    staff_assets.init_app(app)
    app.register_blueprint(account_views.bp)
    app.register_blueprint(views_provider.bp)
    app.register_blueprint(views_embassy.bp)
    app.register_blueprint(views_imports.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(published_keys.bp)
    app.register_blueprint(published_keys.well_known)
    app.register_blueprint(published_lists.bp)
    app.register_blueprint(public_pages.bp)
    app.register_blueprint(authority_views.bp)
    app.register_blueprint(indicators_views.bp)
    verifier_web.init_app(app)
    front_door.init_app(app)
    wallet_views.init_app(app)
    app.cli.add_command(db_commands.db)
    app.cli.add_command(audit_commands.audit_group)
    return app


def templates_folder() -> str:
    """Return the top-level ``templates`` package's folder (shipped as package data)."""
    return str(files("templates"))
