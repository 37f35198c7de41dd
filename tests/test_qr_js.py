"""The QR transport decoder in browser JavaScript (templates/verify/qr) gives Python's bytes and errors.

Every case runs in Debian's Chromium and in Python; the two outcomes must be equal: the same
payload, protected headers and signature bytes (and compact JWS strings), or the same reason
code. Cases: the whole QR corpus (version 2 pinned and unpinned, and version 1), the version 1
vectors, the malformed and tampered inputs of tests/test_qr_transport.py and the QR rows of the
verifier table (tests/test_verifier_cases.py), and seeded mutations of all of them. Also the
inflater alone against zlib, with and without a dictionary, truncated, corrupt and bombs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE, VERIFY_URL, World
from js_support import ModulePage, chromium, serve
from qr_corpus import Corpus, build_corpus

from certsvc.credentials.catalogue import CatalogueEntry
from certsvc.credentials.cosigned import CoSignedCredential
from certsvc.credentials.errors import CertsvcError, QRDecodeError
from certsvc.credentials.trustlist import TrustList
from certsvc.qr import skeleton, transport, v1, v2, values
from certsvc.qr.catalogue import PIN_BYTES, find_pinned
from certsvc.qr.dictionary import dictionary
from certsvc.qr.markers import epoch_of
from certsvc.qr.transport import decode_qr_text, encode_qr_text
from verifier.inputs import _QR_TEXT

ROOT = Path(__file__).parent.parent
MODULES = ROOT / "templates" / "verify" / "qr"
DATA = ROOT / "certsvc" / "qr" / "data"
PREFIX = VERIFY_URL.upper() + "#"
V1_VECTORS = json.loads((Path(__file__).parent / "vectors" / "qr_v1_vectors.json").read_text())["vectors"]

#: Decode a batch in the browser: each case names its text and a set of trust lists.
DECODE = """async ({ cases, trustSets }) => {
  const { decodeQrText, compact } = await import("/qr/transport.js");
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const load = async (name) => new Uint8Array(await (await fetch("/data/" + name)).arrayBuffer());
  const sets = trustSets.map((set) => set.map((claims) => JSON.parse(claims)));
  const out = [];
  for (const c of cases) {
    try {
      const d = await decodeQrText(c.text, sets[c.trust], load);
      out.push({
        payload: hex(d.payload),
        signatures: d.signatures.map((s) => [hex(s.protected), hex(s.signature)]),
        compacts: d.signatures.map((_, i) => compact(d, i)),
      });
    } catch (e) {
      out.push({ error: e.code ?? `uncaught ${e.name}: ${e.message}` });
    }
  }
  return out;
}"""

#: Inflate a batch in the browser.
INFLATE = """async ({ dictionaries, cases }) => {
  const { inflateRaw } = await import("/qr/inflate.js");
  const bytes = (h) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const zdicts = dictionaries.map(bytes);
  return cases.map((c) => {
    try {
      const { output, used } = inflateRaw(bytes(c.data), { dictionary: zdicts[c.zdict], maxOutput: c.limit });
      return { output: hex(output), used };
    } catch (e) {
      return { error: e.code ?? `uncaught ${e.name}: ${e.message}` };
    }
  });
}"""

#: Time decoding every text `rounds` times; the median milliseconds per credential.
TIME = """async ({ texts, trust, rounds }) => {
  const { decodeQrText } = await import("/qr/transport.js");
  const load = async (name) => new Uint8Array(await (await fetch("/data/" + name)).arrayBuffer());
  const lists = trust.map((claims) => JSON.parse(claims));
  const cold = performance.now();
  await decodeQrText(texts[0], lists, load); // dictionaries fetched and trust lists indexed once
  const first = performance.now() - cold;
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    for (const text of texts) await decodeQrText(text, lists, load);
    times.push((performance.now() - started) / texts.length);
  }
  times.sort((a, b) => a - b);
  return { first_ms: first, median_ms: times[Math.floor(times.length / 2)] };
}"""


MOMENTS = [
    b"2026-01-01T24:00:00Z",
    b"0000-01-01T00:00:00Z",
    b"0001-01-01T00:00:00Z",
    b"2024-02-29T23:59:59Z",
    b"2023-02-29T00:00:00Z",
    b"1900-02-29T00:00:00Z",
    b"2000-02-29T00:00:00Z",
    b"2026-04-31T00:00:00Z",
    b"2026-13-01T00:00:00Z",
    b"2026-00-01T00:00:00Z",
    b"2026-01-01T00:60:00Z",
    b"2026-01-01T00:00:60Z",
    b"1969-12-31T23:59:59Z",
    b"1970-01-01T00:00:00Z",
    b"2106-02-07T06:28:15Z",
    b"2106-02-07T06:28:16Z",
    b"9999-12-31T23:59:59Z",
    b"2026-01-01 00:00:00Z",
    b"2026-01-01T00:00:00z",
    b"2026-01-01T00:00:00+00:00",
    b"\xd9\xa1026-01-01T00:00:00Z",
]


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def modules(playwright_instance: Any) -> Iterator[ModulePage]:
    with serve({"/qr/": MODULES, "/data/": DATA}) as origin, chromium(playwright_instance) as browser:
        page = ModulePage(browser, origin)
        yield page
        page.close()


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus()


# --- what Python says ---------------------------------------------------------------------------


def _claims(trust_lists: Sequence[TrustList]) -> list[str]:
    return [json.dumps(t.to_claims(), ensure_ascii=False) for t in trust_lists]


def _outcome(credential: CoSignedCredential) -> dict[str, Any]:
    return {
        "payload": credential.payload.hex(),
        "signatures": [[s.protected.hex(), s.value.hex()] for s in credential.signatures],
        "compacts": credential.compacts(),
    }


def python_outcome(text: str, trust_lists: Sequence[TrustList]) -> dict[str, Any]:
    """Python's decode of ``text``: the credential's bytes, or the reason code of its refusal."""
    try:
        return _outcome(decode_qr_text(text, trust_lists))
    except CertsvcError as exc:
        return {"error": exc.code}


class Batch:
    """Cases to decode in both languages, each with one of a few sets of trust lists."""

    def __init__(self) -> None:
        self.cases: list[dict[str, Any]] = []
        self.expected: list[dict[str, Any]] = []
        self.labels: list[str] = []
        self.sets: list[Sequence[TrustList]] = []

    def add(self, label: str, text: str, trust_lists: Sequence[TrustList] = ()) -> None:
        """Add a case; Python decodes it now."""
        index = next((i for i, s in enumerate(self.sets) if s is trust_lists), None)
        if index is None:
            self.sets.append(trust_lists)
            index = len(self.sets) - 1
        self.cases.append({"text": text, "trust": index})
        self.expected.append(python_outcome(text, trust_lists))
        self.labels.append(label)

    def check(self, modules: ModulePage) -> list[dict[str, Any]]:
        """Decode every case in the browser; assert each outcome equals Python's."""
        got = modules.run(DECODE, {"cases": self.cases, "trustSets": [_claims(s) for s in self.sets]})
        wrong = [
            (label, case["text"][:80], expected.get("error", "decoded"), outcome.get("error", "decoded"))
            for label, case, expected, outcome in zip(self.labels, self.cases, self.expected, got, strict=True)
            if outcome != expected
        ]
        assert not wrong, f"{len(wrong)} of {len(got)} differ, e.g. {wrong[:5]}"
        return got


