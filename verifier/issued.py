"""What the issuing service knows about a credential, as the online verifier looks it up.

Plain Python: the pipeline takes a lookup function and never sees the database. The
service's lookup (``verifier/records.py``) reads one row by the credential's id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from certsvc.credentials.cosigned import Signature
from certsvc.credentials.statuslist import Status


@dataclass(frozen=True)
class IssuedRecord:
    """The service's record of one credential: the exact payload it signed and its state right now."""

    payload: bytes
    status: Status
    cosignature: Signature | None = None
    declined: bool = False

    def recorded(self, cosignature: Signature) -> bool:
        """Tell whether ``cosignature`` is the one the embassy made through the service."""
        return self.cosignature is not None and self.cosignature == cosignature


#: Finds the record of a credential by its ``id`` (the credential URI); None when the service has none.
RecordLookup = Callable[[str], IssuedRecord | None]
