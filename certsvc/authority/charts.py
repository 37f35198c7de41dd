"""Chart geometry for server-rendered SVG: bars, lines, axes and legend, computed from a Table.

Only numbers and labels come out of here; ``templates/indicators/_chart.html`` writes the
SVG (so Jinja escapes every label). Cells without a value (suppressed) are not drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from certsvc.authority.indicator_tables import Table

WIDTH = 640
VERTICAL_HEIGHT = 260
BAR_ROW = 26
#: Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7F7F7F", "#000000")
MAX_X_LABELS = 12
MAX_LABEL_CHARS = 34
MAX_BAR = 56


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
    category_labels: list[Tick] = field(default_factory=list)
    value_labels: list[Point] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)

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


def chart_for(table: Table, colour_of: dict[str, str] | None = None) -> Chart:
    """Lay out ``table`` as its kind of chart."""
    colours = colour_of or {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(table.series)}
    if table.chart == "hbar":
        return _horizontal(table, colours)
    return _vertical(table, colours)


def _vertical(table: Table, colours: dict[str, str]) -> Chart:
    chart = Chart(table.key, WIDTH, VERTICAL_HEIGHT, 48, 12, WIDTH - 12, VERTICAL_HEIGHT - 36, horizontal=False)
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
    chart.x_ticks = [Tick(chart.left + (i + 0.5) * slot, r) for i, r in enumerate(rows) if i % every == 0]
    if table.chart == "line":
        chart.lines = [_line(table, s, colours[s], chart, slot, scale) for s in table.series]
    elif table.chart == "stacked":
        chart.bars = _stacked(table, colours, chart, slot, scale)
    else:
        chart.bars = _grouped(table, colours, chart, slot, scale)
    return chart


def _stacked(table: Table, colours: dict[str, str], chart: Chart, slot: float, scale: float) -> list[Bar]:
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
            bars.append(Bar(x, base, width, height, colours[series], f"{row}, {series}: {cell.text}"))
    return bars


def _grouped(table: Table, colours: dict[str, str], chart: Chart, slot: float, scale: float) -> list[Bar]:
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
            bars.append(Bar(x, chart.bottom - height, width, height, colours[series], f"{row}, {series}: {cell.text}"))
    return bars


def _line(table: Table, series: str, colour: str, chart: Chart, slot: float, scale: float) -> Line:
    segments: list[list[Point]] = [[]]
    for i, row in enumerate(table.rows):
        cell = table.cell(row, series)
        if cell.value is None:  # suppressed: break the line rather than draw a guess
            segments.append([])
            continue
        x, y = chart.left + (i + 0.5) * slot, chart.bottom - cell.value * scale
        segments[-1].append(Point(x, y, f"{row}, {series}: {cell.text}"))
    return Line(colour, series, [s for s in segments if s])


def _horizontal(table: Table, colours: dict[str, str]) -> Chart:
    series = table.series[0]
    left = 250 if table.wide_labels else 120
    height = 24 + BAR_ROW * max(1, len(table.rows)) + 24
    chart = Chart(table.key, WIDTH, height, left, 12, WIDTH - 56, height - 28, horizontal=True)
    values = [table.cell(r, series).value or 0 for r in table.rows]
    ticks = (
        [0.0, 25.0, 50.0, 75.0, 100.0]
        if table.unit == "%"
        else nice_ticks(max(values, default=0), whole=not table.unit)
    )
    scale = (chart.right - chart.left) / ticks[-1]
    chart.x_ticks = [Tick(chart.left + t * scale, _number(t)) for t in ticks]
    for i, row in enumerate(table.rows):
        cell = table.cell(row, series)
        y = chart.top + i * BAR_ROW
        chart.category_labels.append(Tick(y + BAR_ROW / 2, _shorten(row)))
        suffix = " %" if table.unit == "%" else ""
        chart.value_labels.append(
            Point(chart.left + (cell.value or 0) * scale + 4, y + BAR_ROW / 2, cell.text + suffix)
        )
        if cell.value:
            width = cell.value * scale
            label = f"{row}: {cell.text}{suffix}"
            chart.bars.append(Bar(chart.left, y + 4, width, BAR_ROW - 8, colours[series], label))
    return chart


def _row_total(table: Table, row: str) -> float:
    return sum(table.cell(row, s).value or 0 for s in table.series)


def _row_max(table: Table, row: str) -> float:
    return max((table.cell(row, s).value or 0 for s in table.series), default=0)


def _number(value: float) -> str:
    return f"{value:g}"


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"
