"""QR transport: lossless round trip, QR size, real images, and a decoder that only fails in our own words."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import io
import json
import random
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BASE, VERIFY_URL
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFilter

from certsvc.credentials.catalogue import MAX_ENTRY_BYTES
from certsvc.credentials.cosigned import CoSignedCredential, Signature, sign_credential
from certsvc.credentials.errors import CertsvcError, InputTooLarge, QRDecodeError, UnsupportedQRVersion
from certsvc.credentials.jws import MAX_TOKEN_CHARS
from certsvc.credentials.keys import PublicKey
from certsvc.credentials.openbadge import encode_payload
from certsvc.qr import markers, skeleton, transport, v1, v2, windows
from certsvc.qr.catalogue import PIN_BYTES, find_pinned
from certsvc.qr.dictionary import PUBLISHED, build_dictionary, dictionary
from certsvc.qr.errors import CatalogueEntryUnknown
from certsvc.qr.image import decode_image, qr_version, render_png
from certsvc.qr.transport import decode_bytes, decode_qr_text, encode_qr_text

KINDS = pytest.mark.parametrize("kind", ["training", "prior_skills"])
PREFIX = VERIFY_URL.upper() + "#"
ORIGIN = BASE  # what the transport derives from the QR prefix
DATA = Path(__file__).parent.parent / "certsvc" / "qr" / "data"
V1_VECTORS = json.loads((Path(__file__).parent / "vectors" / "qr_v1_vectors.json").read_text())["vectors"]
FUZZ = settings(max_examples=250, deadline=None)


@pytest.fixture(scope="module")
def samples(world) -> dict[str, tuple[CoSignedCredential, str]]:
    """One co-signed credential of each kind with its QR text, pinned to the world's catalogue."""
    result = {}
    for kind in ("training", "prior_skills"):
        credential = world.credential(kind)
        result[kind] = (credential, encode_qr_text(credential, VERIFY_URL, world.trust_lists))
    return result


def _digits_to_bytes(digits: str) -> bytes:
    number = int(digits)  # fewer than 4300 digits: within Python's int/str conversion limit
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


def _text_of(data: bytes) -> str:
    return PREFIX + str(int.from_bytes(data, "big"))


# --- lossless round trip ---


@KINDS
@pytest.mark.parametrize("cosign", [True, False], ids=["cosigned", "provider-only"])
@pytest.mark.parametrize("pinned", [True, False], ids=["pinned", "unpinned"])
def test_round_trip_is_exact(world, kind, cosign, pinned):
    credential = world.credential(kind, cosign=cosign)
    trust_lists = world.trust_lists if pinned else []
    text = encode_qr_text(credential, VERIFY_URL, trust_lists)
    decoded = decode_qr_text(text, world.trust_lists)
    assert decoded == credential
    assert decoded.compacts() == credential.compacts()
    assert decoded.to_json() == credential.to_json()
    assert _digits_to_bytes(text[len(PREFIX) :])[:2] == bytes([2, (cosign and 1) | (pinned and 2)])


@KINDS
def test_qr_text_is_an_upper_case_url_then_digits(samples, kind):
    _, text = samples[kind]
    assert text.startswith(PREFIX)
    digits = text[len(PREFIX) :]
    assert digits.isascii() and digits.isdigit()
    assert not digits.startswith("0")
    assert text.count("#") == 1


def test_trailing_hash_and_surrounding_space_are_tolerated(world, samples):
    credential, text = samples["training"]
    assert encode_qr_text(credential, VERIFY_URL + "#", world.trust_lists) == text
    assert decode_qr_text(f"  {text}\n", world.trust_lists) == credential


def test_qr_versions(world, samples):
    versions = {kind: (qr_version(text, "M"), qr_version(text, "Q")) for kind, (_, text) in samples.items()}
    for kind, (m, q) in versions.items():
        print(f"{kind}: {len(samples[kind][1])} characters, QR version {m} at ECC M, {q} at ECC Q")
    assert versions["training"][0] <= 13
    assert versions["prior_skills"][0] <= 14


