"""Benchmark: QR sizes of the demo credential kinds and verification speed against baselines.

Prints the QR version of each kind at ECC M and Q, then the median time to verify a
co-signed credential from QR text divided by (a) two raw Ed25519 verifications with the
stack's cryptography package (OpenSSL), (b) the two signature checks plus claim checks done
with jwcrypto, (c) the same with joserfc, (d) the same with PyJWT (the stack's JWT library),
all measured in this run, and the time of the QR transport decode alone (``qr_decode_us``: QR
text to credential bytes). We verify Ed25519 with libsodium (faster than OpenSSL, and
stricter), so (e) ``verify_vs_raw_ed25519_libsodium`` divides by two raw libsodium
verifications: what is left above 1 is our own work. Our credential hot path keeps its own
strict parser only while it is clearly faster than PyJWT doing the same checks
(``verify_vs_pyjwt`` well under 1). The last line is a JSON object of the figures.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import jwt
import nacl.bindings
from conftest import BASE, NOW, build_world
from cryptography.hazmat.primitives.asymmetric import ed25519
from joserfc import jws as joserfc_jws
from joserfc.jwk import OKPKey
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from certsvc.credentials.b64 import b64url_decode
from certsvc.qr.image import qr_version
from certsvc.qr.transport import decode_qr_text
from verifier.pipeline import verify

ROUNDS = 31
PER_ROUND = 100


def interleaved_medians(candidates: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median seconds per call of each candidate, timed in alternating rounds.

    Alternating rounds give every candidate the same share of whatever else the machine
    is doing, so the ratios stay meaningful on a busy machine.
    """
    for fn in candidates.values():
        for _ in range(PER_ROUND):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(ROUNDS):
        for name, fn in candidates.items():
            start = time.perf_counter()
            for _ in range(PER_ROUND):
                fn()
            samples[name].append((time.perf_counter() - start) / PER_ROUND)
    return {name: statistics.median(values) for name, values in samples.items()}


def claim_checks(payload: dict, now: float) -> None:
    """The claim checks a JOSE library leaves to its caller: dates, issuer and mirrored claims."""
    if not payload["nbf"] <= now < payload["exp"]:
        raise ValueError("not valid now")
    if payload["iss"] != payload["issuer"] or payload["jti"] != payload["id"]:
        raise ValueError("claims do not mirror the credential")


