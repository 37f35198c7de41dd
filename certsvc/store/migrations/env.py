"""Alembic environment: runs on the connection ``certsvc db`` hands over (or on ``sqlalchemy.url``)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from certsvc.store.db import make_engine
from certsvc.store.models import Base, UTCDateTime

target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    """Run the migrations on ``connection``; SQLite gets batch mode so ALTERs work."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def render_item(type_: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Write UTCDateTime as a plain DateTime, so migrations never import application code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations() -> None:
    """Use the caller's connection if it gave one, else connect to ``sqlalchemy.url``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("run migrations through `certsvc db upgrade`, which names the database")
    engine = make_engine(url)
    with engine.begin() as connection:
        run_on(connection)
    engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; use `certsvc db upgrade`")
run_migrations()
