"""The versioned preset DEFLATE dictionaries of the QR transport.

A dictionary is frozen once published: printed QR codes must decode for years, so a
changed credential template gets a new version rather than an edited dictionary.
``build_dictionary(version)`` is how each was made, reproducibly:
``python -m certsvc.qr.dictionary 2 > certsvc/qr/data/qr-dict-v2.bin``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import sys
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources

from certsvc.credentials.catalogue import entry_for
from certsvc.credentials.errors import UnsupportedQRVersion
from certsvc.credentials.jws import header_bytes
from certsvc.credentials.openbadge import (
    AssessmentMethod,
    CredentialSpec,
    Holder,
    Kind,
    PriorSkillsAssessment,
    Qualification,
    build_payload,
    encode_payload,
)
from certsvc.qr import markers, skeleton, vocabulary, windows

#: SHA-256 of each published dictionary; a mismatch means the file was edited.
PUBLISHED = {
    1: "f9485960db840dbe22e664772c01d86aea7812303c59d5c9d924e714448c715c",
    2: "885e5419bdefededbe5667ce75f0f0aad574d68628b774fb64342b1122c34262",
}

#: Words that skill credentials and assessment summaries use often (TVET vocabulary).
_VOCABULARY = b"""
Assessed by practical test, portfolio, interview and third-party report; evidence seen: employer
references, site photos, logbook, work samples, certificates, supervisor statement, observed on the job.
Passed; competent; demonstrated; verified; years of experience; months; hours; domestic; industrial;
Welding: shielded metal arc, gas metal arc, gas tungsten arc, flux cored, fillet and groove welds, plate
and pipe, flat, horizontal, vertical and overhead positions, carbon steel, stainless steel, fabrication.
Cookery, commercial cookery, food and beverage service, bread and pastry production, baking, kitchen
hygiene and food safety, housekeeping, front office, hotel and restaurant services, barista, bartending.
Caregiving, home-based personal care, elderly care, child care, nursing aide, bed bath, transfers,
feeding, mobility, first aid, medication log, household services, cleaning, laundry, driving.
Electrical installation and maintenance, electrician, electrical wiring, building wiring, motor control,
plumbing, pipefitting, carpentry, masonry, tiling, plastering, painting, scaffolding, formwork, steel bar
bending, rebar, concrete, heavy equipment operation, construction trade test, machining, CNC operation,
automotive servicing, mechanic, refrigeration and air-conditioning, electronics, garment sewing,
tailoring, agriculture, plantation, fishing, factory production, assembly, warehouse, logistics, security.
Certificate, National Certificate, Skills Certificate, Skilled Worker, Trade Test, Level 1, Level 2,
Level 3, Level 4, Construction, Manufacturing, Hospitality, Health and Social Care, Training Centre,
Academy, Institute, College, Technical Education and Skills Development Authority, Embassy, Labour Office
"""

_SAMPLE_VALUES = [
    b"https://",
    b"/c/",
    b"#holder",
    b"/o/",
    b"/q/",
    b"/status/",
    b"2026-01-01T00:00:00Z",
    b"2031-01-01T00:00:00Z",
    b"1990-01-01",
    b"http://data.europa.eu/esco/isco/C",
    b"https://asean.org/aqrf/level/",
    b"AQRF level ",
    b" level ",
    b" certificate in ",
    b"National Certificate",
    b"Skills",
    b"Welding",
]


def _blank_spec(kind: Kind) -> CredentialSpec:
    qualification = Qualification(
        id="https://",
        name="x",
        description="x",
        framework="x",
        level="1",
        isco_code="1",
        isco_title="x",
        asean_level=1,
    )
    assessment = None
    if kind is Kind.PRIOR_SKILLS:
        assessment = PriorSkillsAssessment(AssessmentMethod.PRACTICAL_TEST, "x", date(2026, 1, 1))
    return CredentialSpec(
        credential_id="https://",
        issuer_id="https://",
        holder=Holder("x", date(1990, 1, 1), "PH", "sha256$", "x"),
        qualification=qualification,
        kind=kind,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        valid_until=datetime(2031, 1, 1, tzinfo=UTC),
        status_uri="https://",
        status_idx=0,
        assessment=assessment,
    )


def build_dictionary(version: int = 1) -> bytes:
    """Build the dictionary of ``version`` from the blank credential templates and word lists."""
    if version == 2:
        return _build_v2()
    if version != 1:
        raise UnsupportedQRVersion(f"QR format version {version} has no dictionary", version=version)
    es256, _ = skeleton.split(header_bytes("ES256", "https://"))
    eddsa, _ = skeleton.split(header_bytes("EdDSA", "https://"))
    parts = [_VOCABULARY, b"\x00".join(_SAMPLE_VALUES), es256]
    # Each kind's whole body skeleton (two headers, then the payload) in the order the
    # transport writes it, so that the structure is one long match; the commonest last.
    for kind in (Kind.PRIOR_SKILLS, Kind.TRAINING):
        body, _ = skeleton.split(encode_payload(build_payload(_blank_spec(kind))))
        parts.append(b"\n".join([eddsa, eddsa, body]))
    return b"\x00".join(parts)


#: Sentence openings of evidence summaries (DEFLATE tells capitals apart).
_OPENINGS = (
    "Assessed by Assessed on Observed Verified Reviewed Passed Practical test: Interview: Portfolio: "
    "Reference from Supervisor Employer Candidate Worked as Evidence: Prueba práctica: Evaluado por "
    "Constancia de Entrevista: Portafolio: Trabajó como Praktikal na pagsusulit: Nagtrabaho bilang "
)


def _phrases(text: str) -> bytes:
    """A word list as running text: phrases joined by spaces, as they appear in sentences."""
    return (" ".join(p.strip() for p in re.split(r"[,;\n]", text) if p.strip()) + " ").encode()


def _windowed(text: str) -> bytes:
    """Name elements as windowed text writes them (without the marker and window number)."""
    coded = windows.to_windows(" ".join(text.split()).encode())
    assert coded is not None
    return coded[2:]


def _value_templates(kind: Kind) -> bytes:
    """The value stream of a blank credential of ``kind``: the markers every credential repeats."""
    blank = _blank_spec(kind)
    assessment = blank.assessment and dataclasses.replace(blank.assessment, evidence_summary="Summary")
    spec = dataclasses.replace(
        blank,
        credential_id="https:///c/00000000",
        issuer_id="https:///o/x",
        status_uri="https:///o/x/status/1",
        holder=Holder("Name", date(1990, 1, 1), "PH", "sha256$" + "0" * 64, "salt0000"),
        valid_from=datetime(2026, 1, 1, 9, 30, tzinfo=UTC),
        valid_until=datetime(2031, 1, 1, 9, 30, tzinfo=UTC),
        assessment=assessment,
    )
    _, fields = skeleton.split(encode_payload(build_payload(spec)))
    _, achievement = skeleton.split(entry_for(spec.qualification, "").canonical)
    start = next(i for i in range(len(fields)) if fields[i : i + len(achievement)] == achievement)
    header_values = [b"https:///o/x#k1", b"https:///o/y#k1"]
    run = (start, start + len(achievement))
    coded = markers.encode_values([*fields, *header_values], run, b"https://")
    return bytes(coded.codes) + b"\x00" + b"\x00".join(coded.literals)


def _build_v2() -> bytes:
    # Farthest first: the skeletons match in one or two long runs wherever they are; words are
    # short matches, cheaper the nearer they are to the end.
    parts = []
    headers = {alg: skeleton.split(header_bytes(alg, "https://"))[0] for alg in ("ES256", "EdDSA")}
    for first, second in (("ES256", "ES256"), ("EdDSA", "ES256"), ("ES256", "EdDSA"), ("EdDSA", "EdDSA")):
        for kind in (Kind.PRIOR_SKILLS, Kind.TRAINING):
            body, _ = skeleton.split(encode_payload(build_payload(_blank_spec(kind))))
            parts.append(b"\n".join([body, headers[first], headers[second]]))
    parts += [_value_templates(kind) for kind in (Kind.PRIOR_SKILLS, Kind.TRAINING)]
    parts += [_windowed(text) for text in vocabulary.NAMES_BY_SCRIPT.values()]
    parts.append(_phrases(vocabulary.NAMES_LATIN))
    parts.append(_phrases(vocabulary.CALENDAR.replace(" ", ",")))
    parts += [_phrases(vocabulary.GENERAL_FIL.replace(" ", ",")), _phrases(vocabulary.GENERAL_ES.replace(" ", ","))]
    parts += [_phrases(vocabulary.TRADES_EN), _phrases(vocabulary.NARRATIVE_FIL), _phrases(vocabulary.NARRATIVE_ES)]
    parts += [_phrases(vocabulary.GENERAL_EN.replace(" ", ",")), _OPENINGS.encode(), _phrases(vocabulary.NARRATIVE_EN)]
    return b"\x00".join(parts)


@cache
def dictionary(version: int) -> bytes:
    """Return the frozen dictionary of ``version``, checked against its published hash."""
    if version not in PUBLISHED:
        raise UnsupportedQRVersion(f"QR format version {version} is not supported", version=version)
    data = resources.files("certsvc.qr.data").joinpath(f"qr-dict-v{version}.bin").read_bytes()
    if hashlib.sha256(data).hexdigest() != PUBLISHED[version]:
        raise UnsupportedQRVersion(f"the QR dictionary v{version} does not match its published hash")
    return data


if __name__ == "__main__":  # pragma: no cover - used once per dictionary version
    sys.stdout.buffer.write(build_dictionary(int(sys.argv[1]) if len(sys.argv) > 1 else 1))
