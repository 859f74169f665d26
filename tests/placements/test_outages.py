"""A database that stops answering, one that is not there, and /health: every answer comes within
its bound, says which dependency failed, and a person sees the "service unavailable" page, not 500."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import make_url, text

from placements import db as db_module
from placements.accounts.models import Role
from placements.app import create_app
from placements.outages import is_outage
from placements.settings import TimeoutSettings, get_settings
from tests.faults import Link, ServiceProcess, eventually, free_port, service_env, with_port
from tests.support import make_user, serving_client, statements_sent

# The service gives up on the database after a second here; a page may take a connect and a
# statement timeout, and the machine may be loaded.
QUICK = TimeoutSettings(connect=1.0, statement=1.0, health=1.0)
PAGE_BOUND = 6.0
HEALTH_BOUND = 3.0


async def test_health_says_each_dependency_answers(client):
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    redis = "ok" if get_settings().redis_url else "not used"
    assert body == {"status": "ok", "database": "ok", "redis": redis}
    assert response.headers["cache-control"] == "no-store"


@contextmanager
def stalled_database() -> Iterator[tuple[str, Any]]:
    """(the database URL to use, a function that makes the database stop answering)."""
    url = get_settings().database_url
    if url.startswith("sqlite"):
        # Another process holds SQLite's write lock and does not let go.
        holder = sqlite3.connect(make_url(url).database, isolation_level=None)
        yield url, lambda: holder.execute("BEGIN IMMEDIATE")
        holder.close()
        return
    link = Link(make_url(url).port or 5432)
    try:
        yield (
            make_url(url).set(host="127.0.0.1", port=link.port).render_as_string(hide_password=False),
            link.freeze,
        )
    finally:
        link.close()


async def test_a_database_that_stops_answering_gets_503_within_the_bound(db):
    coordinator = await make_user(db, Role.COORDINATOR)
    with stalled_database() as (url, stall):
        app = create_app(dataclasses.replace(get_settings(), database_url=url, timeouts=QUICK))
        async with serving_client(app) as client:
            await client.sign_in(coordinator)
            assert (await client.page("/schools")).status_code == 200
            stall()

            started = time.monotonic()
            health = await client.get("/health")
            assert time.monotonic() - started < HEALTH_BOUND
            assert health.status_code == 503
            assert health.json()["status"] == "unavailable"
            assert health.json()["database"].startswith("unavailable")

            started = time.monotonic()
            page = await client.page("/schools")
            assert time.monotonic() - started < PAGE_BOUND
            assert page.status_code == 503 and page.headers["retry-after"]
            assert "Sorry, the service is unavailable" in page.text
            assert "Nothing was changed" in page.text

            started = time.monotonic()
            api = await client.api("GET", "/api/schools")
            assert time.monotonic() - started < PAGE_BOUND
            assert api.status_code == 503 and api.headers["retry-after"]
            assert api.json()["detail"].startswith("The service cannot reach its database")


@pytest.mark.parametrize("idle", [False, True])
async def test_after_the_database_restarts_pages_work_again(db, monkeypatch, idle):
    """A pooled connection in steady use that died with the server fails the one request holding
    it, which discards the pool; one that sat idle is checked before use, so nothing fails."""
    url = get_settings().database_url
    if url.startswith("sqlite"):
        pytest.skip("SQLite has no server to restart: PostgreSQL only")
    coordinator = await make_user(db, Role.COORDINATOR)
    await db.commit()
    link = Link(make_url(url).port or 5432)
    try:
        app = create_app(dataclasses.replace(get_settings(), database_url=with_port(url, link.port)))
        async with serving_client(app) as client:
            await client.sign_in(coordinator)
            assert (await client.page("/schools")).status_code == 200
            monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 0.0 if idle else 3600.0)
            link.cut()

            first = await client.page("/schools")
            assert first.status_code == (200 if idle else 503)
            if not idle:
                assert "Sorry, the service is unavailable" in first.text
            for _ in range(3):
                assert (await client.page("/schools")).status_code == 200
            assert (await client.get("/health")).json()["database"] == "ok"
    finally:
        link.close()


@pytest.mark.parametrize(
    ("database", "says"),
    [
        (
            "postgresql://nobody@127.0.0.1:{port}/nowhere",
            "cannot reach the database at postgresql+asyncpg://",
        ),
        ("sqlite:///{empty}", "has no tables yet: run `placements db upgrade` first"),
    ],
)
async def test_a_web_process_whose_database_is_wrong_says_so_at_start_up(tmp_path, database, says):
    url = database.format(port=free_port(), empty=tmp_path / "empty.sqlite3")
    web = ServiceProcess(
        "serve",
        "--port",
        str(free_port()),
        env=service_env(DATABASE_URL=url, REDIS_URL=""),
        log=tmp_path / "web.log",
    )

    async def exited() -> bool:
        return web.process.poll() is not None

    try:
        await eventually(exited, within=30, what=f"the process to stop\n{web.output()}")
    finally:
        web.stop()
    assert web.process.returncode != 0
    assert says in web.output()


async def test_checks_asked_for_at_once_share_one_look_at_the_database(client, app):
    with statements_sent(app) as asked:
        answers = await asyncio.gather(*(client.get("/health") for _ in range(20)))
    assert [answer.status_code for answer in answers] == [200] * 20
    assert 1 <= asked.count("SELECT 1") < 20
    # A check asked for after the last one finished looks again.
    assert (await client.get("/health")).json()["database"] == "ok"


async def test_sqlite_transactions_of_the_web_process_take_turns_and_give_up_in_time():
    settings = dataclasses.replace(get_settings(), timeouts=QUICK)
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite only: PostgreSQL's transactions lock rows, not the whole database")
    engine = db_module.create_engine(settings, keep_sqlite_connections=True)
    inside = most = 0

    async def one_transaction() -> None:
        nonlocal inside, most
        async with engine.begin() as connection:
            inside += 1
            most = max(most, inside)
            await connection.execute(text("SELECT 1"))
            await asyncio.sleep(0.01)
            inside -= 1

    try:
        await asyncio.gather(*(one_transaction() for _ in range(12)))
        assert most == 1
        # One that does not end: the next waits the statement timeout for its turn, then gives up as
        # an outage (503), and the turn comes back once the first ends.
        async with engine.connect() as holder:
            await holder.execute(text("SELECT 1"))
            started = time.monotonic()
            with pytest.raises(TimeoutError) as waited:
                await one_transaction()
            assert is_outage(waited.value) and time.monotonic() - started < 3 * QUICK.statement
        await one_transaction()
    finally:
        await engine.dispose()
