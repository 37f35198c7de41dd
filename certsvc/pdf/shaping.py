"""Shaped text for the PDF: font runs by script, HarfBuzz shaping, measuring, wrapping and drawing.

Names and texts in Burmese, Thai, Khmer, Bengali and Devanagari need complex shaping: vowel
signs drawn before the consonant they follow, stacked consonants, conjuncts. HarfBuzz
(``uharfbuzz``) shapes each run with the font of its script; each line is written as one
text object with one ``TJ`` per run, so that text extractors see one run of glyphs, not one
positioned fragment per glyph. Every line carries its logical text twice for readers: as
``/ActualText`` on a marked-content span (which Acrobat and poppler use) and through the
font's ToUnicode map, where a cluster's text goes on its first glyph and the cluster's
other glyphs map to nothing (see ``document.ExtractableOutput``), so that readers which
ignore ActualText (pypdf) still read the name as typed, not in drawing order.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import uharfbuzz as hb

from certsvc.pdf.fonts_catalogue import BASE_FAMILY, SCRIPT_FONTS, coverage, font_path

if TYPE_CHECKING:
    from fpdf import FPDF
    from fpdf.fonts import TTFFont

#: Characters that belong to no script of their own: they stay in the run they are in.
_SHARED_CATEGORIES = ("Z", "P", "N", "M", "S", "C")


@dataclass(frozen=True)
class Glyph:
    """One glyph as written in a ``TJ``: its code, the move left before it, its rise (thousandths of an em)."""

    cid: int
    move_before: int
    rise: int


@dataclass(frozen=True)
class Run:
    """A stretch of text drawn with one font, shaped: its glyphs and the move left after the last one."""

    font: TTFFont
    text: str
    glyphs: tuple[Glyph, ...]
    move_after: int


def font_runs(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into (family, text) runs: letters by the first font that draws them."""
    return list(_font_runs(text))


@lru_cache(maxsize=8192)
def _font_runs(text: str) -> tuple[tuple[str, str], ...]:
    covered = coverage()
    runs: list[tuple[str, str]] = []
    for char in text:
        family = runs[-1][0] if runs else BASE_FAMILY
        if not (_is_shared(char) and ord(char) in covered[family]):
            family = _first_family(char) or family
        if runs and runs[-1][0] == family:
            runs[-1] = (family, runs[-1][1] + char)
        else:
            runs.append((family, char))
    return tuple(runs)


@lru_cache(maxsize=4096)
def _is_shared(char: str) -> bool:
    return unicodedata.category(char)[0] in _SHARED_CATEGORIES


@lru_cache(maxsize=4096)
def _first_family(char: str) -> str | None:
    covered = coverage()
    return next((font.family for font in SCRIPT_FONTS if ord(char) in covered[font.family]), None)


def _font(pdf: FPDF, family: str, style: str) -> TTFFont:
    font: TTFFont = pdf.fonts[family.lower() + style]
    return font


def text_width(pdf: FPDF, text: str, style: str, size: float) -> float:
    """The width of ``text`` on one line, in the document's unit."""
    return sum(_advance(family, style, part) for family, part in _font_runs(text)) * size / 1000 / pdf.k


@lru_cache(maxsize=16384)
def _advance(family: str, style: str, text: str) -> float:
    """The shaped advance of ``text`` in one font, in thousandths of the font size (sizes scale linearly)."""
    font = _measuring_font(family, style)
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font, buffer, {})
    return sum(position.x_advance for position in buffer.glyph_positions) * 1000 / font.face.upem


@cache
def _measuring_font(family: str, style: str) -> hb.Font:
    """A HarfBuzz font for measuring only (shared by every document; HarfBuzz fonts are safe to share)."""
    name = next(font.files[style] for font in SCRIPT_FONTS if font.family == family)
    return hb.Font(hb.Face(hb.Blob.from_file_path(str(font_path(name)))))


def shape(pdf: FPDF, text: str, style: str, size: float) -> list[Run]:
    """Shape ``text`` run by run; the glyphs join the fonts' subsets (and their ToUnicode maps)."""
    return [_shape_run(_font(pdf, family, style), part, size) for family, part in _font_runs(text)]


def _shape_run(font: TTFFont, text: str, size: float) -> Run:
    infos, positions = font.perform_harfbuzz_shaping(text, size, None)
    scale = 1000 / _units_per_em(font)
    advances = [round(p.x_advance * scale) for p in positions]
    offsets = [round(p.x_offset * scale) for p in positions]
    moves, widths = _placements(advances, offsets)
    owner = _cluster_text(text, [int(info.cluster) for info in infos])
    glyphs = []
    for n, (info, position) in enumerate(zip(infos, positions, strict=True)):
        # The cluster's text on its first glyph (in drawing order), nothing on the others.
        unicode = tuple(ord(c) for c in owner.pop(int(info.cluster), ""))
        name = font.ttfont.getGlyphName(info.codepoint)
        glyph = font.subset.get_glyph(glyph=info.codepoint, unicode=unicode, glyph_name=name, glyph_width=widths[n])
        cid = font.subset.pick_glyph(glyph)
        if cid is not None:
            glyphs.append(Glyph(cid, moves[n], round(position.y_offset * scale)))
    return Run(font, text, tuple(glyphs), moves[-1] if len(moves) > len(infos) else 0)


