"""Time a matching run through the service: from the coordinator starting it to its results page.

A fresh SQLite database is filled with the demo data (500 pupils) and with a generated round of
5,000 pupils; jobs run in-process, as with `make run`. Prints, per size, the time from the start
request to the results page, and how much of it the job took (reading the round, solving, writing).
    .venv/bin/python -m benchmarks.round_run [--sizes 500,5000] [--browser]

`--browser` also serves that database with `placements serve` and, in Debian's Chromium through
Playwright, times the coordinator's click on "Start the run" until the run's page shows it done
(the page asks the API until the run ends, then reloads), a few times over.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

PLACEMENTS_PER_PUPIL = 0.4
BROWSER_RUNS = 5


async def prepare(settings, pupils: int) -> str:
    """Demo data of the given size with preferences closed; returns the round id."""
    from demo.data import load_demo
    from placements import migrate
    from placements.db import create_engine
    from programme.models import Round, Stage

    await asyncio.to_thread(migrate.upgrade, settings)
    engine = create_engine(settings)
    async with async_sessionmaker(engine, expire_on_commit=False)() as db:
        await load_demo(db, settings, pupil_count=pupils, placement_count=int(pupils * PLACEMENTS_PER_PUPIL))
        round_id = await db.scalar(select(Round.id).where(Round.stage == Stage.PREFERENCES_OPEN))
        await db.execute(update(Round).where(Round.id == round_id).values(stage=Stage.PREFERENCES_CLOSED))
        await db.commit()
    await engine.dispose()
    return str(round_id)


@asynccontextmanager
async def coordinator_client(settings) -> AsyncIterator[AsyncTestClient]:
    """The app in-process, with the demo coordinator signed in (API writes send the CSRF header)."""
    from demo.data import COORDINATOR_EMAIL, DEMO_PASSWORD
    from placements.app import create_app

    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        await client.get("/health")
        token = client.cookies["csrftoken"]
        signed_in = await client.post(
            "/sign-in", data={"_csrf_token": token, "email": COORDINATOR_EMAIL, "password": DEMO_PASSWORD}
        )
        assert signed_in.status_code in (200, 303), signed_in.text
        client.headers["x-csrftoken"] = client.cookies["csrftoken"]
        yield client


async def finished_run(client: AsyncTestClient, round_id: str) -> dict:
    """Start a run through the API and wait for its job: the run as the API shows it."""
    response = await client.post(f"/api/rounds/{round_id}/runs", json={})
    assert response.status_code == 202, response.text
    while True:
        run = (await client.get(f"/api/runs/{response.json()['id']}")).json()
        if run["status"] in ("done", "failed"):
            assert run["status"] == "done", run.get("error")
            return run
        await asyncio.sleep(0.01)


async def _measure(settings, round_id: str) -> tuple[float, float, int]:
    async with coordinator_client(settings) as client:
        started = time.perf_counter()
        run = await finished_run(client, round_id)
        page = await client.get(f"/runs/{run['id']}", headers={"accept": "text/html"})
        total = time.perf_counter() - started
        assert page.status_code == 200
    job = datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])
    return total, job.total_seconds(), run["figures"]["assigned"]


async def _clicks_to_results(base: str, round_id: str, times: int) -> list[float]:
    """Seconds from the coordinator's click on "Start the run" to the run's page showing it done."""
    from playwright.async_api import async_playwright, expect

    from demo.data import COORDINATOR_EMAIL, DEMO_PASSWORD
    from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = await (await browser.new_context(base_url=base)).new_page()
        await page.goto("/sign-in")
        await page.get_by_label("Email address").fill(COORDINATOR_EMAIL)
        await page.get_by_label("Password").fill(DEMO_PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"{base}/")
        seconds = []
        for _ in range(times):
            await page.goto(f"/rounds/{round_id}/runs")
            await page.get_by_label("Optimal").check()
            started = time.perf_counter()
            await page.get_by_role("button", name="Start the run").click()
            await expect(page.get_by_role("heading", level=1)).to_contain_text("Done", timeout=120_000)
            seconds.append(time.perf_counter() - started)
        await browser.close()
    return seconds


def _in_a_browser(settings, round_id: str) -> list[float]:
    from benchmarks.web_load import _free_port, _serving

    port = _free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url, "SECRET_KEY": settings.secret_key}
    env.pop("REDIS_URL", None)
    serve = [sys.executable, "-m", "placements.cli", "serve", "--port", str(port)]
    with _serving(serve, env, port):
        return asyncio.run(_clicks_to_results(f"http://127.0.0.1:{port}", round_id, BROWSER_RUNS))


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="500,5000")
    parser.add_argument("--browser", action="store_true", help="also click through Chromium")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    from placements.settings import settings_from_env

    print(f"{'pupils':>7} {'start to results page s':>24} {'job s':>7} {'placed':>7}  in a browser s")
    for pupils in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
            settings = settings_from_env({"DATABASE_URL": url, "SECRET_KEY": "benchmark-" + "x" * 40})
            round_id = asyncio.run(prepare(settings, pupils))
            total, job, placed = asyncio.run(_measure(settings, round_id))
            clicks = " ".join(f"{s:.2f}" for s in _in_a_browser(settings, round_id)) if args.browser else ""
            print(f"{pupils:>7} {total:>24.3f} {job:>7.3f} {placed:>7}  {clicks}")


if __name__ == "__main__":
    main()
