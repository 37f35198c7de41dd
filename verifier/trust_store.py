"""The offline verifier's trust store: the highest trust-list ``seq`` seen per authority (rollback protection).

In the spirit of TUF: once a verifier has seen version N of an authority's trust list, it
refuses any older version, so an attacker cannot replay a list from before a key was
reported compromised or an accreditation was withdrawn. The store is a folder holding one
JSON file (``state.json``):

    {"format": "certsvc-trust-store", "version": 1,
     "authorities": {AUTHORITY_ID: {"country": "PH", "anchored_seq": 7, "seen_seq": 7,
                                    "keys": [RFC 7638 thumbprints of the authority's keys], "updated_at": …}}}

``anchored_seq`` is raised only by lists checked against an ``--anchor``; ``seen_seq`` by any
list whose signature held. A list checked against an anchor is refused below ``anchored_seq``;
a list trusted as given (no anchor) is refused below either mark. An authority whose list
shares none of the stored keys starts a new entry (a new lineage: e.g. a demo made afresh).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from certsvc.credentials.errors import VerificationError
from certsvc.credentials.keys import jwk_thumbprint
from certsvc.credentials.trustlist import TrustList

FORMAT = "certsvc-trust-store"
VERSION = 1
STATE_FILE = "state.json"
MAX_STATE_BYTES = 4 * 1024 * 1024


class TrustStoreError(VerificationError):
    """The trust store cannot be read or written."""

    code = "trust_store_unusable"


class TrustListRollback(VerificationError):
    """A trust list is older than one this verifier has already seen from the same authority."""

    code = "trust_list_rollback"


@dataclass(frozen=True)
class LoadedTrustList:
    """A trust list whose signature held, and whether an anchor (rather than the list itself) vouched for it."""

    trust_list: TrustList
    anchored: bool


def default_folder() -> Path:
    """The store in the user's data directory (platformdirs), e.g. ``~/.local/share/certsvc/trust-store``."""
    from platformdirs import user_data_path

    return user_data_path("certsvc", appauthor=False) / "trust-store"


class TrustStore:
    """The highest trust-list versions seen, per authority, kept in a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._authorities: dict[str, dict[str, Any]] = self._read()

    def check_and_record(self, loaded: Iterable[LoadedTrustList], now: datetime) -> None:
        """Refuse a rolled-back list (TrustListRollback), then remember the newest of each authority."""
        newest: dict[str, LoadedTrustList] = {}
        for item in loaded:
            iss = item.trust_list.authority.id
            if iss not in newest or item.trust_list.sequence > newest[iss].trust_list.sequence:
                newest[iss] = item
        for iss, item in newest.items():
            self._check(iss, item)
        for iss, item in newest.items():
            self._record(iss, item, now)
        self._write()

    def _check(self, iss: str, item: LoadedTrustList) -> None:
        entry = self._same_lineage(iss, item.trust_list)
        if entry is None:
            return
        marks = [entry.get("anchored_seq")] if item.anchored else [entry.get("anchored_seq"), entry.get("seen_seq")]
        highest = max((m for m in marks if isinstance(m, int)), default=None)
        seq = item.trust_list.sequence
        if highest is not None and seq < highest:
            raise TrustListRollback(
                f"the trust list of {item.trust_list.authority.name} is version {seq}, but version {highest} "
                f"was already seen: an older list is refused (rollback). Use the newest list, or another "
                f"--trust-store to start afresh.",
                authority=iss,
                seq=seq,
                seen=highest,
            )

    def _record(self, iss: str, item: LoadedTrustList, now: datetime) -> None:
        entry = self._same_lineage(iss, item.trust_list) or {}
        seq = item.trust_list.sequence
        seen = max(seq, entry.get("seen_seq") or 0)
        anchored = entry.get("anchored_seq")
        if item.anchored:
            anchored = max(seq, anchored or 0)
        self._authorities[iss] = {
            "country": item.trust_list.country,
            "anchored_seq": anchored,
            "seen_seq": seen,
            "keys": sorted(_thumbprints(item.trust_list)),
            "updated_at": now.isoformat(),
        }

    def _same_lineage(self, iss: str, trust_list: TrustList) -> dict[str, Any] | None:
        entry = self._authorities.get(iss)
        if entry is None or not set(entry.get("keys") or []) & _thumbprints(trust_list):
            return None
        return entry

    def _read(self) -> dict[str, dict[str, Any]]:
        path = self.folder / STATE_FILE
        try:
            if not path.exists():
                return {}
            if path.stat().st_size > MAX_STATE_BYTES:
                raise TrustStoreError(f"the trust store file {path} is too large")
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            message = f"the trust store file {path} cannot be read ({exc}); remove it to start afresh"
            raise TrustStoreError(message) from exc
        authorities = state.get("authorities") if isinstance(state, dict) else None
        if not isinstance(authorities, dict) or state.get("format") != FORMAT:
            raise TrustStoreError(f"{path} is not a certsvc trust store; remove it to start afresh")
        return {k: v for k, v in authorities.items() if isinstance(k, str) and isinstance(v, dict)}

    def _write(self) -> None:
        state = {"format": FORMAT, "version": VERSION, "authorities": self._authorities}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Written whole and renamed into place: a crash never leaves half a store.
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".state-", suffix=".json")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(state, out, indent=2, sort_keys=True)
            os.replace(temporary, self.folder / STATE_FILE)
        except OSError as exc:
            raise TrustStoreError(f"the trust store {self.folder} cannot be written ({exc})") from exc


def _thumbprints(trust_list: TrustList) -> set[str]:
    return {jwk_thumbprint(k.public.jwk) for k in trust_list.authority.keys}
