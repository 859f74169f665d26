"""Migrations apply to an empty database, and undo, on whichever backend this run uses."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from placements import migrate
from placements.db import create_engine
from placements.migrate import compared
from placements.models import metadata
from placements.settings import normalise_database_url, settings_from_env
from tests.conftest import _admin_url, _postgres


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_engine(settings_from_env({"DATABASE_URL": url}))
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        await engine.dispose()
        return names

    return asyncio.run(read())


def _empty_database(tmp_path: Path) -> tuple[str, str | None]:
    base = os.environ["DATABASE_URL"]
    if base.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}", None
    name = f"placements_migrate_{uuid.uuid4().hex[:10]}"
    admin = _admin_url(normalise_database_url(base))
    asyncio.run(_postgres(f'CREATE DATABASE "{name}"', admin))
    return make_url(base).set(database=name).render_as_string(hide_password=False), admin


def test_migrations_build_the_whole_schema_and_undo_it(tmp_path):
    url, admin = _empty_database(tmp_path)
    try:
        settings = settings_from_env({"DATABASE_URL": url})
        migrate.upgrade(settings)
        assert set(metadata.tables) <= _tables(url)
        migrate.downgrade(settings, "base")
        assert _tables(url) <= {"alembic_version"}
        migrate.upgrade(settings)
        assert set(metadata.tables) <= _tables(url)
    finally:
        if admin:
            asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)', admin))


def test_models_and_migrations_agree(settings):
    """A model change without its migration fails here (run `placements db revision -m ...`)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    async def differences() -> list[object]:
        engine = create_engine(settings)
        async with engine.connect() as connection:
            found = await connection.run_sync(
                # SQLite reports column types by affinity, so only PostgreSQL's are compared.
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"compare_type": sync.dialect.name != "sqlite", "include_object": compared}
                    ),
                    metadata,
                )
            )
        await engine.dispose()
        return found

    assert asyncio.run(differences()) == []
