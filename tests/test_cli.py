"""The real ``certsvc`` console script: ``demo`` writes a world, ``verify`` checks it offline."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from certsvc.credentials.jws import sign_compact
from certsvc.credentials.statuslist import Status, StatusList, sign_status_list
from certsvc.credentials.trustlist import TYP, TrustAnchor, TrustList, sign_trust_list
from certsvc.demo.world import (
    Corridor,
    corridors,
    issue,
    sample_holder,
    signed_status_list,
    status_uri,
    trust_list_for,
)
from certsvc.qr.transport import encode_qr_text

CERTSVC = Path(sys.executable).parent / "certsvc"
COUNTRIES = ("ph", "mm", "sv")
PROVIDERS = ("klwa", "jcsc", "hwi")
EXPECTED_EXIT = {
    "training-cosigned-ph": 0,
    "prior-skills-cosigned-ph": 0,
    "training-cosigned-mm": 0,
    "training-cosigned-sv": 0,
    "training-awaiting-cosign-ph": 3,
    "training-revoked-ph": 4,
}
WELDING_RECOGNITION = "Recognised in the Philippines as Shielded Metal Arc Welding NC II (PQF level 2) by TESDA."


def run(cwd: Path, *args: str, store: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the console script; its trust store is a folder of the test's (never the user's own)."""
    env = {**os.environ, "CERTSVC_TRUST_STORE": str(store or cwd / "trust-store")}
    return subprocess.run(  # noqa: S603 - our own console script, arguments from the test
        [str(CERTSVC), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False, env=env
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run ``certsvc demo`` once for the module and return its output folder."""
    cwd = tmp_path_factory.mktemp("cli")
    done = run(cwd, "demo", "--out", "out")
    assert done.returncode == 0, done.stderr
    out = cwd / "out"
    for name in EXPECTED_EXIT:
        assert (out / f"{name}.png").is_file()
        assert (out / f"{name}.txt").is_file()
    return out


def all_lists(out: Path) -> list[str]:
    args = []
    for country in COUNTRIES:
        args += ["--trust-list", str(out / f"trust-list-{country}.jwt")]
    for provider in PROVIDERS:
        args += ["--status-list", str(out / f"status-{provider}.jwt")]
    return args


def test_demo_prints_the_verify_commands(tmp_path: Path) -> None:
    done = run(tmp_path, "demo", "--out", "elsewhere")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("certsvc verify") == len(EXPECTED_EXIT)
    assert (tmp_path / "elsewhere" / "anchor-ph.json").is_file()


@pytest.mark.parametrize("form", ["png", "txt", "text"])
@pytest.mark.parametrize("name", sorted(EXPECTED_EXIT))
def test_verify_exit_codes(demo: Path, name: str, form: str) -> None:
    path = demo / f"{name}.{'txt' if form == 'text' else form}"
    argument = path.read_text().strip() if form == "text" else str(path)
    done = run(demo, "verify", argument, *all_lists(demo))
    assert done.returncode == EXPECTED_EXIT[name], done.stdout + done.stderr
    first_line = done.stdout.splitlines()[0]
    assert first_line == {0: "RECOGNISED", 3: "AUTHENTIC, NOT RECOGNISED YET", 4: "NOT VALID"}[done.returncode]


def test_verify_loads_no_database_or_web_code(demo: Path) -> None:
    # The offline check is what employers and embassies script over folders of QR codes: it
    # starts without SQLAlchemy, Alembic or Flask (a quarter of the start-up time, or less).
    probe = (
        "import sys\n"
        "from certsvc.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as done:\n"
        "    heavy = sorted(m for m in ('sqlalchemy', 'alembic', 'flask', 'werkzeug') if m in sys.modules)\n"
        "    print('LOADED', ','.join(heavy))\n"
        "    raise\n"
    )
    args = ["verify", str(demo / "training-cosigned-ph.png"), *all_lists(demo)]
    env = {**os.environ, "CERTSVC_TRUST_STORE": str(demo / "trust-store")}
    done = subprocess.run(  # noqa: S603 - this interpreter, our own probe
        [sys.executable, "-c", probe, *args], cwd=demo, capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "RECOGNISED"
    assert done.stdout.splitlines()[-1] == "LOADED "


def test_verify_credential_file(demo: Path) -> None:
    done = run(demo, "verify", str(demo / "training-cosigned-ph.credential.json"), *all_lists(demo))
    assert done.returncode == 0, done.stdout + done.stderr
    assert WELDING_RECOGNITION in done.stdout


def test_json_output(demo: Path) -> None:
    done = run(demo, "verify", str(demo / "training-cosigned-ph.png"), "--json", *all_lists(demo))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) >= {"status", "reasons", "checks", "summary", "recognition"}
    assert result["status"] == "recognized"
    assert result["reasons"] == []
    assert all(check["ok"] for check in result["checks"])
    assert result["recognition"]["statement"] == WELDING_RECOGNITION
    assert result["summary"]["holder"]["nationality"] == "PH"


@pytest.mark.parametrize(
    ("name", "status", "reason"),
    [
        ("training-awaiting-cosign-ph", "authentic", "cosignature_missing"),
        ("training-revoked-ph", "invalid", "revoked"),
    ],
)
def test_json_output_with_reasons(demo: Path, name: str, status: str, reason: str) -> None:
    done = run(demo, "verify", str(demo / f"{name}.txt"), "--json", *all_lists(demo))
    result = json.loads(done.stdout)
    assert result["status"] == status
    assert reason in result["reasons"]
    assert result["recognition"] is None


def test_without_status_lists_the_status_is_unknown(demo: Path) -> None:
    trust_only = [arg for country in COUNTRIES for arg in ("--trust-list", str(demo / f"trust-list-{country}.jwt"))]
    done = run(demo, "verify", str(demo / "training-cosigned-ph.txt"), "--json", *trust_only)
    assert done.returncode == 4
    assert json.loads(done.stdout)["reasons"] == ["status_unknown"]


def test_garbage_input_is_invalid(demo: Path) -> None:
    done = run(demo, "verify", "not a credential", "--json", *all_lists(demo))
    assert done.returncode == 4
    assert json.loads(done.stdout)["reasons"] == ["malformed"]


def test_anchor(demo: Path) -> None:
    anchors = []
    for country in COUNTRIES:
        anchors += ["--anchor", str(demo / f"anchor-{country}.json")]
    done = run(demo, "verify", str(demo / "training-cosigned-ph.png"), *anchors, *all_lists(demo))
    assert done.returncode == 0, done.stdout + done.stderr


def test_wrong_anchor_is_bad_usage(demo: Path) -> None:
    done = run(
        demo,
        "verify",
        str(demo / "training-cosigned-ph.png"),
        "--trust-list",
        str(demo / "trust-list-ph.jwt"),
        "--anchor",
        str(demo / "anchor-mm.json"),
    )
    assert done.returncode == 2
    assert "trusted authority key" in done.stderr


@pytest.mark.parametrize(
    ("content", "option"),
    [
        (b"garbage\n", "--trust-list"),
        (b"\xff\xfe\x00binary", "--trust-list"),
        (b"garbage\n", "--status-list"),
        (b"\xff\xfe\x00binary", "--status-list"),
        (b"{not json", "--anchor"),
        (b'{"uri": "x"}', "--anchor"),
    ],
)
def test_unusable_files_are_bad_usage(demo: Path, tmp_path: Path, content: bytes, option: str) -> None:
    bad = tmp_path / "bad.file"
    bad.write_bytes(content)
    args = [option, str(bad)]
    if option != "--trust-list":
        args += ["--trust-list", str(demo / "trust-list-ph.jwt")]
    done = run(demo, "verify", str(demo / "training-cosigned-ph.txt"), *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ")


def test_missing_trust_list_file_is_bad_usage(demo: Path) -> None:
    done = run(demo, "verify", str(demo / "training-cosigned-ph.txt"), "--trust-list", "missing.jwt")
    assert done.returncode == 2
    assert "missing.jwt" in done.stderr


def test_missing_trust_list_option_is_bad_usage(demo: Path) -> None:
    done = run(demo, "verify", str(demo / "training-cosigned-ph.txt"))
    assert done.returncode == 2


def test_at_without_time_zone_is_bad_usage(demo: Path) -> None:
    done = run(demo, "verify", str(demo / "training-cosigned-ph.txt"), "--at", "2026-01-01T00:00:00", *all_lists(demo))
    assert done.returncode == 2


# --- documents made here, with keys the test holds: freshness, rollback, anchors ------------

BASE = "https://skills.example.org"


class Offline:
    """A corridor whose documents the test signs itself, written into a folder for the CLI."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.world = corridors(BASE)
        self.ph: Corridor = self.world[0]
        self.now = datetime.now(UTC).replace(microsecond=0)
        welding = self.ph.qualifications[0][0]
        self.credential = issue(self.ph, BASE, sample_holder("PH"), welding, 1, self.now - timedelta(days=30))

    def qr(self) -> str:
        return encode_qr_text(self.credential, BASE + "/v")

    def trust_list(self, name: str, *, seq: int = 1, issued_at: datetime | None = None, **changes: Any) -> str:
        trust_list = dataclasses.replace(trust_list_for(self.ph, BASE, issued_at or self.now, seq), **changes)
        return self.write(name, sign_trust_list(trust_list, self.ph.authority.key, self.ph.authority.kid_uri(BASE)))

    def status_list(self, name: str, *, issued_at: datetime | None = None, signer: Any = None, **kw: Any) -> str:
        token = signed_status_list(self.ph, BASE, kw.pop("statuses", {}), issued_at or self.now)
        if signer is not None:  # the PH provider's list, signed by someone else's key
            status_list = StatusList(1024, bits=2)
            uri = status_uri(self.ph, BASE)
            token = sign_status_list(status_list, signer.key, signer.kid_uri(BASE), uri, self.now, ttl_seconds=3600)
        return self.write(name, token)

    def anchor(self, name: str, country: str | None = "PH", as_list: bool = True) -> str:
        party = self.ph.authority
        anchor = TrustAnchor.of(party.kid_uri(BASE), party.key.public, country).to_json()
        return self.write(name, json.dumps([anchor] if as_list else anchor))

    def write(self, name: str, text: str) -> str:
        path = self.folder / name
        path.write_text(text + "\n")
        return str(path)

    def verify(self, *args: str, store: str = "store") -> subprocess.CompletedProcess[str]:
        return run(self.folder, "verify", self.qr(), "--json", *args, store=self.folder / store)


def result_of(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert "Traceback" not in done.stderr, done.stderr
    return dict(json.loads(done.stdout))


@pytest.fixture
def offline(tmp_path: Path) -> Offline:
    return Offline(tmp_path)


def test_an_own_corridor_is_recognised_and_shows_the_documents_age(offline: Offline) -> None:
    done = offline.verify("--trust-list", offline.trust_list("t.jwt"), "--status-list", offline.status_list("s.jwt"))
    result = result_of(done)
    assert done.returncode == 0, result
    documents = result["summary"]["documents"]
    assert documents["trust_list"]["seq"] == 1 and documents["trust_list"]["age_seconds"] >= 0
    assert documents["status_list"]["fresh_until"]


def test_the_highest_seq_wins_whatever_the_order(offline: Offline) -> None:
    compromised = _provider_key_compromised(offline)
    newer = offline.trust_list("seq2.jwt", seq=2, organisations=compromised.organisations)
    older = offline.trust_list("seq1.jwt", seq=1)
    status = offline.status_list("s.jwt")
    for order in ((older, newer), (newer, older)):
        done = offline.verify("--trust-list", order[0], "--trust-list", order[1], "--status-list", status)
        assert done.returncode == 4
        assert "key_compromised" in result_of(done)["reasons"]


def _provider_key_compromised(offline: Offline) -> TrustList:
    base = trust_list_for(offline.ph, BASE, offline.now)
    since = offline.now - timedelta(days=60)

    def compromise(org: Any) -> Any:
        if org.kind.value != "provider":
            return org
        return dataclasses.replace(org, keys=tuple(dataclasses.replace(k, compromised_since=since) for k in org.keys))

    return dataclasses.replace(base, organisations=tuple(map(compromise, base.organisations)))


def test_the_trust_store_refuses_an_older_trust_list(offline: Offline) -> None:
    status = offline.status_list("s.jwt")
    anchor = offline.anchor("anchor.json")
    newer, older = offline.trust_list("seq5.jwt", seq=5), offline.trust_list("seq4.jwt", seq=4)
    assert offline.verify("--trust-list", newer, "--status-list", status, "--anchor", anchor).returncode == 0
    done = offline.verify("--trust-list", older, "--status-list", status, "--anchor", anchor)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "rollback" in done.stderr and "version 5" in done.stderr
    # Without an anchor the older list is refused too; with another store it is accepted.
    assert offline.verify("--trust-list", older, "--status-list", status).returncode == 2
    assert offline.verify("--trust-list", older, "--status-list", status, store="other").returncode == 0
    state = json.loads((offline.folder / "store" / "state.json").read_text())
    entry = state["authorities"][offline.ph.authority.org_id(BASE)]
    assert entry["anchored_seq"] == 5 and entry["seen_seq"] == 5 and entry["country"] == "PH"


def test_a_list_trusted_as_given_cannot_raise_the_anchored_mark(offline: Offline) -> None:
    status = offline.status_list("s.jwt")
    offline.verify("--trust-list", offline.trust_list("seq9.jwt", seq=9), "--status-list", status)
    anchored = offline.verify(
        "--trust-list", offline.trust_list("seq3.jwt", seq=3), "--status-list", status, "--anchor", offline.anchor("a")
    )
    assert anchored.returncode == 0, anchored.stderr


def test_a_new_authority_key_starts_a_new_lineage(offline: Offline, tmp_path: Path) -> None:
    status = offline.status_list("s.jwt")
    assert (
        offline.verify("--trust-list", offline.trust_list("seq5.jwt", seq=5), "--status-list", status).returncode == 0
    )
    again = Offline(tmp_path / "again")
    again.folder.mkdir()
    fresh = again.trust_list("seq1.jwt", seq=1)
    done = run(
        again.folder, "verify", again.qr(), "--trust-list", fresh, "--status-list", again.status_list("s.jwt"),
        store=offline.folder / "store",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_status_list_past_its_ttl_confirms_nothing_and_says_how_old(offline: Offline) -> None:
    stale = offline.status_list("old.jwt", issued_at=offline.now - timedelta(hours=3))
    done = offline.verify("--trust-list", offline.trust_list("t.jwt"), "--status-list", stale)
    result = result_of(done)
    assert done.returncode == 4 and result["reasons"] == ["status_stale"]
    assert "3 h old" in next(c["detail"] for c in result["checks"] if c["name"] == "status")
    text = run(offline.folder, "verify", offline.qr(), "--trust-list", offline.folder / "t.jwt", "--status-list", stale)
    assert "could not be confirmed as of now" in text.stdout and "RECOGNISED" not in text.stdout


def test_an_old_trust_list_confirms_nothing(offline: Offline) -> None:
    old = offline.trust_list("old.jwt", issued_at=offline.now - timedelta(days=2))
    status = offline.status_list("s.jwt")
    done = offline.verify("--trust-list", old, "--status-list", status, "--max-trust-age", "1d")
    assert done.returncode == 4 and "trust_list_stale" in result_of(done)["reasons"]
    assert offline.verify("--trust-list", old, "--status-list", status, "--max-trust-age", "3d").returncode == 0


def test_at_verifies_as_of_a_past_moment(offline: Offline) -> None:
    old_status = offline.status_list("old.jwt", issued_at=offline.now - timedelta(days=20))
    trust = offline.trust_list("t.jwt", issued_at=offline.now - timedelta(days=20))
    at = (offline.now - timedelta(days=20) + timedelta(minutes=5)).isoformat()
    assert offline.verify("--trust-list", trust, "--status-list", old_status, "--at", at).returncode == 0
    assert offline.verify("--trust-list", trust, "--status-list", old_status).returncode == 4


def test_a_status_list_signed_by_another_provider_is_not_the_providers(offline: Offline) -> None:
    other = offline.world[1].provider
    mm_trust = sign_trust_list(
        trust_list_for(offline.world[1], BASE, offline.now), offline.world[1].authority.key,
        offline.world[1].authority.kid_uri(BASE),
    )  # fmt: skip
    forged = offline.status_list("forged.jwt", signer=other)
    done = offline.verify(
        "--trust-list", offline.trust_list("t.jwt"), "--trust-list", offline.write("mm.jwt", mm_trust),
        "--status-list", forged,
    )  # fmt: skip
    assert done.returncode == 4 and result_of(done)["reasons"] == ["status_list_untrusted"]


def test_the_published_anchor_json_works_as_it_is(offline: Offline) -> None:
    trust, status = offline.trust_list("t.jwt"), offline.status_list("s.jwt")
    for anchor in (offline.anchor("list.json"), offline.anchor("one.json", as_list=False)):
        assert offline.verify("--trust-list", trust, "--status-list", status, "--anchor", anchor).returncode == 0


def test_an_anchor_for_another_country_is_refused(offline: Offline) -> None:
    done = offline.verify("--trust-list", offline.trust_list("t.jwt"), "--anchor", offline.anchor("mm.json", "MM"))
    assert done.returncode == 2 and done.stderr.startswith("error: ") and "MM" in done.stderr


def _resigned_trust_list(offline: Offline, change: Callable[[dict[str, Any]], None]) -> str:
    token = offline.trust_list("base.jwt")
    from certsvc.credentials.b64 import b64url_decode

    claims = json.loads(b64url_decode(Path(token).read_text().strip().split(".")[1]))
    change(claims)
    party = offline.ph.authority
    return offline.write("bad.jwt", sign_compact(json.dumps(claims).encode(), party.key, party.kid_uri(BASE), typ=TYP))


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.__setitem__("iat", 10**20),
        lambda c: c.__setitem__("seq", "7"),
        lambda c: c.__setitem__("ttl", None),
        lambda c: c["organisations"][0].__setitem__("keys", [{"uri": 1}]),
    ],
    ids=["huge_iat", "string_seq", "null_ttl", "bad_key"],
)
def test_a_malformed_trust_list_is_bad_usage(offline: Offline, change: Callable[[dict[str, Any]], None]) -> None:
    done = offline.verify("--trust-list", _resigned_trust_list(offline, change))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and done.stderr.startswith("error: ")


@pytest.mark.parametrize(
    "option",
    [
        ["--at", "yesterday"],
        ["--at", "2026-13-45T00:00:00Z"],
        ["--at", "2026-01-01T00:00:00+99:00"],
        ["--max-trust-age", "forever"],
        ["--max-trust-age", "-3d"],
        ["--max-trust-age", "9" * 40],
    ],
)
def test_a_malformed_option_is_bad_usage(offline: Offline, option: list[str]) -> None:
    done = offline.verify("--trust-list", offline.trust_list("t.jwt"), *option)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "Error" in done.stderr


def test_an_unusable_trust_store_is_bad_usage(offline: Offline) -> None:
    trust = offline.trust_list("t.jwt")
    (offline.folder / "a-file").write_text("not a folder")
    done = run(offline.folder, "verify", offline.qr(), "--trust-list", trust, "--trust-store", "a-file/store")
    assert done.returncode == 2 and done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    (offline.folder / "store").mkdir()
    (offline.folder / "store" / "state.json").write_text("{damaged")
    done = offline.verify("--trust-list", trust)
    assert done.returncode == 2 and "trust store" in done.stderr and "Traceback" not in done.stderr


def test_a_status_value_from_the_newest_list_of_a_uri(offline: Offline) -> None:
    older = offline.status_list("older.jwt", issued_at=offline.now - timedelta(minutes=10))
    newer = offline.status_list("newer.jwt", statuses={1: Status.INVALID})
    trust = offline.trust_list("t.jwt")
    for order in ((older, newer), (newer, older)):
        done = offline.verify("--trust-list", trust, "--status-list", order[0], "--status-list", order[1])
        assert result_of(done)["reasons"] == ["revoked"]
