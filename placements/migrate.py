"""Applying and writing Alembic migrations against the configured database."""

from __future__ import annotations

from advanced_alchemy.alembic.commands import AlembicCommands
from sqlalchemy import Column

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


def upgrade(settings: Settings, revision: str = "heads") -> None:
    """Bring the database up to `revision`. Runs its own event loop, so call it from sync code."""
    _commands(settings).upgrade(revision=revision)


def downgrade(settings: Settings, revision: str) -> None:
    _commands(settings).downgrade(revision=revision)


def revision(settings: Settings, message: str) -> None:
    _commands(settings).revision(message=message, autogenerate=True)
