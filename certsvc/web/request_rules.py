"""What every request must be before a view sees it: a clean path and query, forms decoded one way.

- A path or query string holding NUL or another control character, or a broken encoding,
  is answered 400 at once: ids in paths and filters in query strings reach database
  queries, and PostgreSQL refuses NUL with an error (the 500 an outside test found).
- Form bodies are decoded as UTF-8 with invalid bytes replaced by U+FFFD, whether
  urlencoded or multipart (werkzeug leaves invalid percent-escapes of urlencoded forms as
  literal ``%FF`` text, and drops a form whose raw bytes are not UTF-8): the text rules
  then refuse the field, by name, with a message the person can act on.
- A database error about the data itself (a value the database cannot store) is answered
  400, never 500, as the last line behind the rules; nothing it touched is committed.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from flask import Flask, Request, request
from sqlalchemy.exc import DataError
from werkzeug.formparser import FormDataParser

from certsvc.credentials.errors import CertsvcError
from certsvc.web.error_handlers import handle_certsvc_error
from certsvc.web.text_rules import is_clean

log = logging.getLogger(__name__)


class InvalidRequestText(CertsvcError):
    """The request's address holds characters no address of ours has."""

    code = "invalid_characters"
    http_status = 400


class UnstorableValue(CertsvcError):
    """The database refused a value of the request (the text rules should have: logged)."""

    code = "invalid_value"
    http_status = 400


class ReplacingFormDataParser(FormDataParser):
    """Decode urlencoded forms as multipart ones are: invalid UTF-8 becomes U+FFFD."""

    def _parse_urlencoded(self, stream: Any, mimetype: str, content_length: int | None, options: Any) -> Any:
        items = parse_qsl(stream.read().decode("utf-8", "replace"), keep_blank_values=True, errors="replace")
        return stream, self.cls(items), self.cls()


class CertsvcRequest(Request):
    """The service's request: forms decoded by :class:`ReplacingFormDataParser`."""

    form_data_parser_class = ReplacingFormDataParser


def init_app(app: Flask) -> None:
    """Use the service's request class, refuse unclean addresses first, and answer data errors 400."""
    app.request_class = CertsvcRequest
    app.before_request(check_address)
    app.register_error_handler(DataError, _data_error)


def check_address() -> None:
    """Refuse a path, query parameter name or value that breaks the text rules' character rules."""
    if not is_clean(request.path):
        raise InvalidRequestText("the address holds characters that are not allowed (such as NUL)", part="path")
    try:
        # werkzeug keeps an invalid escape such as %FF as the literal text "%FF": refuse it here.
        unquote_to_bytes(request.query_string.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestText("the query string is not UTF-8 text", part="query") from None
    for name, value in request.args.items(multi=True):
        if not is_clean(value) or not is_clean(name):
            named = {"parameter": name} if is_clean(name) else {}
            raise InvalidRequestText(
                "the query string holds characters that are not allowed (such as NUL)", part="query", **named
            )


def _data_error(exc: DataError) -> Any:
    log.warning("the database refused a value of the request: %s", type(exc.orig).__name__)
    return handle_certsvc_error(UnstorableValue("the request holds a value that cannot be stored"))
