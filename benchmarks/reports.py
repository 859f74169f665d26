"""Time the programme at a glance and its downloads on a published round of 5,000 pupils.

A fresh SQLite database gets generated demo data of the given size; a run is made and published
through the API, and about four offers in five are then agreed with a follow-up recorded, so every
figure has something to count. Prints the server time of the dashboard page and of the report API
(median of 21 requests, in-process, so no network; single requests swing widely, and a median of
7 moved by a third between runs of the same code), and of the outcomes download (one row per
pupil) as CSV and as XLSX.
    .venv/bin/python -m benchmarks.reports [--pupils 5000] [--repeat 21]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from benchmarks.round_run import coordinator_client, finished_run, prepare


async def _agree_most(settings, round_id: str) -> None:
    from matching.models import FollowUp, Outcome, Reply
    from placements.db import create_engine
    from placements.jobs.models import JobRecord, JobStatus

    engine = create_engine(settings)
    async with async_sessionmaker(engine)() as db:
        # The publication's emails are jobs of the app: let them finish before writing beside them.
        while await db.scalar(
            select(JobRecord.id).where(JobRecord.status.in_((JobStatus.QUEUED, JobStatus.RUNNING))).limit(1)
        ):
            await db.rollback()
            await asyncio.sleep(0.05)
        ids = list(await db.scalars(select(Outcome.id).where(Outcome.placement_id.is_not(None))))
        agreed = ids[: len(ids) * 4 // 5]
        await db.execute(
            update(Outcome)
            .where(Outcome.id.in_(agreed))
            .values(employer_reply=Reply.YES, school_reply=Reply.YES)
        )
        db.add_all(
            FollowUp(outcome_id=i, completed=n % 10 != 0, employer_feedback="Keen")
            for n, i in enumerate(agreed)
        )
        await db.commit()
    await engine.dispose()


async def _timed(client, path: str, repeat: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = await client.get(path, headers={"accept": "text/html"})
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text[:500]
        size = len(response.content)
    return statistics.median(times), size


async def _measure(settings, round_id: str, repeat: int) -> list[tuple[str, float, int]]:
    async with coordinator_client(settings) as client:
        run = await finished_run(client, round_id)
        response = await client.post(f"/api/rounds/{round_id}/advance", json={"to": "matched"})
        assert response.status_code == 200, response.text
        response = await client.post(f"/api/runs/{run['id']}/publish")
        assert response.status_code in (200, 201), response.text
        await _agree_most(settings, round_id)
        rows = []
        for label, path in (
            ("dashboard page", f"/reports/{round_id}"),
            ("report API", f"/api/rounds/{round_id}/report"),
            ("outcomes.csv", f"/reports/{round_id}/downloads/outcomes.csv"),
            ("outcomes.xlsx", f"/reports/{round_id}/downloads/outcomes.xlsx"),
        ):
            rows.append((label, *await _timed(client, path, repeat)))
        return rows


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser()
    parser.add_argument("--pupils", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    from placements.settings import settings_from_env

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        settings = settings_from_env({"DATABASE_URL": url, "SECRET_KEY": "benchmark-" + "x" * 40})
        round_id = asyncio.run(prepare(settings, args.pupils))
        rows = asyncio.run(_measure(settings, round_id, args.repeat))
    print(f"{args.pupils} pupils, median of {args.repeat} requests")
    print(f"{'request':<16} {'server s':>9} {'bytes':>10}")
    for label, seconds, size in rows:
        print(f"{label:<16} {seconds:>9.3f} {size:>10}")


if __name__ == "__main__":
    main()
