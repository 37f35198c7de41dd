"""Loading what offline verification needs from files: the input, trust lists and status lists."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from certsvc.credentials.errors import InputTooLarge, Malformed, UnknownKey
from certsvc.credentials.keys import PublicKey
from certsvc.credentials.statuslist import VerifiedStatusList, parse_status_list_token
from certsvc.credentials.trustlist import TrustList, parse_trust_list
from certsvc.qr.image import decode_image

MAX_FILE_BYTES = 16 * 1024 * 1024
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def read_input(argument: str) -> str:
    """Return the QR text or credential named by a CLI argument: text, a text file or an image."""
    path = Path(argument)
    if len(argument) < 4096 and path.is_file():
        data = _read_bounded(path)
        if data.startswith(_IMAGE_MAGIC):
            return decode_image(data)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Malformed(f"{argument} is neither text nor a PNG/JPEG image") from exc
    return argument


def load_documents(
    trust_files: Iterable[str], status_files: Iterable[str], anchor_files: Iterable[str], now: datetime
) -> tuple[list[TrustList], dict[str, VerifiedStatusList]]:
    """Verify and load trust lists (against anchors, if any) and the status lists their providers signed."""
    anchors = {}
    for name in anchor_files:
        try:
            entry = json.loads(_read_bounded(Path(name)))
            anchors[entry["uri"]] = PublicKey.from_jwk(entry["jwk"])
        except (ValueError, KeyError, TypeError) as exc:
            raise Malformed(f"{name} is not an anchor file holding {{uri, jwk}}") from exc
    trust_lists = [parse_trust_list(_read_text(Path(n)), anchors or None) for n in trust_files]

    def key_lookup(kid: str) -> PublicKey | None:
        for trust_list in trust_lists:
            found = trust_list.key(kid)
            if found is not None:
                return found[1].public
        return None

    status_lists = {}
    for name in status_files:
        token = _read_text(Path(name))
        try:
            verified = parse_status_list_token(token, key_lookup, now)
        except UnknownKey as exc:
            raise UnknownKey(f"{name} is not signed by a key in the trust lists") from exc
        status_lists[verified.uri] = verified
    return trust_lists, status_lists


def _read_bounded(path: Path) -> bytes:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputTooLarge(f"{path} is larger than {MAX_FILE_BYTES} bytes", limit=MAX_FILE_BYTES)
    return path.read_bytes()


def _read_text(path: Path) -> str:
    try:
        return _read_bounded(path).decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise Malformed(f"{path} is not a text file") from exc
