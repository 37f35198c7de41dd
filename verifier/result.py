"""The verification result: a verdict, reason codes, each check in words, a summary, recognition."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from verifier.reasons import INVALIDATING, Reason


class Verdict(StrEnum):
    RECOGNIZED = "recognized"
    AUTHENTIC = "authentic"
    INVALID = "invalid"


class Check(NamedTuple):
    """One check: its name, whether it passed, a plain sentence, and the reason if it failed."""

    # A named tuple, not a frozen dataclass: as immutable, and several times cheaper to build
    # (a verification records about ten).

    name: str
    ok: bool
    detail: str
    reason: Reason | None = None


@dataclass
class VerificationResult:
    """Everything the pipeline found out about one credential."""

    checks: list[Check] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    recognition: dict[str, Any] | None = None

    @property
    def reasons(self) -> list[Reason]:
        return [c.reason for c in self.checks if not c.ok and c.reason is not None]

    @property
    def status(self) -> Verdict:
        reasons = self.reasons
        if any(r in INVALIDATING for r in reasons):
            return Verdict.INVALID
        return Verdict.AUTHENTIC if reasons else Verdict.RECOGNIZED

    def passed(self, name: str, detail: str) -> None:
        """Record a passed check."""
        self.checks.append(Check(name, True, detail))

    def failed(self, name: str, reason: Reason, detail: str) -> None:
        """Record a failed check."""
        self.checks.append(Check(name, False, detail, reason))

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-ready mapping."""
        return {
            "status": self.status.value,
            "reasons": [r.value for r in self.reasons],
            # Built by hand: dataclasses.asdict deep-copies and was a visible share of an API call.
            "checks": [
                {"name": c.name, "ok": c.ok, "detail": c.detail, "reason": c.reason.value if c.reason else None}
                for c in self.checks
            ],
            "summary": self.summary,
            "recognition": self.recognition,
        }
