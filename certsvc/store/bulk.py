"""Insert many rows of one table at once (PostgreSQL's COPY, elsewhere one executemany); match many values.

A cohort writes thousands of rows per table. As a multi-row INSERT on PostgreSQL each chunk
is one statement with thousands of parameters, which the driver rewrites and the server
parses and plans anew every time; COPY streams the rows instead. Values go through the
same type processing as an INSERT (``TypeDecorator``s, enums, JSON), Python-side column
defaults are filled in the same way, and a driver error arrives as SQLAlchemy's (a unique
violation is an ``IntegrityError``), so callers cannot tell the two paths apart.

Looking rows up by hundreds of values has the same cost as an IN list: one placeholder per
value. :func:`one_of` gives PostgreSQL one array parameter instead (``= ANY``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, any_, bindparam, insert, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session

from certsvc.store import db

Row = Mapping[str, Any]
#: From how many rows COPY beats an INSERT when the ids must come back (measured: about 30).
COPY_WITH_IDS_FROM = 32


def one_of(session: Session, column: ColumnElement[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """``column`` is one of ``values``: on PostgreSQL ``= ANY`` of one array parameter, elsewhere ``IN``."""
    if session.get_bind().dialect.name == "postgresql":
        # A statement of one length whatever the count, which psycopg prepares once: a hundred
        # values took half the time of an IN list of a hundred placeholders.
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def insert_rows(session: Session, table: Table, rows: Sequence[Row], *, return_ids: bool = False) -> list[int]:
    """Insert ``rows`` into ``table`` in the session's transaction; with ``return_ids``, their ids in order."""
    if not rows:
        return []
    connection = session.connection()
    # COPY needs the ids first, a round trip of its own: a few rows go faster in one INSERT ... RETURNING.
    if connection.dialect.name != "postgresql" or (return_ids and len(rows) < COPY_WITH_IDS_FROM):
        if return_ids:
            statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            return list(session.scalars(statement, list(rows)))
        session.execute(insert(table), list(rows))
        return []
    ids: list[int] = []
    if return_ids:
        ids = _next_ids(connection, table, len(rows))
        rows = [{**row, "id": row_id} for row, row_id in zip(rows, ids, strict=True)]
    _copy(connection, table, rows)
    return ids


def _next_ids(connection: Connection, table: Table, count: int) -> list[int]:
    # The ids an INSERT would have taken, from the table's own sequence, in one statement.
    found = connection.execute(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
        {"table": table.name, "count": count},
    )
    return [int(value) for value in found.scalars()]


def _copy(connection: Connection, table: Table, rows: Sequence[Row]) -> None:
    dialect = connection.dialect
    given = {key for row in rows for key in row}
    defaults = {column: _python_default(column) for column in table.columns}
    columns = [c for c in table.columns if c.key in given or defaults[c] is not None]
    converters = [_converter(column, defaults[column], dialect) for column in columns]
    quote = dialect.identifier_preparer
    statement = f"COPY {quote.format_table(table)} ({', '.join(quote.quote(c.name) for c in columns)}) FROM STDIN"
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([convert(row) for convert in converters])
    except dialect.loaded_dbapi.Error as exc:
        raise db.driver_error(connection, statement, None, exc) from exc
    finally:
        cursor.close()


def _converter(column: Column[Any], default: Callable[[], Any] | None, dialect: Dialect) -> Callable[[Row], Any]:
    """Read the column's value from a row (or its default) and process it as an INSERT's parameter would be."""
    key = column.key
    process = column.type._cached_bind_processor(dialect)  # SQLAlchemy's own conversion

    def convert(row: Row) -> Any:
        value = row[key] if key in row else default() if default is not None else None
        return process(value) if process is not None else value

    return convert


def _python_default(column: Column[Any]) -> Callable[[], Any] | None:
    """The column's Python-side default as a function of nothing (None without one: the server's, if any)."""
    default: Any = column.default
    if default is None:
        return None
    if default.is_callable:
        function = default.arg
        return lambda: function(None)
    if default.is_scalar:
        value = default.arg
        return lambda: value
    return None
