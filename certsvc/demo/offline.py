"""``certsvc demo`` offline: a folder of trust lists, status lists and sample credentials."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from certsvc.credentials.cosigned import CoSignedCredential
from certsvc.credentials.statuslist import Status
from certsvc.credentials.trustlist import TrustAnchor
from certsvc.demo.world import (
    Corridor,
    corridors,
    issue,
    sample_assessment,
    sample_holder,
    signed_status_list,
    signed_trust_list,
    trust_list_for,
)
from certsvc.qr.image import render_png, render_svg
from certsvc.qr.transport import encode_qr_text

VERIFY_PATH = "/v"


def write_demo(out: Path, base: str, now: datetime) -> list[str]:
    """Write the demo files into ``out`` and return the verify commands that check them."""
    out.mkdir(parents=True, exist_ok=True)
    worlds = corridors(base)
    valid_from = (now - timedelta(days=30)).replace(hour=0, minute=0, second=0, microsecond=0)
    samples, statuses = _samples(worlds, base, valid_from)
    trust_args, status_args = [], []
    trust_lists = []
    for corridor in worlds:
        trust_path = out / f"trust-list-{corridor.origin.lower()}.jwt"
        trust_path.write_text(signed_trust_list(corridor, base, now) + "\n")
        trust_lists.append(trust_list_for(corridor, base, now))
        anchor = TrustAnchor.of(corridor.authority.kid_uri(base), corridor.authority.key.public, corridor.origin)
        (out / f"anchor-{corridor.origin.lower()}.json").write_text(json.dumps([anchor.to_json()], indent=2) + "\n")
        status_path = out / f"status-{corridor.provider.slug}.jwt"
        status_path.write_text(signed_status_list(corridor, base, statuses[corridor.provider.slug], now) + "\n")
        trust_args.append(f"--trust-list {trust_path}")
        status_args.append(f"--status-list {status_path}")
    commands = []
    for name, credential in samples.items():
        # Pinned to the trust lists' catalogues, which the verify commands load.
        qr_text = encode_qr_text(credential, base + VERIFY_PATH, trust_lists)
        (out / f"{name}.txt").write_text(qr_text + "\n")
        (out / f"{name}.png").write_bytes(render_png(qr_text))
        (out / f"{name}.svg").write_bytes(render_svg(qr_text))
        (out / f"{name}.credential.json").write_text(credential.to_json() + "\n")
        commands.append(f"certsvc verify {out / (name + '.png')} {' '.join(trust_args)} {' '.join(status_args)}")
    return commands


def _samples(
    worlds: list[Corridor], base: str, valid_from: datetime
) -> tuple[dict[str, CoSignedCredential], dict[str, dict[int, int]]]:
    ph, mm, sv = worlds
    welding, cookery, care = (q for q, _ in ph.qualifications)
    samples = {
        "training-cosigned-ph": issue(ph, base, sample_holder("PH"), welding, 1, valid_from),
        "prior-skills-cosigned-ph": issue(
            ph, base, sample_holder("PH"), care, 2, valid_from, assessment=sample_assessment()
        ),
        "training-awaiting-cosign-ph": issue(ph, base, sample_holder("PH"), cookery, 3, valid_from, cosign=False),
        "training-revoked-ph": issue(ph, base, sample_holder("PH"), welding, 4, valid_from),
        "training-cosigned-mm": issue(mm, base, sample_holder("MM"), mm.qualifications[0][0], 1, valid_from),
        "training-cosigned-sv": issue(sv, base, sample_holder("SV"), sv.qualifications[0][0], 1, valid_from),
    }
    statuses = {ph.provider.slug: {4: Status.INVALID}, mm.provider.slug: {}, sv.provider.slug: {}}
    return samples, statuses
