"""The real ``certsvc`` console script: ``demo`` writes a world, ``verify`` checks it offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console script, arguments from the test
        [str(CERTSVC), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
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
