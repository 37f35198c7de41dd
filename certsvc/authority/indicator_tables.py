"""The dashboard's tables: each chart's numbers, the same as its data table and its CSV.

The authority's own dashboard shows exact counts. The public version shows no personal
data and no small numbers: a count from 1 to 4 is shown as ``<5``, every other count is
rounded to the nearest 5, and shares are computed from the rounded counts, so that no
small count can be worked out by adding or subtracting published figures. Rejections are
counted by their reason code from the fixed list; the notes officers write (for "other"
reasons) are for the authority's own dashboard only, never published.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from certsvc.authority.indicators import ELSEWHERE, HOME, KINDS, NOT_RECORDED, REVOKED, SEXES, WITHDRAWN, Figures
from certsvc.store.models import REJECTION_LABELS

SMALL = 5
SUPPRESSED = "<5"
WITHHELD = "—"
CREDENTIALS = "Credentials"
COSIGNED = "Co-signed"
REJECTED = "Rejected"
SHARE_COSIGNED = "Share co-signed"
MEDIAN_DAYS = "Median days to co-signature"
VERIFIED_HOME = "Verified at home"
SHARE_HOME = "Share verified at home"
REJECTIONS = "Rejections"


@dataclass(frozen=True)
class Cell:
    """One number: what the chart draws (None: nothing) and what the table and CSV show."""

    value: float | None
    text: str


@dataclass(frozen=True)
class Table:
    """One chart's data: rows × columns of cells, and how to draw it."""

    key: str
    title: str
    description: str
    row_header: str
    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], Cell]
    chart: str  # line | stacked | grouped | hbar
    plotted: tuple[str, ...] = ()
    unit: str = ""
    wide_labels: bool = False

    def cell(self, row: str, column: str) -> Cell:
        return self.cells.get((row, column), ZERO)

    @property
    def series(self) -> list[str]:
        """The columns the chart draws."""
        return list(self.plotted) or self.columns


@dataclass(frozen=True)
class Headline:
    """A single figure shown large above the charts."""

    label: str
    cell: Cell
    unit: str = ""


@dataclass
class Dashboard:
    headlines: list[Headline]
    tables: list[Table] = field(default_factory=list)
    #: Rejections for "other" reasons by the note written (the authority's own dashboard only).
    other_notes: list[tuple[str, int]] = field(default_factory=list)

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


ZERO = Cell(0, "0")


def exact_count(n: int) -> Cell:
    """A count as it is."""
    return Cell(n, str(n))


def public_count(n: int) -> Cell:
    """A count safe to publish: 0 as is, 1-4 as "<5", others rounded to the nearest 5."""
    if n == 0:
        return ZERO
    if n < SMALL:
        return Cell(None, SUPPRESSED)
    rounded = (n + 2) // 5 * 5
    return Cell(rounded, str(rounded))


def share(part: Cell, whole: Cell, public: bool) -> Cell:
    """``part`` as a percentage of ``whole``; withheld when either side of a public share is small."""
    if part.value is None or whole.value is None or not whole.value:
        return Cell(None, WITHHELD)
    if public and (part.value < SMALL or whole.value - part.value < SMALL):
        return Cell(None, WITHHELD)
    percent = round(100 * part.value / whole.value, 1)
    return Cell(percent, f"{percent:.1f}")


def build(figures: Figures, *, public: bool) -> Dashboard:
    """Every table of the dashboard, exact for the authority or safe to publish."""
    count = public_count if public else exact_count
    months = figures.months()
    corridors = sorted({figures.filters.corridor_label(c) for c in figures.verified_home})
    total = count(figures.total_issued)
    cosigned = count(sum(e.cosigned for e in figures.embassies))
    verified = count(sum(home for _, home in figures.verified_home.values()))
    dashboard = Dashboard(
        headlines=[
            Headline("Credentials issued", total),
            Headline("Share co-signed", share(cosigned, total, public), "%"),
            Headline("Share verified at home at least once", share(verified, total, public), "%"),
            Headline("Revoked", count(sum(n for (_, what), n in figures.revocations.items() if what == REVOKED))),
        ]
    )
    by = figures.issued_by
    dashboard.tables = [
        _monthly(
            "issued-by-corridor",
            "Credentials issued per month, by corridor",
            months,
            corridors,
            by("corridor"),
            count,
            "line",
        ),
        _monthly(
            "issued-by-kind", "Credentials issued per month, by kind", months, list(KINDS), by("kind"), count, "stacked"
        ),
        _monthly(
            "issued-by-sex",
            "Credentials issued per month, by sex (where recorded)",
            months,
            list(SEXES),
            by("sex"),
            count,
            "stacked",
        ),
        _qualifications(figures, count),
        *_embassies(figures, count, public),
        _reasons(figures, count),
        _monthly(
            "revocations",
            "Revocations and withdrawn co-signatures per month",
            months,
            [REVOKED, WITHDRAWN],
            figures.revocations,
            count,
            "grouped",
        ),
        _monthly(
            "verifications",
            "Verifications per month, at home or elsewhere",
            months,
            [HOME, ELSEWHERE],
            figures.verifications,
            count,
            "stacked",
        ),
        _verified_home(figures, count, public),
    ]
    dashboard.other_notes = [] if public else list(figures.other_notes)
    return dashboard


