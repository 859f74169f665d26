"""The queue interface: arq on Redis when REDIS_URL is set, otherwise in this process.

Jobs are recorded in the database by `submit` inside the caller's transaction and handed to
the queue only once that transaction commits, so a worker never looks for a row that is not
there yet and a rolled-back request starts nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from placements.clock import now
from placements.jobs.models import JobRecord, JobStatus
from placements.jobs.registry import run_job

log = logging.getLogger(__name__)
PENDING = "placements.pending_jobs"


class Queue(Protocol):
    def enqueue(self, job_id: UUID) -> None: ...

    async def drain(self) -> None: ...

    async def close(self) -> None: ...


class _BackgroundTasks:
    """Work started after a commit runs as tasks of the event loop; `drain` waits for all of it."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def _start(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every task, including the ones tasks start, has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        await self.drain()


class InProcessQueue(_BackgroundTasks):
    """Runs each job as a task of the current event loop."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        super().__init__()
        self._sessionmaker = sessionmaker

    def enqueue(self, job_id: UUID) -> None:
        self._start(run_job(job_id, self._sessionmaker))


class ArqQueue(_BackgroundTasks):
    """Hands job ids to Redis; `placements worker` processes run them."""

    def __init__(self, redis_url: str, queue_name: str) -> None:
        super().__init__()
        self._redis_url = redis_url
        self._queue_name = queue_name
        self._pool: Any = None

    async def _get_pool(self) -> Any:
        if self._pool is None:
            from arq import create_pool
            from arq.connections import RedisSettings

            self._pool = await create_pool(RedisSettings.from_dsn(self._redis_url))
        return self._pool

    async def _send(self, job_id: UUID) -> None:
        pool = await self._get_pool()
        # arq's own job id makes a second enqueue of the same job a no-op while it is queued.
        await pool.enqueue_job("run_job", str(job_id), _job_id=str(job_id), _queue_name=self._queue_name)

    def enqueue(self, job_id: UUID) -> None:
        self._start(self._send(job_id))

    async def close(self) -> None:
        await self.drain()
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None


_queue: Queue | None = None


def install_queue(queue: Queue | None) -> Queue | None:
    """Make `queue` the one jobs are handed to; returns the one it replaces."""
    global _queue
    previous, _queue = _queue, queue
    return previous


def get_queue() -> Queue:
    if _queue is None:
        raise RuntimeError("no job queue installed")
    return _queue


async def submit(
    db: AsyncSession, name: str, *, dedupe_key: str | None = None, **arguments: Any
) -> JobRecord:
    """Record a job; it is queued when `db` commits. A live job with the same key is reused."""
    if dedupe_key is not None:
        existing = await db.scalar(select(JobRecord).where(JobRecord.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    record = JobRecord(
        name=name, dedupe_key=dedupe_key, arguments=arguments, created_at=now(), status=JobStatus.QUEUED
    )
    try:
        async with db.begin_nested():
            db.add(record)
    except IntegrityError:
        # Another request recorded the same job between our look and our insert.
        existing = await db.scalar(select(JobRecord).where(JobRecord.dedupe_key == dedupe_key))
        if existing is None:
            raise
        return existing
    db.sync_session.info.setdefault(PENDING, []).append(record.id)
    return record


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    for job_id in session.info.pop(PENDING, []):
        get_queue().enqueue(job_id)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)
