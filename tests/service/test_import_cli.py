"""``certsvc import-cohort``: progress bar, exit codes, and a real SIGKILL mid-import that a rerun completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from certsvc.cli import main
from certsvc.credentials.b64 import b64url_encode
from certsvc.demo.seed import seed
from certsvc.store import audit
from certsvc.store.models import BatchState, Credential, ImportBatch, Learner

from .support import CHEAP_HASHER, KEK
from .test_cohort_import import BASE, PROVIDER, cohort, with_rows

CERTSVC = Path(sys.executable).parent / "certsvc"
KILL_ROWS = 2000


@pytest.fixture
def seeded(db_session: Session, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo world in the test database; the environment the command reads its settings from."""
    seed(db_session, kek=KEK, base_url=BASE, hasher=CHEAP_HASHER, now=datetime.now(UTC))
    db_session.commit()
    for name, value in command_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    return database_url


def command_env(tmp_path: Path) -> dict[str, str]:
    return {
        "CERTSVC_KEY_ENCRYPTION_KEY": KEK,
        "CERTSVC_BASE_URL": BASE,
        "CERTSVC_INSTANCE_PATH": str(tmp_path / "instance"),  # no instance/config.py of this machine
    }


def write(tmp_path: Path, data: bytes, name: str = "cohort.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def count(session: Session, statement: object) -> int:
    session.rollback()  # a fresh snapshot: another process writes
    return int(session.scalar(statement) or 0)  # type: ignore[call-overload]


def imported(session: Session) -> int:
    return count(session, select(func.count(Credential.id)).where(Credential.external_id.like("ROW-%")))


def test_import_shows_progress_and_a_rerun_issues_nothing(seeded: str, db_session: Session, tmp_path: Path) -> None:
    path = write(tmp_path, cohort(25))
    runner = CliRunner()
    args = ["import-cohort", path, "--org", PROVIDER, "--database-url", seeded]
    result = runner.invoke(main, [*args, "--chunk-size", "10"])
    assert result.exit_code == 0, result.output
    assert "Issuing" in result.stderr and "25/25" in result.stderr and "100%" in result.stderr
    assert "25 credentials issued, 0 skipped" in result.stdout
    assert imported(db_session) == 25

    again = runner.invoke(main, args)
    assert again.exit_code == 0, again.output
    assert "0 credentials issued, 25 skipped" in again.stdout
    assert imported(db_session) == 25


def test_invalid_rows_exit_non_zero_and_issue_nothing(seeded: str, db_session: Session, tmp_path: Path) -> None:
    path = write(tmp_path, with_rows({}, {"birth_date": "1990-02-30"}))
    result = CliRunner().invoke(main, ["import-cohort", path, "--org", PROVIDER, "--database-url", seeded])
    assert result.exit_code == 1
    assert "nothing was issued" in result.stderr
    assert "line 3, column birth_date: must be a date as YYYY-MM-DD" in result.stderr
    assert count(db_session, select(func.count(ImportBatch.id))) == 0
    assert count(db_session, select(func.count(Credential.id)).where(Credential.external_id.like("X-%"))) == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--org", "ph-kl"], 2, "no training provider"),
        (["--org", "nobody"], 2, "no training provider"),
        (["--org", PROVIDER, "--dry-run"], 0, "5 would be issued, 0 already issued. Nothing was changed."),
    ],
)
def test_usage_errors_and_dry_run(
    seeded: str, db_session: Session, tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    result = CliRunner().invoke(main, ["import-cohort", write(tmp_path, cohort(5)), "--database-url", seeded, *args])
    assert result.exit_code == code
    assert message in result.output
    assert count(db_session, select(func.count(ImportBatch.id))) == 0


def test_not_a_csv_file(seeded: str, tmp_path: Path) -> None:
    path = write(tmp_path, b"\x89PNG\r\n\x1a\n", "photo.csv")
    result = CliRunner().invoke(main, ["import-cohort", path, "--org", PROVIDER, "--database-url", seeded])
    assert result.exit_code == 1 and "not UTF-8" in result.stderr


def test_kill_mid_import_leaves_nothing_half_written_and_rerun_completes(
    seeded: str, engine: Engine, db_session: Session, tmp_path: Path
) -> None:
    path = write(tmp_path, cohort(KILL_ROWS))
    command = [str(CERTSVC), "import-cohort", path, "--org", PROVIDER, "--database-url", seeded, "--chunk-size", "50"]
    env = {**os.environ, **command_env(tmp_path)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while imported(db_session) == 0:  # wait until some chunks are committed ...
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no chunk committed in time"
            time.sleep(0.005)
    finally:
        process.send_signal(signal.SIGKILL)  # ... then kill it without a chance to clean up
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    killed_at = imported(db_session)
    assert 0 < killed_at < KILL_ROWS, "the import was not interrupted mid-run"
    assert_consistent(db_session, engine)
    batch = db_session.scalars(select(ImportBatch)).one()
    assert (batch.state, batch.done, batch.total) == (BatchState.RUNNING, killed_at, KILL_ROWS)

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    assert rerun.returncode == 0, rerun.stderr
    assert f"Resuming batch {batch.id}: {killed_at} of {KILL_ROWS} rows done before." in rerun.stderr
    assert f"{KILL_ROWS}/{KILL_ROWS}" in rerun.stderr
    assert imported(db_session) == KILL_ROWS
    assert_consistent(db_session, engine)
    db_session.refresh(batch)
    assert (batch.state, batch.done) == (BatchState.DONE, KILL_ROWS)
    distinct = select(func.count(func.distinct(Credential.external_id))).where(Credential.external_id.like("ROW-%"))
    assert count(db_session, distinct) == KILL_ROWS


def assert_consistent(session: Session, engine: Engine) -> None:
    """Every credential complete, every status index unique, no learner without a credential, audit chain intact."""
    session.rollback()
    credentials = session.scalars(select(Credential).where(Credential.external_id.like("ROW-%"))).all()
    for credential in credentials:
        assert credential.payload and credential.provider_jws.count(".") == 2
        assert credential.provider_jws.split(".")[1] == b64url_encode(credential.payload)
        assert credential.learner_id is not None and credential.status_list_id is not None
    slots = {(c.status_list_id, c.status_idx) for c in session.scalars(select(Credential))}
    assert len(slots) == count(session, select(func.count(Credential.id)))
    orphans = select(func.count(Learner.id)).where(
        ~select(Credential.id).where(Credential.learner_id == Learner.id).exists()
    )
    assert count(session, orphans) == 0
    with engine.connect() as connection:  # the batch's progress was committed with its rows
        done = connection.execute(text("SELECT done FROM import_batches")).scalar_one()
    assert done == len(credentials)
    assert audit.verify_chain(session).ok
