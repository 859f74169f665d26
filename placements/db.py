"""Database configuration shared by the web app, the workers and the command line."""

from __future__ import annotations

import asyncio
import time
from functools import partial
from typing import Any, TypeVar

from advanced_alchemy.config import AlembicAsyncConfig, AsyncSessionConfig
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.di import NamedDependency
from sqlalchemy import event, inspect, make_url, select, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from placements.settings import ROOT, Settings, SettingsError

MIGRATIONS = ROOT / "placements" / "migrations"
T = TypeVar("T")
# A pooled PostgreSQL connection unused for longer than this is asked whether it still works
# before it is handed out (see `_ping_when_idle`).
PING_AFTER_IDLE = 10.0  # seconds
_RETURNED_AT = "placements.returned_at"
_HAS_TURN = "placements.has_turn"


def _sqlite_connect(dbapi_connection: Any, _record: Any, *, busy_ms: int, foreign_keys: bool) -> None:
    # The driver's own transaction handling breaks SAVEPOINT; SQLAlchemy emits BEGIN instead.
    dbapi_connection.isolation_level = None
    # Foreign keys are off by default in SQLite, and WAL lets readers work while a job writes.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.close()


def create_engine(
    settings: Settings,
    *,
    sqlite_begin: str = "BEGIN IMMEDIATE",
    statement_timeout: float | None = None,
    sqlite_foreign_keys: bool = True,
    keep_sqlite_connections: bool = False,
) -> AsyncEngine:
    """The engine for `settings.database_url`.

    On SQLite every transaction takes the write lock when it begins (`BEGIN IMMEDIATE`): a
    transaction that read first and writes later would otherwise fail at once, not wait, when
    another connection wrote in between. Writers queue on the busy timeout instead.

    Nothing waits on the database for ever: connecting, waiting for a pooled connection and each
    statement give up after the configured timeouts (workers and migrations, whose statements
    may be long, pass a longer `statement_timeout`), and the request that waited answers 503.

    Migrations turn SQLite's foreign keys off: altering a table there means rebuilding it, which
    a table other tables point at cannot survive with them on; they are checked afterwards.

    SQLite connections are opened for each use and closed after it, unless
    `keep_sqlite_connections`: the web process keeps a pool of them, since opening one (a thread
    and three pragmas) cost about a third of a page's time. Only an engine that is surely
    disposed may keep them: each holds a thread that would keep the process from exiting.
    """
    url = settings.database_url
    timeouts = settings.timeouts
    statement = statement_timeout or timeouts.statement
    if url.startswith("sqlite"):
        pooling: dict[str, Any] = (
            {"pool_size": 5, "max_overflow": 10, "pool_timeout": timeouts.connect}
            if keep_sqlite_connections
            else {"poolclass": NullPool}
        )
        engine = create_async_engine(url, echo=settings.sql_echo, **pooling)
        busy_ms = int(1000 * statement)
        event.listen(
            engine.sync_engine,
            "connect",
            partial(_sqlite_connect, busy_ms=busy_ms, foreign_keys=sqlite_foreign_keys),
        )
        if keep_sqlite_connections:
            _writers_take_turns(engine, sqlite_begin, wait=statement)
        else:
            event.listen(
                engine.sync_engine, "begin", lambda connection: connection.exec_driver_sql(sqlite_begin)
            )
        return engine
    connect_args = {
        "timeout": timeouts.connect,
        # The server cancels a slow statement; the client gives up on a link that stopped answering.
        "command_timeout": statement + timeouts.connect,
        "server_settings": {"statement_timeout": str(int(statement * 1000))},
    }
    engine = create_async_engine(
        url,
        echo=settings.sql_echo,
        # As many as a web process admits requests (CONCURRENT_REQUESTS), so none waits for one.
        pool_size=12,
        max_overflow=12,
        pool_timeout=timeouts.connect,
        connect_args=connect_args,
    )
    _ping_when_idle(engine)
    return engine