def test_pinning_the_catalogue_saves_the_achievement(world):
    credential = world.credential("training")
    pinned = encode_qr_text(credential, VERIFY_URL, world.trust_lists)
    unpinned = encode_qr_text(credential, VERIFY_URL)
    assert len(pinned) < len(unpinned) - 60
    assert qr_version(pinned) < qr_version(unpinned)


# --- the catalogue pin ---


def test_a_pinned_code_needs_a_trust_list_with_its_entry(world, samples):
    credential, text = samples["training"]
    with pytest.raises(CatalogueEntryUnknown) as caught:
        decode_qr_text(text)
    assert caught.value.code == "qr_catalogue_unknown"
    others = [t for t in world.trust_lists if t.country != "PH"]
    with pytest.raises(CatalogueEntryUnknown):
        decode_qr_text(text, others)
    assert decode_qr_text(text, [*others, world.trust_lists[0]]) == credential


def test_an_entry_no_trust_list_publishes_is_never_pinned(world):
    """A qualification edited after issue: the credential's achievement is not in the catalogue."""
    payload = json.loads(world.credential("training").payload)
    payload["credentialSubject"]["achievement"]["description"] = "An older wording of the description"
    provider = world.ph.provider
    credential = sign_credential(encode_payload(payload), provider.key, provider.kid_uri(BASE))
    text = encode_qr_text(credential, VERIFY_URL, world.trust_lists)
    assert _digits_to_bytes(text[len(PREFIX) :])[1] & 2 == 0
    assert decode_qr_text(text, world.trust_lists) == credential


def test_a_code_made_without_trust_lists_needs_none(world):
    credential = world.credential("prior_skills")
    assert decode_qr_text(encode_qr_text(credential, VERIFY_URL)) == credential


def test_a_key_the_verifier_does_not_hold_is_named_as_such(world, samples):
    """The embassy's key URI travels as 4 bytes of its hash; a trust list without the key cannot say which."""
    _, text = samples["training"]
    ph = world.trust_lists[0]
    without_embassy = dataclasses.replace(ph, organisations=tuple(o for o in ph.organisations if o.kind != "embassy"))
    with pytest.raises(CatalogueEntryUnknown) as caught:
        decode_qr_text(text, [without_embassy])
    assert "key" in caught.value.message


def test_a_later_trust_list_that_keeps_the_entry_still_decodes(world, samples):
    credential, text = samples["training"]
    old = world.trust_lists[0]
    newer = dataclasses.replace(old, sequence=old.sequence + 5, catalogue=old.catalogue[::-1], equivalences=())
    assert decode_qr_text(text, [newer]) == credential
    emptied = dataclasses.replace(old, sequence=old.sequence + 6, catalogue=())
    with pytest.raises(CatalogueEntryUnknown):
        decode_qr_text(text, [emptied])


# --- version 1 codes stay readable ---


@pytest.mark.parametrize("vector", V1_VECTORS, ids=[v["name"] for v in V1_VECTORS])
def test_version_1_codes_decode_byte_exact(vector):
    decoded = decode_qr_text(vector["qr_text"])
    assert _digits_to_bytes(vector["qr_text"][len(PREFIX) :])[0] == 1
    assert decoded.compacts() == vector["compact_jws"]
    for compact, key in zip(decoded.compacts(), vector["keys"], strict=True):
        header, payload, signature = compact.split(".")
        public = PublicKey.from_jwk(key["jwk"])
        assert json.loads(base64.urlsafe_b64decode(header + "=="))["kid"] == key["kid"]
        assert public.verify("EdDSA", base64.urlsafe_b64decode(signature + "=="), f"{header}.{payload}".encode())


def test_version_1_reference_to_value_0_is_refused():
    """In version 1 a reference to value 0 reads as the separator: no encoder wrote one, none decodes."""
    body = b'{"alg":"EdDSA","kid":"","typ":"JWT"}\n{"a":"","b":""}\x00' + b"https://x.example\x00\x02\x00\x00"
    zdict = dictionary(1) + b"\x00" + ORIGIN.encode()
    with pytest.raises(QRDecodeError):
        decode_bytes(bytes([1, 1, 0]) + bytes(64) + _deflate(body, zdict), ORIGIN)


