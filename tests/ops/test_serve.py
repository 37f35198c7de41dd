"""`certsvc serve` options from the configuration, and secrets read from files."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Config

from certsvc import config
from certsvc.cli import main
from certsvc.web.server import JsonGunicornLogger, gunicorn_options


def test_gunicorn_options_come_from_the_settings() -> None:
    settings = {"SERVE_BIND": "127.0.0.1:9000, unix:/run/certsvc.sock", "SERVE_WORKERS": 5, "SERVE_THREADS": 4}
    options = gunicorn_options(settings)
    assert options["bind"] == ["127.0.0.1:9000", "unix:/run/certsvc.sock"]
    assert options["workers"] == 5 and options["threads"] == 4 and options["worker_class"] == "gthread"
    assert options["timeout"] == 30 and options["preload_app"] is False
    # Forwarded headers are trusted by the app (PROXY_COUNT) alone; no gunicorn access log with raw paths.
    assert options["forwarded_allow_ips"] == "" and options["accesslog"] is None
    assert options["logger_class"] is JsonGunicornLogger


def test_command_line_overrides_win() -> None:
    options = gunicorn_options({"SERVE_WORKERS": 5}, bind="0.0.0.0:80", workers=1)
    assert options["bind"] == ["0.0.0.0:80"] and options["workers"] == 1 and options["worker_class"] == "sync"


def test_serve_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve"], env={"CERTSVC_INSTANCE_PATH": str(tmp_path)})
    assert result.exit_code == 1 and "SECRET_KEY is not set" in result.output


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    (tmp_path / "kek").write_text("from-a-file-" + "f" * 32 + "\n")
    settings = Config(str(tmp_path), {"KEY_ENCRYPTION_KEY": None, "KEY_ENCRYPTION_KEY_FILE": str(tmp_path / "kek")})
    config.read_secret_files(settings)
    assert settings["KEY_ENCRYPTION_KEY"] == "from-a-file-" + "f" * 32


@pytest.mark.parametrize("problem", ["both", "missing"])
def test_a_secret_file_problem_fails_loudly(tmp_path: Path, problem: str) -> None:
    settings = Config(str(tmp_path), {"KEY_ENCRYPTION_KEY_FILE": str(tmp_path / "absent")})
    if problem == "both":
        (tmp_path / "absent").write_text("x" * 40)
        settings["KEY_ENCRYPTION_KEY"] = "y" * 40
    with pytest.raises(config.ConfigError):
        config.read_secret_files(settings)