def main() -> None:
    # joserfc warns that the JOSE name "EdDSA" is deprecated by RFC 9864; our tokens still use it.
    warnings.filterwarnings("ignore", module="joserfc")
    world = build_world()
    versions = {}
    for kind in ("training", "prior_skills"):
        text = world.qr_text(world.credential(kind))
        versions[kind] = {"M": qr_version(text, "M"), "Q": qr_version(text, "Q"), "chars": len(text)}
        print(
            f"{kind:13s} QR version at ECC M: {versions[kind]['M']:2d}, at ECC Q: {versions[kind]['Q']:2d}"
            f" ({versions[kind]['chars']} characters)"
        )

    credential = world.credential("training")
    qr_text = world.qr_text(credential)
    compacts = credential.compacts()
    provider_jwk = world.ph.provider.key.public.jwk
    embassy_jwk = world.ph.embassy.key.public.jwk
    now_ts = NOW.timestamp()
    result = verify(qr_text, world.trust_lists, world.status_lists, NOW)
    assert result.status.value == "recognized", result.to_dict()

    raw_keys = [ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(j["x"])) for j in (provider_jwk, embassy_jwk)]
    raw_inputs = []
    for compact in compacts:
        header, payload, signature = compact.split(".")
        raw_inputs.append((f"{header}.{payload}".encode(), b64url_decode(signature)))

    def raw() -> None:
        for key, (signing_input, signature) in zip(raw_keys, raw_inputs, strict=True):
            key.verify(signature, signing_input)

    sodium_keys = [b64url_decode(j["x"]) for j in (provider_jwk, embassy_jwk)]

    def raw_libsodium() -> None:
        for key, (signing_input, signature) in zip(sodium_keys, raw_inputs, strict=True):
            nacl.bindings.crypto_sign_open(signature + signing_input, key)

    jwc_keys = [jwcrypto_jwk.JWK(**j) for j in (provider_jwk, embassy_jwk)]

    def with_jwcrypto() -> None:
        # A verifier built on jwcrypto starts from the QR text too: same transport decode.
        decoded = decode_qr_text(qr_text)
        for key, compact in zip(jwc_keys, decoded.compacts(), strict=True):
            token = jwcrypto_jws.JWS()
            token.deserialize(compact)
            token.verify(key, alg="EdDSA")
        claim_checks(json.loads(token.payload), now_ts)

    rfc_keys = [OKPKey.import_key(j) for j in (provider_jwk, embassy_jwk)]

    def with_joserfc() -> None:
        decoded = decode_qr_text(qr_text)
        for key, compact in zip(rfc_keys, decoded.compacts(), strict=True):
            obj = joserfc_jws.deserialize_compact(compact, key, algorithms=["EdDSA"])
        claim_checks(json.loads(obj.payload), now_ts)

    pyjwt_keys = [j["kid"] for j in (provider_jwk, embassy_jwk)]
    pyjwt_set = {
        k: jwt.PyJWK(j, algorithm="EdDSA") for k, j in zip(pyjwt_keys, (provider_jwk, embassy_jwk), strict=True)
    }
    pyjws = jwt.PyJWS(algorithms=["EdDSA"])
    trusted = {
        world.ph.provider.kid_uri(BASE): pyjwt_set[pyjwt_keys[0]],
        world.ph.embassy.kid_uri(BASE): pyjwt_set[pyjwt_keys[1]],
    }

    def with_pyjwt() -> None:
        # The key is found by the header's kid, as our pipeline finds it in the trust list.
        decoded = decode_qr_text(qr_text)
        for compact in decoded.compacts():
            key = trusted[jwt.get_unverified_header(compact)["kid"]]
            obj = pyjws.decode_complete(compact, key, algorithms=["EdDSA"])
        claim_checks(json.loads(obj["payload"]), now_ts)

    medians = interleaved_medians(
        {
            "ours": lambda: verify(qr_text, world.trust_lists, world.status_lists, NOW),
            "qr_decode": lambda: decode_qr_text(qr_text, world.trust_lists),
            "raw": raw,
            "raw_libsodium": raw_libsodium,
            "jwcrypto": with_jwcrypto,
            "joserfc": with_joserfc,
            "pyjwt": with_pyjwt,
        }
    )
    ours, t_raw, t_jwcrypto, t_joserfc, t_pyjwt = (medians[k] for k in ("ours", "raw", "jwcrypto", "joserfc", "pyjwt"))
    print(f"ours (QR text -> verdict, all checks): {ours * 1e6:8.1f} us")
    print(f"  of which the QR decode alone:        {medians['qr_decode'] * 1e6:8.1f} us")
    print(f"two raw Ed25519 verifications:         {t_raw * 1e6:8.1f} us (cryptography, OpenSSL)")
    print(f"two raw Ed25519 verifications:         {medians['raw_libsodium'] * 1e6:8.1f} us (libsodium)")
    print(f"jwcrypto, signatures + claim checks:   {t_jwcrypto * 1e6:8.1f} us")
    print(f"joserfc, signatures + claim checks:    {t_joserfc * 1e6:8.1f} us")
    print(f"PyJWT, signatures + claim checks:      {t_pyjwt * 1e6:8.1f} us")
    figures = {
        "qr_version_m": max(v["M"] for v in versions.values()),
        "qr_version_q": max(v["Q"] for v in versions.values()),
        "qr_version_m_training": versions["training"]["M"],
        "qr_version_m_prior_skills": versions["prior_skills"]["M"],
        "verify_vs_raw_ed25519": round(ours / t_raw, 3),
        "verify_vs_raw_ed25519_libsodium": round(ours / medians["raw_libsodium"], 3),
        "verify_vs_jwcrypto": round(ours / t_jwcrypto, 3),
        "verify_vs_joserfc": round(ours / t_joserfc, 3),
        "verify_vs_pyjwt": round(ours / t_pyjwt, 3),
        "verify_us": round(ours * 1e6, 1),
        "qr_decode_us": round(medians["qr_decode"] * 1e6, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
