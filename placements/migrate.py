"""Applying and writing Alembic migrations against the configured database."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from advanced_alchemy.alembic.commands import AlembicCommands
from sqlalchemy import Column, make_url

from placements.db import LONG_STATEMENTS, MIGRATIONS, alchemy_config, create_engine
from placements.settings import Settings


def compared(obj: object, _name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
    """Whether autogenerate compares `obj`: not indexes on expressions, which SQLite cannot reflect."""
    if type_ == "index":
        return all(isinstance(expression, Column) for expression in obj.expressions)  # type: ignore[attr-defined]
    return True


def _commands(settings: Settings) -> AlembicCommands:
    commands = AlembicCommands(
        alchemy_config(create_engine(settings, statement_timeout=LONG_STATEMENTS, sqlite_foreign_keys=False))
    )
    commands.config.set_main_option("script_location", str(MIGRATIONS))
    return commands


@contextmanager
def _one_at_a_time(settings: Settings) -> Iterator[None]:
    """On SQLite, a lock file beside the database: a second upgrade started at the same moment does
    not open the database until the first is done, then finds nothing to do. (PostgreSQL queues
    upgrades on an advisory lock, in the migrations' environment.)"""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield
        return
    with open(f"{url.database}-migrating", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def upgrade(settings: Settings, revision: str = "heads") -> None:
    """Bring the database up to `revision`. Runs its own event loop, so call it from sync code."""
    with _one_at_a_time(settings):
        _commands(settings).upgrade(revision=revision)


def downgrade(settings: Settings, revision: str) -> None:
    with _one_at_a_time(settings):
        _commands(settings).downgrade(revision=revision)


def revision(settings: Settings, message: str) -> None:
    _commands(settings).revision(message=message, autogenerate=True)
