"""Test set-up: a fresh database per run (SQLite by default, PostgreSQL when DATABASE_URL says so),
migrated with Alembic, emptied between tests; the real app driven through an async client."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from placements.settings import NotifySettings, get_settings, normalise_database_url
from tests.notify_stand_in import NotifyStandIn, notify_stand_in
from tests.support import Client, serving_client

RUN_ID = uuid.uuid4().hex[:10]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _admin_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _postgres(statement: str, admin_url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of this run's own, created now and dropped at the end, so runs never collide."""
    base = os.environ.get("DATABASE_URL")
    if not base or base.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    name = f"placements_test_{RUN_ID}"
    admin = _admin_url(normalise_database_url(base))
    asyncio.run(_postgres(f'CREATE DATABASE "{name}"', admin))
    try:
        yield make_url(normalise_database_url(base)).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin))


@pytest.fixture(scope="session", autouse=True)
def settings(database_url: str) -> Iterator[object]:
    os.environ.update(
        DATABASE_URL=database_url,
        QUEUE_NAME=f"placements:test:{RUN_ID}",
        PLACEMENTS_ENV="development",
        BASE_URL="http://testserver.local",
    )
    os.environ.pop("SECRET_KEY", None)
    get_settings.cache_clear()
    from placements import migrate

    migrate.upgrade(get_settings())
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
async def engine(settings: object) -> AsyncIterator[object]:
    from placements.db import create_engine

    # Tests read between requests without committing: a deferred BEGIN keeps them from
    # holding SQLite's write lock while the app works.
    engine = create_engine(get_settings(), sqlite_begin="BEGIN")
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine: object) -> AsyncIterator[AsyncSession]:
    """A session for arranging and checking data; every table is emptied after the test."""
    from placements.app import metadata

    sessionmaker = async_sessionmaker(engine, expire_on_commit=False)  # type: ignore[call-overload]
    async with sessionmaker() as session:
        yield session
        await session.rollback()
    async with sessionmaker() as session:
        for table in reversed(metadata.sorted_tables):
            await session.execute(delete(table))
        await session.commit()


@pytest.fixture
async def app(db: AsyncSession) -> AsyncIterator[object]:
    from placements.app import create_app

    yield create_app(get_settings())


@pytest.fixture
async def client(app: object) -> AsyncIterator[Client]:
    async with serving_client(app) as http:
        yield http


@pytest.fixture
async def live_server(db: AsyncSession) -> AsyncIterator[object]:
    """The app served by uvicorn on 127.0.0.1 (`.url`), against the test database; one per test,
    stopped (after running the jobs it queued) before `db` empties the tables.

    It runs its jobs in its own process even when Redis is configured, so a browser flow that waits
    on a job (a matching run) needs no worker beside it; the arq path is tested without a browser."""
    import dataclasses

    from placements.app import create_app
    from tests.browser.harness import serving

    async with serving(create_app(dataclasses.replace(get_settings(), redis_url=None))) as server:
        yield server


@pytest.fixture
def notify(monkeypatch: pytest.MonkeyPatch) -> Iterator[NotifyStandIn]:
    """GOV.UK Notify's stand-in, with the outbox's jobs sending through it."""
    import dataclasses

    with notify_stand_in() as stand_in:
        configured = dataclasses.replace(
            get_settings(),
            notify=NotifySettings(
                api_key=stand_in.api_key,
                base_url=stand_in.base_url,
                email_template_id=stand_in.email_template_id,
                sms_template_id=stand_in.sms_template_id,
            ),
        )
        configured.check()
        monkeypatch.setattr("placements.notifications.jobs.get_settings", lambda: configured)
        yield stand_in


@pytest.fixture
def artifacts() -> Path:
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
