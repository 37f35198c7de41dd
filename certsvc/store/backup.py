"""Portable logical backups: every table as gzip-compressed JSON lines, restorable on SQLite or PostgreSQL.

The file starts with a header (format, schema revision, time, tables), then for each table
in dependency order a line naming its columns and one line per row, and ends with a trailer
holding the row counts, so a truncated file is refused. Values are written by column type
(timestamps in ISO 8601 UTC, bytes in base64), so a backup of SQLite restores into
PostgreSQL and back. The backup is read in one transaction (a consistent snapshot).

A restore goes into an empty database at the backup's schema revision (a new database is
migrated to it first), all in one transaction, and resets PostgreSQL's id sequences.

Not in the backup, on purpose: the key-encryption key (KEK) and SECRET_KEY. The signing
keys in the backup are encrypted under the KEK; keep the KEK separately (a secrets store,
a sealed envelope): a backup without it cannot sign again, and the KEK without a backup
holds nothing. The file holds personal data and is written readable by its owner only.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    JSON,
    Connection,
    Date,
    DateTime,
    Engine,
    Enum,
    Integer,
    LargeBinary,
    Table,
    func,
    inspect,
    null,
    select,
    text,
)

from certsvc.credentials.errors import CertsvcError
from certsvc.store.models import AuditHead, Base, UTCDateTime

FORMAT = "certsvc-backup"
FORMAT_VERSION = 1
INSERT_CHUNK = 1000
#: Tables that are not data: Alembic's bookkeeping (the revision is in the header instead).
NOT_DATA = frozenset({"alembic_version"})
KEK_NOTE = "The key-encryption key is not in this backup; restore needs the same KEK in the configuration."


class BackupError(CertsvcError):
    """A backup cannot be written or restored."""

    code = "backup_error"


class DamagedBackup(BackupError):
    code = "backup_damaged"


class TargetNotEmpty(BackupError):
    code = "restore_target_not_empty"


class RevisionMismatch(BackupError):
    code = "restore_revision_mismatch"


@dataclass
class BackupSummary:
    """What a backup or restore moved: the schema revision and rows per table."""

    revision: str | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]


def data_tables() -> list[Table]:
    """Every table of the models, parents before children."""
    return list(Base.metadata.sorted_tables)


# -- writing -------------------------------------------------------------------------------------


def write_backup(engine: Engine, path: Path, *, now: datetime | None = None) -> BackupSummary:
    """Write every table of the database at ``engine`` to ``path`` (replaced only when complete)."""
    partial = path.with_name(path.name + ".partial")
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            summary = BackupSummary(MigrationContext.configure(connection).get_current_revision())
            if summary.revision is None:
                raise BackupError("the database has no schema (never migrated): nothing to back up")
            _require_known_tables(connection)
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                with os.fdopen(descriptor, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as out:
                    _write_lines(connection, out, summary, now or datetime.now(UTC))
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
    os.replace(partial, path)
    return summary


def _write_lines(connection: Connection, out: IO[str], summary: BackupSummary, now: datetime) -> None:
    tables = data_tables()
    _line(
        out,
        {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "revision": summary.revision,
            "created_at": now.astimezone(UTC).isoformat(),
            "source": connection.dialect.name,
            "tables": [t.name for t in tables],
            "note": KEK_NOTE,
        },
    )
    for table in tables:
        columns = list(table.columns)
        encoders = [_codec(c)[0] for c in columns]
        _line(out, {"table": table.name, "columns": [c.name for c in columns]})
        count = 0
        statement = select(table).order_by(*table.primary_key.columns)
        for row in connection.execution_options(yield_per=INSERT_CHUNK).execute(statement):
            _line(out, {"r": [encode(value) for encode, value in zip(encoders, row, strict=True)]})
            count += 1
        summary.counts[table.name] = count
    _line(out, {"end": True, "counts": summary.counts})


def _line(out: IO[str], value: dict[str, Any]) -> None:
    out.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n")


def _require_known_tables(connection: Connection) -> None:
    known = {t.name for t in data_tables()}
    unknown = sorted(set(inspect(connection).get_table_names()) - known - NOT_DATA)
    if unknown:
        raise BackupError(f"the database has tables this version does not know: {', '.join(unknown)}")


# -- restoring -----------------------------------------------------------------------------------


def read_header(path: Path) -> dict[str, Any]:
    """Read and check a backup's first line."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            header = json.loads(lines.readline())
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise DamagedBackup(f"{path} is not a certsvc backup ({exc})") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise DamagedBackup(f"{path} is not a certsvc backup")
    if header.get("version") != FORMAT_VERSION:
        raise DamagedBackup(f"backup format version {header.get('version')} is not supported")
    return header


