"""Applying and writing Alembic migrations against the configured database."""

from __future__ import annotations

from advanced_alchemy.alembic.commands import AlembicCommands

from placements.db import MIGRATIONS, alchemy_config
from placements.settings import Settings


def _commands(settings: Settings) -> AlembicCommands:
    commands = AlembicCommands(alchemy_config(settings))
    commands.config.set_main_option("script_location", str(MIGRATIONS))
    return commands


def upgrade(settings: Settings, revision: str = "heads") -> None:
    """Bring the database up to `revision`. Runs its own event loop, so call it from sync code."""
    _commands(settings).upgrade(revision=revision)


def downgrade(settings: Settings, revision: str) -> None:
    _commands(settings).downgrade(revision=revision)


def revision(settings: Settings, message: str) -> None:
    _commands(settings).revision(message=message, autogenerate=True)