# --- building inputs ----------------------------------------------------------------------------


def _text_of(data: bytes) -> str:
    return PREFIX + transport._int_to_digits(int.from_bytes(data, "big"))


def _bytes_of(text: str) -> bytes:
    number = transport._digits_to_int(text.rpartition("#")[2])
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


def _deflate(data: bytes, zdict: bytes | None = None, level: int = 9, strategy: int = zlib.Z_DEFAULT_STRATEGY) -> bytes:
    compressor = (
        zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy, zdict=zdict)
        if zdict
        else zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
    )
    return compressor.compress(data) + compressor.flush()


def _v1_parts(credential: CoSignedCredential) -> tuple[bytes, bytes, bytes]:
    """Version 1 as its encoder wrote it: the fixed part, the body to DEFLATE, the side channel
    (headers, then payload; digests and dates in the side channel; repeated values and JWT times
    as references to earlier values)."""
    skeletons, fields = [], []
    for part in (*(s.protected for s in credential.signatures), credential.payload):
        shape, part_fields = skeleton.split(part)
        skeletons.append(shape)
        fields += part_fields
    coded: list[bytes] = []
    for value in fields:
        earlier = next((i for i, e in enumerate(fields[: len(coded)]) if e == value and 0 < i < 256), None)
        moment = next((i for i, e in enumerate(fields[: len(coded)]) if epoch_of(e) == value and 0 < i < 256), None)
        if earlier is not None and len(value) > 2:
            coded.append(bytes([0x02, earlier]))
        elif moment is not None:
            coded.append(bytes([0x03, moment]))
        else:
            coded.append(value)
    kept, side = values.extract(coded)
    body = b"\n".join(skeletons) + b"\x00" + b"\x00".join(kept)
    head = bytes([v1.VERSION, len(credential.signatures), len(side)])
    return head + b"".join(s.value for s in credential.signatures), body, side


def encode_v1(credential: CoSignedCredential) -> bytes:
    """Version 1 bytes of a credential, for the verifier's origin."""
    head, body, side = _v1_parts(credential)
    return head + side + _deflate(body, _v1_zdict())


def _mutate_digits(text: str, rng: random.Random) -> str:
    prefix, _, digits = text.rpartition("#")
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(digits))
        op = rng.choice(["flip", "delete", "insert"])
        if op == "flip":
            digits = digits[:at] + str((int(digits[at]) + rng.randint(1, 9)) % 10) + digits[at + 1 :]
        elif op == "delete":
            digits = digits[:at] + digits[at + 1 :]
        else:
            digits = digits[:at] + str(rng.randint(0, 9)) + digits[at:]
    return f"{prefix}#{digits}"


_SPECIAL = list(b'\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x20"0\\:{}[],\x80\xff')


def _mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(mutated) + 1)
        value = rng.choice(_SPECIAL) if rng.random() < 0.6 else rng.randrange(256)
        op = rng.choice(["set", "delete", "insert"]) if mutated else "insert"
        if op == "set" and at < len(mutated):
            mutated[at] = value
        elif op == "delete" and at < len(mutated):
            del mutated[at]
        else:
            mutated.insert(at, value)
    return bytes(mutated)


def _v2_parts(data: bytes, trust_lists: Sequence[TrustList]) -> tuple[bytes, bytes, bytes, bytes]:
    """Version 2 bytes cut into their fixed part, the inflated stream, its dictionary and the side channel."""
    pinned = data[1] & 2
    head_length = 2 + PIN_BYTES * bool(pinned) + 64 * (1 + (data[1] & 1))
    entry = find_pinned(data[2 : 2 + PIN_BYTES], trust_lists)[0].zdict if pinned else None
    zdict = v2._zdict(BASE, entry)
    body, side = v2._inflate(data[head_length:], zdict)
    return data[:head_length], body, zdict, side


def _v1_zdict() -> bytes:
    return dictionary(1) + b"\x00" + BASE.encode()


def _v2_bytes(body: bytes, side: bytes = b"", flags: int = 0) -> bytes:
    return bytes([2, flags]) + bytes(64) + _deflate(body, v2._zdict(BASE, None)) + side


