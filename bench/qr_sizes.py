"""Benchmark: QR versions of a realistic corpus (issue 13's table), transport v2 beside v1.

Builds the corpus of ``tests/qr_corpus.py`` (every script, names up to 60 characters, titles
up to 100, evidence of 60/150/300 characters, all corridors), and a second corpus of names and
narratives the frozen dictionary has never seen. Prints, per group, n and min / median / max of
the QR version at ECC M and Q for version 1 (as the encoder wrote it before) and version 2 (as it
writes now, pinned to the trust lists' catalogues), then the median decode time, and ends with
one line holding a JSON object of the figures.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import zlib
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from qr_corpus import HELD_OUT_NAME_STYLES, HELD_OUT_NARRATIVES, VERIFY_URL, Case, Corpus, build_corpus

from certsvc.credentials.cosigned import CoSignedCredential
from certsvc.qr import skeleton, values
from certsvc.qr.dictionary import dictionary
from certsvc.qr.image import qr_version
from certsvc.qr.transport import decode_qr_text, encode_qr_text

GROUPS = (
    ("training", "training"),
    ("prior skills, 60-char evidence", "prior_60"),
    ("prior skills, 150-char evidence", "prior_150"),
    ("prior skills, 300-char evidence", "prior_300"),
    ("Burmese name of 57-60 characters", "burmese_60"),
)


def v1_text(credential: CoSignedCredential, verifier_url: str) -> str:
    """The QR text the version 1 encoder wrote (docs/format.md section 3.1), for comparison."""
    prefix = verifier_url.upper()
    origin = verifier_url.lower().split("/v")[0]
    skeletons, fields = [], []
    for part in (*(s.protected for s in credential.signatures), credential.payload):
        shape, part_fields = skeleton.split(part)
        skeletons.append(shape)
        fields += part_fields
    seen: dict[bytes, int] = {}
    referenced = []
    for index, value in enumerate(fields):
        referenced.append(b"\x02" + bytes([seen[value]]) if seen.get(value, 256) < 256 and len(value) > 2 else value)
        seen.setdefault(value, index)
    kept, side = values.extract(referenced)
    body = b"\n".join(skeletons) + b"\x00" + b"\x00".join(kept)
    zdict = dictionary(1) + b"\x00" + origin.encode()
    streams = []
    for strategy in (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_FIXED):
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, strategy, zdict=zdict)
        streams.append(compressor.compress(body) + compressor.flush())
    head = bytes([1, len(credential.signatures), len(side)]) + b"".join(s.value for s in credential.signatures)
    return f"{prefix}#{int.from_bytes(head + side + min(streams, key=len), 'big')}"


def groups_of(case: Case) -> list[str]:
    found = [case.group]
    if case.script == "burmese" and len(case.name) >= 57:
        found.append("burmese_60")
    return found


def measure(corpus: Corpus) -> dict[str, dict[str, list[int]]]:
    """QR versions per group, per transport and ECC level."""
    versions: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for case in corpus.cases:
        texts = {
            "v1": v1_text(case.credential, VERIFY_URL),
            "v2": encode_qr_text(case.credential, VERIFY_URL, corpus.trust_lists),
        }
        for name, text in texts.items():
            for ecc in ("M", "Q"):
                version = qr_version(text, ecc)
                for group in groups_of(case):
                    versions[group][f"{name}_{ecc}"].append(version)
    return versions


def _summary(found: list[int]) -> str:
    return f"{min(found):2d} / {statistics.median(found):4.1f} / {max(found):2d}"


def print_table(title: str, versions: dict[str, dict[str, list[int]]]) -> None:
    print(f"\n{title}")
    print(f"| {'group':34s} | {'n':>3s} | {'v1, ECC M':>16s} | {'v2, ECC M':>16s} | {'v2, ECC Q':>16s} |")
    print(f"|{'-' * 36}|{'-' * 5}|{'-' * 18}|{'-' * 18}|{'-' * 18}|")
    for label, group in GROUPS:
        row = versions[group]
        n = len(row["v2_M"])
        print(
            f"| {label:34s} | {n:3d} | {_summary(row['v1_M']):>16s} | {_summary(row['v2_M']):>16s} |"
            f" {_summary(row['v2_Q']):>16s} |"
        )


def decode_microseconds(corpus: Corpus) -> float:
    """Median time to rebuild a credential from its QR text (prior skills, 300 characters)."""
    text = encode_qr_text(corpus.cases[-1].credential, VERIFY_URL, corpus.trust_lists)
    decode_qr_text(text, corpus.trust_lists)
    samples = []
    for _ in range(21):
        started = time.perf_counter()
        for _ in range(200):
            decode_qr_text(text, corpus.trust_lists)
        samples.append((time.perf_counter() - started) / 200)
    return statistics.median(samples) * 1e6


def figures(versions: dict[str, dict[str, list[int]]], suffix: str = "") -> dict[str, float]:
    """The issue's key names (``_q``: the same at ECC Q), for transport v2 unless named ``_v1``."""
    kinds = ("training", "prior_60", "prior_150", "prior_300")
    result: dict[str, float] = {}
    for ecc, twin in (("M", ""), ("Q", "_q")):
        for group in (*kinds, "burmese_60"):
            result[f"qr_version_m_max_{group}{twin}{suffix}"] = max(versions[group][f"v2_{ecc}"])
        result[f"qr_version_m_median{twin}{suffix}"] = statistics.median(
            v for group in kinds for v in versions[group][f"v2_{ecc}"]
        )
    result[f"qr_version_m_max_v1{suffix}"] = max(v for group in kinds for v in versions[group]["v1_M"])
    result[f"qr_version_m_median_v1{suffix}"] = statistics.median(v for group in kinds for v in versions[group]["v1_M"])
    return result


def main() -> None:
    corpus = build_corpus(repeat=2)
    held_out = build_corpus(seed=29, name_styles=HELD_OUT_NAME_STYLES, phrases=HELD_OUT_NARRATIVES, repeat=2)
    measured, measured_held_out = measure(corpus), measure(held_out)
    print_table("Corpus (names and narratives of tests/qr_corpus.py): min / median / max QR version", measured)
    print_table("Held out (names and narratives the dictionary has never seen)", measured_held_out)
    decode_us = decode_microseconds(corpus)
    print(f"\ndecode (QR text -> credential, prior skills, 300 characters): {decode_us:.0f} us")
    result = {**figures(measured), **figures(measured_held_out, "_held_out"), "qr_decode_us": round(decode_us, 1)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
