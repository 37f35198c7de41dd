"""Ed25519 keys and R values of small order are refused by both verifiers, the server's and the phone's.

The points of small order are derived here from the curve's equation (not copied from either
verifier), and every encoding of them, every non-canonical encoding of y, and real public keys
are put to the offline verifier's ``weakEd25519Point`` (templates/verify/offline/jws.js) in
Chromium, and to the server's signature check (libsodium, certsvc/credentials/keys.py), which
also guards the trust and status lists PyJWT reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from js_support import ModulePage, chromium, serve

from certsvc.credentials.b64 import b64url_encode
from certsvc.credentials.errors import BadSignature
from certsvc.credentials.jws import decode_signed, parse_compact
from certsvc.credentials.keys import PublicKey, SigningKey

OFFLINE = Path(__file__).parent.parent / "templates" / "verify" / "offline"
P = 2**255 - 19
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
MESSAGE = b"eyJhbGciOiJFZERTQSJ9.c21hbGwgb3JkZXI"

WEAK = """async (cases) => {
  const { weakEd25519Point } = await import("/offline/jws.js");
  const bytes = (h) => Uint8Array.from(h.match(/../g), (x) => parseInt(x, 16));
  return cases.map((h) => weakEd25519Point(bytes(h)));
}"""


def _sqrt(a: int) -> int | None:
    """A square root modulo p (p = 5 mod 8), or None."""
    root = pow(a, (P + 3) // 8, P)
    for candidate in (root, root * SQRT_M1 % P):
        if candidate * candidate % P == a % P:
            return candidate
    return None


def _small_order_ys() -> set[int]:
    """The y of every point P with [8]P the neutral point, from the curve -x^2 + y^2 = 1 + d x^2 y^2."""
    ys = {1, P - 1, 0}  # orders 1 and 2 (x = 0), and 4 (y = 0, x = ±sqrt(-1))
    # Order 8: doubling gives y = 0, so x^2 = -y^2, and then d y^4 + 2 y^2 - 1 = 0.
    root = _sqrt(1 + D)
    assert root is not None
    for y_squared in ((-1 + root) * pow(D, -1, P) % P, (-1 - root) * pow(D, -1, P) % P):
        y = _sqrt(y_squared)
        if y is not None:
            ys |= {y, P - y}
    return ys


def _encoding(y: int, x_negative: bool) -> bytes:
    return (y | (x_negative << 255)).to_bytes(32, "little")


SMALL_ORDER = [_encoding(y, sign) for y in sorted(_small_order_ys()) for sign in (False, True)]
NOT_CANONICAL = [_encoding(y, sign) for y in range(P, 2**255) for sign in (False, True)]
#: The server's checks: every small-order point, and the neutral point and 0 written as y = p + 1 and p.
SERVER_POINTS = SMALL_ORDER + NOT_CANONICAL[:4]
#: A "signature" anyone can make for any message: R the neutral point and S = 0. Under the neutral
#: key it satisfies OpenSSL's verification equation for every message, under the others for some.
NEUTRAL_FORGERY = _encoding(1, False) + bytes(32)
MESSAGES = [MESSAGE, b"", *(b"payload %d" % n for n in range(16))]


def _real_keys(count: int) -> list[bytes]:
    keys = []
    for _ in range(count):
        public = ed25519.Ed25519PrivateKey.generate().public_key()
        keys.append(public.public_bytes_raw())
    return keys


@pytest.fixture(scope="module")
def modules(playwright_instance: Any) -> Iterator[ModulePage]:
    with serve({"/offline/": OFFLINE}) as origin, chromium(playwright_instance) as browser:
        page = ModulePage(browser, origin)
        yield page
        page.close()


def test_the_derived_points_are_the_eight_of_small_order():
    # Two y values of order 8 and one of order 4 (each with two x), one of order 2 and the neutral point.
    assert len(_small_order_ys()) == 5
    assert len(SMALL_ORDER) == 10


def test_the_offline_verifier_refuses_every_weak_point_and_no_real_key(modules):
    real = _real_keys(200)
    weak = SMALL_ORDER + NOT_CANONICAL
    verdicts = modules.run(WEAK, [b.hex() for b in weak + real])
    assert verdicts[: len(weak)] == [True] * len(weak)
    assert verdicts[len(weak) :] == [False] * len(real)


@pytest.mark.parametrize("point", SERVER_POINTS, ids=lambda b: b.hex()[:8] + "…" + b.hex()[-4:])
def test_the_server_verifies_nothing_under_a_weak_key(point):
    # The key loads (a trust list naming one stays readable for its other keys), but nothing verifies under it.
    key = PublicKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(point)})
    assert not [m for m in MESSAGES if key.verify("EdDSA", NEUTRAL_FORGERY, m)]


@pytest.mark.parametrize("point", SERVER_POINTS, ids=lambda b: b.hex()[:8] + "…" + b.hex()[-4:])
def test_the_server_refuses_a_signature_whose_r_is_a_weak_point(point):
    # Only the signer can make one (R = [S]B - [h]A needs the key), but RFC 8032's strict readers
    # refuse it, so it must fail here as in the offline verifier.
    signer = SigningKey.generate()
    assert not signer.public.verify("EdDSA", point + signer.sign(MESSAGE)[32:], MESSAGE)


def test_a_list_token_forged_under_the_neutral_key_is_refused():
    # Trust lists and status lists are read through PyJWT, whose OpenSSL check takes the forgery:
    # the strict check runs first, so a list "signed" so is refused as a bad signature.
    neutral = PublicKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(_encoding(1, False))})
    header = b64url_encode(b'{"alg":"EdDSA","kid":"https://authority.example/#k1","typ":"statuslist+jwt"}')
    payload = b64url_encode(b'{"iss":"https://authority.example/","iat":1767225600}')
    token = parse_compact(f"{header}.{payload}.{b64url_encode(NEUTRAL_FORGERY)}", typ="statuslist+jwt")
    with pytest.raises(BadSignature):
        decode_signed(token, neutral, ["iss"])