# --- the corpus decodes byte-exact --------------------------------------------------------------


def _corpus_texts(corpus: Corpus) -> dict[str, list[str]]:
    return {
        "pinned": [encode_qr_text(c.credential, VERIFY_URL, corpus.trust_lists) for c in corpus.cases],
        "unpinned": [encode_qr_text(c.credential, VERIFY_URL) for c in corpus.cases],
        "v1": [_text_of(encode_v1(c.credential)) for c in corpus.cases],
    }


def test_every_corpus_credential_decodes_byte_exact_in_the_browser(modules, corpus):
    batch = Batch()
    wanted = []  # the compact JWS strings each case must give back
    for kind, kind_texts in _corpus_texts(corpus).items():
        for case, text in zip(corpus.cases, kind_texts, strict=True):
            assert _bytes_of(text)[0] == (1 if kind == "v1" else 2)
            for trust_lists in (corpus.trust_lists, ()) if kind != "pinned" else (corpus.trust_lists,):
                batch.add(f"{kind} {case.label} with {len(trust_lists)} trust lists", text, trust_lists)
                wanted.append(case.credential.compacts())
    for vector in V1_VECTORS:
        batch.add(f"v1 vector {vector['name']}", vector["qr_text"], ())
        wanted.append(vector["compact_jws"])
    got = batch.check(modules)
    assert [outcome.get("compacts") for outcome in got] == wanted


def test_decoding_takes_milliseconds_per_credential(modules, corpus):
    texts = _corpus_texts(corpus)
    trust = _claims(corpus.trust_lists)
    figures: dict[str, Any] = {}
    cdp = modules.page.context.new_cdp_session(modules.page)
    for rate in (1, 4):  # 4: Chromium's CPU slowed down four times, a cheap phone
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
        for kind in ("pinned", "unpinned", "v1"):
            figures[f"{kind}_cpu{rate}x"] = modules.run(TIME, {"texts": texts[kind], "trust": trust, "rounds": 5})
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    cdp.detach()
    # first_ms: the first decode (fetching and checking the dictionary, indexing the trust lists).
    print("decode ms per credential in chromium (median of 5 rounds):", json.dumps(figures))
    assert max(f["median_ms"] for f in figures.values()) < 20


# --- malformed, tampered and mutated inputs: the same reason codes ------------------------------


