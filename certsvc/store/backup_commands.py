"""``certsvc backup FILE`` and ``certsvc restore FILE``: portable logical backups (see certsvc.backup)."""

from __future__ import annotations

from pathlib import Path

import click

from certsvc.credentials.errors import CertsvcError
from certsvc.store import backup, db_commands
from certsvc.store.db import make_engine
from certsvc.store.db_commands import command_database_url, database_option


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@database_option
def backup_command(file: Path, database_url: str | None) -> None:
    """Write every table to FILE (gzip JSON lines, with the schema revision), in one consistent snapshot.

    The key-encryption key is not in the backup: keep it separately, restoring needs it.
    """
    engine = make_engine(command_database_url(database_url), sqlite_begin="DEFERRED")
    try:
        summary = backup.write_backup(engine, file)
    except CertsvcError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        engine.dispose()
    tables = len(summary.counts)
    click.echo(f"backup written to {file}: {summary.rows} rows, {tables} tables, revision {summary.revision}")
    click.echo("The key-encryption key is NOT in the backup: keep it separately; a restore needs the same KEK.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@database_option
def restore_command(file: Path, database_url: str | None) -> None:
    """Load FILE into an empty database (a new one is first migrated to the backup's revision), all or nothing.

    Exit status: 0 restored, 1 refused (database not empty, other revision, damaged file): nothing written.
    """
    url = command_database_url(database_url)
    try:
        header = backup.read_header(file)
        if db_commands.current_revision(url) is None:
            db_commands.upgrade(url, header["revision"])
            click.echo(f"new database migrated to revision {header['revision']}")
        engine = make_engine(url)
        try:
            summary = backup.restore_backup(engine, file)
        finally:
            engine.dispose()
    except CertsvcError as exc:
        raise click.ClickException(exc.message + " (nothing was written)") from exc
    click.echo(f"restored {summary.rows} rows into {len(summary.counts)} tables at revision {summary.revision}")
    if summary.revision != db_commands.head_revision():
        click.echo("Bring the schema to this version's head with: certsvc db upgrade")
    click.echo("Configure the same KEY_ENCRYPTION_KEY as the backed-up service, then check: certsvc audit verify")
