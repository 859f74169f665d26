"""The arq worker that `placements worker` runs: it takes job ids from Redis and runs them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from arq.connections import RedisSettings
from sqlalchemy.ext.asyncio import async_sessionmaker

from placements.db import create_engine
from placements.jobs.queue import ArqQueue, install_queue
from placements.jobs.registry import run_job
from placements.jobs.schedule import arq_cron_jobs
from placements.settings import get_settings


async def _startup(ctx: dict[str, Any]) -> None:
    settings = get_settings()
    ctx["engine"] = create_engine(settings)
    ctx["sessionmaker"] = async_sessionmaker(ctx["engine"], expire_on_commit=False)
    # Jobs may start further jobs (a matching run queues its emails): they go to Redis too.
    ctx["queue"] = ArqQueue(settings.redis_url or "", settings.queue_name)
    ctx["previous_queue"] = install_queue(ctx["queue"])


async def _shutdown(ctx: dict[str, Any]) -> None:
    await ctx["queue"].close()
    install_queue(ctx["previous_queue"])
    await ctx["engine"].dispose()


async def run_job_by_id(ctx: dict[str, Any], job_id: str) -> str | None:
    status = await run_job(UUID(job_id), ctx["sessionmaker"])
    return status.value if status else None


def worker_settings(*, burst: bool = False) -> dict[str, Any]:
    settings = get_settings()
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set: without Redis, jobs run inside the web process")
    from arq.worker import func

    return {
        "functions": [func(run_job_by_id, name="run_job")],
        "cron_jobs": arq_cron_jobs(),
        "on_startup": _startup,
        "on_shutdown": _shutdown,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": settings.queue_name,
        "burst": burst,
        "max_jobs": 4,
        "job_timeout": 3600,
        # A job that fails is recorded as failed in the database; arq need not retry it too.
        "max_tries": 3,
        "handle_signals": not burst,
    }
