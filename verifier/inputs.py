"""Turn what a verifier was given (QR text, QR URL, credential file or JWS) into a credential."""

from __future__ import annotations

import re
from collections.abc import Sequence

from certsvc.credentials.cosigned import CoSignedCredential, parse_credential_text
from certsvc.credentials.errors import InputTooLarge, Malformed
from certsvc.credentials.trustlist import TrustList
from certsvc.qr.transport import MAX_TEXT_CHARS, decode_qr_text

MAX_INPUT_CHARS = 128 * 1024
# Any URL with a fragment is QR text (a JWS or credential file never holds "://" and "#"),
# so that damaged digits get the QR decoder's reason rather than a JWS parse error.
# The look-ahead finds the first "#" going forward: "\S*#\S*" backtracked over every digit.
_QR_TEXT = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://(?=\S*?#)\S*$")


def read_credential(unverified_input: str, trust_lists: Sequence[TrustList] = ()) -> CoSignedCredential:
    """Parse any supported input form into a credential whose signatures are not yet checked.

    A QR code may pin a qualification of a trust list's catalogue: it decodes only with
    ``trust_lists`` that carry it (``qr_catalogue_unknown`` otherwise).
    """
    if len(unverified_input) > MAX_INPUT_CHARS:
        raise InputTooLarge("the input is too long", limit=MAX_INPUT_CHARS)
    text = unverified_input.strip()
    if not text:
        raise Malformed("the input is empty")
    if len(text) <= MAX_TEXT_CHARS and _QR_TEXT.match(text):
        return decode_qr_text(text, trust_lists)
    if text.isdigit():
        raise Malformed("paste the whole QR text, including the web address before '#'")
    credential, _ = parse_credential_text(text)
    return credential
