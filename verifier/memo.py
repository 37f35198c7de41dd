"""What the online verifier remembers between requests: inputs it has read and signatures it has checked.

Reading QR text and checking its two signatures are most of an online verification, and both
are pure: the same text, with the same trust lists (a QR code's catalogue pin decodes only
with the trust list that carries it), always rebuilds the same credential, and a signature
over the same bytes under the same key always checks the same way. So they are remembered,
for a bounded number of inputs (least recently used first out). Everything that can change is
checked afresh on every verification: the service's record and its state, the status lists,
each key's validity and compromise, the accreditation, the equivalence and the time.

The same credential is checked many times: a page reload, a second scan, every employer who
sees one printed certificate. An input that cannot be read is never remembered (it raises),
and an entry is found only by the exact input text, so a changed character is a new reading.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from certsvc.credentials.cosigned import CoSignedCredential
from certsvc.credentials.trustlist import TrustList
from verifier.claims import Claims

#: Verdicts of signature checks on one credential: by signature index, algorithm and key thumbprint.
SignatureVerdicts = dict[tuple[int, str, str], bool]


class Reading(NamedTuple):
    """An input read into a credential whose signatures are checked separately (and remembered here)."""

    credential: CoSignedCredential
    headers: list[dict[str, Any]]
    claims: Claims
    verdicts: SignatureVerdicts


class _Entry(NamedTuple):
    trust_lists: Sequence[TrustList]
    reading: Reading


class VerificationMemo:
    """A bounded, thread-safe memory of readings by input text; ``size`` 0 remembers nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def reading(self, unverified_input: str, trust_lists: Sequence[TrustList], read: Callable[[], Reading]) -> Reading:
        """The remembered reading of ``unverified_input`` with these trust lists, or ``read()`` remembered."""
        with self._lock:
            entry = self._entries.get(unverified_input)
            # The trust lists are replaced as a whole when any of them changes: identity is their version.
            if entry is not None and entry.trust_lists is trust_lists:
                self._entries.move_to_end(unverified_input)
                return entry.reading
        found = read()
        if self.size > 0:
            with self._lock:
                self._entries[unverified_input] = _Entry(trust_lists, found)
                self._entries.move_to_end(unverified_input)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return found

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