def test_version_2_refers_to_the_first_value_without_a_zero_byte():
    payload = b'{"a":"https://same.example/value","b":"https://same.example/value","c":1}'
    credential = CoSignedCredential(payload, (Signature(b'{"alg":"EdDSA","kid":"k","typ":"JWT"}', bytes(64)),))
    data = v2.encode(credential, ORIGIN)
    assert v2.decode(data, ORIGIN) == credential
    body, _ = v2._inflate(data[2 + 64 :], v2._zdict(ORIGIN, None))
    assert b"\x02\x01" in body.split(b"\x00", 1)[1]  # "the value one place back"


# --- the decoder's work is bounded by its input ---


def _v2_bytes(body: bytes, side: bytes = b"", flags: int = 0) -> bytes:
    return bytes([2, flags]) + bytes(64) + _deflate(body, v2._zdict(ORIGIN, None)) + side


def _reference_bomb(version: int) -> bytes:
    """A 4000-byte value referred to 1800 times: 7 MB from a short QR code that inflates to under 16 KiB."""
    value, slots = b"x" * 4000, b"[" + b'"",' * 1800 + b'""]'
    header = b'{"alg":"EdDSA","kid":"","typ":"JWT"}'
    if version == 1:  # values: the header's kid, the big value (index 1), then references to index 1
        body = header + b"\n" + slots + b"\x00k\x00" + value + b"\x00" + b"\x00".join([b"\x02\x01"] * 1800)
        assert len(body) < v1.MAX_INFLATED
        return bytes([1, 1, 0]) + bytes(64) + _deflate(body, dictionary(1) + b"\x00" + ORIGIN.encode())
    codes = b" " + b"\x02\x01" * 1800 + b" "  # the value, 1800 times "the one before", the kid
    body = slots + b"\n" + header + b"\x00" + codes + b"\x00" + value + b"\x00k"
    assert len(body) < v2.MAX_INFLATED
    return _v2_bytes(body)


@pytest.mark.parametrize("version", [1, 2])
def test_repeated_references_are_refused_early(version):
    bomb = _reference_bomb(version)
    assert len(bomb) < 1000  # a short code ...
    started = time.perf_counter()
    with pytest.raises(InputTooLarge):
        decode_bytes(bomb, ORIGIN)  # ... that would rebuild 12 MB
    assert time.perf_counter() - started < 0.05


def test_decompression_bomb_is_refused():
    bomb = _v2_bytes(b"\x00" * 1_000_000)
    assert len(bomb) < 2000
    with pytest.raises(InputTooLarge):
        decode_bytes(bomb, ORIGIN)
    text = _text_of(bomb)
    assert len(text) - len(PREFIX) <= transport.MAX_DIGITS
    with pytest.raises(InputTooLarge):
        decode_qr_text(text)


def test_inflated_size_limit_is_exact():
    with pytest.raises(InputTooLarge):
        decode_bytes(_v2_bytes(b"x" * (v2.MAX_INFLATED + 1)), ORIGIN)
    with pytest.raises(QRDecodeError) as caught:  # at the limit: inflated, then refused as malformed
        decode_bytes(_v2_bytes(b"x" * v2.MAX_INFLATED), ORIGIN)
    assert not isinstance(caught.value, InputTooLarge)


# --- malformed data ---


@pytest.mark.parametrize("version", [0, 3, 7, 255])
def test_unknown_version_byte_is_refused(samples, version):
    data = _digits_to_bytes(samples["training"][1][len(PREFIX) :])
    assert data[0] == transport.FORMAT_VERSION == 2
    with pytest.raises(UnsupportedQRVersion):
        decode_bytes(bytes([version]) + data[1:], ORIGIN)
    if version:  # a leading zero byte vanishes in the decimal number
        with pytest.raises(UnsupportedQRVersion):
            decode_qr_text(_text_of(bytes([version]) + data[1:]))


