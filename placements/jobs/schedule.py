"""Daily jobs (reminders, retention) and hourly ones (delivery reports): started by arq's cron in
workers, or by a loop in-process.

Whichever starts it, a daily job is recorded once per day and an hourly one once per hour: the
day (or hour) is part of its dedupe key, so two workers waking at the same minute start it once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from placements.clock import now
from placements.jobs.models import JobRecord
from placements.jobs.queue import submit
from placements.jobs.registry import JobFunction, job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Daily:
    name: str
    # None: every hour, at `minute`.
    hour: int | None
    minute: int

    def next_run(self, after: datetime) -> datetime:
        run = after.replace(minute=self.minute, second=0, microsecond=0)
        if self.hour is None:
            return run if run > after else run + timedelta(hours=1)
        run = run.replace(hour=self.hour)
        return run if run > after else run + timedelta(days=1)

    def period(self, at: datetime) -> str:
        """The day (or, for an hourly job, the hour) that `at` falls in: the job runs once in each."""
        return at.date().isoformat() if self.hour is not None else at.strftime("%Y-%m-%dT%H")


_daily: dict[str, Daily] = {}


def daily(name: str, *, hour: int = 6, minute: int = 0) -> Callable[[JobFunction], JobFunction]:
    """Register a job that runs once a day at hour:minute (UTC)."""

    def register(function: JobFunction) -> JobFunction:
        _daily[name] = Daily(name, hour, minute)
        return job(name)(function)

    return register


def hourly(name: str, *, minute: int = 0) -> Callable[[JobFunction], JobFunction]:
    """Register a job that runs every hour at that minute."""

    def register(function: JobFunction) -> JobFunction:
        _daily[name] = Daily(name, None, minute)
        return job(name)(function)

    return register


def daily_jobs() -> list[Daily]:
    """The daily and hourly jobs registered so far: the core's, and each domain's that placements.app
    imported."""
    from placements.jobs.registry import registered_jobs

    registered_jobs()  # imports the core's own job modules
    return sorted(_daily.values(), key=lambda d: (d.hour is None, d.hour or 0, d.minute, d.name))


async def start_daily_job(db: AsyncSession, name: str) -> JobRecord:
    """Record this period's run of a daily or hourly job (once, however often this is called); it
    runs on commit."""
    key = f"daily:{name}:{_daily[name].period(now())}"
    done_today = await db.scalar(select(JobRecord).where(JobRecord.arguments["day_key"].as_string() == key))
    if done_today is not None:
        return done_today
    return await submit(db, name, dedupe_key=key, day_key=key)


async def run_daily_loop(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """The in-process scheduler: sleeps until the next daily job is due, then starts it."""
    while True:
        schedule = daily_jobs()
        if not schedule:
            return
        current = now()
        due = min(schedule, key=lambda d: d.next_run(current))
        await asyncio.sleep((due.next_run(current) - current).total_seconds())
        try:
            async with sessionmaker() as db:
                await start_daily_job(db, due.name)
                await db.commit()
        except Exception:
            log.exception("could not start daily job %s", due.name)


def arq_cron_jobs() -> list[Any]:
    """arq cron entries for the worker; `unique` lets one worker of many start each run."""
    from arq.cron import cron

    def starter(name: str) -> Any:
        async def start(ctx: dict[str, Any]) -> None:
            async with ctx["sessionmaker"]() as db:
                await start_daily_job(db, name)
                await db.commit()

        start.__qualname__ = f"start_{name}"
        return start

    return [
        cron(
            starter(d.name),
            name=f"daily:{d.name}",
            hour=d.hour,
            minute=d.minute,
            unique=True,
            run_at_startup=False,
        )
        for d in daily_jobs()
    ]
