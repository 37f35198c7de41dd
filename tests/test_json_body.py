"""The shared JSON loader: each pathological body is refused with its own reason, fast, and good bodies pass."""

from __future__ import annotations

import time

import pytest

from certsvc.web.json_body import MAX_DEPTH, BodyTooLarge, InvalidJSON, load_object, loads

JSON = "application/json"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 32 levels"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested deeper than 32 levels"),
        (b'{"n": ' + b"9" * 5000 + b"}", "more than 40 digits"),
        (b'{"n": 1e999999}', "too large"),
        (b'{"n": NaN}', "NaN is not JSON"),
        (b'{"n": -Infinity}', "-Infinity is not JSON"),
        (b'{"a": 1, "a": 2}', "'a' appears twice"),
        (b'{"a": {"b": 1, "b": 1}}', "'b' appears twice"),
        (b'{"a": "\xff"}', "not UTF-8"),
        (b'\xef\xbb\xbf{"a": 1}', "not valid JSON"),
        (b'{"a": "\\ud800"}', "unpaired surrogate"),
        (b'{"\\udc00": 1}', "unpaired surrogate"),
        (b'{"a": 1', "not valid JSON"),
        (b"[1, 2]", "must be a JSON object, not an array"),
        (b'"text"', "must be a JSON object, not a string"),
        (b"null", "must be a JSON object, not null"),
        (b"", "not valid JSON"),
    ],
)
def test_pathological_bodies_are_refused_with_a_reason(body: bytes, reason: str) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidJSON) as refused:
        load_object(body, JSON)
    assert reason in refused.value.message
    assert time.perf_counter() - started < 1.0


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    text = '{"a": "' + "[" * 10_000 + '", "b": [[1]]}'
    assert loads(text.encode())["b"] == [[1]]


def test_depth_up_to_the_limit_passes() -> None:
    body = b"[" * (MAX_DEPTH - 2) + b"{}" + b"]" * (MAX_DEPTH - 2)  # with the outer object: MAX_DEPTH levels
    assert load_object(b'{"x": ' + body + b"}", JSON)


def test_size_media_type_and_good_bodies() -> None:
    assert load_object(b'{"name": "Jos\\u00e9", "n": 17, "f": 2.5, "ok": true}', "application/merge-patch+json") == {
        "name": "José",
        "n": 17,
        "f": 2.5,
        "ok": True,
    }
    assert load_object(b"  ", JSON, optional=True) == {}
    with pytest.raises(BodyTooLarge):
        load_object(b'{"a": "' + b"x" * 100 + b'"}', JSON, max_bytes=50)
    with pytest.raises(InvalidJSON, match="Content-Type"):
        load_object(b'{"a": 1}', "text/plain")