def _writers_take_turns(engine: AsyncEngine, begin: str, *, wait: float) -> None:
    """The web process's SQLite transactions wait for the write lock in turn, in this process.

    A transaction that cannot take SQLite's lock at once sleeps and tries again, for 1, 2, 5 … up to
    100 ms between tries, so when many requests want it, the lock sat free while they slept and a
    page waited seconds. Here a transaction first waits its turn on a lock of this process (woken the
    moment the one before it ends, first come first served), then takes SQLite's lock, which other
    processes (a command, a migration) may still hold: that wait is SQLite's as before. Nobody
    waits longer than `wait` seconds for a turn: a TimeoutError then, an outage like any (503)."""
    turn = asyncio.Lock()

    def began(connection: Any) -> None:
        record = connection.connection
        record.dbapi_connection.run_async(lambda _driver: asyncio.wait_for(turn.acquire(), wait))
        record.info[_HAS_TURN] = True
        try:
            connection.exec_driver_sql(begin)
        except BaseException:
            ended(record)
            raise

    def ended(record: Any, *_: Any) -> None:
        if record.info.pop(_HAS_TURN, False):
            turn.release()

    event.listen(engine.sync_engine, "begin", began)
    event.listen(engine.sync_engine, "commit", lambda connection: ended(connection.connection))
    event.listen(engine.sync_engine, "rollback", lambda connection: ended(connection.connection))
    # A connection given back or thrown away in the middle of its transaction ends its turn too.
    event.listen(engine.sync_engine, "checkin", lambda _dbapi, record: ended(record))
    event.listen(engine.sync_engine, "invalidate", lambda _dbapi, record, _exc: ended(record))


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection before use only when it has sat unused a while.

    A restarted or failed-over server leaves the pool holding dead connections. Checking every
    connection as it is handed out (`pool_pre_ping`) finds them, but costs every request a round
    trip, about 0.4 ms of a web process's CPU. Connections in steady use are checked by use: a dead
    one fails the request that holds it (503), and that failure discards the whole pool, so the
    next request connects afresh. Only a connection idle past `PING_AFTER_IDLE`, as every one is
    after a quiet night, is checked first, so the morning's first page does not fail.
    """

    def returned(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    def handed_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_RETURNED_AT, time.monotonic()) <= PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool drops this connection and hands out another (a new one if need be).
            raise DisconnectionError("a pooled connection no longer answers") from exc

    event.listen(engine.sync_engine, "connect", returned)
    event.listen(engine.sync_engine, "checkin", returned)
    event.listen(engine.sync_engine, "checkout", handed_out)


def _has_schema(connection: Any) -> bool:
    return bool(inspect(connection).has_table("alembic_version"))


async def check_database(engine: AsyncEngine, settings: Settings) -> None:
    """Refuse to start, saying why, when the database cannot be reached or has no tables yet."""
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        async with asyncio.timeout(settings.timeouts.connect + 1):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
                migrated = await connection.run_sync(_has_schema)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SettingsError(f"cannot reach the database at {where} (DATABASE_URL): {reason}") from exc
    if not migrated:
        raise SettingsError(f"the database at {where} has no tables yet: run `placements db upgrade` first")


# Statements of jobs and migrations may rightly take long (a national round is large).
LONG_STATEMENTS = 3600.0


def alchemy_config(engine: AsyncEngine) -> SQLAlchemyAsyncConfig:
    return SQLAlchemyAsyncConfig(
        engine_instance=engine,
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


async def locked(db: AsyncSession, model: type[T], row_id: Any) -> T | None:
    """The row as it is now, locked until this transaction ends, so that of two "check, then write"
    steps on it the second waits and then sees what the first wrote (`FOR UPDATE` on PostgreSQL; on
    SQLite every writing transaction already holds the database's write lock from its start)."""
    return await db.scalar(
        select(model)
        .where(model.id == row_id)  # type: ignore[attr-defined]
        .with_for_update()
        .execution_options(populate_existing=True)
    )
