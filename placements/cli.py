"""The `placements` command: serve, work, migrate, seed and solve."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from matching.cli import solve
from placements.settings import Settings, SettingsError, get_settings

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one database transaction: all of it is saved, or none."""
    # Every mapped class, so relationships between the core and the domains resolve on first use.
    import placements.models  # noqa: F401
    from placements.db import create_engine

    async def main() -> T:
        engine = create_engine(_settings())
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as db, db.begin():
                return await work(db)
        finally:
            await engine.dispose()

    return asyncio.run(main())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--reload", is_flag=True, help="Restart when the code changes (development).")
def serve(host: str, port: int, workers: int, reload: bool) -> None:
    """Serve the web application."""
    import uvicorn

    # Links in emails follow the port served here, unless BASE_URL names the public address.
    os.environ["PORT"] = str(port)
    get_settings.cache_clear()
    settings = _settings()
    if workers > 1 and not settings.redis_url:
        raise click.ClickException("several web processes need REDIS_URL, so jobs run in shared workers")
    jobs = "in this process" if not settings.redis_url else "on Redis (run `placements worker`)"
    click.echo(f"Placements on http://{host}:{port} ({settings.environment}, jobs {jobs})")
    click.echo(f"Links in emails start with {settings.base_url}")
    uvicorn.run(
        "placements.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        log_level="info",
    )


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run queued jobs from Redis (several may run, on several machines)."""
    from arq.worker import run_worker

    from placements.jobs.worker import worker_settings

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

    migrate.upgrade(_settings(), revision)
    click.echo("Database is up to date.")


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Undo migrations down to REVISION."""
    from placements import migrate

    migrate.downgrade(_settings(), revision)


@db.command()
@click.option("-m", "--message", required=True, help="What the migration changes.")
def revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from placements import migrate

    migrate.revision(_settings(), message)


@main.command()
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has accounts.")
def demo(if_empty: bool) -> None:
    """Load demo data: schools, employers, pupils, placements and an open round."""
    from placements.accounts.services import count_users
    from placements.demo import COORDINATOR_EMAIL, DEMO_PASSWORD, DemoRefused, load_demo

    settings = _settings()

    async def work(session: AsyncSession) -> list[tuple[str, str]] | None:
        if await count_users(session):
            if if_empty:
                return None
            raise click.ClickException("the database already has accounts; demo data goes into an empty one")
        return await load_demo(session, settings)

    try:
        accounts = _in_transaction(work)
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    if accounts is not None:
        click.echo(f"Loaded demo data: {len(accounts)} accounts.")
    click.echo(f"Demo accounts (password for each: {DEMO_PASSWORD}):")
    click.echo(f"  coordinator     {COORDINATOR_EMAIL}")
    click.echo("  school staff    advisor@preston-riverside-academy.demo.placements.test")
    click.echo("  employer        team@ribble-data-ltd.demo.placements.test")


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
        _in_transaction(work)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Coordinator {email} created.")


@main.command("verify")
@click.argument("run_id", metavar="RUN", type=click.UUID)
def verify_command(run_id: object) -> None:
    """Re-solve a stored matching RUN (its id): byte-identical, or the same optimum with another
    tie-break (a newer solver), exit 0; exit 1 if it does not reproduce."""
    from matching.errors import MatchingError
    from matching.verify import Verdict, verify_run

    async def work(session: AsyncSession) -> Verdict:
        return await verify_run(session, run_id)  # type: ignore[arg-type]

    try:
        verdict = _in_transaction(work)
    except MatchingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(verdict.message)
    sys.exit(0 if verdict.reproduces else 1)


@main.command()
@click.argument("destination", type=click.Path(dir_okay=False))
def backup(destination: str) -> None:
    """Copy the SQLite database to DESTINATION, consistently, even while the service runs.

    For PostgreSQL use pg_dump (see the README's backups section).
    """
    import sqlite3
    from contextlib import closing

    from sqlalchemy import make_url

    url = make_url(_settings().database_url)
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


main.add_command(solve)

if __name__ == "__main__":
    sys.exit(main())
