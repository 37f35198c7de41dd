"""IETF Token Status List (draft-ietf-oauth-status-list-20), JSON/JWT form.

A status list is a byte array holding one ``bits``-wide status per credential, packed
least-significant-bit first, compressed with zlib and carried base64url-encoded as ``lst``
inside a signed ``statuslist+jwt`` token.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from functools import cached_property
from typing import Any

from certsvc.credentials.b64 import b64url_decode, b64url_encode
from certsvc.credentials.errors import InputTooLarge, Malformed, StatusListError, UnknownKey
from certsvc.credentials.jws import decode_signed, parse_compact, sign_compact
from certsvc.credentials.keys import PublicKey, SigningKey

TYP = "statuslist+jwt"
#: Claims a status list token must carry (``ttl``, ``exp`` and ``assigned`` are optional).
REQUIRED_CLAIMS = ("sub", "iat", "status_list")
#: Our claim: how many indexes of the list have been given to credentials (all below it, none above).
ASSIGNED_CLAIM = "assigned"
ALLOWED_BITS = frozenset({1, 2, 4, 8})
#: Default bound on entries a decoded list may hold; at 8 bits that is 2**24 bytes (16 MiB).
MAX_ENTRIES = 2**24
#: Status list tokens are fetched documents that grow with the list, so they get a larger
#: bound than the 64 KiB jws default: a 2**20-entry list with 10 % random revocations
#: already compresses to about 80 KiB of text.
MAX_TOKEN_CHARS = 4 * 1024 * 1024
ZLIB_LEVEL = 9


class Status(IntEnum):
    """Status values the draft registers; 3 and 0x0C-0x0F are application specific."""

    VALID = 0
    INVALID = 1
    SUSPENDED = 2
    #: Ours (application-specific value 3): the embassy withdrew its co-signature.
    COSIGNATURE_WITHDRAWN = 3


class StatusList:
    """A fixed-size array of ``bits``-wide statuses, packed as the draft's Section 4.1 says."""

    def __init__(self, size: int, bits: int = 1) -> None:
        _check_bits(bits)
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise StatusListError("a status list holds at least one entry", reason="size")
        self.bits = bits
        self._data = bytearray((size * bits + 7) // 8)
        self._size = size

    @classmethod
    def from_statuses(cls, statuses: Iterable[int], bits: int = 1) -> StatusList:
        """Build a list holding ``statuses`` in index order."""
        values = list(statuses)
        status_list = cls(len(values), bits)
        for idx, value in enumerate(values):
            status_list.set(idx, value)
        return status_list

    @classmethod
    def from_bytes(cls, bits: int, data: bytes) -> StatusList:
        """Wrap an uncompressed byte array; every bit of it counts as entries."""
        _check_bits(bits)
        # The draft does not say how many entries are meaningful, so trailing padding
        # entries are part of the list and read as 0 (VALID).
        status_list = cls(len(data) * 8 // bits, bits)
        status_list._data[:] = data
        return status_list

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return self._size

    def get(self, idx: int) -> int:
        """Return the status at ``idx``."""
        byte, shift = self._locate(idx)
        return (self._data[byte] >> shift) & self._mask

    def set(self, idx: int, value: int) -> None:
        """Set the status at ``idx`` to ``value``."""
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= self._mask:
            raise StatusListError(f"status {value!r} does not fit in {self.bits} bits", reason="value", bits=self.bits)
        byte, shift = self._locate(idx)
        self._data[byte] = (self._data[byte] & ~(self._mask << shift)) | (value << shift)

    def to_bytes(self) -> bytes:
        """Return the uncompressed byte array."""
        return bytes(self._data)

    def encode_lst(self) -> str:
        """Return the ``lst`` value: base64url of the zlib-compressed byte array."""
        # The draft recommends the highest compression level.
        return b64url_encode(zlib.compress(bytes(self._data), ZLIB_LEVEL))

    def to_claim(self) -> dict[str, Any]:
        """Return the ``status_list`` claim, ``{"bits": ..., "lst": ...}``."""
        return {"bits": self.bits, "lst": self.encode_lst()}

    @classmethod
    def decode(cls, bits: int, unverified_lst: str, max_entries: int = MAX_ENTRIES) -> StatusList:
        """Decode an ``lst`` value, refusing malformed input and lists over ``max_entries``."""
        _check_bits(bits)
        if not isinstance(unverified_lst, str) or not unverified_lst:
            raise Malformed("status list lst must be a non-empty string", reason="lst")
        max_bytes = (max_entries * bits + 7) // 8
        # zlib's worst-case expansion is tiny, so compressed text much longer than the
        # bound cannot decompress to a list within it: refuse before decoding it.
        if len(unverified_lst) > 2 * max_bytes + 1024:
            raise InputTooLarge("status list lst is too long", limit=max_entries, reason="lst")
        data = _bounded_inflate(b64url_decode(unverified_lst), max_bytes)
        if not data:
            raise Malformed("status list is empty", reason="lst")
        return cls.from_bytes(bits, data)

    @property
    def _mask(self) -> int:
        return (1 << self.bits) - 1

    def _locate(self, idx: int) -> tuple[int, int]:
        if isinstance(idx, bool) or not isinstance(idx, int):
            raise StatusListError("a status index must be an integer", reason="index")
        if not 0 <= idx < self._size:
            raise StatusListError(
                f"index {idx} is outside the status list of {self._size} entries",
                reason="index_out_of_range",
                idx=idx,
                size=self._size,
            )
        per_byte = 8 // self.bits
        return idx // per_byte, (idx % per_byte) * self.bits


@dataclass(frozen=True)
class VerifiedStatusList:
    """A status list token whose signature, type and expiry were checked."""

    uri: str
    issued_at: datetime
    ttl: int | None
    expires_at: datetime | None
    status_list: StatusList
    #: The kid (key URI) that signed the list; a verifier accepts it only from the credential's provider.
    signer: str | None = None
    #: How many indexes had been given to credentials when the list was signed, if the list says.
    assigned: int | None = None

    def status_of(self, uri: str, idx: int) -> int:
        """Return the status a credential references, checking it names this list."""
        # The draft (Section 8.3) requires the reference's uri to equal the token's sub.
        if uri != self.uri:
            raise StatusListError("the credential references another status list", reason="uri_mismatch", uri=uri)
        return self.status_list.get(idx)

    def was_assigned(self, idx: int) -> bool | None:
        """Tell whether ``idx`` had been given to a credential when the list was signed (None: not said)."""
        return None if self.assigned is None else idx < self.assigned

    def fresh_until(self) -> datetime | None:
        """The moment after which the list no longer tells the status as of now (``iat + ttl``, or ``exp``)."""
        return self._fresh_until

    @cached_property
    def _fresh_until(self) -> datetime | None:
        # Worked out once per list: every verification against it asks.
        ends = [t for t in (self.expires_at, self._ttl_end()) if t is not None]
        return min(ends, default=None)

    def _ttl_end(self) -> datetime | None:
        if self.ttl is None:
            return None
        try:
            return datetime.fromtimestamp(self.issued_at.timestamp() + self.ttl, UTC)
        except (OverflowError, ValueError, OSError):  # a ttl past the year 9999 never ends
            return None


def sign_status_list(
    status_list: StatusList,
    key: SigningKey,
    kid_uri: str,
    uri: str,
    issued_at: datetime,
    ttl_seconds: int,
    expires_at: datetime | None = None,
    assigned: int | None = None,
) -> str:
    """Sign ``status_list`` as a ``statuslist+jwt`` token published at ``uri``.

    ``assigned`` says how many indexes (from 0) have been given to credentials: a verifier
    then knows an entry at or above it was never issued, even though it reads as VALID.
    """
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or ttl_seconds < 1:
        raise StatusListError("ttl must be a positive number of seconds", reason="ttl")
    claims: dict[str, Any] = {"sub": uri, "iat": _numeric_date(issued_at)}
    if expires_at is not None:
        claims["exp"] = _numeric_date(expires_at)
    claims["ttl"] = ttl_seconds
    if assigned is not None:
        if isinstance(assigned, bool) or not isinstance(assigned, int) or not 0 <= assigned <= status_list.size:
            raise StatusListError("assigned must be 0 to the size of the list", reason="assigned")
        claims[ASSIGNED_CLAIM] = assigned
    claims["status_list"] = status_list.to_claim()
    payload = json.dumps(claims, separators=(",", ":")).encode()
    return sign_compact(payload, key, kid_uri, typ=TYP)


def parse_status_list_token(
    unverified_token: str,
    key_lookup: Callable[[str], PublicKey | None],
    now: datetime,
    max_entries: int = MAX_ENTRIES,
    max_chars: int = MAX_TOKEN_CHARS,
) -> VerifiedStatusList:
    """Verify a ``statuslist+jwt`` token (with PyJWT) against the key its kid names and decode its list."""
    _check_aware(now)
    jws = parse_compact(unverified_token, typ=TYP, max_chars=max_chars)
    key = key_lookup(jws.kid)
    if key is None:
        raise UnknownKey("no trusted key has this kid", kid=jws.kid)
    claims = decode_signed(jws, key, REQUIRED_CLAIMS)
    expires_at = _optional_date(claims, "exp")
    if expires_at is not None and now >= expires_at:
        raise StatusListError("the status list token has expired", reason="expired", exp=expires_at.isoformat())
    # Decode only after the cheap checks, so an unsigned or stale list costs no inflation.
    status_list = _decode_claim(claims.get("status_list"), max_entries)
    return VerifiedStatusList(
        uri=_required_str(claims, "sub"),
        issued_at=_required_date(claims, "iat"),
        ttl=_optional_ttl(claims),
        expires_at=expires_at,
        status_list=status_list,
        signer=jws.kid,
        assigned=_optional_assigned(claims, status_list.size),
    )


def referenced_status(payload: dict[str, Any]) -> tuple[str, int] | None:
    """Return the ``(uri, idx)`` a credential's ``status`` claim references, if any."""
    status = payload.get("status")
    if status is None:
        return None
    if not isinstance(status, dict):
        raise Malformed("the status claim must be an object", reason="status")
    # Other status mechanisms may sit beside status_list; only status_list is ours.
    reference = status.get("status_list")
    if reference is None:
        return None
    if not isinstance(reference, dict):
        raise Malformed("status.status_list must be an object", reason="status")
    uri, idx = reference.get("uri"), reference.get("idx")
    if not isinstance(uri, str) or not uri:
        raise Malformed("status.status_list.uri must be a non-empty string", reason="status_uri")
    if isinstance(idx, bool) or not isinstance(idx, int) or idx < 0:
        raise Malformed("status.status_list.idx must be a non-negative integer", reason="status_idx")
    return uri, idx


def _bounded_inflate(compressed: bytes, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        # Ask for one byte more than allowed: getting it proves the list is too large
        # without ever inflating the rest of a decompression bomb.
        data = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as exc:
        raise Malformed("status list lst is not a zlib stream", reason="lst") from exc
    if len(data) > max_bytes:
        raise InputTooLarge(f"status list inflates beyond {max_bytes} bytes", limit=max_bytes, reason="lst")
    if not inflater.eof:
        raise Malformed("status list zlib stream is truncated", reason="lst")
    if inflater.unused_data:
        raise Malformed("status list lst has data after the zlib stream", reason="lst")
    return data


def _decode_claim(unverified_claim: Any, max_entries: int) -> StatusList:
    if not isinstance(unverified_claim, dict):
        raise Malformed("the status_list claim must be an object", reason="status_list")
    bits = unverified_claim.get("bits")
    if isinstance(bits, bool) or bits not in ALLOWED_BITS:
        raise Malformed("status_list.bits must be 1, 2, 4 or 8", reason="bits")
    lst = unverified_claim.get("lst")
    if not isinstance(lst, str):
        raise Malformed("status_list.lst must be a string", reason="lst")
    return StatusList.decode(bits, lst, max_entries)


def _check_bits(bits: int) -> None:
    if isinstance(bits, bool) or bits not in ALLOWED_BITS:
        raise StatusListError("bits must be 1, 2, 4 or 8", reason="bits", bits=repr(bits))


def _check_aware(moment: datetime) -> None:
    # A naive datetime would be read in the host's local zone and shift expiry silently.
    if moment.tzinfo is None:
        raise StatusListError("timestamps must be timezone-aware", reason="naive_datetime")


def _numeric_date(moment: datetime) -> int:
    _check_aware(moment)
    return int(moment.timestamp())


def _required_str(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise Malformed(f"claim {name!r} must be a non-empty string", reason=name)
    return value


def _required_date(claims: dict[str, Any], name: str) -> datetime:
    moment = _optional_date(claims, name)
    if moment is None:
        raise Malformed(f"claim {name!r} is required", reason=name)
    return moment


def _optional_date(claims: dict[str, Any], name: str) -> datetime | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(f"claim {name!r} must be a NumericDate", reason=name)
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, ValueError, OSError) as exc:  # NaN, infinity, out of range
        raise Malformed(f"claim {name!r} is not a usable date", reason=name) from exc


def _optional_assigned(claims: dict[str, Any], size: int) -> int | None:
    assigned = claims.get(ASSIGNED_CLAIM)
    if assigned is None:
        return None
    if isinstance(assigned, bool) or not isinstance(assigned, int) or not 0 <= assigned <= size:
        raise Malformed("claim 'assigned' must be an integer from 0 to the list's size", reason=ASSIGNED_CLAIM)
    return assigned


def _optional_ttl(claims: dict[str, Any]) -> int | None:
    ttl = claims.get("ttl")
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 1:
        raise Malformed("claim 'ttl' must be a positive integer", reason="ttl")
    return ttl
