"""Shared fixtures for the credential core: a fixed clock and a small world of three corridors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from certsvc.credentials.cosigned import CoSignedCredential
from certsvc.credentials.statuslist import Status, VerifiedStatusList, parse_status_list_token
from certsvc.credentials.trustlist import TrustList, parse_trust_list
from certsvc.demo.world import (
    Corridor,
    corridors,
    issue,
    sample_assessment,
    sample_holder,
    signed_status_list,
    signed_trust_list,
)
from certsvc.qr.transport import encode_qr_text

BASE = "https://skills.example.org"
VERIFY_URL = BASE + "/v"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ISSUED = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class World:
    """Corridors with their keys, signed documents, and a way to issue and verify credentials."""

    corridors: list[Corridor]
    trust_tokens: list[str]
    trust_lists: list[TrustList]
    status_tokens: dict[str, str]
    status_lists: dict[str, VerifiedStatusList]

    @property
    def ph(self) -> Corridor:
        return self.corridors[0]

    def credential(self, kind: str = "training", cosign: bool = True, idx: int = 1) -> CoSignedCredential:
        """Issue a PH-corridor credential of ``kind`` at status index ``idx``."""
        welding, _, care = (q for q, _ in self.ph.qualifications)
        if kind == "prior_skills":
            return issue(self.ph, BASE, sample_holder("PH"), care, idx, ISSUED, sample_assessment(), cosign)
        return issue(self.ph, BASE, sample_holder("PH"), welding, idx, ISSUED, cosign=cosign)

    def qr_text(self, credential: CoSignedCredential) -> str:
        return encode_qr_text(credential, VERIFY_URL)


def build_world(revoked: dict[int, int] | None = None) -> World:
    """Build a fresh world; ``revoked`` sets statuses in the PH provider's list."""
    worlds = corridors(BASE)
    trust_tokens = [signed_trust_list(c, BASE, ISSUED) for c in worlds]
    trust_lists = [parse_trust_list(t) for t in trust_tokens]
    status_tokens = {}
    status_lists = {}
    for i, corridor in enumerate(worlds):
        statuses = (revoked or {}) if i == 0 else {}
        token = signed_status_list(corridor, BASE, statuses, NOW)
        status_tokens[corridor.provider.slug] = token

        def lookup(kid: str, corridor: Corridor = corridor):
            return corridor.provider.key.public if kid == corridor.provider.kid_uri(BASE) else None

        verified = parse_status_list_token(token, lookup, NOW)
        status_lists[verified.uri] = verified
    return World(worlds, trust_tokens, trust_lists, status_tokens, status_lists)


@pytest.fixture(scope="session")
def world() -> World:
    """A world where PH status index 4 is revoked, 5 suspended and 6 has its co-signature withdrawn."""
    return build_world({4: Status.INVALID, 5: Status.SUSPENDED, 6: Status.COSIGNATURE_WITHDRAWN})


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    """Playwright, started once for the whole session: its sync API cannot start twice in one process
    while another instance runs (browser tests and the browser decoder's tests share it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright
