"""QR transport: lossless round trip, QR size, real images, and a decoder that only fails in our own words."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import random
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BASE, VERIFY_URL
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFilter

from certsvc.credentials.cosigned import CoSignedCredential, sign_credential
from certsvc.credentials.errors import CertsvcError, InputTooLarge, QRDecodeError, UnsupportedQRVersion
from certsvc.credentials.jws import MAX_TOKEN_CHARS
from certsvc.credentials.openbadge import encode_payload
from certsvc.qr import skeleton, transport
from certsvc.qr.dictionary import PUBLISHED, dictionary
from certsvc.qr.image import decode_image, qr_version, render_png
from certsvc.qr.transport import decode_bytes, decode_qr_text, encode_qr_text

KINDS = pytest.mark.parametrize("kind", ["training", "prior_skills"])
PREFIX = VERIFY_URL.upper() + "#"
ORIGIN = BASE  # what the transport derives from the QR prefix
DICTIONARY_FILE = Path(__file__).parent.parent / "certsvc" / "qr" / "data" / "qr-dict-v1.bin"
FUZZ = settings(max_examples=250, deadline=None)


@pytest.fixture(scope="module")
def samples(world) -> dict[str, tuple[CoSignedCredential, str]]:
    """One co-signed credential of each kind with its QR text."""
    result = {}
    for kind in ("training", "prior_skills"):
        credential = world.credential(kind)
        result[kind] = (credential, world.qr_text(credential))
    return result


def _digits_to_bytes(digits: str) -> bytes:
    number = int(digits)  # fewer than 4300 digits: within Python's int/str conversion limit
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


def _text_of(data: bytes) -> str:
    return PREFIX + str(int.from_bytes(data, "big"))


# --- lossless round trip ---


@KINDS
@pytest.mark.parametrize("cosign", [True, False], ids=["cosigned", "provider-only"])
def test_round_trip_is_exact(world, kind, cosign):
    credential = world.credential(kind, cosign=cosign)
    text = encode_qr_text(credential, VERIFY_URL)
    decoded = decode_qr_text(text)
    assert decoded == credential
    assert decoded.compacts() == credential.compacts()
    assert decoded.to_json() == credential.to_json()


@KINDS
def test_qr_text_is_an_upper_case_url_then_digits(samples, kind):
    _, text = samples[kind]
    assert text.startswith(PREFIX)
    digits = text[len(PREFIX) :]
    assert digits.isascii() and digits.isdigit()
    assert not digits.startswith("0")
    assert text.count("#") == 1


def test_trailing_hash_and_surrounding_space_are_tolerated(samples):
    credential, text = samples["training"]
    assert encode_qr_text(credential, VERIFY_URL + "#") == text
    assert decode_qr_text(f"  {text}\n") == credential


def test_qr_versions(samples):
    versions = {kind: (qr_version(text, "M"), qr_version(text, "Q")) for kind, (_, text) in samples.items()}
    for kind, (m, q) in versions.items():
        print(f"{kind}: {len(samples[kind][1])} characters, QR version {m} at ECC M, {q} at ECC Q")
    assert versions["training"][0] <= 15
    assert versions["prior_skills"][0] <= 17  # target 15; recorded, see the printed line


# --- real images ---


def _image(text: str, box_size: int) -> Image.Image:
    return Image.open(io.BytesIO(render_png(text, box_size=box_size))).convert("L")


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _three_px_per_module(text: str) -> bytes:
    small = _image(text, box_size=1)
    return _png(small.resize((small.width * 3, small.height * 3), Image.Resampling.NEAREST))


def _blurred(text: str) -> bytes:
    return _png(_image(text, box_size=6).filter(ImageFilter.GaussianBlur(1)))


def _jpeg_quality_40(text: str) -> bytes:
    buffer = io.BytesIO()
    _image(text, box_size=6).save(buffer, format="JPEG", quality=40)
    return buffer.getvalue()


@KINDS
def test_png_decodes_to_the_same_text(samples, kind):
    credential, text = samples[kind]
    assert decode_image(render_png(text)) == text
    assert decode_qr_text(decode_image(render_png(text))) == credential


@KINDS
@pytest.mark.parametrize(
    "degrade", [_three_px_per_module, _blurred, _jpeg_quality_40], ids=["3px-per-module", "blur", "jpeg-q40"]
)
def test_degraded_image_still_gives_the_credential(samples, kind, degrade: Callable[[str], bytes]):
    credential, text = samples[kind]
    assert decode_qr_text(decode_image(degrade(text))) == credential


# --- JSON skeleton ---

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=25,
)
VOCABULARY_TEXT = st.sampled_from(sorted(w.decode() for w in skeleton.VOCABULARY))


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES | st.dictionaries(VOCABULARY_TEXT | st.text(max_size=3), JSON_VALUES | VOCABULARY_TEXT))
def test_skeleton_split_join_round_trip(value):
    raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    shape, values = skeleton.split(raw)
    assert skeleton.join(shape, values) == raw
    assert skeleton.join(shape, [*values, b"spare"], final=False) == raw


@KINDS
def test_skeleton_of_a_payload_holds_no_personal_data(samples, kind):
    credential, _ = samples[kind]
    shape, values = skeleton.split(credential.payload)
    assert skeleton.join(shape, values) == credential.payload
    assert b"Maria" not in shape
    assert b"Maria Santos Dela Cruz" in values


def test_skeleton_join_refuses_missing_or_extra_values():
    shape, values = skeleton.split(b'{"a":"x","b":1}')
    with pytest.raises(QRDecodeError):
        skeleton.join(shape, values[:1])
    with pytest.raises(QRDecodeError):
        skeleton.join(shape, [*values, b"2"])
    with pytest.raises(QRDecodeError):
        skeleton.join(b'{"a', [])


# --- the decoder fails only in our own words ---


def _check_decoded(credential: CoSignedCredential) -> None:
    """What a successful decode may give: bytes within the transport's limits."""
    assert 1 <= len(credential.signatures) <= 2
    assert len(credential.payload) <= transport.MAX_INFLATED
    assert all(len(s.value) <= 255 for s in credential.signatures)
    assert all(len(s.protected) <= transport.MAX_INFLATED for s in credential.signatures)
    assert all(len(c) <= MAX_TOKEN_CHARS for c in credential.compacts())


def _decode_or_our_error(text: str) -> CoSignedCredential | None:
    try:
        credential = decode_qr_text(text)
    except CertsvcError:
        return None
    _check_decoded(credential)
    return credential


@FUZZ
@given(st.text(max_size=3000))
def test_fuzz_arbitrary_text(text):
    _decode_or_our_error(text)


@FUZZ
@given(st.text(alphabet="0123456789", min_size=1, max_size=7200))
def test_fuzz_digits_after_a_valid_prefix(digits):
    _decode_or_our_error(PREFIX + digits)


@FUZZ
@given(st.binary(max_size=1200))
def test_fuzz_arbitrary_transport_bytes(data):
    with contextlib.suppress(CertsvcError):
        _check_decoded(decode_bytes(bytes([1]) + data, ORIGIN))


_MUTATION = st.tuples(st.sampled_from(["flip", "delete", "insert"]), st.integers(0, 10_000), st.integers(1, 9))


def _mutate(digits: str, mutations: list[tuple[str, int, int]]) -> str:
    for op, position, amount in mutations:
        at = position % (len(digits) + (op == "insert"))
        if op == "flip":
            digits = digits[:at] + str((int(digits[at]) + amount) % 10) + digits[at + 1 :]
        elif op == "delete":
            digits = digits[:at] + digits[at + 1 :]
        else:
            digits = digits[:at] + str(amount % 10) + digits[at:]
    return digits


@FUZZ
@given(kind=st.sampled_from(["training", "prior_skills"]), mutations=st.lists(_MUTATION, min_size=1, max_size=4))
def test_fuzz_mutated_qr_text(samples, kind, mutations):
    credential, text = samples[kind]
    mutated = PREFIX + _mutate(text[len(PREFIX) :], mutations)
    decoded = _decode_or_our_error(mutated)
    if mutated == text:
        assert decoded == credential


@FUZZ
@given(kind=st.sampled_from(["training", "prior_skills"]), cut=st.integers(0, 10_000))
def test_fuzz_truncated_qr_text(samples, kind, cut):
    _, text = samples[kind]
    _decode_or_our_error(text[: cut % len(text)])


_SPECIAL_BYTES = st.sampled_from(list(b'\x00\x01\x02\x03\x04\x05\n"0\\:{}[],'))


def _header_and_body(data: bytes) -> tuple[bytes, bytes]:
    """Cut transport bytes into their fixed part and the inflated body (see the layout)."""
    header_length = 3 + transport.SIGNATURE_BYTES * data[1] + data[2]
    inflater = zlib.decompressobj(-15, zdict=transport._zdict(ORIGIN))
    return data[:header_length], inflater.decompress(data[header_length:])


@FUZZ
@given(
    kind=st.sampled_from(["training", "prior_skills"]),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["set", "delete", "insert"]), st.integers(0, 10_000), _SPECIAL_BYTES | st.integers(0, 255)
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_fuzz_mutated_inflated_body(samples, kind, edits):
    """Mutations behind the DEFLATE layer reach the skeleton, value and side-channel parsers."""
    _, text = samples[kind]
    header, body = _header_and_body(_digits_to_bytes(text[len(PREFIX) :]))
    mutated = bytearray(body)
    for op, position, value in edits:
        at = position % (len(mutated) + (op == "insert"))
        if op == "set":
            mutated[at] = value
        elif op == "delete":
            del mutated[at]
        else:
            mutated.insert(at, value)
    with contextlib.suppress(CertsvcError):
        _check_decoded(decode_bytes(header + _deflate(bytes(mutated), transport._zdict(ORIGIN)), ORIGIN))


def test_inflated_body_helper_matches_the_layout(samples):
    credential, text = samples["prior_skills"]
    header, body = _header_and_body(_digits_to_bytes(text[len(PREFIX) :]))
    assert decode_bytes(header + _deflate(body, transport._zdict(ORIGIN)), ORIGIN) == credential