@pytest.mark.parametrize(
    ("body", "side"),
    [
        (b"{}\n{}\x00\x01", b""),  # a digest marker without its bytes
        (b"{}\n{}\x00", b"x"),  # side bytes nobody uses
        (b"{}\n{}\x00\x02\x00", b""),  # reference 0 places back is the separator
        (b'[""]\n{}\x00\x02\x05', b""),  # a reference past the start
        (b'[""]\n{}\x00\x0e', b""),  # an unknown marker
        (b'[""]\n{}\x00\x06\x20\x02', b""),  # a control byte inside windowed text
        (b'[""]\n{}\x00\x09', b""),  # the catalogue without a pin
        (b'["",""]\n{}\x00ab\x00\x07\x01\x01', b""),  # a prefix reference with a control byte tail
        (b'["",""]\n{}\x00ab\x00\x03\x01', b""),  # the epoch of something that is not a time
        (b'["",""]\n{}\x00\x0b\x00\x0c\x01', bytes(6 + 2)),  # a time relative to a salt
        (b'[""]\n{}', b""),  # no separator before the values
        (b'[""]\n{}\n{}\x00x', b""),  # two headers for one signature
    ],
)
def test_malformed_stream_is_refused(body, side):
    with pytest.raises(QRDecodeError):
        decode_bytes(_v2_bytes(body, side), ORIGIN)


@pytest.mark.parametrize("flags", [0x04, 0x80, 0xFF])
def test_unknown_flags_are_refused(flags):
    with pytest.raises(QRDecodeError):
        decode_bytes(_v2_bytes(b'[""]\n{}\x00x', flags=flags), ORIGIN)


def test_other_origin_does_not_decode(world, samples):
    credential, text = samples["training"]
    other = text.replace("SKILLS.EXAMPLE.ORG", "SKILLS.EXAMPLE.NET")
    try:
        decoded = decode_qr_text(other, world.trust_lists)
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
    text = encode_qr_text(credential, VERIFY_URL, world.trust_lists)
    assert 4300 < len(text) - len(PREFIX) <= transport.MAX_DIGITS
    assert decode_qr_text(text, world.trust_lists) == credential


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
@pytest.mark.parametrize(
    "degrade", [_three_px_per_module, _blurred, _jpeg_quality_40], ids=["3px-per-module", "blur", "jpeg-q40"]
)
def test_degraded_image_still_gives_the_credential(world, samples, kind, degrade: Callable[[str], bytes]):
    credential, text = samples[kind]
    assert decode_qr_text(decode_image(degrade(text)), world.trust_lists) == credential


# --- JSON skeleton and windowed text ---

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
# Deferred rather than st.recursive: the latter's self-check misfires when the whole suite runs.
JSON_VALUES = st.deferred(
    lambda: _SCALARS | st.lists(JSON_VALUES, max_size=4) | st.dictionaries(st.text(), JSON_VALUES, max_size=4)
)
VOCABULARY_TEXT = st.sampled_from(sorted(w.decode() for w in skeleton.VOCABULARY))


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES | st.dictionaries(VOCABULARY_TEXT | st.text(max_size=3), JSON_VALUES | VOCABULARY_TEXT))
def test_skeleton_split_join_round_trip(value):
    raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    shape, values = skeleton.split(raw)
    assert skeleton.join(shape, values) == raw
    assert skeleton.join(shape, [*values, b"spare"], final=False) == raw


def reference_split(raw: bytes) -> tuple[bytes, list[bytes]]:
    """The skeleton split read byte by byte, as the format describes it: the oracle for the fast one."""
    shape, values, i = bytearray(), [], 0
    while i < len(raw):
        if raw[i : i + 1] == b'"':
            end = i + 1
            while end < len(raw) and raw[end : end + 1] != b'"':
                end += 2 if raw[end : end + 1] == b"\\" else 1
            if end >= len(raw):
                raise QRDecodeError("unterminated string")
            content, is_key = raw[i + 1 : end], raw[end + 1 : end + 2] == b":"
            if (is_key and content) or content in skeleton.VOCABULARY:
                shape += raw[i : end + 1]
            else:
                shape += b'""'
                values.append(content)
            i = end + 1
        elif chr(raw[i]) in "-0123456789":
            end = i
            while end < len(raw) and chr(raw[end]) in "-+.eE0123456789":
                end += 1
            shape += b"0"
            values.append(raw[i:end])
            i = end
        else:
            shape.append(raw[i])
            i += 1
    return bytes(shape), values


