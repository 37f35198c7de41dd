"""The ``certsvc`` command line."""

from __future__ import annotations

import importlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from certsvc.credentials.errors import CertsvcError

EXIT_CODES = {"recognized": 0, "authentic": 3, "invalid": 4}
#: Commands that live with what they work on, imported only when run (or listed by --help), so
#: that ``certsvc verify`` starts without the database and web code: a quarter of the time.
_ELSEWHERE = {
    "audit": "certsvc.store.audit_commands:audit_group",
    "backup": "certsvc.store.backup_commands:backup_command",
    "db": "certsvc.store.db_commands:db",
    "i18n": "certsvc.web.catalogue_commands:i18n_group",
    "keys": "certsvc.store.keys_commands:keys_group",
    "restore": "certsvc.store.backup_commands:restore_command",
}


class _Commands(click.Group):
    """The command group: this module's commands, and those of ``_ELSEWHERE`` imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_ELSEWHERE})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _ELSEWHERE:
            return super().get_command(ctx, cmd_name)
        module, _, name = _ELSEWHERE[cmd_name].partition(":")
        command: click.Command = getattr(importlib.import_module(module), name)
        return command


@click.group(cls=_Commands)
def main() -> None:
    """Co-signed skill credentials for migrant workers."""


def _parse_at(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO time, e.g. 2026-01-01T00:00:00Z") from exc
    if moment.tzinfo is None:
        raise click.BadParameter("--at needs a time zone, e.g. 2026-01-01T00:00:00Z")
    return moment


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _parse_duration(_ctx: click.Context, _param: click.Parameter, value: str) -> timedelta:
    text = value.strip().lower()
    unit = _DURATION_UNITS.get(text[-1:])
    number = text[:-1] if unit else text
    if not number.isdigit() or len(number) > 9:
        raise click.BadParameter(f"{value!r} is not a duration such as 12h, 7d or 3600 (seconds)")
    return timedelta(seconds=int(number) * (unit or 1))


@main.command()
@click.argument("input_")
@click.option(
    "--trust-list",
    "trust_lists",
    multiple=True,
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A signed trust list (repeatable; of one country's, the highest seq wins).",
)
@click.option(
    "--status-list",
    "status_lists",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A signed status list (repeatable).",
)
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="An authority's anchor.json (one {uri, jwk, authority, country} or a list); "
    "without it, trust lists are trusted as given.",
)
@click.option("--at", "at", default=None, callback=_parse_at, help="Verify as of this ISO time instead of now.")
@click.option(
    "--max-trust-age",
    default="7d",
    show_default=True,
    callback=_parse_duration,
    help="Confirm nothing from a trust list older than this (e.g. 12h, 30d).",
)
@click.option(
    "--trust-store",
    "trust_store",
    default=None,
    envvar="CERTSVC_TRUST_STORE",
    type=click.Path(file_okay=False),
    help="Folder remembering the newest trust-list version seen per authority "
    "(default: certsvc/trust-store in your data directory).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify(
    input_: str,
    trust_lists: tuple[str, ...],
    status_lists: tuple[str, ...],
    anchors: tuple[str, ...],
    at: datetime | None,
    max_trust_age: timedelta,
    trust_store: str | None,
    as_json: bool,
) -> None:
    """Verify a credential offline. INPUT is QR text, a file holding it, or a PNG/JPEG of the QR.

    Exit status: 0 recognised, 3 authentic but not recognised, 4 invalid, 2 bad usage or unusable
    documents (including a trust list older than one already seen: rollback).
    """
    from verifier.offline import load_documents, read_input
    from verifier.pipeline import verify as run
    from verifier.trust_store import TrustStore, default_folder

    now = at or datetime.now(UTC)
    try:
        store = TrustStore(Path(trust_store) if trust_store else default_folder())
        unverified = read_input(input_)
        loaded, loaded_status = load_documents(trust_lists, status_lists, anchors, now)
        store.check_and_record(loaded, datetime.now(UTC))
    except CertsvcError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    held = [item.trust_list for item in loaded]
    result = run(unverified, held, loaded_status, now, max_trust_list_age=max_trust_age)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(_describe(result.to_dict()))
    sys.exit(EXIT_CODES[result.status.value])


def _describe(result: dict) -> str:
    verdicts = {
        "recognized": "RECOGNISED",
        "authentic": "AUTHENTIC, NOT RECOGNISED YET",
        "invalid": "NOT VALID",
    }
    lines = [verdicts[result["status"]]]
    if result["recognition"]:
        lines.append(result["recognition"]["statement"])
    for check in result["checks"]:
        lines.append(f"  [{'ok' if check['ok'] else 'x '}] {check['detail']}")
    if result["reasons"]:
        lines.append("reasons: " + ", ".join(result["reasons"]))
    return "\n".join(lines)


@main.command()
@click.option(
    "--out",
    "out_dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Write the offline demo (trust lists, status lists, sample QR codes) into this folder and exit.",
)
@click.option(
    "--base-url",
    default=None,
    help="The demo's public address, named by every key id and QR code "
    "(default: http://127.0.0.1:PORT, or the address an existing demo was created with).",
)
@click.option(
    "--port", default=None, type=click.IntRange(1, 65535), help="Port to listen on (default: the base URL's or 5000)."
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 lets phones on your network open the QR codes (give --base-url too).",
)
def demo(out_dir: str | None, base_url: str | None, port: int | None, host: str) -> None:
    """Start the service on SQLite with demo data (idempotent), or write the offline demo with --out."""
    from certsvc import config

    if out_dir is not None:
        from certsvc.demo.offline import write_demo

        try:
            base = config.normalise_base_url(base_url or f"http://127.0.0.1:{port or 5000}")
        except config.ConfigError as exc:
            raise click.BadParameter(exc.message, param_hint="--base-url") from exc
        commands = write_demo(Path(out_dir), base, datetime.now(UTC))
        click.echo(f"Demo written to {out_dir}/. Check the credentials with:\n")
        for command in commands:
            click.echo("  " + command)
        return
    from certsvc.app import create_app
    from certsvc.demo.server import demo_address, prepare_demo, print_welcome, serve

    try:
        base, listen_port = demo_address(config.instance_path(), base_url, port)
        app = prepare_demo(base, create_app)
    except config.ConfigError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    print_welcome(app)
    serve(app, listen_port, host)


@main.command("import-cohort")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_slug", required=True, help="Slug of the training provider issuing the credentials.")
@click.option("--database-url", default=None, help="SQLAlchemy URL; default: as the app is configured.")
@click.option("--dry-run", is_flag=True, help="Validate and show what would be issued; issue nothing.")
@click.option("--chunk-size", default=100, show_default=True, type=click.IntRange(1, 1000), help="Rows per commit.")
def import_cohort(file: Path, org_slug: str, database_url: str | None, dry_run: bool, chunk_size: int) -> None:
    """Issue a credential for every row of a cohort CSV, with a progress bar.

    Every row is validated before anything is issued. Rerunning the same file resumes an
    interrupted import; rows whose external id already has a credential are skipped.
    Exit status: 0 done, 1 invalid file or rows (nothing issued) or a failed run, 2 bad usage.
    """
    from issuers import cohort_commands

    sys.exit(cohort_commands.import_cohort(file, org_slug, database_url, dry_run=dry_run, chunk_size=chunk_size))


@main.command("serve")
@click.option("--bind", default=None, help="Address(es) to listen on, e.g. 127.0.0.1:8000; default: SERVE_BIND.")
@click.option("--workers", default=None, type=click.IntRange(1, 64), help="Worker processes; default: SERVE_WORKERS.")
def serve(bind: str | None, workers: int | None) -> None:
    """Run the service with gunicorn (workers, bind and timeouts from the configuration)."""
    from certsvc.app import create_app
    from certsvc.web.server import run_server

    run_server(create_app, bind, workers)
