"""An A4 document with the shipped fonts, shaped text, and a text layer that extractors read as typed."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from fpdf import FPDF
from fpdf.fonts import TTFFont
from fpdf.output import OutputProducer

from certsvc.pdf import shaping
from certsvc.pdf.fonts_catalogue import SCRIPT_FONTS, font_path

PAGE_WIDTH_MM = 210.0
PAGE_HEIGHT_MM = 297.0
#: Line height as a multiple of the font size: room for Burmese and Khmer stacks above and below.
LINE_FACTOR = 1.65
PT_MM = 25.4 / 72
#: The English beside a translated text: a little smaller and grey (still dark enough to photocopy).
ENGLISH_SCALE = 0.82
ENGLISH_GRAY = 0.3
#: The smallest type an address may shrink to before it breaks (after a slash).
MIN_PT = 6.5
Align = Literal["L", "C", "R"]


class ExtractableOutput(OutputProducer):
    """fpdf2's writer, plus ToUnicode entries for glyphs that carry no text of their own.

    A shaped cluster can have more glyphs than characters (a Bengali ো is drawn in two
    parts around its consonant) or draw them out of order (a Burmese ေ before its
    consonant). The cluster's text is mapped on its first glyph; fpdf2 leaves the other
    glyphs out of the map, and readers then invent a character from the glyph's code.
    Mapping them to the empty string makes the extracted text exactly the logical text.
    """

    def _add_fonts(self, *args: Any, **kwargs: Any) -> Any:
        fonts = super()._add_fonts(*args, **kwargs)
        for font in self.fpdf.fonts.values():
            if isinstance(font, TTFFont) and font.i in fonts:
                _map_silent_glyphs(font, fonts[font.i].to_unicode)
        return fonts


def _map_silent_glyphs(font: TTFFont, to_unicode: Any) -> None:
    silent = sorted(cid for glyph, cid in font.subset.items() if glyph is not None and glyph.unicode == ())
    if not silent or to_unicode is None:
        return
    block = f"{len(silent)} beginbfchar\n" + "".join(f"<{cid:04X}> <>\n" for cid in silent) + "endbfchar\n"
    # fpdf2 writes this stream uncompressed and keeps its bytes in _contents (no public setter).
    contents: bytes = to_unicode._contents
    to_unicode._contents = contents.replace(b"endcmap", block.encode("ascii") + b"endcmap", 1)
    to_unicode.length = len(to_unicode._contents)


@dataclass
class Document:
    """An A4 portrait PDF in millimetres with every script's font loaded, drawn top to bottom."""

    pdf: FPDF
    #: Every font size is multiplied by this: a layout shrinks to fit long names on its one page.
    scale: float = 1.0
    #: Measure only: lay the text out and return where it ends, draw nothing.
    dry: bool = False

    def measuring(self, scale: float) -> Document:
        """A view of this document that measures at ``scale`` without drawing."""
        return Document(self.pdf, scale, dry=True)

    def at_scale(self, scale: float) -> Document:
        """A view of this document that draws at ``scale``."""
        return Document(self.pdf, scale)

    @classmethod
    def a4(cls, *, title: str, author: str, created: datetime, margin: float = 15.0, scale: float = 1.0) -> Document:
        """Start a document (no page yet) with its metadata."""
        pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(margin, margin, margin)
        for font in SCRIPT_FONTS:
            for style, name in font.files.items():
                pdf.add_font(font.family, style, str(font_path(name)))
        pdf.set_font(SCRIPT_FONTS[0].family, "", 11)
        pdf.set_title(title)
        pdf.set_author(author)
        pdf.set_creator("certsvc")
        pdf.set_creation_date(created)
        pdf.set_lang("en")
        return cls(pdf, scale)

    def add_page(self) -> None:
        """Start a new page."""
        self.pdf.add_page()

    def width(self, text: str, size: float, bold: bool = False) -> float:
        """The width of one line of ``text`` in millimetres (at this document's scale)."""
        return shaping.text_width(self.pdf, text, _style(bold), size * self.scale)

    def line(
        self,
        text: str,
        x: float,
        y: float,
        width: float,
        size: float,
        *,
        bold: bool = False,
        align: Align = "L",
        gray: float = 0.0,
    ) -> float:
        """Draw ``text`` wrapped to ``width`` from the top ``y``; return the y below it."""
        style, size = _style(bold), size * self.scale
        height = size * PT_MM * LINE_FACTOR
        for line in shaping.wrap(self.pdf, text, style, size, width):
            free = width - shaping.text_width(self.pdf, line, style, size)
            left = x + {"L": 0.0, "C": free / 2, "R": free}[align]
            if not self.dry:  # the baseline sits about three quarters down the line box
                shaping.draw_line(self.pdf, line, left, y + height * 0.72, style, size, gray)
            y += height
        return y

    def fitted(
        self, text: str, x: float, y: float, width: float, size: float, *, bold: bool = False, align: Align = "L"
    ) -> float:
        """An address on one line in smaller type (down to 6.5 pt), else broken after slashes only; the y below."""
        fitting = size
        while fitting > MIN_PT and self.width(text, fitting, bold) > width:
            fitting -= 0.5
        lines = [""]
        for part in re.findall(r"[^/]*/*", text):
            if lines[-1] and self.width(lines[-1] + part, fitting, bold) > width:
                lines.append("")
            lines[-1] += part
        for line in lines:
            y = self.line(line, x, y, width, fitting, bold=bold, align=align)
        return y

    def pair(
        self,
        texts: tuple[str, str | None],
        x: float,
        y: float,
        width: float,
        size: float,
        *,
        bold: bool = False,
        align: Align = "L",
    ) -> float:
        """Draw a text in the reader's language and, below it, smaller and grey, the English; return the y below."""
        local, english = texts
        y = self.line(local, x, y, width, size, bold=bold, align=align)
        if english:
            y = self.line(english, x, y, width, size * ENGLISH_SCALE, bold=bold, align=align, gray=ENGLISH_GRAY)
        return y

    def rule(self, x1: float, y1: float, x2: float, y2: float, *, dashed: bool = False, width: float = 0.3) -> None:
        """A straight line; dashed for cut lines."""
        if self.dry:
            return
        self.pdf.set_line_width(width)
        self.pdf.set_draw_color(0)
        if dashed:
            self.pdf.set_dash_pattern(dash=2.5, gap=1.5)
        self.pdf.line(x1, y1, x2, y2)
        self.pdf.set_dash_pattern()

    def box(self, x: float, y: float, w: float, h: float, width: float = 0.3) -> None:
        """A rectangle outline."""
        if self.dry:
            return
        self.pdf.set_line_width(width)
        self.pdf.set_draw_color(0)
        self.pdf.rect(x, y, w, h)

    def image(self, png: bytes, x: float, y: float, size: float, alt_text: str) -> None:
        """Place a square PNG (a QR code), losslessly."""
        if self.dry:
            return
        self.pdf.image(io.BytesIO(png), x=x, y=y, w=size, h=size, alt_text=alt_text)

    def output(self) -> bytes:
        """The finished PDF file; the document's font files are closed after it."""
        try:
            return bytes(self.pdf.output(output_producer_class=ExtractableOutput))
        finally:
            self.close()

    def close(self) -> None:
        """Close the font files this document opened (fontTools reads them lazily until then)."""
        for font in self.pdf.fonts.values():
            if isinstance(font, TTFFont):
                font.close()


def _style(bold: bool) -> str:
    return "B" if bold else ""