def _placements(advances: list[int], offsets: list[int]) -> tuple[list[int], list[int]]:
    """Moves before each glyph and the PDF width of each, so that every glyph lands where HarfBuzz put it.

    A move to the right inside a ``TJ`` reads as a space to text extractors, so moves go
    left only: a glyph's PDF width (its code's /W entry; the same glyph with another width
    gets another code) reaches to where the next glyph is drawn, and a move left pulls
    back what a mark pushed forward. Only a first glyph pushed right moves right.
    """
    moves, widths = [-offsets[0]] if offsets else [], []
    for n in range(len(advances)):
        # From where glyph n is drawn to where glyph n+1 (or the run's end) must be drawn.
        reach = advances[n] - offsets[n] + (offsets[n + 1] if n + 1 < len(advances) else 0)
        widths.append(max(reach, 0))
        moves.append(max(-reach, 0))
    return moves, widths


def _cluster_text(text: str, clusters: list[int]) -> dict[int, str]:
    """Each cluster's characters: from its start up to the next cluster's start."""
    starts = sorted(set(clusters))
    return {start: text[start:end] for start, end in zip(starts, [*starts[1:], len(text)], strict=True)}


def _units_per_em(font: TTFFont) -> int:
    return int(font.ttfont["head"].unitsPerEm)


def draw_line(pdf: FPDF, text: str, x: float, baseline: float, style: str, size: float, gray: float = 0.0) -> None:
    """Draw one line of text with its left end at ``x`` and its baseline at ``baseline`` (document units)."""
    runs = shape(pdf, text, style, size)
    if not runs:
        return
    # q/Q keep the colour to this line; the span gives readers the logical text of the whole line.
    ops = [f"/Span <</ActualText {_pdf_text_string(text)}>> BDC q BT {gray:.3f} g"]
    ops.append(f"{x * pdf.k:.2f} {(pdf.h - baseline) * pdf.k:.2f} Td")
    for run in runs:
        pdf._resource_catalog.add(_font_resource(), run.font.i, pdf.page)  # fpdf2 has no public hook
        ops.append(f"/F{run.font.i} {size:.2f} Tf")
        ops.extend(_show_glyphs(run, size))
    ops.append("ET Q EMC")
    pdf._out(" ".join(ops))  # raw content: the one way to write one TJ per run


def _show_glyphs(run: Run, size: float) -> list[str]:
    """``TJ`` operators placing every glyph of ``run``; raised or lowered marks get their own ``Ts``."""
    segments: list[tuple[int, list[str]]] = [(0, [])]
    for glyph in run.glyphs:
        if glyph.rise != segments[-1][0]:
            segments.append((glyph.rise, []))
        items = segments[-1][1]
        if glyph.move_before:
            items.append(str(glyph.move_before))
        items.append(f"<{glyph.cid:04X}>")
    if run.move_after:
        segments[-1][1].append(str(run.move_after))
    return [f"{rise * size / 1000:.3f} Ts [{' '.join(items)}] TJ" for rise, items in segments if items]


def _font_resource() -> object:
    from fpdf.enums import PDFResourceType

    return PDFResourceType.FONT


def _pdf_text_string(text: str) -> str:
    """A PDF text string in UTF-16BE with its byte order mark, written in hex."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def wrap(pdf: FPDF, text: str, style: str, size: float, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width``: at spaces, else between clusters of a long word."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if text_width(pdf, candidate, style, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for piece in _split_long_word(pdf, word, style, size, width):
                if line:
                    lines.append(line)
                line = piece
        lines.append(line)
    return lines


def _split_long_word(pdf: FPDF, word: str, style: str, size: float, width: float) -> list[str]:
    """Cut a word wider than the line between grapheme clusters (never inside a shaped cluster)."""
    pieces, current = [], ""
    for cluster in _clusters(word):
        if current and text_width(pdf, current + cluster, style, size) > width:
            pieces.append(current)
            current = ""
        current += cluster
    if current:
        pieces.append(current)
    return pieces


def _clusters(word: str) -> list[str]:
    """Approximate grapheme clusters: a character with the marks, joiners and viramas that follow it."""
    clusters: list[str] = []
    for char in word:
        joins = clusters and (
            unicodedata.category(char).startswith("M")
            or char in "\u200c\u200d"
            or clusters[-1][-1] in "\u200d\u094d\u09cd\u1039\u17d2"
        )
        if joins:
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters
