"""Alembic environment: migrations run over the service's own async engine."""

import asyncio

from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import context
from sqlalchemy import JSON
from sqlalchemy.engine import Connection

from placements.app import metadata
from placements.migrate import compared

config = context.config


def _render_item(type_: str, obj: object, _autogen: object) -> str | bool:
    # Write advanced-alchemy's portable types by their short names, which every revision imports.
    if type_ == "type":
        if isinstance(obj, GUID):
            return "sa.GUID(length=16)"
        if isinstance(obj, DateTimeUTC):
            return "sa.DateTimeUTC(timezone=True)"
        if isinstance(obj, JSON):
            return "sa.JsonB"
    return False


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=metadata,
        version_table=config.version_table_name,
        render_as_batch=True,  # SQLite can only alter a table by rebuilding it
        compare_type=True,
        render_item=_render_item,
        include_object=compared,
        **kwargs,
    )


class BrokenReferences(RuntimeError):
    """Rows that point at rows that are not there, found after a migration on SQLite."""


def _check_foreign_keys(connection: Connection) -> None:
    """SQLite migrates with foreign keys off (see placements.db): make sure nothing was left dangling."""
    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if dangling:
        tables = sorted({row[0] for row in dangling})
        raise BrokenReferences(f"{len(dangling)} rows point at missing rows, in: {', '.join(tables)}")


# Any number both processes agree on: the PostgreSQL advisory lock that upgrades queue on.
MIGRATION_LOCK = 5_310_466_118


def _run(connection: Connection) -> None:
    """Migrate one process at a time: a second upgrade waits, then finds nothing to do.

    PostgreSQL queues upgrades on an advisory lock; SQLite on a lock file (placements.migrate).
    The whole upgrade is one transaction on both, so one that fails leaves nothing half-done
    (Alembic would otherwise commit after each revision on SQLite).
    """
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
        connection.commit()
    try:
        _configure(connection=connection, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()
            if connection.dialect.name == "sqlite":
                _check_foreign_keys(connection)
    finally:
        if postgres:
            connection.rollback()
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
            connection.commit()


async def _run_online() -> None:
    async with config.engine.connect() as connection:
        await connection.run_sync(_run)
    await config.engine.dispose()


if context.is_offline_mode():
    _configure(url=config.db_url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
