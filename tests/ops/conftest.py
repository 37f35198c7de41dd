"""Fixtures of the operations tests: seeded databases (SQLite copies, PostgreSQL schemas) and private clusters."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .support import (
    ThrowawayPostgres,
    World,
    create_schema,
    drop_schema,
    require_postgres,
    seed_world,
    start_throwaway_postgres,
)


@pytest.fixture(scope="session")
def seeded_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, World]:
    """A migrated SQLite file with the demo world, seeded once and copied per test."""
    path = tmp_path_factory.mktemp("seeded") / "certsvc.sqlite3"
    world = seed_world(f"sqlite:///{path}")
    return path, world


@pytest.fixture
def seeded_sqlite(seeded_sqlite_template: tuple[Path, World], tmp_path: Path) -> World:
    """This test's own copy of the seeded SQLite database."""
    template, world = seeded_sqlite_template
    path = tmp_path / "certsvc.sqlite3"
    shutil.copyfile(template, path)
    return World(f"sqlite:///{path}", world.provider_token, world.embassy_token)


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """An empty schema in the shared PostgreSQL (not migrated), dropped afterwards; yields its URL."""
    require_postgres()
    schema, url = create_schema()
    try:
        yield url
    finally:
        drop_schema(schema)


@pytest.fixture(scope="session")
def throwaway_postgres() -> Iterator[Callable[[], ThrowawayPostgres]]:
    """Start private PostgreSQL clusters on demand; each is stopped and removed at the end."""
    made: list[ThrowawayPostgres] = []

    def make() -> ThrowawayPostgres:
        cluster = start_throwaway_postgres()
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.remove()
