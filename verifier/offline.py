"""Loading what offline verification needs from files: the input, anchors, trust lists and status lists.

Every failure is a ``CertsvcError`` whose message names the file, so that the command line
answers bad files with a message (exit 2), never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from certsvc.credentials.errors import CertsvcError, InputTooLarge, Malformed
from certsvc.credentials.keys import PublicKey
from certsvc.credentials.statuslist import VerifiedStatusList, parse_status_list_token
from certsvc.credentials.trustlist import OrgKind, TrustAnchor, parse_trust_list
from certsvc.qr.image import decode_image
from verifier.trust_store import LoadedTrustList

MAX_FILE_BYTES = 16 * 1024 * 1024
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


class UnusableFile(Malformed):
    """A file given on the command line cannot be used; the message says which and why."""

    code = "unusable_file"


def read_input(argument: str) -> str:
    """Return the QR text or credential named by a CLI argument: text, a text file or an image."""
    path = Path(argument)
    if len(argument) < 4096 and _is_file(path):
        data = _read_bounded(path)
        if data.startswith(_IMAGE_MAGIC):
            return decode_image(data)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Malformed(f"{argument} is neither text nor a PNG/JPEG image") from exc
    return argument


def load_anchors(anchor_files: Iterable[str]) -> dict[str, TrustAnchor]:
    """Read anchor files: one ``{uri, jwk, authority?, country?}``, or a list of them (``anchor.json`` as published)."""
    anchors: dict[str, TrustAnchor] = {}
    for name in anchor_files:
        try:
            document = json.loads(_read_bounded(Path(name)))
            entries = document if isinstance(document, list) else [document]
            for entry in entries:
                anchor = TrustAnchor.from_json(entry)
                anchors[anchor.uri] = anchor
        except (ValueError, RecursionError) as exc:
            raise UnusableFile(f"{name} is not an anchor file holding {{uri, jwk}} (or a list of them)") from exc
        except CertsvcError as exc:
            raise UnusableFile(f"{name} is not a usable anchor file: {exc.message}") from exc
    return anchors


def load_documents(
    trust_files: Iterable[str], status_files: Iterable[str], anchor_files: Iterable[str], now: datetime
) -> tuple[list[LoadedTrustList], dict[str, VerifiedStatusList]]:
    """Verify and load trust lists (against anchors, if any) and the status lists their providers signed."""
    anchors = load_anchors(anchor_files)
    loaded = []
    for name in trust_files:
        try:
            loaded.append(LoadedTrustList(parse_trust_list(_read_text(Path(name)), anchors or None), bool(anchors)))
        except CertsvcError as exc:
            raise UnusableFile(f"{name}: {exc.message}", **_reason(exc)) from exc
    provider_keys = {
        key.uri: key.public
        for item in loaded
        for org in item.trust_list.organisations
        if org.kind is OrgKind.PROVIDER
        for key in org.keys
    }
    status_lists: dict[str, VerifiedStatusList] = {}
    for name in status_files:
        verified = _status_list(Path(name), provider_keys, now)
        held = status_lists.get(verified.uri)
        if held is None or verified.issued_at > held.issued_at:  # the newest list of a URI wins
            status_lists[verified.uri] = verified
    return loaded, status_lists


def _status_list(path: Path, provider_keys: dict[str, PublicKey], now: datetime) -> VerifiedStatusList:
    try:
        return parse_status_list_token(_read_text(path), provider_keys.get, now)
    except CertsvcError as exc:
        if exc.code == "unknown_key":
            raise UnusableFile(f"{path} is not signed by a provider's key in the trust lists") from exc
        raise UnusableFile(f"{path}: {exc.message}") from exc


def _reason(exc: CertsvcError) -> dict[str, Any]:
    return {"reason": exc.data["reason"]} if "reason" in exc.data else {}


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _read_bounded(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputTooLarge(f"{path} is larger than {MAX_FILE_BYTES} bytes", limit=MAX_FILE_BYTES)
        return path.read_bytes()
    except OSError as exc:
        raise UnusableFile(f"{path} cannot be read ({exc.strerror or exc})") from exc


def _read_text(path: Path) -> str:
    try:
        return _read_bounded(path).decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise UnusableFile(f"{path} is not a text file") from exc
