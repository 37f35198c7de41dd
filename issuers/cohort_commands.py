"""``certsvc import-cohort``: issue a cohort CSV from the command line, with a progress bar on stderr."""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session
from tqdm import tqdm

from certsvc import config
from certsvc.credentials.errors import CertsvcError
from certsvc.store.db import make_engine, make_session_factory
from certsvc.store.db_commands import command_database_url
from certsvc.store.models import ImportBatch, Organisation, OrgKind
from certsvc.store.signers import signer_for
from issuers import cohort_csv, cohort_import
from issuers.cohort_csv import CohortRow

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
SHOWN_ERRORS = 50


class UsageProblem(CertsvcError):
    code = "usage"


def import_cohort(file: Path, org_slug: str, database_url: str | None, *, dry_run: bool, chunk_size: int) -> int:
    """Validate ``file`` for the provider ``org_slug``, then issue (or resume) it; return the exit status."""
    settings = config.load_settings(config.instance_path())
    kek, base_url = settings.get("KEY_ENCRYPTION_KEY"), str(settings["BASE_URL"]).rstrip("/")
    if not kek and not dry_run:
        click.echo("error: KEY_ENCRYPTION_KEY is not set (CERTSVC_KEY_ENCRYPTION_KEY or instance/config.py)", err=True)
        return EXIT_USAGE
    engine = make_engine(command_database_url(database_url))
    try:
        with make_session_factory(engine)() as session:
            provider = _provider(session, org_slug)
            content = _read(file)
            if dry_run:
                return _dry_run(session, provider, content)
            batch, rows = _batch(session, provider, file.name, content)
            if batch is None:
                return EXIT_INVALID
            return _run(session, provider, batch, str(kek), base_url, chunk_size, rows)
    except UsageProblem as exc:
        click.echo(f"error: {exc.message}", err=True)
        return EXIT_USAGE
    except CertsvcError as exc:
        click.echo(f"error: {exc.message}", err=True)
        return EXIT_INVALID
    finally:
        engine.dispose()


def _provider(session: Session, slug: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None or org.kind is not OrgKind.PROVIDER:
        raise UsageProblem(f"no training provider with the slug {slug!r}")
    return org


def _read(file: Path) -> bytes:
    if file.stat().st_size > cohort_csv.MAX_BYTES:
        raise cohort_csv.CohortFileError(f"the file is larger than {cohort_csv.MAX_BYTES // 1024} KiB")
    return file.read_bytes()


def _dry_run(session: Session, provider: Organisation, content: bytes) -> int:
    checked = cohort_import.preview(session, provider, content, today=_today())
    if not checked.ok:
        _print_errors(checked)
        return EXIT_INVALID
    rows, new = len(checked.validation.rows), len(checked.new_rows)
    click.echo(f"{rows} valid rows: {new} would be issued, {rows - new} already issued. Nothing was changed.")
    return EXIT_OK


def _batch(
    session: Session, provider: Organisation, filename: str, content: bytes
) -> tuple[ImportBatch | None, list[CohortRow] | None]:
    """The batch to run and, when it was validated just now, its rows (a resumed batch is validated again)."""
    batch = cohort_import.find_unfinished(session, provider, content)
    if batch is not None:
        click.echo(f"Resuming batch {batch.id}: {batch.done} of {batch.total} rows done before.", err=True)
        return batch, None
    batch, checked = cohort_import.create_batch(session, provider, filename, content, today=_today())
    if batch is None:
        _print_errors(checked)
        return None, None
    session.commit()
    skipped = len(checked.validation.rows) - len(checked.new_rows)
    click.echo(f"Batch {batch.id}: {batch.total} valid rows ({skipped} already issued, will be skipped).", err=True)
    return batch, checked.validation.rows


def _run(
    session: Session,
    provider: Organisation,
    batch: ImportBatch,
    kek: str,
    base_url: str,
    size: int,
    rows: list[CohortRow] | None,
) -> int:
    signer = signer_for(session, provider, kek, base_url)
    actor = _actor()
    cohort_import.start(session, provider, batch.id, actor=actor)
    session.commit()
    with tqdm(total=batch.total, initial=batch.done, unit="row", desc="Issuing", file=sys.stderr) as bar:
        result = cohort_import.run_batch(
            session,
            provider,
            batch.id,
            signer=signer,
            base_url=base_url,
            actor=actor,
            kek=kek,
            chunk_size=size,
            on_progress=lambda done, _total: bar.update(done - bar.n),
            validated_rows=rows,
        )
    click.echo(
        f"Batch {result.id} {result.state.value}: {result.total} rows, {result.issued} credentials issued, "
        f"{result.skipped} skipped (issued before)."
    )
    return EXIT_OK


def _print_errors(checked: cohort_import.CohortPreview) -> None:
    errors = checked.validation.errors
    click.echo(
        f"error: {len(errors)} problem(s) in {checked.validation.error_lines} row(s); nothing was issued:", err=True
    )
    for error in errors[:SHOWN_ERRORS]:
        column = f", column {error['column']}" if error["column"] else ""
        click.echo(f"  line {error['line']}{column}: {error['message']}", err=True)
    if len(errors) > SHOWN_ERRORS:
        click.echo(f"  ... and {len(errors) - SHOWN_ERRORS} more", err=True)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def _today() -> date:
    return datetime.now(UTC).date()
