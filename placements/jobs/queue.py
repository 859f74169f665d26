"""The queue interface: arq on Redis when REDIS_URL is set, otherwise in this process.

The database's job table is the truth and the queue only the doorbell. `submit` records a job in
the caller's transaction; it is handed to the queue once the outermost transaction commits (a
savepoint's release is not a commit), so a worker never looks for a row that is not there yet and
a rolled-back request starts nothing. A hand-over that fails is not lost: the sweeper hands the
job over again. When the queue cannot take work at all, `submit` refuses before anything is
saved, so nobody is told their request succeeded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import Any, Protocol
from uuid import UUID, uuid4

from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from placements.clock import now
from placements.jobs.models import JobRecord, JobStatus
from placements.jobs.runner import run_job
from placements.logs import REQUEST_ID
from placements.outages import ServiceUnavailable
from placements.settings import JobSettings

log = logging.getLogger(__name__)
PENDING = "placements.pending_jobs"
UNAVAILABLE = "Background work cannot be started right now, so nothing was saved. Try again in a few minutes."


class Queue(Protocol):
    async def check(self) -> None:
        """Raise ServiceUnavailable when the queue cannot take work now."""

    def enqueue(self, job_id: UUID, delay: float = 0) -> None:
        """Hand a committed job over, after `delay` seconds; failures are logged and swept up later."""

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
    """Runs each job as a task of the current event loop, a few at a time: publishing a round queues
    an email for every pupil, and hundreds of jobs at once would take every database connection from
    the pages and time out waiting for one themselves."""

    RUNNING_AT_ONCE = 4

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: JobSettings) -> None:
        super().__init__()
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._turns = asyncio.Semaphore(self.RUNNING_AT_ONCE)

    async def check(self) -> None:
        return None

    def enqueue(self, job_id: UUID, delay: float = 0) -> None:
        self._start(self._run(job_id, delay))

    async def _run(self, job_id: UUID, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        try:
            async with self._turns:
                ran = await run_job(job_id, self._sessionmaker, self._settings)
        except Exception:
            log.exception("job %s could not be started; the sweeper will try again", job_id)
            return
        if ran.retry_in is not None:
            self.enqueue(job_id, ran.retry_in)


class ArqQueue(_BackgroundTasks):
    """Hands job ids to Redis; `placements worker` processes run them."""

    # A successful check is trusted this long, so a request queueing fifty emails asks Redis once.
    CHECK_FOR = 1.0

    def __init__(self, redis_url: str, queue_name: str, *, timeout: float = 2.0) -> None:
        super().__init__()
        self._redis_url = redis_url
        self._queue_name = queue_name
        self._timeout = timeout
        self._redis: Any = None
        self._checked_at = -1e9

    @property
    def redis(self) -> Any:
        """One client for the process, whose commands give up after the timeout instead of hanging."""
        if self._redis is None:
            from arq.connections import ArqRedis

            self._redis = ArqRedis.from_url(
                self._redis_url,
                socket_connect_timeout=self._timeout,
                socket_timeout=self._timeout,
            )
        return self._redis

    async def check(self) -> None:
        if time.monotonic() - self._checked_at < self.CHECK_FOR:
            return
        try:
            await asyncio.wait_for(self.redis.ping(), self._timeout)
        except Exception as exc:
            raise ServiceUnavailable(UNAVAILABLE) from exc
        self._checked_at = time.monotonic()

    async def _send(self, job_id: UUID, delay: float) -> None:
        try:
            # Each hand-over is a new arq job: arq keeps a killed worker's job locked, and the row's
            # conditional claim already makes a second delivery harmless.
            await self.redis.enqueue_job(
                "run_job",
                str(job_id),
                _job_id=f"{job_id}:{uuid4().hex[:12]}",
                _queue_name=self._queue_name,
                _defer_by=delay or None,
            )
        except Exception as exc:
            self._checked_at = -1e9
            log.warning("job %s not handed to Redis (%s); the sweeper will try again", job_id, exc)

    def enqueue(self, job_id: UUID, delay: float = 0) -> None:
        self._start(self._send(job_id, delay))

    async def close(self) -> None:
        await self.drain()
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


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
    """Record a job; it is queued when `db` commits. A live job with the same key is reused.

    Raises ServiceUnavailable, before recording anything, when the queue cannot take work now.
    """
    await get_queue().check()
    if dedupe_key is not None:
        existing = await db.scalar(select(JobRecord).where(JobRecord.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    at = now()
    record = JobRecord(
        name=name,
        dedupe_key=dedupe_key,
        arguments=arguments,
        created_at=at,
        due_at=at,
        status=JobStatus.QUEUED,
        request_id=REQUEST_ID.get(),
    )
    if dedupe_key is None:
        db.add(record)
        await db.flush()
    else:
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


async def cancel_job(db: AsyncSession, job_id: UUID) -> None:
    """A queued job will not start; a running one stops at its next heartbeat."""
    await db.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id, JobRecord.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
        .values(status=JobStatus.CANCELLED, finished_at=now(), dedupe_key=None)
    )


# SQLAlchemy calls after_commit and after_rollback for savepoints too: only the outermost
# transaction's end decides whether the jobs recorded in it exist.
@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    if session.in_nested_transaction():
        return
    for job_id in session.info.pop(PENDING, []):
        get_queue().enqueue(job_id)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(PENDING, None)
