"""The fonts shipped for printing: Noto Sans for Latin, Greek and Cyrillic, and one Noto font per other script.

Every name a provider may enter must print as written, in the scripts of our corridors and
the next ones. Each script has its own Noto font (OFL 1.1, subset by ``font_subsets``); the
Latin font comes first and the others are fallbacks, chosen character by character.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import as_file, files
from pathlib import Path

FONT_DIR = Path(__file__).parent / "fonts"


@dataclass(frozen=True)
class ScriptFont:
    """One font family of the catalogue: its name in the PDF, its script and its files by style."""

    family: str
    script: str
    files: dict[str, str]


def _noto(family: str, script: str) -> ScriptFont:
    return ScriptFont(family, script, {"": f"{family}-Regular.ttf", "B": f"{family}-Bold.ttf"})


SCRIPT_FONTS = (
    _noto("NotoSans", "latin"),
    _noto("NotoSansMyanmar", "myanmar"),
    _noto("NotoSansThai", "thai"),
    _noto("NotoSansKhmer", "khmer"),
    _noto("NotoSansBengali", "bengali"),
    _noto("NotoSansDevanagari", "devanagari"),
)
BASE_FAMILY = SCRIPT_FONTS[0].family


def font_path(name: str) -> Path:
    """The path of a shipped font file (package data; installed with the package)."""
    with as_file(files("certsvc.pdf") / "fonts" / name) as path:
        return Path(path)


@cache
def coverage() -> dict[str, frozenset[int]]:
    """The code points each family draws (from the regular style's character map)."""
    from fontTools.ttLib import TTFont

    covered = {}
    for font in SCRIPT_FONTS:
        with TTFont(font_path(font.files[""]), lazy=True) as loaded:
            covered[font.family] = frozenset(loaded.getBestCmap())
    return covered


def uncovered(text: str) -> set[str]:
    """The characters of ``text`` that no shipped font draws (control and format characters aside)."""
    drawn = frozenset().union(*coverage().values())
    return {char for char in text if ord(char) not in drawn and not _invisible(char)}


def _invisible(char: str) -> bool:
    import unicodedata

    return unicodedata.category(char) in ("Cc", "Cf") or char.isspace()
