"""Same-origin scripts, stylesheets and icons shipped in the templates package (no CDN, no inline script)."""

from __future__ import annotations

import functools
from importlib.resources import files

from flask import Response, request

MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def asset_response(folder: str, name: str, allowed: frozenset[str], max_age: int) -> Response:
    """Serve ``templates/<folder>/<name>`` if it is one of ``allowed``, cacheable and conditional."""
    if name not in allowed:
        return Response(status=404)
    media_type = MEDIA_TYPES[name[name.rindex(".") :]]
    response = Response(asset_bytes(folder, name), mimetype=media_type)
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.add_etag()
    return response.make_conditional(request)


@functools.cache
def asset_bytes(folder: str, name: str) -> bytes:
    """The bytes of a shipped asset (read once per process)."""
    resource = files("templates")
    for part in folder.split("/"):
        resource = resource / part
    return (resource / name).read_bytes()
