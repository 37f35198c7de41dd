"""Prometheus metrics: requests and latency per endpoint, verifications, issuance, the co-sign queue.

Served at ``/metrics`` only when ``METRICS_ENABLED`` is true and only to the addresses or
networks in ``METRICS_ALLOW`` (loopback by default); anyone else gets a 404. ``certsvc serve``
can serve them on a separate port instead (``METRICS_PORT``, bound to ``METRICS_BIND``).

Under gunicorn every worker is its own process: ``certsvc serve`` sets
``PROMETHEUS_MULTIPROC_DIR`` before anything imports ``prometheus_client``, workers write
their samples there, and a scrape adds them up (prometheus_client's multiprocess mode).
The co-sign queue depth is not counted by anyone: a collector asks the database at scrape time.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from certsvc.accounts.access import public
from certsvc.store import db
from certsvc.store.models import Credential, CredentialState, Learner

bp = Blueprint("metrics", __name__)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
DEFAULTS: dict[str, Any] = {
    "METRICS_ENABLED": False,
    "METRICS_ALLOW": ["127.0.0.1", "::1"],
    # A separate port served by the gunicorn master (``certsvc serve``); None: not used.
    "METRICS_PORT": None,
    "METRICS_BIND": "127.0.0.1",
}
UNMATCHED = "<unmatched>"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
RESULTS = frozenset({"recognized", "authentic", "invalid"})
_PENDING_ISSUED = "certsvc.metrics.issued"

REQUESTS = Counter(
    "certsvc_http_requests",
    "HTTP requests answered, by method, endpoint (URL rule) and status.",
    ["method", "endpoint", "status"],
)
LATENCY = Histogram(
    "certsvc_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and endpoint (URL rule).",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
VERIFICATIONS = Counter("certsvc_verifications", "Credentials verified, by verdict.", ["result"])
ISSUED = Counter("certsvc_credentials_issued", "Credentials issued (committed), by kind.", ["kind"])


def init_app(app: Flask) -> None:
    """Time and count every request, count committed issuance, and register ``/metrics``."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_observe)
    app.register_blueprint(bp)
    install_issuance_hook()


def record_verification(result: object) -> None:
    """Count one verification by its verdict (a VerificationResult, a Verdict or its string value)."""
    status = getattr(result, "status", result)
    value = str(getattr(status, "value", status))
    VERIFICATIONS.labels(result=value if value in RESULTS else "other").inc()


def record_issued(kind: object, count: int = 1) -> None:
    """Count issued credentials of ``kind`` (called by the commit hook; callable directly too)."""
    ISSUED.labels(kind=str(getattr(kind, "value", kind))).inc(count)


def install_issuance_hook() -> None:
    """Count credentials when the transaction that inserted them commits (any session, once per process)."""
    if not event.contains(Session, "after_flush", _note_new_credentials):
        event.listen(Session, "after_flush", _note_new_credentials)
        event.listen(Session, "after_commit", _count_committed)
        event.listen(Session, "after_rollback", _forget_pending)


def _note_new_credentials(session: Session, _context: Any) -> None:
    kinds = [obj.kind for obj in session.new if isinstance(obj, Credential)]
    if kinds:
        session.info.setdefault(_PENDING_ISSUED, []).extend(kinds)


def _count_committed(session: Session) -> None:
    for kind in session.info.pop(_PENDING_ISSUED, []):
        record_issued(kind)


def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING_ISSUED, None)


# -- requests ----------------------------------------------------------------------------------


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.get("metrics_started")
    endpoint = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    method = request.method if request.method in _METHODS else "OTHER"
    REQUESTS.labels(method=method, endpoint=endpoint, status=str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(method=method, endpoint=endpoint).observe(time.perf_counter() - started)
    return response


# -- scraping ----------------------------------------------------------------------------------


class CoSignQueueCollector:
    """Ask the database, at scrape time, how many credentials await an embassy's co-signature."""

    def __init__(self, factory: Callable[[], sessionmaker[Session]]) -> None:
        self._factory = factory

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("certsvc_database_up", "Whether the database answered the last scrape.")
        try:
            with self._factory()() as session:
                rows = queue_depth(session)
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        depth = GaugeMetricFamily(
            "certsvc_cosign_queue_depth",
            "Credentials awaiting co-signature, by the holder's nationality (the embassy that co-signs).",
            labels=["nationality"],
        )
        for nationality, count in rows:
            depth.add_metric([nationality], count)
        up.add_metric([], 1)
        yield depth
        yield up


def queue_depth(session: Session) -> list[tuple[str, int]]:
    """Credentials awaiting co-signature, counted by the holder's nationality."""
    statement = (
        select(Learner.nationality, func.count(Credential.id))
        .join(Learner, Credential.learner_id == Learner.id)
        .where(Credential.state == CredentialState.AWAITING_COSIGN)
        .group_by(Learner.nationality)
        .order_by(Learner.nationality)
    )
    return [(nationality, int(count)) for nationality, count in session.execute(statement)]


class _ThisProcess:
    """The default registry's metrics, when not running in multiprocess mode."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def multiprocess_dir() -> str | None:
    """The multiprocess directory when this process runs under ``certsvc serve`` (or one is set)."""
    return os.environ.get(MULTIPROC_ENV) or None


def scrape_registry(factory: Callable[[], sessionmaker[Session]]) -> CollectorRegistry:
    """A registry holding every worker's samples (or this process's) and the co-sign queue collector."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())  # type: ignore[arg-type]
    registry.register(CoSignQueueCollector(factory))  # type: ignore[arg-type]
    return registry


def address_allowed(address: str | None, allowed: Iterable[str]) -> bool:
    """Tell whether ``address`` is one of ``allowed`` (addresses or networks such as 10.0.0.0/8)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(str(entry), strict=False):
                return True
        except ValueError:
            continue
    return False


@bp.get("/metrics")
@public
def metrics_view() -> Response:
    """The Prometheus exposition, for allowed addresses when enabled; a 404 for everyone else."""
    if not current_app.config["METRICS_ENABLED"] or not address_allowed(
        request.remote_addr, current_app.config["METRICS_ALLOW"]
    ):
        abort(404)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    registry = scrape_registry(lambda: db.session_factory(app))
    response = Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
