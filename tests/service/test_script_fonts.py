"""Burmese pages bring their own font: a phone without a Myanmar font still shows the script."""

from __future__ import annotations

import re
from importlib.resources import files

from flask import Flask
from fontTools.ttLib import TTFont

from certsvc.web.script_fonts import MYANMAR_RANGE


def test_every_page_layout_declares_the_myanmar_font_and_serves_it(app: Flask) -> None:
    client = app.test_client()
    for path in ("/?lang=my", "/verify?lang=my", "/login?lang=my", "/wallet/claim?lang=my"):
        page = client.get(path).get_data(as_text=True)
        faces = re.findall(r'@font-face \{ font-family: "certsvc Myanmar";[^}]*src: url\("([^"]+)"\)', page)
        assert len(faces) == 2, path
        assert f"unicode-range: {MYANMAR_RANGE}" in page, path
    font = client.get(faces[0])
    assert font.status_code == 200 and font.mimetype == "font/woff2" and font.data[:4] == b"wOF2"
    assert len(font.data) < 60_000  # the page weight on a slow network: WOFF2, not the 140 KB TTF
    assert "public" in font.headers["Cache-Control"]
    assert client.get("/fonts/../../config.py").status_code == 404
    assert client.get("/fonts/OFL.txt").status_code == 404


def test_the_served_font_covers_every_burmese_character_of_the_catalogue(app: Flask) -> None:
    from io import BytesIO

    from certsvc.web.i18n import load_languages

    served = TTFont(BytesIO(app.test_client().get("/fonts/NotoSansMyanmar-Regular.woff2").data))
    covered = served.getBestCmap()
    # The same font as the PDFs embed, only packed smaller: every character the TTF maps, the WOFF2 maps.
    assert covered == TTFont(files("certsvc.pdf") / "fonts" / "NotoSansMyanmar-Regular.ttf").getBestCmap()
    burmese = {ch for text in load_languages()["my"].messages.values() for ch in text if 0x1000 <= ord(ch) <= 0x109F}
    assert burmese and not {ch for ch in burmese if ord(ch) not in covered}