def restore_backup(engine: Engine, path: Path) -> BackupSummary:
    """Load a backup into the empty database at ``engine`` (at the backup's revision), all or nothing."""
    header = read_header(path)
    summary = BackupSummary(header["revision"])
    with engine.begin() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        if current != header["revision"]:
            raise RevisionMismatch(
                f"the database is at revision {current}, the backup at {header['revision']}: restore into a "
                f"database migrated to the backup's revision (certsvc db upgrade --revision {header['revision']}), "
                "then upgrade it to head",
                database=current,
                backup=header["revision"],
            )
        if sorted(header["tables"]) != sorted(t.name for t in data_tables()):
            raise DamagedBackup("the backup's tables are not this version's tables")
        _require_empty(connection)
        connection.execute(AuditHead.__table__.delete())
        _load_rows(connection, path, summary)
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection)
    return summary


def _load_rows(connection: Connection, path: Path, summary: BackupSummary) -> None:
    tables = {t.name: t for t in data_tables()}
    table: Table | None = None
    decoders: list[Callable[[Any], Any]] = []
    names: list[str] = []
    pending: list[dict[str, Any]] = []
    trailer: dict[str, Any] | None = None
    for entry in _entries(path):
        if trailer is not None:
            raise DamagedBackup("the backup has data after its end")
        if "r" in entry and table is not None:
            pending.append({n: decode(v) for n, decode, v in zip(names, decoders, entry["r"], strict=True)})
            summary.counts[table.name] += 1
            if len(pending) >= INSERT_CHUNK:
                connection.execute(table.insert(), pending)
                pending = []
            continue
        if table is not None and pending:
            connection.execute(table.insert(), pending)
            pending = []
        if "table" in entry and entry["table"] in tables:
            table = tables[entry["table"]]
            names = entry["columns"]
            if sorted(names) != sorted(c.name for c in table.columns):
                raise DamagedBackup(f"the columns of {table.name} in the backup are not this version's")
            decoders = [_codec(table.columns[n])[1] for n in names]
            summary.counts[table.name] = 0
        elif entry.get("end") is True:
            trailer = entry
        else:
            raise DamagedBackup("the backup holds a line it should not")
    if trailer is None:
        raise DamagedBackup("the backup is truncated (no end marker)")
    if trailer.get("counts") != summary.counts:
        raise DamagedBackup("the backup's row counts do not match its rows")


def _entries(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            next(lines)  # the header, already checked
            for line in lines:
                entry = json.loads(line)
                if not isinstance(entry, dict):
                    raise DamagedBackup("the backup holds a line that is not an object")
                yield entry
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise DamagedBackup(f"the backup is damaged or truncated ({exc})") from exc


def _require_empty(connection: Connection) -> None:
    for table in data_tables():
        statement = select(func.count()).select_from(table)
        if table is AuditHead.__table__:
            # A fresh schema holds the audit chain's genesis head; nothing else counts as data.
            statement = statement.where(table.c.seq != 0)
        if connection.scalar(statement):
            raise TargetNotEmpty(
                f"the database is not empty (table {table.name} has rows): restore only into an empty, "
                "migrated database",
                table=table.name,
            )


def _reset_sequences(connection: Connection) -> None:
    # Inserting explicit ids does not move PostgreSQL's sequences: the next insert would collide.
    for table in data_tables():
        key = list(table.primary_key.columns)
        if len(key) != 1 or not isinstance(key[0].type, Integer) or key[0].autoincrement is False:
            continue
        name, column = table.name, key[0].name
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "  # noqa: S608 - names from our models
                f"COALESCE((SELECT MAX({column}) FROM {name}), 0) + 1, false)"
            ),
            {"table": name, "column": column},
        )


# -- values --------------------------------------------------------------------------------------


def _codec(column: Any) -> Codec:
    """How a column's values are written to JSON and read back."""
    kind = column.type
    if isinstance(kind, LargeBinary):
        return _nullable(lambda v: base64.b64encode(v).decode("ascii")), _nullable(base64.b64decode)
    if isinstance(kind, UTCDateTime | DateTime):
        return _nullable(lambda v: v.isoformat()), _nullable(datetime.fromisoformat)
    if isinstance(kind, Date):
        return _nullable(lambda v: v.isoformat()), _nullable(date.fromisoformat)
    if isinstance(kind, Enum):
        enum_class = kind.enum_class
        return _nullable(lambda v: getattr(v, "value", v)), _nullable(enum_class or (lambda v: v))
    if isinstance(kind, JSON):
        # None must come back as SQL NULL, not the JSON text 'null'.
        return (lambda v: v), (lambda v: null() if v is None else v)
    return (lambda v: v), (lambda v: v)


def _nullable(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)
