"""The `placements` command: serve, work, migrate, seed, solve and load postcodes."""

from __future__ import annotations

import getpass
import logging.config
import os
import sys
from importlib.metadata import EntryPoint, entry_points

import click
from sqlalchemy.ext.asyncio import AsyncSession

from placements.commands import in_transaction, settings_or_fail
from placements.logs import logging_config
from placements.postcodes.cli import postcodes
from placements.settings import get_settings


def _declared() -> dict[str, EntryPoint]:
    return {point.name: point for point in entry_points(group="placements.commands")}


class _Commands(click.Group):
    """The core's commands, and those the domains declare as `placements.commands` entry points in
    pyproject.toml (as Flask's `flask.commands`), imported only when run: `placements solve` loads
    the solver, not the web application."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_declared()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            point = _declared().get(cmd_name)
            command = point.load() if point else None
        return command


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Placements: a county council's work-placement programme."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port", type=int, default=lambda: int(os.environ.get("PORT", "8000")), show_default="8000 or $PORT"
)
@click.option(
    "--workers", type=int, default=1, show_default=True, help="Web processes (needs REDIS_URL if > 1)."
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="Requests each web process takes on at once (half worked on, half waiting their turn); more get "
    "503 (default $CONCURRENT_REQUESTS or 24).",
)
@click.option("--reload", is_flag=True, help="Restart when the code changes (development).")
def serve(host: str, port: int, workers: int, concurrency: int | None, reload: bool) -> None:
    """Serve the web application."""
    import uvicorn

    # Links in emails follow the port served here, unless BASE_URL names the public address.
    os.environ["PORT"] = str(port)
    if concurrency is not None:
        os.environ["CONCURRENT_REQUESTS"] = str(concurrency)  # read again by each web process
    get_settings.cache_clear()
    settings = settings_or_fail()
    if workers > 1 and not settings.redis_url:
        raise click.ClickException("several web processes need REDIS_URL, so jobs run in shared workers")
    jobs = "in this process" if not settings.redis_url else "on Redis (run `placements worker`)"
    click.echo(f"Placements on http://{host}:{port} ({settings.environment}, jobs {jobs})")
    click.echo(f"Links in emails start with {settings.base_url}")
    uvicorn.run(
        "placements.app:served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        reload_includes=["*.py", "*.html"] if reload else None,
        proxy_headers=True,
        log_config=logging_config(settings.log_format),
    )


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run queued jobs from Redis (several may run, on several machines)."""
    from arq.worker import run_worker

    import placements.app  # noqa: F401  (every domain's jobs and daily jobs register themselves)
    from placements.jobs.worker import worker_settings

    logging.config.dictConfig(logging_config(settings_or_fail().log_format))
    try:
        run_worker(worker_settings(burst=burst))  # type: ignore[arg-type]
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc


@main.group()
def db() -> None:
    """Database migrations."""


@db.command()
@click.argument("revision", default="heads")
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (the latest by default)."""
    from placements import migrate

    migrate.upgrade(settings_or_fail(), revision)
    click.echo("Database is up to date.")


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Undo migrations down to REVISION."""
    from placements import migrate

    migrate.downgrade(settings_or_fail(), revision)


@db.command()
@click.option("-m", "--message", required=True, help="What the migration changes.")
def revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from placements import migrate

    migrate.revision(settings_or_fail(), message)


@main.command("create-coordinator")
@click.option("--email", required=True)
@click.option("--name", required=True)
def create_coordinator_command(email: str, name: str) -> None:
    """Create a programme coordinator account (the first one, or another)."""
    from placements.accounts.services import AccountError, create_coordinator

    password = os.environ.get("PLACEMENTS_PASSWORD") or getpass.getpass("Password: ")

    async def work(session: AsyncSession) -> None:
        await create_coordinator(session, email=email, name=name, password=password)

    try:
        in_transaction(work)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Coordinator {email} created.")


@main.command()
@click.argument("destination", type=click.Path(dir_okay=False))
def backup(destination: str) -> None:
    """Copy the SQLite database to DESTINATION, consistently, even while the service runs.

    For PostgreSQL use pg_dump (see the README's backups section).
    """
    import sqlite3
    from contextlib import closing

    from sqlalchemy import make_url

    url = make_url(settings_or_fail().database_url)
    if not url.drivername.startswith("sqlite"):
        raise click.ClickException("this database is PostgreSQL: back it up with pg_dump (see the README)")
    if os.path.exists(destination):
        raise click.ClickException(f"{destination} already exists: choose a new file")
    try:
        with (
            closing(sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)) as source,
            closing(sqlite3.connect(destination)) as target,
        ):
            source.backup(target)  # SQLite's online backup: a consistent copy while others write
    except sqlite3.Error as exc:
        raise click.ClickException(f"backup of {url.database} failed: {exc}") from exc
    click.echo(f"Backed up {url.database} to {destination}.")


main.add_command(postcodes)


if __name__ == "__main__":
    sys.exit(main())
