"""Web fonts for the scripts a phone may lack: Burmese text must never show as empty boxes.

Many phones in our corridors have no Unicode Myanmar font (or one of the old, incompatible
Zawgyi kind), so the pages bring their own: the Noto Sans Myanmar subsets that the PDFs embed
(``certsvc/pdf/fonts``, OFL), as WOFF2 (the same fonts, a third of the bytes: 45 KB, not 140 KB,
which matters on a slow network since every page's language switcher names Burmese in Burmese).
Each ``@font-face`` carries the script's ``unicode-range``, so a browser downloads a font only
for a page that holds that script's text.
"""

from __future__ import annotations

import functools
from importlib.resources import files

from flask import Blueprint, Flask, Response, request, url_for
from flask.typing import ResponseReturnValue

from certsvc.accounts.access import public

bp = Blueprint("script_fonts", __name__, url_prefix="/fonts")

#: The family the pages' stylesheets name first; its faces cover only their script's characters.
FAMILY = "certsvc Myanmar"
#: Myanmar, Myanmar Extended-A and Extended-B.
MYANMAR_RANGE = "U+1000-109F, U+A9E0-A9FF, U+AA60-AA7F"
FONTS = {"NotoSansMyanmar-Regular.woff2": 400, "NotoSansMyanmar-Bold.woff2": 700}
#: The file never changes under its name (a new font gets a new address): cache it for a long time.
MAX_AGE = 365 * 24 * 3600


@bp.get("/<name>")
@public
def font(name: str) -> ResponseReturnValue:
    """One shipped font file."""
    if name not in FONTS:
        return Response(status=404)
    response = Response(_font_bytes(name), mimetype="font/woff2")
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.add_etag()
    return response.make_conditional(request)


@functools.cache
def _font_bytes(name: str) -> bytes:
    return (files("certsvc.pdf") / "fonts" / name).read_bytes()


def font_faces() -> list[dict[str, str | int]]:
    """The faces a page declares (``templates/_fonts.html`` writes their ``@font-face`` rules)."""
    return [
        {"family": FAMILY, "weight": weight, "url": url_for("script_fonts.font", name=name), "range": MYANMAR_RANGE}
        for name, weight in FONTS.items()
    ]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["script_font_faces"] = font_faces