def _split_or_error(split, raw):
    try:
        return split(raw)
    except QRDecodeError:
        return "refused"


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(VOCABULARY_TEXT | st.text(max_size=3), JSON_VALUES | VOCABULARY_TEXT).map(
        lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    )
    | st.binary(max_size=64)
    | st.lists(st.sampled_from([b'"', b"\\", b":", b"-", b"1", b"e", b"{", b"a", b",", b" "]), max_size=24).map(
        b"".join
    )
)
def test_skeleton_split_reads_exactly_as_the_format_describes(raw):
    # Same skeleton and values for JSON, and the same refusal for damaged bytes (an unterminated string).
    assert _split_or_error(skeleton.split, raw) == _split_or_error(reference_split, raw)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_any_json_payload_round_trips_through_version_2(value):
    payload = json.dumps({"v": value}, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    credential = CoSignedCredential(payload, (Signature(b'{"alg":"EdDSA","kid":"k","typ":"JWT"}', bytes(64)),))
    assert decode_bytes(transport.encode_bytes(credential, ORIGIN), ORIGIN) == credential


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7FFF, exclude_categories=("Cs",))))
def test_windowed_text_round_trips(text):
    raw = json.dumps(text, ensure_ascii=False)[1:-1].encode()
    coded = windows.to_windows(raw)
    if coded is None:
        assert raw.isascii()
        return
    assert b"\x00" not in coded
    assert windows.from_windows(coded) == raw


def test_windowed_burmese_costs_a_byte_a_character():
    name = "ဒေါ်ခင်မြင့်မြင့်သန့်".encode()
    coded = windows.to_windows(name)
    assert coded is not None and len(coded) == len(name.decode()) + 2 < len(name) / 2


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


@pytest.mark.parametrize(
    "value",
    [b"https://skills.example.org/c/0123ABCZ", b"AbC-_x09", b"2026-03-01T13:45:59Z", b"2026-03-01T00:00:00Z"],
)
def test_binary_values_come_back_as_text(value):
    coded = markers.encode_values([value], None, ORIGIN.encode())
    assert coded.codes[0] < 0x20 and coded.side and not coded.literals
    decoded = markers.decode_values(
        bytes(coded.codes), [], bytes(coded.side), None, ORIGIN.encode(), markers.Budget(99)
    )
    assert decoded == [value]


@pytest.mark.parametrize("value", [b"https://skills.example.org/c/0123ABCU", b"2026-02-30T13:45:59Z", b"AbC-_x0"])
def test_look_alikes_stay_text(value):
    coded = markers.encode_values([value], None, ORIGIN.encode())
    assert coded.codes == b" " and coded.literals == [value] and not coded.side


# --- the decoder fails only in our own words ---


def _check_decoded(credential: CoSignedCredential) -> None:
    """What a successful decode may give: bytes within the transport's limits."""
    assert 1 <= len(credential.signatures) <= 2
    assert len(credential.payload) <= v2.MAX_REBUILT
    assert all(len(s.value) <= 255 for s in credential.signatures)
    assert all(len(s.protected) <= v2.MAX_REBUILT for s in credential.signatures)
    assert all(len(c) <= MAX_TOKEN_CHARS for c in credential.compacts())


def _decode_or_our_error(text: str, trust_lists=()) -> CoSignedCredential | None:
    try:
        credential = decode_qr_text(text, trust_lists)
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
@given(st.sampled_from([1, 2]), st.binary(max_size=1200))
def test_fuzz_arbitrary_transport_bytes(version, data):
    with contextlib.suppress(CertsvcError):
        _check_decoded(decode_bytes(bytes([version]) + data, ORIGIN))


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
def test_fuzz_mutated_qr_text(world, samples, kind, mutations):
    credential, text = samples[kind]
    mutated = PREFIX + _mutate(text[len(PREFIX) :], mutations)
    decoded = _decode_or_our_error(mutated, world.trust_lists)
    if mutated == text:
        assert decoded == credential


@FUZZ
@given(vector=st.sampled_from(V1_VECTORS), mutations=st.lists(_MUTATION, min_size=1, max_size=4))
def test_fuzz_mutated_version_1_text(vector, mutations):
    text = vector["qr_text"]
    _decode_or_our_error(PREFIX + _mutate(text[len(PREFIX) :], mutations))


