"""Chart geometry for server-rendered SVG: bars, lines, axes and legend, computed from a Table.

Only numbers and labels come out of here; ``templates/indicators/_chart.html`` writes the
SVG (so Jinja escapes every label). Cells without a value (suppressed) are not drawn.

Charts are laid out for a phone (``WIDTH`` user units is about the width of a 360 px
screen's content) and drawn at most a little larger on a desktop, so their text stays
readable everywhere without a second layout. Horizontal bar charts put each label above
its bar, wrapped over up to two lines; a longer label is shortened with "…" and keeps its
full text as the SVG title (shown on hover) and in the data table below the chart.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

from certsvc.authority.indicator_tables import Table

WIDTH = 360
FONT = 15
LINE = 18
VERTICAL_HEIGHT = 240
#: Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7F7F7F", "#000000")
#: How many month labels fit under a vertical chart ("2026-03" at FONT is about 55 units wide).
MAX_X_LABELS = 5
MAX_BAR = 48
BAR_HEIGHT = 16
ROW_GAP = 12
#: Characters of a horizontal chart's label per line (a generous average glyph is 0.6 em), and lines.
LABEL_CHARS = int((WIDTH - 8) / (FONT * 0.6))
LABEL_LINES = 2
#: Room right of the longest bar for its value ("100.0 %").
VALUE_ROOM = 64


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str  # row, series and value, for the tooltip


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Line:
    colour: str
    series: str
    segments: list[list[Point]]

    def path(self, segment: list[Point]) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in segment)


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


@dataclass(frozen=True)
class Label:
    """A category label of a horizontal chart: its lines (wrapped, maybe shortened) and its full text."""

    x: float
    y: float
    lines: list[str]
    full: str

    @property
    def shortened(self) -> bool:
        return " ".join(self.lines) != " ".join(self.full.split())


@dataclass
class Chart:
    """Everything the template needs to write one SVG."""

    key: str
    width: float
    height: float
    left: float
    top: float
    right: float
    bottom: float
    horizontal: bool
    bars: list[Bar] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    category_labels: list[Label] = field(default_factory=list)
    value_labels: list[Point] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    font_size: int = FONT
    line_height: int = LINE

    @property
    def empty(self) -> bool:
        return not self.bars and not any(line.segments for line in self.lines)


def nice_ticks(maximum: float, count: int = 4, *, whole: bool = True) -> list[float]:
    """Round tick values from 0 to at least ``maximum`` (steps of 1, 2 or 5 times a power of ten).

    With ``whole`` (counts) no step is below 1.
    """
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1.0, float(math.ceil(step)))
    top = math.ceil(maximum / step) * step
    return [i * step for i in range(round(top / step) + 1)]


def chart_for(table: Table, colour_of: dict[str, str] | None = None, label: Callable[[str], str] = str) -> Chart:
    """Lay out ``table`` as its kind of chart; ``label`` turns a row or series name into the words shown."""
    colours = colour_of or {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(table.series)}
    if table.chart == "hbar":
        return _horizontal(table, colours, label)
    return _vertical(table, colours, label)


def wrap_label(text: str, chars: int = LABEL_CHARS, lines: int = LABEL_LINES) -> list[str]:
    """``text`` over at most ``lines`` lines of about ``chars`` characters, the last shortened with "…"."""
    wrapped = textwrap.wrap(" ".join(text.split()), chars, break_long_words=True) or [""]
    if len(wrapped) <= lines:
        return wrapped
    kept = wrapped[: lines - 1]
    rest = " ".join(wrapped[lines - 1 :])
    return [*kept, rest[: chars - 1].rstrip() + "…"]


def _vertical(table: Table, colours: dict[str, str], label: Callable[[str], str]) -> Chart:
    height = VERTICAL_HEIGHT
    chart = Chart(table.key, WIDTH, height, 44, 10, WIDTH - 8, height - 30, horizontal=False)
    chart.legend = [(s, colours[s]) for s in table.series]
    rows = table.rows
    if not rows:
        return chart
    totals = [_row_total(table, r) if table.chart == "stacked" else _row_max(table, r) for r in rows]
    ticks = nice_ticks(max(totals, default=0), whole=not table.unit)
    scale = (chart.bottom - chart.top) / ticks[-1]
    chart.y_ticks = [Tick(chart.bottom - t * scale, _number(t)) for t in ticks]
    slot = (chart.right - chart.left) / len(rows)
    every = max(1, math.ceil(len(rows) / MAX_X_LABELS))
    chart.x_ticks = [Tick(chart.left + (i + 0.5) * slot, label(r)) for i, r in enumerate(rows) if i % every == 0]
    if table.chart == "line":
        chart.lines = [_line(table, s, colours[s], chart, slot, scale, label) for s in table.series]
    elif table.chart == "stacked":
        chart.bars = _stacked(table, colours, chart, slot, scale, label)
    else:
        chart.bars = _grouped(table, colours, chart, slot, scale, label)
    return chart


def _stacked(
    table: Table, colours: dict[str, str], chart: Chart, slot: float, scale: float, label: Callable[[str], str]
) -> list[Bar]:
    bars = []
    width = min(MAX_BAR, max(1.0, slot * 0.7))
    for i, row in enumerate(table.rows):
        base = chart.bottom
        for series in table.series:
            cell = table.cell(row, series)
            if not cell.value:
                continue
            height = cell.value * scale
            base -= height
            x = chart.left + i * slot + (slot - width) / 2
            bars.append(Bar(x, base, width, height, colours[series], f"{label(row)}, {label(series)}: {cell.text}"))
    return bars


def _grouped(
    table: Table, colours: dict[str, str], chart: Chart, slot: float, scale: float, label: Callable[[str], str]
) -> list[Bar]:
    bars = []
    width = min(MAX_BAR / 2, max(1.0, slot * 0.8 / len(table.series)))
    group = width * len(table.series)
    for i, row in enumerate(table.rows):
        for j, series in enumerate(table.series):
            cell = table.cell(row, series)
            if not cell.value:
                continue
            height = cell.value * scale
            x = chart.left + i * slot + (slot - group) / 2 + j * width
            tooltip = f"{label(row)}, {label(series)}: {cell.text}"
            bars.append(Bar(x, chart.bottom - height, width, height, colours[series], tooltip))
    return bars


def _line(
    table: Table,
    series: str,
    colour: str,
    chart: Chart,
    slot: float,
    scale: float,
    label: Callable[[str], str],
) -> Line:
    segments: list[list[Point]] = [[]]
    for i, row in enumerate(table.rows):
        cell = table.cell(row, series)
        if cell.value is None:  # suppressed: break the line rather than draw a guess
            segments.append([])
            continue
        x, y = chart.left + (i + 0.5) * slot, chart.bottom - cell.value * scale
        segments[-1].append(Point(x, y, f"{label(row)}, {label(series)}: {cell.text}"))
    return Line(colour, series, [s for s in segments if s])


def _horizontal(table: Table, colours: dict[str, str], label: Callable[[str], str]) -> Chart:
    """One bar per row, its label above it (full width, wrapped), its value at its end, an axis below."""
    series = table.series[0]
    labels = [wrap_label(label(row)) for row in table.rows]
    height = 8 + sum(len(lines) * LINE + BAR_HEIGHT + ROW_GAP for lines in labels) + 24
    chart = Chart(table.key, WIDTH, height, 4, 8, WIDTH - VALUE_ROOM, height - 24, horizontal=True)
    values = [table.cell(r, series).value or 0 for r in table.rows]
    ticks = (
        [0.0, 25.0, 50.0, 75.0, 100.0]
        if table.unit == "%"
        else nice_ticks(max(values, default=0), 3, whole=not table.unit)
    )
    scale = (chart.right - chart.left) / ticks[-1]
    chart.x_ticks = [Tick(chart.left + t * scale, _number(t)) for t in ticks]
    suffix = " %" if table.unit == "%" else ""
    y = chart.top
    for row, lines in zip(table.rows, labels, strict=True):
        cell = table.cell(row, series)
        chart.category_labels.append(Label(chart.left, y + FONT, lines, label(row)))
        bar_top = y + len(lines) * LINE + 2
        chart.value_labels.append(
            Point(chart.left + (cell.value or 0) * scale + 4, bar_top + BAR_HEIGHT / 2, cell.text + suffix)
        )
        if cell.value:
            tooltip = f"{label(row)}: {cell.text}{suffix}"
            chart.bars.append(Bar(chart.left, bar_top, cell.value * scale, BAR_HEIGHT, colours[series], tooltip))
        y = bar_top + BAR_HEIGHT + ROW_GAP
    return chart


def _row_total(table: Table, row: str) -> float:
    return sum(table.cell(row, s).value or 0 for s in table.series)


def _row_max(table: Table, row: str) -> float:
    return max((table.cell(row, s).value or 0 for s in table.series), default=0)


def _number(value: float) -> str:
    return f"{value:g}"
