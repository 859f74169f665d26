"""What the command-line commands share: reading settings and running work in one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from placements.settings import Settings, SettingsError, get_settings

T = TypeVar("T")


def settings_or_fail() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def in_transaction(
    work: Callable[[AsyncSession], Awaitable[T]], *, statement_timeout: float | None = None
) -> T:
    """Run `work` in one database transaction: all of it is saved, or none. `statement_timeout`
    (seconds) lifts the usual limit for work whose statements may rightly be long."""
    # Every domain's tables, so relationships between the core and the domains resolve.
    import placements.app  # noqa: F401
    from placements.db import create_engine

    async def main() -> T:
        engine = create_engine(settings_or_fail(), statement_timeout=statement_timeout)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as db, db.begin():
                return await work(db)
        finally:
            await engine.dispose()

    return asyncio.run(main())
