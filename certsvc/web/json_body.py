"""The one loader of JSON request bodies: bounded in size, depth, numbers and strings, strict about what JSON is.

Every JSON endpoint reads its body through :func:`request_object`, so that no body can make
a server error: a body nested 100,000 levels deep is measured before Python's recursive
decoder sees it; numbers with hundreds of digits, ``NaN`` and ``Infinity``, duplicate
members (which JSON readers resolve differently: one would check the first, another use
the last), bytes that are not UTF-8, a byte-order mark, unpaired surrogate escapes
(``"\\ud800"``, text no database or encoder can take) and any top-level value but an
object are refused with a 400 whose message says which. Member values are the caller's
to check (``issuers.api_schemas``, the verifier's API).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import request

from certsvc.credentials.errors import CertsvcError
from certsvc.credentials.jws import holds_unpaired_surrogate

#: Deeper than any request of ours (a credential request nests three levels) by a wide margin.
MAX_DEPTH = 32
#: An integer of more digits is no id, count or limit of ours (a 64-bit integer has 20).
MAX_INTEGER_DIGITS = 40
MAX_FLOAT_CHARS = 64
JSON_MIMETYPE = "application/json"
_STRINGS_AND_BRACKETS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class InvalidJSON(CertsvcError):
    """The request body is not a JSON object this service reads."""

    code = "invalid_json"
    http_status = 400


class BodyTooLarge(CertsvcError):
    """The request body is larger than the endpoint reads."""

    code = "payload_too_large"
    http_status = 413


def request_object(
    *, max_bytes: int | None = None, optional: bool = False, error: type[CertsvcError] = InvalidJSON
) -> dict[str, Any]:
    """Read this request's body as a JSON object; ``optional`` bodies may be empty ({}).

    ``error`` is the error raised for a body that is not a JSON object (an endpoint may keep
    its own code); a body over ``max_bytes`` raises BodyTooLarge.
    """
    unverified_body = request.get_data(cache=False)
    return load_object(unverified_body, request.mimetype or None, max_bytes=max_bytes, optional=optional, error=error)


def load_object(
    unverified_body: bytes,
    mimetype: str | None,
    *,
    max_bytes: int | None = None,
    optional: bool = False,
    error: type[CertsvcError] = InvalidJSON,
) -> dict[str, Any]:
    """Check the media type and size of a body and decode it as a JSON object."""
    if optional and not unverified_body.strip():
        return {}
    if not is_json_mimetype(mimetype):
        raise error("send a JSON object with Content-Type: application/json", content_type=mimetype)
    if max_bytes is not None and len(unverified_body) > max_bytes:
        # Too deep says more than too large: a body nested past the limit within its first bytes is that.
        if _deeper_than(unverified_body[: max_bytes + 1], MAX_DEPTH):
            raise error(f"the request body is nested deeper than {MAX_DEPTH} levels")
        raise BodyTooLarge(f"the request body exceeds {max_bytes} bytes", limit=max_bytes)
    value = loads(unverified_body, error=error)
    if not isinstance(value, dict):
        raise error(f"the request body must be a JSON object, not {_json_type(value)}")
    return value


def is_json_mimetype(mimetype: str | None) -> bool:
    """Whether a media type (without parameters) is JSON: ``application/json`` or ``*/*+json``."""
    return mimetype == JSON_MIMETYPE or (mimetype or "").endswith("+json")


def loads(unverified: bytes | str, *, max_depth: int = MAX_DEPTH, error: type[CertsvcError] = InvalidJSON) -> Any:
    """Decode JSON text strictly (UTF-8, bounded depth and numbers, no duplicate members) or raise ``error``."""
    raw = unverified if isinstance(unverified, bytes) else unverified.encode("utf-8", "surrogatepass")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"the request body is not UTF-8 text (byte {exc.start} is invalid)") from None
    if _deeper_than(raw, max_depth):
        raise error(f"the request body is nested deeper than {max_depth} levels")
    try:
        value = _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and the hooks' refusals, which say what was wrong.
        raise error(f"the request body is not valid JSON: {_reason(exc)}") from None
    if holds_unpaired_surrogate(value):
        raise error("the request body holds an unpaired surrogate escape (such as \\ud800), which is not text")
    return value


def _deeper_than(body: bytes, max_depth: int) -> bool:
    """Whether arrays and objects nest deeper than ``max_depth``, brackets inside strings aside."""
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False  # cannot be: the common case costs two C-speed counts
    depth = 0
    for match in _STRINGS_AND_BRACKETS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for key, member in pairs:
        if key in value:
            raise ValueError(f"the member {key[:40]!r} appears twice")
        value[key] = member
    return value


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ValueError(f"a number has more than {MAX_INTEGER_DIGITS} digits")
    return int(digits)


def _bounded_float(text: str) -> float:
    value = float(text) if len(text) <= MAX_FLOAT_CHARS else float("inf")
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:20]}… is too large")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), "a value")


#: One decoder for every body (building one per call costs more than decoding a small body).
_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicates,
    parse_int=_bounded_int,
    parse_float=_bounded_float,
    parse_constant=_no_constant,
)