def _monthly(
    key: str,
    title: str,
    months: list[str],
    columns: list[str],
    values: dict[tuple[str, str], int],
    count: Callable[[int], Cell],
    chart: str,
) -> Table:
    cells = {(m, c): count(values.get((m, c), 0)) for m in months for c in columns}
    description = f"{title}, {months[0]} to {months[-1]}." if months else f"{title}: no data."
    return Table(key, title, description, "Month", months, columns, cells, chart)


def _qualifications(figures: Figures, count: Callable[[int], Cell]) -> Table:
    rows = [q.label for q in figures.qualifications]
    cells = {(q.label, CREDENTIALS): count(q.count) for q in figures.qualifications}
    title = "Credentials issued by qualification"
    return Table(
        "issued-by-qualification",
        title,
        title + ".",
        "Qualification",
        rows,
        [CREDENTIALS],
        cells,
        "hbar",
        wide_labels=True,
    )


def _embassies(figures: Figures, count: Callable[[int], Cell], public: bool) -> list[Table]:
    rows = [e.embassy for e in figures.embassies]
    columns = [CREDENTIALS, COSIGNED, REJECTED, SHARE_COSIGNED, MEDIAN_DAYS]
    cells: dict[tuple[str, str], Cell] = {}
    for e in figures.embassies:
        total, cosigned = count(e.credentials), count(e.cosigned)
        cells[(e.embassy, CREDENTIALS)], cells[(e.embassy, COSIGNED)] = total, cosigned
        cells[(e.embassy, REJECTED)] = count(e.rejected)
        cells[(e.embassy, SHARE_COSIGNED)] = share(cosigned, total, public)
        cells[(e.embassy, MEDIAN_DAYS)] = _median(e.median_days, e.cosigned, public)
    share_title = "Share of credentials co-signed, per embassy"
    days_title = "Median days from issue to co-signature, per embassy"
    return [
        Table(
            "cosigned-by-embassy",
            share_title,
            share_title + ".",
            "Embassy",
            rows,
            columns,
            cells,
            "hbar",
            plotted=(SHARE_COSIGNED,),
            unit="%",
            wide_labels=True,
        ),
        Table(
            "days-to-cosign",
            days_title,
            days_title + ".",
            "Embassy",
            rows,
            [MEDIAN_DAYS],
            {k: v for k, v in cells.items() if k[1] == MEDIAN_DAYS},
            "hbar",
            unit="days",
            wide_labels=True,
        ),
    ]


def _median(days: float | None, cosigned: int, public: bool) -> Cell:
    if days is None or (public and cosigned < SMALL):
        return Cell(None, WITHHELD)
    return Cell(round(days, 1), f"{days:.1f}")


def _reasons(figures: Figures, count: Callable[[int], Cell]) -> Table:
    """Rejections by reason code: a fixed list, so the same reason is one bar however it was worded."""
    rows = [code for code, _n in figures.rejection_reasons]
    cells = {(code, REJECTIONS): count(n) for code, n in figures.rejection_reasons}
    title = "Rejections by reason"
    return Table("rejection-reasons", title, title + ".", "Reason", rows, [REJECTIONS], cells, "hbar", wide_labels=True)


def _verified_home(figures: Figures, count: Callable[[int], Cell], public: bool) -> Table:
    rows, cells = [], {}
    for country, (total, home) in sorted(figures.verified_home.items()):
        label = figures.filters.corridor_label(country)
        rows.append(label)
        total_cell, home_cell = count(total), count(home)
        cells[(label, CREDENTIALS)], cells[(label, VERIFIED_HOME)] = total_cell, home_cell
        cells[(label, SHARE_HOME)] = share(home_cell, total_cell, public)
    title = "Share of credentials verified at home at least once, by corridor"
    columns = [CREDENTIALS, VERIFIED_HOME, SHARE_HOME]
    return Table(
        "verified-at-home",
        title,
        title + ".",
        "Corridor",
        rows,
        columns,
        cells,
        "hbar",
        plotted=(SHARE_HOME,),
        unit="%",
    )


def csv_text(table: Table, labels: Callable[[str], str] = str) -> str:
    """The table as CSV: a header row, then one row per row label, cells as shown."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([labels(table.row_header), *(labels(c) for c in table.columns)])
    for row in table.rows:
        writer.writerow([_safe(labels(row)), *(table.cell(row, c).text for c in table.columns)])
    return out.getvalue()


def _safe(text: str) -> str:
    # A spreadsheet runs a cell that starts with = + - @ as a formula; names are free text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def sex_label(value: str) -> str:
    """How a sex code reads in a legend."""
    return {"F": "Female", "M": "Male", "X": "Unspecified (X)", NOT_RECORDED: "Not recorded"}.get(value, value)


def label_of(value: str) -> str:
    """The English msgid for a column or series value (translated by the templates)."""
    labels = {"training": "Training", "prior_skills": "Prior skills", **_SEX_LABELS, **_PERCENT_LABELS, **_REASONS}
    return labels.get(value, value)


_SEX_LABELS = {v: sex_label(v) for v in SEXES}
_PERCENT_LABELS = {SHARE_COSIGNED: "Share co-signed (%)", SHARE_HOME: "Share verified at home (%)"}
_REASONS = {code.value: label for code, label in REJECTION_LABELS.items()}