@FUZZ
@given(kind=st.sampled_from(["training", "prior_skills"]), cut=st.integers(0, 10_000))
def test_fuzz_truncated_qr_text(world, samples, kind, cut):
    _, text = samples[kind]
    _decode_or_our_error(text[: cut % len(text)], world.trust_lists)


_SPECIAL_BYTES = st.sampled_from(list(b'\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\n"0\\:{}[],'))


def _parts(data: bytes, world) -> tuple[bytes, bytes, bytes, bytes]:
    """Cut version 2 bytes into their fixed part, the inflated stream, its dictionary and the side channel."""
    pinned = data[1] & 2
    head_length = 2 + PIN_BYTES * bool(pinned) + 64 * (1 + (data[1] & 1))
    entry = find_pinned(data[2 : 2 + PIN_BYTES], world.trust_lists)[0].zdict if pinned else None
    zdict = v2._zdict(ORIGIN, entry)
    body, side = v2._inflate(data[head_length:], zdict)
    return data[:head_length], body, zdict, side


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
def test_fuzz_mutated_inflated_body(world, samples, kind, edits):
    """Mutations behind the DEFLATE layer reach the skeleton, value and side-channel parsers."""
    _, text = samples[kind]
    head, body, zdict, side = _parts(_digits_to_bytes(text[len(PREFIX) :]), world)
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
        _check_decoded(decode_bytes(head + _deflate(bytes(mutated), zdict) + side, ORIGIN, world.trust_lists))


def test_inflated_body_helper_matches_the_layout(world, samples):
    credential, text = samples["prior_skills"]
    head, body, zdict, side = _parts(_digits_to_bytes(text[len(PREFIX) :]), world)
    assert decode_bytes(head + _deflate(body, zdict) + side, ORIGIN, world.trust_lists) == credential


def test_mutations_are_caught_somewhere(world, samples):
    """Most single-digit changes break the decoding itself; none escapes as a foreign exception."""
    _, text = samples["training"]
    digits = text[len(PREFIX) :]
    outcomes = [
        _decode_or_our_error(PREFIX + _mutate(digits, [("flip", i, 1)]), world.trust_lists) for i in range(len(digits))
    ]
    assert sum(o is None for o in outcomes) > len(digits) // 2


def _deflate(data: bytes, zdict: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=zdict)
    return compressor.compress(data) + compressor.flush()


# --- the preset dictionaries are frozen ---


@pytest.mark.parametrize("version", [1, 2])
def test_dictionary_is_pinned_and_reproducible(version):
    data = dictionary(version)
    assert data == (DATA / f"qr-dict-v{version}.bin").read_bytes() == build_dictionary(version)
    assert hashlib.sha256(data).hexdigest() == PUBLISHED[version]
    # With the origin and the largest catalogue entry, the whole dictionary stays within one DEFLATE window.
    assert len(data) + 1 + 255 + 1 + MAX_ENTRY_BYTES <= 32 * 1024


@pytest.mark.parametrize("version", [0, 3, 255])
def test_unknown_dictionary_version_is_refused(version):
    with pytest.raises(UnsupportedQRVersion):
        dictionary(version)


def test_version_2_decodes_fast(world, samples):
    """Decoding stays cheap next to the two signature checks it feeds (about 100 us each)."""
    _, text = samples["prior_skills"]
    decode_qr_text(text, world.trust_lists)
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        decode_qr_text(text, world.trust_lists)
    per_decode = (time.perf_counter() - started) / rounds
    print(f"version 2 decode: {per_decode * 1e6:.0f} us")
    assert per_decode < 0.005  # generous: a shared, busy machine must not fail it


@pytest.mark.parametrize("prefix", ["HTTP://[X/V", "HTTP://[1.2.3.4]/V", "HTTPS://℀/V", "HTTP://[::1/V"])
def test_a_prefix_whose_host_cannot_be_parsed_is_malformed_not_a_crash(world, prefix):
    digits = encode_qr_text(world.credential(), VERIFY_URL).rpartition("#")[2]
    with pytest.raises(QRDecodeError) as refused:
        decode_qr_text(f"{prefix}#{digits}")
    assert refused.value.code == "qr_malformed"
