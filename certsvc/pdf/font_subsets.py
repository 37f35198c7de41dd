"""Rebuild the shipped font subsets from the Noto TTFs: ``python -m certsvc.pdf.font_subsets SOURCE_DIR``.

SOURCE_DIR holds the unmodified Noto Sans TTFs (Debian's ``fonts-noto-core`` installs them
in ``/usr/share/fonts/truetype/noto``). Every OpenType layout feature is kept, so shaping
(conjuncts, reordered vowels, stacked marks) works exactly as in the full font; hinting is
dropped, since a printed certificate does not need it. The result is written next to this
module in ``fonts/``, with the SHA-256 of each source file in ``fonts/PROVENANCE.md``.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from fontTools import subset

from certsvc.pdf.fonts_catalogue import FONT_DIR, SCRIPT_FONTS

STYLE_NAMES = {"": "Regular", "B": "Bold"}

#: Latin with every accent (Vietnamese too), Greek, Cyrillic, punctuation, currency signs and arrows.
LATIN_RANGES = (
    (0x0020, 0x007E),
    (0x00A0, 0x036F),
    (0x0370, 0x03FF),
    (0x0400, 0x052F),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1EFF),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2100, 0x215F),
    (0x2190, 0x21FF),
    (0x2212, 0x2212),
    (0x25CC, 0x25CC),
    (0xFEFF, 0xFEFF),
)


def _options() -> subset.Options:
    options = subset.Options()
    options.layout_features = ["*"]
    options.hinting = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    return options


def _unicodes(path: Path, latin_only: bool) -> list[int]:
    if latin_only:
        return [code for first, last in LATIN_RANGES for code in range(first, last + 1)]
    from fontTools.ttLib import TTFont

    return sorted(TTFont(path).getBestCmap())


def build(source_dir: Path, out_dir: Path = FONT_DIR) -> list[str]:
    """Subset every catalogue font from ``source_dir`` into ``out_dir``; return provenance lines."""
    lines = []
    for font in SCRIPT_FONTS:
        for style, name in font.files.items():
            source = source_dir / name
            font_file = subset.load_font(str(source), _options())
            subsetter = subset.Subsetter(_options())
            subsetter.populate(unicodes=_unicodes(source, font.script == "latin"))
            subsetter.subset(font_file)
            subset.save_font(font_file, str(out_dir / name), _options())
            digest = hashlib.sha256(source.read_bytes()).hexdigest()
            lines.append(f"| `{name}` | {font.family} {STYLE_NAMES[style]} | `{digest}` |")
    return lines


if __name__ == "__main__":
    for line in build(Path(sys.argv[1])):
        print(line)