def _transport_table(world: World) -> Iterator[tuple[str, str, Sequence[TrustList]]]:
    """The malformed inputs of tests/test_qr_transport.py."""
    trust = world.trust_lists
    training = encode_qr_text(world.credential("training"), VERIFY_URL, trust)
    prior = encode_qr_text(world.credential("prior_skills"), VERIFY_URL, trust)
    data = _bytes_of(training)
    for version in (0, 3, 7, 255):
        yield f"version {version}", _text_of(bytes([version]) + data[1:]), trust
    bodies = [
        (b"{}\n{}\x00\x01", b""),
        (b"{}\n{}\x00", b"x"),
        (b"{}\n{}\x00\x02\x00", b""),
        (b'[""]\n{}\x00\x02\x05', b""),
        (b'[""]\n{}\x00\x0e', b""),
        (b'[""]\n{}\x00\x06\x20\x02', b""),
        (b'[""]\n{}\x00\x09', b""),
        (b'["",""]\n{}\x00ab\x00\x07\x01\x01', b""),
        (b'["",""]\n{}\x00ab\x00\x03\x01', b""),
        (b'["",""]\n{}\x00\x0b\x00\x0c\x01', bytes(6 + 2)),
        (b'[""]\n{}', b""),
        (b'[""]\n{}\n{}\x00x', b""),
        (b'[""]\n{}\x00x', b""),  # a good one: one value, 'x' is... not a code
        (b'[""]\n{}\x00 \x00x', b""),  # one literal
        (b'[""]\n{}\x00 \x00\x06\x10\xa0\x01\x11\xa1', b""),  # windowed text across two windows
        (b"[0]\n{}\x00\x0d", b"\x00\x03\xe7"),  # 999 in bytes: too small to be written so
        (b"[0]\n{}\x00\x0d", b"\x00\x03\xe8"),
        (b'[""]\n{}\x00\x0a', bytes(5)),  # a credential identifier of this origin
        (b'["",""]\n{}\x00\x08\x0c\x01', b"\xff\xff\xff\xf0\x00\x01"),  # a later time past 2106
        (b'[""]\n{"a":0}\x00\x08', b"\x00\x00\x00\x01"),  # fewer values than the template needs
        (b'["\\"",""]\n{}\x00 \x00a', b""),  # an escaped quote in a kept string
        (b'["abc]\n{}\x00 \x00a', b""),  # an unterminated string
        (b'[""]\n{}\x00\x07\x01\x00', b""),  # a prefix code's argument byte is 0x07's: texts expected
    ]
    # Times that Python's datetime reads, or does not, behind the references that need a time.
    for moment in MOMENTS:
        bodies.append((b'["",""]\n{}\x00 \x03\x01\x00' + moment, b""))
        bodies.append((b'["",""]\n{}\x00 \x0c\x01\x00' + moment, b"\x00\x01"))
        v1_epoch = b'{}\n["","",""]\x00k\x00' + moment + b"\x00\x03\x01"
        yield f"v1 epoch of {moment!r}", _text_of(bytes([1, 1, 0]) + bytes(64) + _deflate(v1_epoch, _v1_zdict())), ()
    # Everything rebuilt is charged: 4 slots of one 8188-byte text reach the 32 KiB budget exactly.
    skeletons = b'["","","",""]\n{}'
    for size in (8188, 8189):
        body = skeletons + b"\x00 \x02\x01\x02\x01\x02\x01\x00" + b"x" * size
        yield f"v2 budget {size}", _text_of(_v2_bytes(body)), ()
    yield "one empty text", _text_of(_v2_bytes(b'[""]\n{}\x00 \x00')), ()  # the codes say it is there
    v1_head = b'{}\n["","","","",""]'
    for first in (b"k", b"kk"):  # 19 skeleton bytes, then 32749 or 32750 value bytes
        v1_bomb = v1_head + b"\x00" + first + b"\x00" + b"y" * 8187 + b"\x00" + b"\x00".join([b"\x02\x01"] * 3)
        yield f"v1 budget {len(first)}", _text_of(bytes([1, 1, 0]) + bytes(64) + _deflate(v1_bomb, _v1_zdict())), ()
    for i, (body, side) in enumerate(bodies):
        yield f"stream {i}", _text_of(_v2_bytes(body, side)), ()
    for flags in (0x04, 0x80, 0xFF):
        yield f"flags {flags}", _text_of(_v2_bytes(b'[""]\n{}\x00x', flags=flags)), ()
    value, slots = b"x" * 4000, b"[" + b'"",' * 1800 + b'""]'
    header = b'{"alg":"EdDSA","kid":"","typ":"JWT"}'
    codes = b" " + b"\x02\x01" * 1800 + b" "
    yield (
        "v2 reference bomb",
        _text_of(_v2_bytes(slots + b"\n" + header + b"\x00" + codes + b"\x00" + value + b"\x00k")),
        (),
    )
    v1_body = header + b"\n" + slots + b"\x00k\x00" + value + b"\x00" + b"\x00".join([b"\x02\x01"] * 1800)
    v1_zdict = dictionary(1) + b"\x00" + BASE.encode()
    yield "v1 reference bomb", _text_of(bytes([1, 1, 0]) + bytes(64) + _deflate(v1_body, v1_zdict)), ()
    zero_ref = b'{"alg":"EdDSA","kid":"","typ":"JWT"}\n{"a":"","b":""}\x00' + b"https://x.example\x00\x02\x00\x00"
    yield "v1 reference to value 0", _text_of(bytes([1, 1, 0]) + bytes(64) + _deflate(zero_ref, v1_zdict)), ()
    yield "decompression bomb", _text_of(_v2_bytes(b"\x00" * 1_000_000)), ()
    yield "inflated past the limit", _text_of(_v2_bytes(b"x" * (v2.MAX_INFLATED + 1))), ()
    yield "inflated to the limit", _text_of(_v2_bytes(b"x" * v2.MAX_INFLATED)), ()
    yield "v1 trailing bytes", _text_of(bytes([1, 1, 0]) + bytes(64) + _deflate(zero_ref, v1_zdict) + b"x"), ()
    texts = ["", "#123", VERIFY_URL.upper(), PREFIX, PREFIX + "0123", PREFIX + "12a4", PREFIX + "\u0661\u0662"]
    texts += [PREFIX + "1" * (transport.MAX_DIGITS + 1), PREFIX + "1" * (transport.MAX_TEXT_CHARS + 1)]
    texts += [PREFIX + "9" * transport.MAX_DIGITS, PREFIX + "9" * 4301, f"  {training}\n", f"\u3000{training}\x1c"]
    texts += [f"\ufeff{training}", training.lower(), training.replace("SKILLS.EXAMPLE.ORG", "SKILLS.EXAMPLE.NET")]
    texts += [training.replace("HTTPS://SKILLS.EXAMPLE.ORG", "HTTPS://SKILLS.ÉXAMPLE.ORG"), training + "#"]
    texts += [training.replace("/V#", "/V#1#"), "HTTPS://[::1]/V#" + training.rpartition("#")[2], "X" + training]
    texts += [training.replace("#", "##")]
    for i, text in enumerate(texts):
        yield f"text {i}", text, trust
    ph = world.trust_lists[0]
    without_embassy = [dataclasses.replace(ph, organisations=tuple(o for o in ph.organisations if o.kind != "embassy"))]
    yield "embassy key not held", training, without_embassy
    yield "pinned, no trust list", prior, ()
    yield "pinned, other trust lists", prior, world.trust_lists[1:]
    yield "pinned, no catalogue", prior, [dataclasses.replace(ph, catalogue=()), *world.trust_lists[1:]]
    yield "pinned, trust list twice", prior, [ph, ph]
    yield "unpinned, no trust list", encode_qr_text(world.credential("prior_skills", cosign=False), VERIFY_URL), ()


def test_malformed_inputs_of_the_transport_tests_give_the_same_reason(modules, world):
    batch = Batch()
    for label, text, trust_lists in _transport_table(world):
        batch.add(label, text, trust_lists)
    got = batch.check(modules)
    errors = {label: outcome.get("error") for label, outcome in zip(batch.labels, got, strict=True)}
    assert (
        errors["decompression bomb"] == errors["v2 reference bomb"] == errors["v1 reference bomb"] == "input_too_large"
    )
    assert errors["embassy key not held"] == errors["pinned, no trust list"] == "qr_catalogue_unknown"
    assert errors["version 3"] == "qr_unsupported_version"
    assert errors["inflated to the limit"] == "qr_malformed"
    assert errors["one empty text"] is None
    assert errors["v2 budget 8188"] is None and errors["v2 budget 8189"] == "input_too_large"
    assert errors["v1 budget 1"] is None and errors["v1 budget 2"] == "input_too_large"


def test_the_qr_rows_of_the_verifier_table_give_the_same_reason(modules, world):
    from test_verifier_cases import CASES

    batch = Batch()
    sets: dict[str, Sequence[TrustList]] = {}
    for case in CASES:
        text = case.build(world).strip()
        if len(text) > transport.MAX_TEXT_CHARS or not _QR_TEXT.match(text):
            continue  # not QR text: the pipeline reads it as a JWS or a credential file
        trust_lists = sets.setdefault(case.id, case.trust(world)) if case.trust else world.trust_lists
        batch.add(case.id, text, trust_lists)
    assert len(batch.cases) > 20
    batch.check(modules)


