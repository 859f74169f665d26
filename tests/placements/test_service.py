"""Settings, health, migrations, demo data and the command line."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar import Litestar
from sqlalchemy import delete, func, select

from demo.data import COORDINATOR_EMAIL, DEMO_PASSWORD, DemoRefused, load_demo
from employers.models import Employer, Placement
from placements.accounts.models import Role, User
from placements.audit.models import AuditEntry
from placements.cli import main
from placements.settings import DEFAULT_SECRET, SettingsError, settings_from_env
from programme.models import Round, Stage
from schools.models import Pupil, School


def test_production_refuses_a_default_or_short_secret():
    with pytest.raises(SettingsError):
        settings_from_env({"PLACEMENTS_ENV": "production"}).check()
    with pytest.raises(SettingsError):
        settings_from_env({"PLACEMENTS_ENV": "production", "SECRET_KEY": "short"}).check()
    settings = settings_from_env({"PLACEMENTS_ENV": "production", "SECRET_KEY": "k" * 40})
    settings.check()
    assert settings.secure_cookies


def test_development_defaults_are_safe_for_local_use():
    settings = settings_from_env({})
    settings.check()
    assert settings.secret_key == DEFAULT_SECRET and not settings.secure_cookies
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.redis_url is None


def test_links_follow_the_served_port_unless_base_url_is_set():
    assert settings_from_env({}).base_url == "http://127.0.0.1:8000"
    assert settings_from_env({"PORT": "8080"}).base_url == "http://127.0.0.1:8080"
    public = {"PORT": "8080", "BASE_URL": "https://placements.example.gov.uk/"}
    assert settings_from_env(public).base_url == "https://placements.example.gov.uk"


def test_serve_makes_email_links_follow_its_port(monkeypatch):
    from placements.notifications.services import public_url
    from placements.settings import get_settings

    served: dict[str, object] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: served.update(kwargs, app=app))
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "8000")
    try:
        result = CliRunner().invoke(main, ["serve", "--port", "8080"])
        assert result.exit_code == 0, result.output
        assert served["port"] == 8080 and served["app"] == "placements.app:served_app"
        assert "Links in emails start with http://127.0.0.1:8080" in result.output
        assert public_url("/sign-in") == "http://127.0.0.1:8080/sign-in"
    finally:
        monkeypatch.undo()  # the test settings again, before any other test reads them
        get_settings.cache_clear()


def test_a_served_app_puts_what_it_assembled_out_of_the_collectors_sight():
    from placements.app import served_app

    try:
        assert isinstance(served_app(), Litestar)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_database_urls_get_async_drivers():
    assert (
        settings_from_env({"DATABASE_URL": "postgres://u@h/db"}).database_url == "postgresql+asyncpg://u@h/db"
    )
    assert settings_from_env({"DATABASE_URL": "sqlite:///x.db"}).database_url == "sqlite+aiosqlite:///x.db"


def test_an_unknown_environment_is_refused():
    with pytest.raises(SettingsError):
        settings_from_env({"PLACEMENTS_ENV": "staging"}).check()


async def test_health_checks_the_database(client):
    response = await client.http.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["redis"] == ("ok" if os.environ.get("REDIS_URL") else "not used")


async def test_openapi_document_lists_the_api(client):
    document = (await client.http.get("/schema/openapi.json")).json()
    assert (await client.http.get("/schema")).json() == document
    assert "/api/me" in document["paths"] and "/api/users" in document["paths"]
    assert not any(path.startswith(("/sign-in", "/users")) for path in document["paths"])


async def test_demo_data_fills_a_round_and_its_accounts_sign_in(client, db, settings):
    accounts = await load_demo(db, settings)
    await db.commit()
    assert len(accounts) == 1 + 12 + 40
    assert await db.scalar(select(func.count()).select_from(School)) == 12
    assert await db.scalar(select(func.count()).select_from(Employer)) == 40
    assert await db.scalar(select(func.count()).select_from(Pupil)) == 500
    assert await db.scalar(select(func.count()).select_from(Placement)) == 200
    demo_round = await db.scalar(select(Round))
    assert demo_round.stage is Stage.PREFERENCES_OPEN
    assert (await client.sign_in(COORDINATOR_EMAIL, DEMO_PASSWORD)).status_code == 303
    home = await client.page("/")
    assert demo_round.name in home.text and "Preferences open" in home.text


async def test_demo_data_is_refused_in_production(db):
    production = settings_from_env({"PLACEMENTS_ENV": "production", "SECRET_KEY": "k" * 40})
    with pytest.raises(DemoRefused):
        await load_demo(db, production)
    assert await db.scalar(select(func.count()).select_from(User)) == 0


def test_cli_lists_every_subcommand():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "worker", "db", "demo", "create-coordinator", "solve"):
        assert command in result.output


def _placements(*arguments: str, password: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """The installed `placements` command in a process of its own, as step 4 of the deployment runs it."""
    env = {**os.environ, "DATABASE_URL": database_url, "PLACEMENTS_PASSWORD": password}
    return subprocess.run(  # noqa: S603 - the project's own command, with fixed arguments
        [str(Path(sys.executable).with_name("placements")), *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_create_coordinator_from_the_command_line(settings, database_url):
    email = f"first-{uuid.uuid4().hex[:6]}@council.example"
    command = ("create-coordinator", "--email", email, "--name", "First Coordinator")
    created = _placements(*command, password="a long enough password", database_url=database_url)
    assert created.returncode == 0, created.stderr
    assert f"Coordinator {email} created." in created.stdout
    again = _placements(*command, password="a long enough password", database_url=database_url)
    assert again.returncode != 0 and "already an account" in again.stderr
    weak = _placements(
        "create-coordinator", "--email", "x@y.org", "--name", "X", password="short", database_url=database_url
    )
    assert weak.returncode != 0 and "at least 12 characters" in weak.stderr
    common = _placements(
        "create-coordinator",
        "--email",
        "x@y.org",
        "--name",
        "X",
        password="password1234",
        database_url=database_url,
    )
    assert common.returncode != 0 and "too common" in common.stderr

    async def check_and_remove() -> User | None:
        from sqlalchemy.ext.asyncio import async_sessionmaker

        from placements.db import create_engine

        engine = create_engine(settings)
        async with async_sessionmaker(engine)() as db:
            user = await db.scalar(select(User).where(User.email == email))
            await db.execute(delete(AuditEntry).where(AuditEntry.action == "coordinator_created"))
            await db.execute(delete(User).where(User.email == email))
            await db.commit()
        await engine.dispose()
        return user

    user = asyncio.run(check_and_remove())
    assert user is not None and user.role is Role.COORDINATOR and user.password_hash


def test_worker_needs_redis(monkeypatch):
    monkeypatch.setattr("placements.jobs.worker.get_settings", lambda: settings_from_env({}))
    result = CliRunner().invoke(main, ["worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output
