"""The arq worker that `placements worker` runs: it takes job ids from Redis and runs them.

arq is only the transport. Whether a job has run, is running or must run again is in the
database; each worker also runs the sweeper, which re-queues what a stopped worker left behind.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from arq import Retry
from arq.connections import RedisSettings
from sqlalchemy.ext.asyncio import async_sessionmaker

from placements.db import LONG_STATEMENTS, create_engine
from placements.jobs.queue import ArqQueue, install_queue
from placements.jobs.runner import backoff, run_job
from placements.jobs.schedule import arq_cron_jobs
from placements.jobs.sweeper import sweep_forever
from placements.outages import is_outage
from placements.settings import get_settings

# A delivery that finds no row yet (its transaction has not committed) or cannot reach the
# database asks arq to try again, this many times with growing pauses; the sweeper covers the rest.
DELIVERY_TRIES = 8


async def _startup(ctx: dict[str, Any]) -> None:
    settings = get_settings()
    ctx["settings"] = settings
    ctx["engine"] = create_engine(settings, statement_timeout=LONG_STATEMENTS)
    ctx["sessionmaker"] = async_sessionmaker(ctx["engine"], expire_on_commit=False)
    # Jobs may start further jobs (a matching run queues its emails): they go to Redis too.
    ctx["queue"] = ArqQueue(settings.redis_url or "", settings.queue_name, timeout=settings.timeouts.health)
    ctx["previous_queue"] = install_queue(ctx["queue"])
    ctx["sweeper"] = asyncio.create_task(sweep_forever(ctx["sessionmaker"], settings.jobs, ctx["queue"]))


async def _shutdown(ctx: dict[str, Any]) -> None:
    ctx["sweeper"].cancel()
    await ctx["queue"].close()
    install_queue(ctx["previous_queue"])
    await ctx["engine"].dispose()


async def run_job_by_id(ctx: dict[str, Any], job_id: str) -> str | None:
    settings = ctx["settings"]
    try:
        ran = await run_job(UUID(job_id), ctx["sessionmaker"], settings.jobs)
    except Exception as exc:
        if not is_outage(exc):
            raise
        raise Retry(defer=backoff(ctx["job_try"], 1.0)) from exc
    if ran.missing and ctx["job_try"] < DELIVERY_TRIES:
        raise Retry(defer=backoff(ctx["job_try"], 0.25))
    if ran.retry_in is not None:
        ctx["queue"].enqueue(UUID(job_id), ran.retry_in)
    return ran.status.value if ran.status else None


def worker_settings(*, burst: bool = False) -> dict[str, Any]:
    settings = get_settings()
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set: without Redis, jobs run inside the web process")
    from arq.worker import func

    return {
        "functions": [func(run_job_by_id, name="run_job", max_tries=DELIVERY_TRIES)],
        "cron_jobs": arq_cron_jobs(),
        "on_startup": _startup,
        "on_shutdown": _shutdown,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": settings.queue_name,
        "burst": burst,
        "max_jobs": 4,
        # Liveness is the job's heartbeat in the database, not arq's lock; this only bounds a job
        # that beats for ever.
        "job_timeout": 6 * 3600,
        "keep_result": 60,
        "handle_signals": not burst,
    }
