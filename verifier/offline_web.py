"""The server side of the verifier that runs in the employer's phone, offline if need be.

The page's own verifier (``templates/verify/offline/``) needs, besides its code: the anchor
keys of every authority (they ship with the page: the trust lists are checked against
them), every authority's current signed trust list and every status list (the documents
``/o/<slug>/`` publishes, in one bundle), and the page's messages in each language. A
service worker keeps all of it, so a QR link opened with no network still gets a verdict;
a web app manifest lets the phone install the page.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Any

from flask import Blueprint, Response, current_app, g, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from certsvc.accounts.access import public
from certsvc.authority import publishing
from certsvc.store import db
from certsvc.store.models import Organisation, OrgKind
from certsvc.store.status_lists import CACHE_EXTENSION
from certsvc.web import page_assets
from certsvc.web.i18n import gettext as _
from verifier import documents, web_messages
from verifier.reasons import INVALIDATING, Reason

bp = Blueprint("verify_offline", __name__)
FOLDER = "verify/offline"
MODULES = frozenset({"json.js", "jws.js", "claims.js", "documents.js", "pipeline.js", "view.js", "local.js"})
DICTIONARIES = frozenset({"qr-dict-v1.bin", "qr-dict-v2.bin"})
#: The same dictionaries packed (raw DEFLATE) for the phone, which unpacks them with DecompressionStream
#: and checks their published SHA-256: 11 KB kept instead of 29 KB.
PACKED = {f"{name}.deflate": name for name in DICTIONARIES}
ICON = "icon.svg"
ASSET_MAX_AGE = 24 * 3600
#: The bundle of lists changes with every revocation: caches revalidate it (the ETag makes that cheap).
BUNDLE_MAX_AGE = 0
#: How old a trust list may be before an offline verdict confirms nothing (docs/verify.md).
MAX_TRUST_LIST_AGE_DAYS = 30


@bp.get("/verify/assets/offline/<name>")
@public
def module(name: str) -> ResponseReturnValue:
    """The page's own verifier, as plain ES modules."""
    return page_assets.asset_response(FOLDER, name, MODULES | {ICON}, ASSET_MAX_AGE)


@bp.get("/verify/assets/qr/<name>")
@public
def qr_asset(name: str) -> ResponseReturnValue:
    """The QR transport decoder's modules and its preset dictionaries."""
    if name in DICTIONARIES or name in PACKED:
        data = _packed(PACKED[name]) if name in PACKED else _dictionary(name)
        response = Response(data, mimetype="application/octet-stream")
        response.cache_control.public = True
        response.cache_control.max_age = ASSET_MAX_AGE
        response.add_etag()
        return response.make_conditional(request)
    return page_assets.asset_response("verify/qr", name, qr_modules(), ASSET_MAX_AGE)


@bp.get("/verify/assets/offline/anchors.json")
@public
def anchors() -> ResponseReturnValue:
    """Every authority's anchor keys, each bound to its authority and country, and the verdict rules."""
    body = {
        "anchors": _anchor_list(),
        "max_trust_list_age_days": MAX_TRUST_LIST_AGE_DAYS,
        # Which reasons make a credential invalid (verifier/reasons.py), so the page's verdict is the pipeline's.
        "invalidating": sorted(r.value for r in INVALIDATING),
        "other_reasons": sorted(r.value for r in set(Reason) - INVALIDATING),
    }
    return _json(body, ASSET_MAX_AGE)


@bp.get("/verify/assets/offline/lists.json")
@public
def lists() -> ResponseReturnValue:
    """Every authority's current signed trust list and every status list, as published under /o/."""
    published = _published()
    body = {
        "fetched_at": datetime.now(UTC).isoformat(),
        "trust_lists": published.trust_lists,
        "status_lists": published.status_lists,
    }
    return _json(body, BUNDLE_MAX_AGE)


@bp.get("/verify/assets/offline/messages/<code>.json")
@public
def messages(code: str) -> ResponseReturnValue:
    """What the page says about a result, in one language (the page's verifier builds the same view)."""
    languages = current_app.extensions["certsvc.languages"]
    if code not in languages:
        return Response(status=404)
    g.language = languages[code]
    # Left unformatted: the page fills in when it last fetched the lists.
    checked_here = _("Checked on this phone; lists as of %(date)s.")
    body = {**web_messages.exported_messages(_countries()), "checked_here": checked_here}
    if code == "en":
        # In English the page shows the pipeline's own sentences, except for an input it could not read.
        body["passed"] = {}
        body["failed"] = {k: v for k, v in body["failed"].items() if k in UNREADABLE}
    return _json(body, ASSET_MAX_AGE)


