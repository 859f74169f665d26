"""Database configuration shared by the web app, the workers and the command line."""

from __future__ import annotations

from typing import Any

from advanced_alchemy.config import AlembicAsyncConfig, AsyncSessionConfig
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.di import NamedDependency
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from placements.settings import ROOT, Settings

MIGRATIONS = ROOT / "placements" / "migrations"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling breaks SAVEPOINT; SQLAlchemy emits BEGIN instead.
    dbapi_connection.isolation_level = None
    # Foreign keys are off by default in SQLite, and WAL lets readers work while a job writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_engine(settings: Settings, *, sqlite_begin: str = "BEGIN IMMEDIATE") -> AsyncEngine:
    """The engine for `settings.database_url`.

    On SQLite every transaction takes the write lock when it begins (`BEGIN IMMEDIATE`): a
    transaction that read first and writes later would otherwise fail at once, not wait, when
    another connection wrote in between. Writers queue on the busy timeout instead.
    """
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=settings.sql_echo, poolclass=NullPool)
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", lambda connection: connection.exec_driver_sql(sqlite_begin))
        return engine
    return create_async_engine(url, echo=settings.sql_echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def alchemy_config(settings: Settings, engine: AsyncEngine | None = None) -> SQLAlchemyAsyncConfig:
    return SQLAlchemyAsyncConfig(
        engine_instance=engine or create_engine(settings),
        session_config=AsyncSessionConfig(expire_on_commit=False),
        # Commit and rollback happen in placements.web.transactions; this only closes the session.
        before_send_handler=None,
        alembic_config=AlembicAsyncConfig(
            script_location=str(MIGRATIONS),
            version_table_name="alembic_version",
            render_as_batch=True,
        ),
    )


# The request's database session, as handlers declare it (advanced-alchemy provides it).
DbSession = NamedDependency[AsyncSession]