@pytest.mark.parametrize("seed", [1, 2])
def test_mutated_texts_give_the_same_outcome(modules, world, corpus, seed):
    """Seeded mutations of digits, of transport bytes and of the inflated stream behind DEFLATE."""
    rng = random.Random(seed)
    trust = corpus.trust_lists
    chosen = rng.sample(corpus.cases, 12)
    texts = {
        "pinned": [encode_qr_text(c.credential, VERIFY_URL, trust) for c in chosen],
        "unpinned": [encode_qr_text(c.credential, VERIFY_URL) for c in chosen],
        "v1": [_text_of(encode_v1(c.credential)) for c in chosen] + [v["qr_text"] for v in V1_VECTORS],
    }
    batch = Batch()
    for kind, kind_texts in texts.items():
        for n, text in enumerate(kind_texts):
            for i in range(12):
                batch.add(f"{kind} {n} digits {i}", _mutate_digits(text, rng), trust)
            cut = rng.randrange(len(PREFIX), len(text))
            batch.add(f"{kind} {n} cut at {cut}", text[:cut], trust)
            data = _bytes_of(text)
            for i in range(12):
                batch.add(f"{kind} {n} bytes {i}", _text_of(_mutate_bytes(data, rng)), trust)
            if kind != "v1":
                head, body, zdict, side = _v2_parts(data, trust)
                for i in range(20):
                    stream = _deflate(_mutate_bytes(body, rng), zdict)
                    new_side = _mutate_bytes(side, rng) if i % 5 == 0 else side
                    batch.add(f"{kind} {n} body {i}", _text_of(head + stream + new_side), trust)
            elif n < len(chosen):
                head, body, side = _v1_parts(chosen[n].credential)
                for i in range(20):
                    stream = _deflate(_mutate_bytes(body, rng), _v1_zdict())
                    new_side = _mutate_bytes(side, rng) if i % 5 == 0 else side
                    new_head = head[:2] + bytes([len(new_side) % 256]) + head[3:]
                    batch.add(f"{kind} {n} body {i}", _text_of(new_head + new_side + stream), trust)
    for i in range(60):
        version = rng.choice([1, 2])
        batch.add(f"random bytes {i}", _text_of(bytes([version]) + rng.randbytes(rng.randrange(400))), ())
    got = batch.check(modules)
    decoded = sum("error" not in o for o in got)
    print(f"{len(got)} mutated cases: {decoded} still decode, the rest refused for the same reason")


# --- the inflater against zlib ------------------------------------------------------------------


def zlib_outcome(data: bytes, zdict: bytes, limit: int) -> dict[str, Any]:
    """What Python's zlib makes of a raw DEFLATE stream, as the transport reads it."""
    inflater = zlib.decompressobj(-15, zdict=zdict) if zdict else zlib.decompressobj(-15)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        return {"error": "qr_malformed"}
    if len(out) > limit or inflater.unconsumed_tail:
        return {"error": "input_too_large"}
    if not inflater.eof:
        return {"error": "qr_malformed"}
    return {"output": out.hex(), "used": len(data) - len(inflater.unused_data)}


