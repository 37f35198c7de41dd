"""The production server behind ``certsvc serve``: gunicorn running the app factory in each worker.

Settings (``instance/config.py`` or ``CERTSVC_*`` variables, like every other setting):
``SERVE_BIND`` (``127.0.0.1:8000``: keep it private, behind the TLS proxy), ``SERVE_WORKERS``,
``SERVE_THREADS`` (more than 1 selects gunicorn's threaded worker), ``SERVE_TIMEOUT``,
``SERVE_GRACEFUL_TIMEOUT``, ``SERVE_KEEPALIVE``, ``SERVE_MAX_REQUESTS``, ``LOG_LEVEL``.

Forwarded headers are trusted by the app alone, through ``PROXY_COUNT`` (werkzeug's
ProxyFix); gunicorn's own ``forwarded_allow_ips`` is emptied so it never trusts them itself.
gunicorn's access log is off: the app writes one JSON line per request without the raw path; the
error log names a failed request by its route (``GunicornRequestFilter``) and logs no path before one.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from certsvc import config
from certsvc.credentials.errors import CertsvcError

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Options of newer gunicorn versions, skipped where unknown.
OPTIONAL_OPTIONS = frozenset({"control_socket_disable"})
DEFAULTS: dict[str, Any] = {
    "SERVE_BIND": "127.0.0.1:8000",
    "SERVE_WORKERS": 2,
    "SERVE_THREADS": 1,
    "SERVE_TIMEOUT": 30,
    "SERVE_GRACEFUL_TIMEOUT": 30,
    "SERVE_KEEPALIVE": 5,
    "SERVE_MAX_REQUESTS": 0,
    "LOG_LEVEL": "INFO",
    "METRICS_PORT": None,
    "METRICS_BIND": "127.0.0.1",
}


class JsonGunicornLogger(glogging.Logger):
    """gunicorn's error log as JSON lines, scrubbed like the app's; no access log."""

    def setup(self, cfg: Any) -> None:
        from certsvc.web.logs import GunicornRequestFilter, JsonFormatter

        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
            handler.addFilter(GunicornRequestFilter())

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """Write nothing: the app logs each request by its route, without path or query string."""


class CertsvcServer(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
    """gunicorn with options from the settings; each worker builds its own app (no preload)."""

    def __init__(self, options: dict[str, Any], app_factory: Callable[[], Flask]) -> None:
        self.options = options
        self.app_factory = app_factory
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in OPTIONAL_OPTIONS and key not in self.cfg.settings:
                continue  # an older gunicorn without that feature
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.app_factory()


def gunicorn_options(settings: Any, bind: str | None = None, workers: int | None = None) -> dict[str, Any]:
    """Translate the settings into gunicorn options."""

    def setting(name: str) -> Any:
        value = settings.get(name)
        return DEFAULTS[name] if value is None else value

    threads = int(setting("SERVE_THREADS"))
    options: dict[str, Any] = {
        "bind": [part.strip() for part in str(bind or setting("SERVE_BIND")).split(",") if part.strip()],
        "workers": int(workers or setting("SERVE_WORKERS")),
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": int(setting("SERVE_TIMEOUT")),
        "graceful_timeout": int(setting("SERVE_GRACEFUL_TIMEOUT")),
        "keepalive": int(setting("SERVE_KEEPALIVE")),
        "max_requests": int(setting("SERVE_MAX_REQUESTS")),
        "max_requests_jitter": int(setting("SERVE_MAX_REQUESTS")) // 10,
        "preload_app": False,
        "forwarded_allow_ips": "",
        "accesslog": None,
        "errorlog": "-",
        "loglevel": str(setting("LOG_LEVEL")).lower(),
        "logger_class": JsonGunicornLogger,
        "proc_name": "certsvc",
        # gunicorn's control socket sits at one path per user: two nodes on one host would share it.
        "control_socket_disable": True,
        "child_exit": _child_exit,
        # gunicorn's default hook logs every raw path at debug level; the app logs each request by its route.
        "pre_request": _quiet_pre_request,
    }
    if setting("METRICS_PORT"):
        addr = str(setting("METRICS_BIND"))
        options["when_ready"] = _metrics_server(int(setting("METRICS_PORT")), addr, str(settings["DATABASE_URL"]))
    return options


def prepare_metrics_dir() -> tuple[str, bool]:
    """Point prometheus_client's multiprocess mode at an empty folder (before anything imports it).

    Returns the folder and whether it was created here (and so is removed on exit).
    """
    configured = os.environ.get(MULTIPROC_ENV)
    path = configured or tempfile.mkdtemp(prefix="certsvc-metrics-")
    os.makedirs(path, exist_ok=True)
    # Samples of an earlier run would be added to this one's.
    for stale in glob.glob(os.path.join(path, "*.db")):
        os.remove(stale)
    os.environ[MULTIPROC_ENV] = path
    return path, not configured


def _quiet_pre_request(_worker: Any, _req: Any) -> None:
    """Log nothing before a request (gunicorn's default writes its raw path)."""


def _child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _metrics_server(port: int, addr: str, database_url: str) -> Callable[[Any], None]:
    """A when_ready hook: the gunicorn master serves every worker's metrics on a port of its own."""

    def when_ready(server: Any) -> None:
        from prometheus_client import start_http_server
        from sqlalchemy.pool import NullPool

        from certsvc.store import db
        from certsvc.web import metrics

        # The master forks workers: no pooled connection may be inherited, hence NullPool.
        engine = db.make_engine(database_url, sqlite_begin="DEFERRED", poolclass=NullPool)
        factory = db.make_session_factory(engine)
        start_http_server(port, addr=addr, registry=metrics.scrape_registry(lambda: factory))
        server.log.info("metrics served on %s:%s", addr, port)

    return when_ready


def run_server(app_factory: Callable[[], Flask], bind: str | None, workers: int | None) -> None:
    """Run gunicorn with options from the configuration; each worker calls ``app_factory``."""
    settings = config.load_settings(config.instance_path())
    try:
        config.require_secrets(settings)
    except CertsvcError as exc:
        raise click.ClickException(exc.message) from exc
    metrics_dir, created = prepare_metrics_dir()
    master = os.getpid()
    try:
        CertsvcServer(gunicorn_options(settings, bind, workers), app_factory).run()
    finally:
        # Workers leave through here too (gunicorn forks inside run()): only the master cleans up.
        if created and os.getpid() == master:
            shutil.rmtree(metrics_dir, ignore_errors=True)