@bp.get("/verify/assets/offline/sw.js")
@public
def service_worker() -> ResponseReturnValue:
    """The service worker, with the list of what it keeps and a version that changes with it."""
    precache = precache_urls()
    # New code or new anchor keys make a new version: the phone then replaces what it keeps.
    anchors = json.dumps(_anchor_list(), sort_keys=True).encode()
    version = hashlib.sha256(json.dumps(precache).encode() + _shipped_bytes() + anchors).hexdigest()[:16]
    head = f"const VERSION = {json.dumps(version)};\nconst PRECACHE = {json.dumps(precache)};\n"
    source = head + page_assets.asset_bytes(FOLDER, "sw.js").decode("utf-8")
    response = Response(source, mimetype="text/javascript")
    # Registered for the whole origin: the QR link opens /V, outside /verify/.
    response.headers["Service-Worker-Allowed"] = "/"
    response.cache_control.no_cache = True
    response.cache_control.public = True
    return response


@bp.get("/verify/assets/offline/manifest.webmanifest")
@public
def manifest() -> ResponseReturnValue:
    """The web app manifest: the verify page installs as an app."""
    body = {
        "name": _("Check a skills credential"),
        "short_name": _("Check credential"),
        "start_url": url_for("verify.page"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d4f91",
        "icons": [{"src": url_for(".module", name=ICON), "sizes": "any", "type": "image/svg+xml"}],
    }
    response = _json(body, ASSET_MAX_AGE)
    response.mimetype = "application/manifest+json"
    return response


#: The reasons a failed ``well_formed`` check carries: the first group of verifier/reasons.py.
UNREADABLE = frozenset(r.value for r in list(Reason)[: list(Reason).index(Reason.CLAIMS_INVALID) + 1])


def precache_urls() -> list[str]:
    """What the service worker keeps: the pages, their code and style, anchors, messages, dictionaries."""
    # One page: /verify is the QR link's page without a fragment (the service worker serves it for both).
    urls = [url_for("verify.landing")]
    urls += [url_for("verify.asset", name=n) for n in ("verify.js", "verify.css")]
    urls += [url_for(".module", name=n) for n in sorted(MODULES)]
    urls += [url_for(".qr_asset", name=n) for n in sorted(qr_modules() | set(PACKED))]
    urls += [url_for(".messages", code=c) for c in sorted(current_app.extensions["certsvc.languages"])]
    urls += [url_for(".anchors")]
    return urls


@cache
def qr_modules() -> frozenset[str]:
    """The QR transport decoder's modules (templates/verify/qr/*.js), when they ship."""
    folder = files("templates") / "verify" / "qr"
    if not folder.is_dir():
        return frozenset()
    return frozenset(e.name for e in folder.iterdir() if e.name.endswith(".js"))


@cache
def _dictionary(name: str) -> bytes:
    return (files("certsvc.qr") / "data" / name).read_bytes()


@cache
def _packed(name: str) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(_dictionary(name)) + packer.flush()


@cache
def _shipped_bytes() -> bytes:
    """Everything the service worker keeps that is code, so that a new release replaces it."""
    parts = [page_assets.asset_bytes(FOLDER, n) for n in sorted(MODULES | {"sw.js", ICON})]
    parts += [page_assets.asset_bytes("verify", n) for n in ("verify.js", "verify.css")]
    parts += [page_assets.asset_bytes("verify/qr", n) for n in sorted(qr_modules())]
    return b"".join(parts)


def _anchor_list() -> list[dict[str, Any]]:
    """Every authority's keys as anchors (``/o/<slug>/anchor.json`` lists one authority's)."""
    session = db.get_session()
    authorities = session.scalars(
        select(Organisation).where(Organisation.kind == OrgKind.AUTHORITY).order_by(Organisation.id)
    ).all()
    return [a.to_json() for org in authorities for a in publishing.authority_anchors(session, org, _base_url())]


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def _countries() -> set[str]:
    """Every country an organisation of the service is of or sits in: the ones a verdict can name."""
    rows = db.get_session().execute(select(Organisation.country, Organisation.host_country))
    return {code for row in rows for code in row if code}


def _published() -> documents.PublishedDocuments:
    session = db.get_session()
    published = documents.load_published(
        session,
        base_url=_base_url(),
        kek=current_app.config["KEY_ENCRYPTION_KEY"],
        now=datetime.now(UTC),
        cache=current_app.extensions.get(CACHE_EXTENSION),
    )
    session.commit()  # a trust list whose contents changed was signed anew: keep it
    return published


def _json(body: object, max_age: int) -> Response:
    response = Response(json.dumps(body, separators=(",", ":"), ensure_ascii=False), mimetype="application/json")
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.add_etag()
    return response.make_conditional(request)