def test_mutations_are_caught_somewhere(samples):
    """Most single-digit changes break the decoding itself; none escapes as a foreign exception."""
    _, text = samples["training"]
    digits = text[len(PREFIX) :]
    outcomes = [_decode_or_our_error(PREFIX + _mutate(digits, [("flip", i, 1)])) for i in range(len(digits))]
    assert sum(o is None for o in outcomes) > len(digits) // 2


# --- limits and malformed data ---


def _transport_bytes(version: int, body: bytes) -> bytes:
    """Version, one 64-byte signature, no side-channel bytes, then the DEFLATE part (see the layout)."""
    return bytes([version, 1, 0]) + bytes(range(64)) + body


def _deflate(data: bytes, zdict: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=zdict)
    return compressor.compress(data) + compressor.flush()


def test_decompression_bomb_is_refused():
    bomb = _transport_bytes(1, _deflate(b"\x00" * 1_000_000, transport._zdict(ORIGIN)))
    assert len(bomb) < 2000
    with pytest.raises(InputTooLarge):
        decode_bytes(bomb, ORIGIN)
    text = _text_of(bomb)
    assert len(text) - len(PREFIX) <= transport.MAX_DIGITS
    with pytest.raises(InputTooLarge):
        decode_qr_text(text)


def test_inflated_size_limit_is_exact():
    zdict = transport._zdict(ORIGIN)
    with pytest.raises(InputTooLarge):
        decode_bytes(_transport_bytes(1, _deflate(b"x" * (transport.MAX_INFLATED + 1), zdict)), ORIGIN)
    with pytest.raises(QRDecodeError) as caught:  # at the limit: inflated, then refused as malformed
        decode_bytes(_transport_bytes(1, _deflate(b"x" * transport.MAX_INFLATED, zdict)), ORIGIN)
    assert not isinstance(caught.value, InputTooLarge)


@pytest.mark.parametrize("version", [0, 2, 7, 255])
def test_unknown_version_byte_is_refused(samples, version):
    data = _digits_to_bytes(samples["training"][1][len(PREFIX) :])
    assert data[0] == transport.FORMAT_VERSION
    with pytest.raises(UnsupportedQRVersion):
        decode_bytes(bytes([version]) + data[1:], ORIGIN)
    if version:  # a leading zero byte vanishes in the decimal number
        with pytest.raises(UnsupportedQRVersion):
            decode_qr_text(_text_of(bytes([version]) + data[1:]))


def test_other_origin_does_not_decode(samples):
    credential, text = samples["training"]
    other = text.replace("SKILLS.EXAMPLE.ORG", "SKILLS.EXAMPLE.NET")
    try:
        decoded = decode_qr_text(other)
    except CertsvcError:
        return
    assert decoded != credential


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", QRDecodeError),
        ("#123", QRDecodeError),
        (VERIFY_URL.upper(), QRDecodeError),
        (PREFIX, QRDecodeError),
        (PREFIX + "0123", QRDecodeError),
        (PREFIX + "12a4", QRDecodeError),
        (PREFIX + "\u0661\u0662\u0663", QRDecodeError),  # Arabic-Indic digits are not ASCII digits
        (PREFIX + "1" * (transport.MAX_DIGITS + 1), InputTooLarge),
        (PREFIX + "1" * (transport.MAX_TEXT_CHARS + 1), InputTooLarge),
        (PREFIX + "9" * transport.MAX_DIGITS, QRDecodeError),
        (PREFIX + "9" * 4301, QRDecodeError),  # above Python's default int/str conversion limit
    ],
)
def test_malformed_text_is_refused(text, error):
    with pytest.raises(error):
        decode_qr_text(text)


def test_large_credential_round_trips_past_pythons_int_string_limit(world):
    """Python converts at most 4300 digits between int and str by default; a QR holds 7089."""
    payload = json.loads(world.credential("training").payload)
    rng = random.Random(7)  # random text does not compress: about 5000 digits in all
    payload["credentialSubject"]["achievement"]["description"] = "".join(
        rng.choice("ABCDEFGHJKMNPQRSTVWXYZ0123456789") for _ in range(2600)
    )
    provider, embassy = world.ph.provider, world.ph.embassy
    credential = sign_credential(encode_payload(payload), provider.key, provider.kid_uri(BASE))
    credential = credential.with_cosignature(embassy.key, embassy.kid_uri(BASE))
    text = encode_qr_text(credential, VERIFY_URL)
    assert 4300 < len(text) - len(PREFIX) <= transport.MAX_DIGITS
    assert decode_qr_text(text) == credential


# --- the preset dictionary is frozen ---


def test_dictionary_is_pinned():
    data = dictionary(1)
    assert data == DICTIONARY_FILE.read_bytes()
    assert hashlib.sha256(DICTIONARY_FILE.read_bytes()).hexdigest() == PUBLISHED[1]


@pytest.mark.parametrize("version", [0, 2, 255])
def test_unknown_dictionary_version_is_refused(version):
    with pytest.raises(UnsupportedQRVersion):
        dictionary(version)