def _inflate_cases(rng: random.Random) -> list[tuple[str, bytes, bytes, int]]:
    words = [b"welding", b"caregiver", b"https://skills.example.org/c/", b"\xe1\x80\x80", b" ", b"0", b"sha256$"]
    big_dictionary = rng.randbytes(20_000) + b"".join(rng.choices(words, k=4000))  # past the 32 KiB window
    dictionaries = [b"", dictionary(2), big_dictionary, b"welding caregiver"]
    strategies = [zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_HUFFMAN_ONLY, zlib.Z_RLE, zlib.Z_FIXED]
    limit = 16 * 1024
    cases = []
    for i in range(160):
        zdict = dictionaries[i % len(dictionaries)]
        size = rng.choice([0, 1, 10, 300, 3000, 12000])
        if zdict and rng.random() < 0.5:
            start = rng.randrange(len(zdict))
            data = zdict[start : start + size] + b"".join(rng.choices(words, k=size // 8))
        else:
            data = b"".join(rng.choices(words, k=size // 4)) + rng.randbytes(size % 7)
        stream = _deflate(data, zdict or None, rng.choice([0, 1, 6, 9]), rng.choice(strategies))
        cases.append((f"stream {i}", stream, zdict, limit))
        cases.append((f"stream {i} with trailing bytes", stream + b"xyz", zdict, limit))
        cases.append((f"stream {i} cut", stream[: rng.randrange(len(stream) + 1)], zdict, limit))
        for j in range(3):
            cases.append((f"stream {i} mutated {j}", _flip_bits(stream, rng), zdict, limit))
    bomb = _deflate(b"\x00" * 1_000_000)
    cases += [("bomb", bomb, b"", limit), ("bomb, a larger budget", bomb, b"", 2_000_000)]
    exact = _deflate(b"x" * limit)
    cases += [("at the limit", exact, b"", limit), ("one past the limit", exact, b"", limit - 1)]
    cases += [(f"random {i}", rng.randbytes(rng.randrange(1, 60)), b"", limit) for i in range(200)]
    # Hand-made streams: a reserved block type; a copy from before the start; fixed codes 286, 287
    # and distance codes 30, 31; a stored block whose length and complement disagree; empty input.
    cases += [
        ("block type 3", b"\x07", b"", limit),
        ("distance too far back", _fixed_code(257), b"", limit),
        ("distance into the dictionary", _fixed_code(257), b"a", limit),
        ("longest copy into the dictionary", _fixed_code(285), b"ab", limit),
        ("stored block lengths", bytes([0x01, 0x05, 0x00, 0xFA, 0xFE]) + b"hello", b"", limit),
        ("stored block", bytes([0x01, 0x05, 0x00, 0xFA, 0xFF]) + b"hello", b"", limit),
        ("empty", b"", b"", limit),
    ]
    cases += [(f"fixed literal/length {code}", _fixed_code(code), b"xy", limit) for code in (256, 284, 286, 287)]
    cases += [(label, data, b"", limit) for label, data in _dynamic_cases()]
    return cases


class _Bits:
    """Bits of a hand-made DEFLATE stream: numbers least significant bit first, Huffman codes most."""

    def __init__(self) -> None:
        self.bits: list[int] = []

    def number(self, value: int, count: int) -> None:
        self.bits += [(value >> i) & 1 for i in range(count)]

    def code(self, code: int, length: int) -> None:
        self.bits += [(code >> (length - 1 - i)) & 1 for i in range(length)]

    def bytes(self) -> bytes:
        data = bytearray((len(self.bits) + 7) // 8)
        for i, bit in enumerate(self.bits):
            data[i // 8] |= bit << (i % 8)
        return bytes(data)


def _canonical(lengths: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Symbol -> (code, length) of the canonical Huffman code of ``lengths`` (RFC 1951 3.2.2)."""
    counts = [sum(1 for n in lengths if n == bits) for bits in range(16)]
    counts[0] = 0
    code, first = 0, [0] * 16
    for bits in range(1, 16):
        code = (code + counts[bits - 1]) << 1
        first[bits] = code
    out = {}
    for symbol, length in enumerate(lengths):
        if length:
            out[symbol] = (first[length], length)
            first[length] += 1
    return out


_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
#: A code-length code for lengths 0 to 2 and the three repeat codes.
_SMALL_CLEN = {0: 2, 1: 2, 2: 3, 16: 3, 17: 3, 18: 3}


def _dynamic(
    lit: dict[int, int],
    dist: Sequence[int],
    symbols: Sequence[int],
    *,
    nlen: int = 257,
    clen: dict[int, int] | None = None,
    sequence: Sequence[tuple[int, int, int]] | None = None,
    tail: Sequence[int] = (),
) -> bytes:
    """A final dynamic block with literal/length code ``lit`` (symbol -> length), distance lengths ``dist``,
    then ``symbols`` in that code and raw ``tail`` bits; ``sequence`` overrides the code lengths as
    written ((code-length symbol, extra value, extra bits), ...)."""
    clen = clen if clen is not None else _SMALL_CLEN
    lengths = [lit.get(i, 0) for i in range(nlen)] + list(dist)
    bits = _Bits()
    bits.number(1, 1)
    bits.number(2, 2)
    bits.number(nlen - 257, 5)
    bits.number(len(dist) - 1, 5)
    bits.number(19 - 4, 4)
    for symbol in _ORDER:
        bits.number(clen.get(symbol, 0), 3)
    clen_code = _canonical([clen.get(i, 0) for i in range(19)])
    for symbol, extra, extra_bits in sequence if sequence is not None else [(n, 0, 0) for n in lengths]:
        bits.code(*clen_code[symbol])
        bits.number(extra, extra_bits)
    lit_code = _canonical(lengths[:nlen])
    for symbol in symbols:
        bits.code(*lit_code[symbol])
    bits.bits += list(tail)
    return bits.bytes()


def _dynamic_cases() -> list[tuple[str, bytes]]:
    a, b, end = 97, 98, 256
    zeros_to_a = [(18, 86, 7)]  # 97 zeros
    zeros_a_to_end = [(18, 127, 7), (18, 9, 7)]  # 158 zeros
    return [
        ("dynamic", _dynamic({a: 1, end: 1}, [1], [a, a, end])),
        ("dynamic, no distance codes", _dynamic({a: 1, end: 1}, [0], [a, end])),
        (
            "dynamic, a length without distance codes",
            _dynamic({a: 2, end: 2, 257: 1}, [0], [a, 257], nlen=258, tail=[0] * 16),
        ),
        ("dynamic, incomplete literal code", _dynamic({a: 1, end: 2}, [1], [a, end])),
        ("dynamic, one one-bit code", _dynamic({end: 1}, [1], [end])),
        ("dynamic, the missing code of one", _dynamic({end: 1}, [1], [], tail=[1] * 8)),
        ("dynamic, incomplete distance code", _dynamic({a: 1, end: 1}, [1, 2], [a, end])),
        ("dynamic, over-subscribed", _dynamic({a: 1, b: 1, end: 1}, [1], [a, end])),
        ("dynamic, no end of block", _dynamic({a: 1, b: 1}, [1], [a, b], tail=[0] * 8)),
        ("dynamic, incomplete code-length code", _dynamic({end: 1}, [1], [], clen={0: 2, 1: 2, 2: 3}, tail=[0] * 99)),
        ("dynamic, 287 literal codes", _dynamic({end: 1}, [1], [], nlen=287, tail=[0] * 800)),
        ("dynamic, 31 distance codes", _dynamic({a: 1, end: 1}, [1] + [0] * 30, [a, end])),
        (
            "dynamic, repeats",
            _dynamic(
                {a: 1, end: 1}, [1], [a, end], sequence=[*zeros_to_a, (1, 0, 0), *zeros_a_to_end, (1, 0, 0), (1, 0, 0)]
            ),
        ),
        (
            "dynamic, repeat of the previous length",
            _dynamic(
                {a: 1, end: 1},
                [1],
                [a, end],
                sequence=[(0, 0, 0), (16, 3, 2), (18, 79, 7), (1, 0, 0), *zeros_a_to_end, (1, 0, 0), (1, 0, 0)],
            ),
        ),
        (
            "dynamic, a repeat first",
            _dynamic(
                {a: 1, end: 1},
                [1],
                [a, end],
                sequence=[(16, 0, 2), (18, 83, 7), (1, 0, 0), *zeros_a_to_end, (1, 0, 0), (1, 0, 0)],
            ),
        ),
        (
            "dynamic, repeats past the end",
            _dynamic({end: 1}, [1], [], sequence=[*zeros_to_a, (1, 0, 0), *zeros_a_to_end, (1, 0, 0), (17, 0, 3)]),
        ),
    ]


def _fixed_code(code: int) -> bytes:
    """A final fixed-Huffman block starting with literal/length ``code`` (then distance 0, end of block)."""
    bits = [1, 1, 0]  # final, type 1 (least significant bit first)
    length, value = (7, code - 256) if code < 280 else (8, code - 280 + 0xC0)
    bits += [(value >> (length - 1 - i)) & 1 for i in range(length)]  # Huffman codes: most significant first
    bits += [0] * 5 + [0] * 7  # distance code 0, then end of block (seven zero bits)
    data = bytearray((len(bits) + 7) // 8)
    for i, bit in enumerate(bits):
        data[i // 8] |= bit << (i % 8)
    return bytes(data)


def _flip_bits(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return b"\x00"
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(mutated) * 8)
        mutated[at // 8] ^= 1 << (at % 8)
    return bytes(mutated)


def test_inflate_matches_zlib_with_and_without_a_dictionary(modules):
    cases = _inflate_cases(random.Random(15))
    expected = [zlib_outcome(data, zdict, limit) for _, data, zdict, limit in cases]
    dictionaries = list(dict.fromkeys(zdict for _, _, zdict, _ in cases))
    batch = [{"data": d.hex(), "zdict": dictionaries.index(z), "limit": limit} for _, d, z, limit in cases]
    got = modules.run(INFLATE, {"dictionaries": [z.hex() for z in dictionaries], "cases": batch})
    wrong = [
        (label, e.get("error"), g.get("error"))
        for (label, *_), e, g in zip(cases, expected, got, strict=True)
        if e != g
    ]
    assert not wrong, f"{len(wrong)} of {len(cases)} differ from zlib: {wrong[:8]}"
    outcomes = {label: e.get("error", "ok") for (label, *_), e in zip(cases, expected, strict=True)}
    assert outcomes["bomb"] == outcomes["one past the limit"] == "input_too_large"
    assert outcomes["at the limit"] == outcomes["stored block"] == outcomes["bomb, a larger budget"] == "ok"
    assert outcomes["distance too far back"] == outcomes["block type 3"] == outcomes["empty"] == "qr_malformed"
    assert sum(e.get("error") == "qr_malformed" for e in expected) > 200
    dynamic = {label: outcome for label, outcome in outcomes.items() if label.startswith("dynamic")}
    ok = {"dynamic", "dynamic, no distance codes", "dynamic, one one-bit code", "dynamic, repeats"}
    ok.add("dynamic, repeat of the previous length")
    assert {label for label, outcome in dynamic.items() if outcome == "ok"} == ok, dynamic


# --- pins and key names that share their 4 bytes -------------------------------------------------

#: Found by counting up: these two entries' SHA-256 start with the same 4 bytes, as do these two key URIs.
COLLIDING_ENTRIES = (137739, 151806)
COLLIDING_KEYS = (142765, 226769)


def _entry(number: int, provider: str) -> CatalogueEntry:
    achievement = {"id": f"{BASE}/q/{number}", "type": ["Achievement"], "name": "n"}
    return CatalogueEntry(provider, json.dumps(achievement, separators=(",", ":")).encode())


def _pinned_stream(pin: bytes, issuer: bytes) -> str:
    """A pinned version 2 text whose stream is stored (level 0), so that it inflates with either entry."""
    payload = b'{"issuer":"","achievement":{"id":"","type":["Achievement"],"name":""}}'
    body = payload + b"\n{}\x00 \x09\x00" + issuer
    return _text_of(bytes([2, 2]) + pin + bytes(64) + _deflate(body, level=0))


def test_entries_and_keys_that_share_their_bytes_are_told_apart_as_python_does(modules, world):
    ph = world.trust_lists[0]
    providers = [o.id for o in ph.organisations if o.kind == "provider"] + [f"{BASE}/o/other"]
    first, second = (_entry(n, providers[0]) for n in COLLIDING_ENTRIES)
    assert first.digest[:PIN_BYTES] == second.digest[:PIN_BYTES]
    other = dataclasses.replace(second, provider=providers[-1])
    batch = Batch()
    both_lists = {
        "one provider each": [dataclasses.replace(ph, catalogue=(first, other))],
        "the same provider": [dataclasses.replace(ph, catalogue=(first, second))],
        "in two lists": [dataclasses.replace(ph, catalogue=(first,)), dataclasses.replace(ph, catalogue=(other,))],
        "one of them": [dataclasses.replace(ph, catalogue=(other,))],
    }
    for label, trust_lists in both_lists.items():
        for issuer in providers:
            batch.add(
                f"{label}, issued by {issuer}", _pinned_stream(first.digest[:PIN_BYTES], issuer.encode()), trust_lists
            )
    uris = [f"{BASE}/o/x#k{n}" for n in COLLIDING_KEYS]
    name = hashlib.sha256(uris[0].encode()).digest()[:4]
    assert name == hashlib.sha256(uris[1].encode()).digest()[:4]
    key = ph.authority.keys[0]

    def with_keys(*keys: str) -> TrustList:
        extra = tuple(dataclasses.replace(key, uri=uri) for uri in keys)
        return dataclasses.replace(ph, authority=dataclasses.replace(ph.authority, keys=(*ph.authority.keys, *extra)))

    named = _text_of(_v2_bytes(b'[""]\n{}\x00\x0e\x00', name))
    for label, trust_lists in {
        "key held once": [with_keys(uris[0])],
        "key held twice, the same": [with_keys(uris[0]), with_keys(uris[0])],
        "keys in two lists": [with_keys(uris[0]), with_keys(uris[1])],
        "keys in one list": [with_keys(*uris)],
        "no such key": [ph],
    }.items():
        batch.add(label, named, trust_lists)
    got = batch.check(modules)
    outcomes = {label: outcome.get("error", "decoded") for label, outcome in zip(batch.labels, got, strict=True)}
    assert outcomes[f"one provider each, issued by {providers[0]}"] == "decoded"
    assert outcomes[f"the same provider, issued by {providers[0]}"] == "qr_malformed"
    assert outcomes["key held once"] == outcomes["key held twice, the same"] == "decoded"
    assert outcomes["keys in two lists"] == outcomes["keys in one list"] == "qr_malformed"
    assert outcomes["no such key"] == "qr_catalogue_unknown"


# --- the verifier origin, as Python's urlsplit reads the prefix ---------------------------------


PREFIXES = [
    "HTTPS://SKILLS.EXAMPLE.ORG/V",
    "https://skills.example.org/v",
    "HTTPS://SKILLS.EXAMPLE.ORG",
    "HTTPS://SKILLS.EXAMPLE.ORG?X=1",
    "HTTPS://SKILLS.EXAMPLE.ORG#FRAGMENT",
    "HTTPS://USER@SKILLS.EXAMPLE.ORG:443/V",
    "\x01 HTTPS://SKILLS.EXAMPLE.ORG/V",
    "HT\tTPS://SKILLS.EXA\nMPLE.ORG/V",
    "HTTPS:SKILLS.EXAMPLE.ORG/V",
    "SKILLS.EXAMPLE.ORG/V",
    "1HTTPS://SKILLS.EXAMPLE.ORG/V",
    "HT_TPS://SKILLS.EXAMPLE.ORG/V",
    "HTTPS://SKİLLS.EXAMPLE.ORG/V",
    "HTTPS://SKILLS.ÉXAMPLE.ORG/V",
    "HTTPS://ＳＫＩＬＬＳ.EXAMPLE.ORG/V",
    "HTTPS://[::1]/V",
    "HTTPS://[FE80::1%25ETH0]:8080/V",
    "HTTPS://[FE80::1%]/V",
    "HTTPS://[::FFFF:1.2.3.4]/V",
    "HTTPS://[::1.2.3.04]/V",
    "HTTPS://[V1.X]/V",
    "HTTPS://[VG.X]/V",
    "HTTPS://[1:2:3:4:5:6:7:8]/V",
    "HTTPS://[1:2:3:4:5:6:7::]/V",
    "HTTPS://[::2:3:4:5:6:7:8]/V",
    "HTTPS://[1:2:3:4:5:6:7:8:9]/V",
    "HTTPS://[1::2::3]/V",
    "HTTPS://[1.2.3.4]/V",
    "HTTPS://[12345::]/V",
    "HTTPS://[:1:2:3:4:5:6:7]/V",
    "HTTPS://[X/V",
    "HTTPS://X]/V",
    "HTTPS://[::1]X[/V",
    "HTTPS://\u2100.EXAMPLE/V",
    "HTTPS://\uff03.EXAMPLE/V",
    "HTTPS://\u00bd.EXAMPLE/V",
    "",
    "://",
]

#: The origin the browser derives from each prefix, or the reason it refuses it.
ORIGINS = """async (prefixes) => {
  const { originOf } = await import("/qr/origin.js");
  return prefixes.map((prefix) => {
    try {
      return originOf(prefix);
    } catch (e) {
      return `refused: ${e.code}`;
    }
  });
}"""


def test_prefixes_give_python_s_origin(modules):
    expected = []
    for prefix in PREFIXES:
        try:
            expected.append(transport._origin(prefix))
        except QRDecodeError as refused:  # a host urlsplit cannot parse
            expected.append(f"refused: {refused.code}")
    assert modules.run(ORIGINS, PREFIXES) == expected
    assert expected.count("refused: qr_malformed") >= 10


def test_prefixes_give_the_same_outcome_as_python(modules, world):
    digits = encode_qr_text(world.credential(), VERIFY_URL).rpartition("#")[2]
    batch = Batch()
    for prefix in PREFIXES:
        batch.add(prefix, f"{prefix}#{digits}")  # Python's outcome, decoded or refused, is the expected one
    got = batch.check(modules)
    assert sum("error" not in o for o in got) >= 4  # the verifier's own origin, however written
    assert sum(o.get("error") == "qr_malformed" for o in got) >= 5


LOADERS = """async ({ text }) => {
  const { decodeQrText } = await import("/qr/transport.js");
  const real = async (name) => new Uint8Array(await (await fetch("/data/" + name)).arrayBuffer());
  const edited = async (name) => {
    const data = await real(name);
    data[100] ^= 1;
    return data;
  };
  const offline = async () => {
    throw new TypeError("Failed to fetch");
  };
  const outcome = async (load) => {
    try {
      await decodeQrText(text, [], load);
      return "decoded";
    } catch (e) {
      return e.code ?? `${e.name}: ${e.message}`;
    }
  };
  return [await outcome(edited), await outcome(offline), await outcome(real)];
}"""


def test_a_dictionary_that_is_not_the_published_one_is_refused(modules, world):
    """As in Python, an edited dictionary is an unsupported version; a loader's own failure is its own."""
    text = encode_qr_text(world.credential(), VERIFY_URL)
    assert modules.run(LOADERS, {"text": text}) == ["qr_unsupported_version", "TypeError: Failed to fetch", "decoded"]
