"""The indicators: the authority's dashboard and its public, aggregate-only version.

``/authority/indicators`` shows an authority exact figures for its nationals' credentials,
filtered by issue dates and corridor. ``/indicators/<authority>`` is public: no sign-in,
no personal data, small counts suppressed and the rest rounded (see indicator_tables),
filtered by corridor and year. Every chart downloads as CSV.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import date

from flask import Blueprint, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue

from certsvc.accounts import organisations
from certsvc.accounts.access import public, require_org_role, require_principal
from certsvc.authority import indicators
from certsvc.authority.charts import chart_for
from certsvc.authority.indicator_tables import Dashboard, build, csv_text, label_of
from certsvc.credentials.errors import CertsvcError
from certsvc.store import db
from certsvc.store.models import Organisation, OrgKind
from certsvc.web.i18n import country_name
from certsvc.web.i18n import gettext as _

bp = Blueprint("indicators", __name__)
PUBLIC_MAX_AGE = 300
FIRST_YEAR = 2000
#: The public figures are computed at most once a minute per filter and process (they are aggregates).
PUBLIC_FIGURES_SECONDS = 60.0
PUBLIC_FIGURES_ENTRIES = 512


class _PublicBoards:
    """Public dashboards by filter, kept for a minute: a burst of requests costs one computation."""

    def __init__(self) -> None:
        self._boards: dict[tuple[object, ...], tuple[float, Dashboard, list[str]]] = {}
        self._lock = threading.Lock()

    def get(self, filters: indicators.Filters) -> tuple[Dashboard, list[str]]:
        key = (filters.nationality, filters.start, filters.end, filters.provider_country)
        now = time.monotonic()
        with self._lock:
            found = self._boards.get(key)
            if found is not None and found[0] > now:
                return found[1], found[2]
        figures = indicators.figures(db.get_session(), filters)
        board, corridors = build(figures, public=True), list(figures.corridors)
        with self._lock:
            if len(self._boards) >= PUBLIC_FIGURES_ENTRIES:
                self._boards = {k: v for k, v in self._boards.items() if v[0] > now}
            if len(self._boards) < PUBLIC_FIGURES_ENTRIES:
                self._boards[key] = (now + PUBLIC_FIGURES_SECONDS, board, corridors)
        return board, corridors


def _public_boards() -> _PublicBoards:
    boards: _PublicBoards = current_app.extensions.setdefault("certsvc.public_indicators", _PublicBoards())
    return boards


class BadFilter(CertsvcError):
    code = "invalid_filter"
    http_status = 400


class NoSuchDashboard(CertsvcError):
    code = "not_found"
    http_status = 404


@bp.get("/authority/indicators")
@require_org_role(kinds=(OrgKind.AUTHORITY,))
def dashboard() -> ResponseReturnValue:
    """The authority's dashboard: charts of exact figures, with filters."""
    org = require_principal().org
    filters = _private_filters(org)
    figures = indicators.figures(db.get_session(), filters)
    board = build(figures, public=False)
    return render_template(
        "indicators/dashboard.html",
        authority=org,
        board=board,
        charts=_charts(board),
        filters=filters,
        corridors=figures.corridors,
        query=_query(),
    )


@bp.get("/authority/indicators/<key>.csv")
@require_org_role(kinds=(OrgKind.AUTHORITY,))
def dashboard_csv(key: str) -> ResponseReturnValue:
    """One chart of the dashboard as CSV."""
    org = require_principal().org
    board = build(indicators.figures(db.get_session(), _private_filters(org)), public=False)
    return _csv(board, key, f"{org.slug}-{key}.csv", cache="private, no-store")


@bp.get("/indicators/<slug>", endpoint="public")
@public
def public_dashboard(slug: str) -> ResponseReturnValue:
    """The public version: aggregates only, small counts suppressed."""
    authority = _authority(slug)
    filters, year = _public_filters(authority)
    board, corridors = _public_boards().get(filters)
    page = render_template(
        "indicators/public.html",
        authority=authority,
        board=board,
        charts=_charts(board),
        filters=filters,
        year=year,
        years=list(range(date.today().year, FIRST_YEAR - 1, -1))[:10],
        corridors=corridors,
        query=_query(),
    )
    response = Response(page)
    response.cache_control.public = True
    response.cache_control.max_age = PUBLIC_MAX_AGE
    return response


@bp.get("/indicators/<slug>/<key>.csv")
@public
def public_csv(slug: str, key: str) -> ResponseReturnValue:
    """One chart of the public version as CSV."""
    authority = _authority(slug)
    filters, _year = _public_filters(authority)
    board, _corridors = _public_boards().get(filters)
    return _csv(board, key, f"{slug}-{key}.csv", cache=f"public, max-age={PUBLIC_MAX_AGE}")


def _csv(board: Dashboard, key: str, filename: str, cache: str) -> Response:
    table = board.table(key)
    if table is None:
        raise NoSuchDashboard("no such chart")
    response = Response(csv_text(table, label_of), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = cache
    return response


def _charts(board: Dashboard) -> dict[str, object]:
    """Every table's chart, its labels in the page's language (wrapped to fit as shown)."""
    return {table.key: chart_for(table, label=_shown) for table in board.tables}


def _shown(value: str) -> str:
    """A row or series name as the page shows it (a corridor with its countries' names)."""
    corridor = _CORRIDOR.fullmatch(value)
    if corridor:
        return f"{country_name(corridor[1])} → {country_name(corridor[2])}"
    return _(label_of(value))


_CORRIDOR = re.compile(r"([A-Z]{2}) → ([A-Z]{2})")


def _authority(slug: str) -> Organisation:
    try:
        org = organisations.get_organisation(db.get_session(), slug)
    except organisations.UnknownOrganisation:
        raise NoSuchDashboard("no such authority") from None
    if org.kind is not OrgKind.AUTHORITY:
        raise NoSuchDashboard("no such authority")
    return org


def _private_filters(org: Organisation) -> indicators.Filters:
    start, end = _date_arg("from"), _date_arg("to")
    if start and end and end < start:
        raise BadFilter(_("The end date is before the start date."), field="to")
    return indicators.Filters(org.country, start, end, _corridor_arg())


def _public_filters(org: Organisation) -> tuple[indicators.Filters, int | None]:
    year = _year_arg()
    start, end = (date(year, 1, 1), date(year, 12, 31)) if year else (None, None)
    return indicators.Filters(org.country, start, end, _corridor_arg()), year


def _date_arg(name: str) -> date | None:
    unverified = request.args.get(name, "").strip()
    if not unverified:
        return None
    try:
        return date.fromisoformat(unverified)
    except ValueError:
        raise BadFilter(_("Enter a date as YYYY-MM-DD."), field=name) from None


def _year_arg() -> int | None:
    unverified = request.args.get("year", "").strip()
    if not unverified:
        return None
    if not unverified.isdigit() or not FIRST_YEAR <= int(unverified) <= date.today().year + 1:
        raise BadFilter(_("Choose a year from the list."), field="year")
    return int(unverified)


def _corridor_arg() -> str | None:
    unverified = request.args.get("corridor", "").strip().upper()
    if not unverified:
        return None
    if len(unverified) != 2 or not unverified.isalpha():
        raise BadFilter(_("Choose a corridor from the list."), field="corridor")
    return unverified


def _query() -> dict[str, str]:
    """The current filters, to carry into the CSV links."""
    return {k: v for k, v in request.args.items() if k in ("from", "to", "corridor", "year") and v}
