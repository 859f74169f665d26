"""Migrations apply to an empty database, and undo, on whichever backend this run uses."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, Table, inspect, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker

from placements import migrate
from placements.app import metadata
from placements.clock import now
from placements.db import create_engine
from placements.migrate import compared
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


@contextmanager
def empty_database(tmp_path: Path) -> Iterator[str]:
    url, admin = _empty_database(tmp_path)
    try:
        yield url
    finally:
        if admin:
            asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)', admin))


def _in_session(url: str, work: Any) -> Any:
    async def run() -> Any:
        engine = create_engine(settings_from_env({"DATABASE_URL": url}))
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as db:
                answer = await work(db)
                await db.commit()
                return answer
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_migrations_undo_with_data_in_the_database(tmp_path):
    from demo.data import load_demo

    with empty_database(tmp_path) as url:
        settings = settings_from_env({"DATABASE_URL": url})
        migrate.upgrade(settings)
        _in_session(url, lambda db: load_demo(db, settings, pupil_count=60, placement_count=20))
        migrate.downgrade(settings, "base")
        assert _tables(url) <= {"alembic_version"}
        migrate.upgrade(settings)
        assert set(metadata.tables) <= _tables(url)


def test_two_upgrades_at_once_both_succeed(tmp_path):
    with empty_database(tmp_path) as url:
        upgrades = [
            subprocess.Popen(
                [sys.executable, "-m", "placements.cli", "db", "upgrade"],
                env={**os.environ, "DATABASE_URL": url},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(2)
        ]
        outputs = [upgrade.communicate(timeout=180)[0].decode(errors="replace") for upgrade in upgrades]
        assert [upgrade.returncode for upgrade in upgrades] == [0, 0], outputs
        assert set(metadata.tables) <= _tables(url)


def test_an_upgrade_refuses_references_that_differ_only_in_case(tmp_path):
    """Two pupils whose references differ only in case are two records a person must sort out: the
    upgrade names them and changes nothing, instead of merging two children's records."""
    from schools.models import Pupil
    from tests.support import make_school

    with empty_database(tmp_path) as url:
        settings = settings_from_env({"DATABASE_URL": url})
        migrate.upgrade(settings, "0005_follow_up")

        # Only the pupil columns of revision 0005: today's model has more.
        then = (
            *("id", "school_id", "reference", "first_name", "last_name", "date_of_birth", "year_group"),
            *("pupil_premium", "looked_after", "send", "created_at", "updated_at"),
        )
        pupil_then = Table(
            "pupil", MetaData(), *(Column(c.name, c.type) for c in Pupil.__table__.c if c.name in then)
        )

        async def clashing(db: Any) -> str:
            school = await make_school(db)
            for reference in ("ab-1", "AB-1"):
                row = {"id": uuid.uuid4(), "school_id": school.id, "reference": reference, "first_name": "A"}
                row |= {"last_name": "B", "date_of_birth": date(2011, 1, 15), "year_group": 10}
                row |= {"pupil_premium": False, "looked_after": False, "send": False}
                await db.execute(pupil_then.insert().values(**row, created_at=now(), updated_at=now()))
            await db.commit()
            return str(school.id)

        school = _in_session(url, clashing)
        with pytest.raises(Exception, match=rf"school {school}: AB-1 \(2 pupils\)"):
            migrate.upgrade(settings)

        async def fix(db: Any) -> None:
            await db.execute(update(Pupil).where(Pupil.reference == "ab-1").values(reference="AB-2"))

        _in_session(url, fix)
        migrate.upgrade(settings)
        assert set(metadata.tables) <= _tables(url)
