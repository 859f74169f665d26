"""Running one job: claim it, keep its heartbeat while it works, record how it ended.

The database row is the truth. A delivery claims the job with a conditional update, so of two
deliveries one runs it and the other finds it taken. While it works the job beats; when its row
stops saying it is running under this attempt (cancelled, or taken over by the sweeper after a
silence) the work is cancelled. A failure caused by an outage puts the job back in the queue
with a back-off; any other failure, or too many attempts, fails it for good.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from placements.clock import now
from placements.jobs.models import JobRecord, JobStatus
from placements.jobs.registry import JobContext, JobDefinition, registered_jobs
from placements.logs import REQUEST_ID
from placements.metrics import job_ended
from placements.outages import is_outage
from placements.settings import JobSettings

log = logging.getLogger(__name__)
# How long to wait before trying again after the n-th attempt failed for an outage, at most.
BACKOFF_CAP = 600.0


def backoff(attempt: int, base: float) -> float:
    return min(BACKOFF_CAP, base * 2 ** max(0, attempt - 1))


@dataclass(frozen=True)
class Ran:
    """What a delivery found or did: the job's status after it, and when to try again, if at all."""

    status: JobStatus | None
    retry_in: float | None = None
    # No row has this id (yet): its transaction may not have committed.
    missing: bool = False


def _is_current(job_id: UUID, attempt: int) -> Any:
    return (
        (JobRecord.id == job_id) & (JobRecord.status == JobStatus.RUNNING) & (JobRecord.attempts == attempt)
    )


async def _claim(
    db: AsyncSession, job_id: UUID
) -> tuple[str, dict[str, Any], int, str | None] | JobStatus | None:
    """Take a queued job: (name, arguments, attempt, request id); its status if it is not queued;
    None if absent."""
    at = now()
    taken = await db.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id, JobRecord.status == JobStatus.QUEUED)
        .values(
            status=JobStatus.RUNNING,
            attempts=JobRecord.attempts + 1,
            started_at=at,
            heartbeat_at=at,
            error=None,
        )
    )
    record = await db.get(JobRecord, job_id, populate_existing=True)
    await db.commit()
    if record is None:
        return None
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return record.status
    return record.name, dict(record.arguments), record.attempts, record.request_id


async def _beat_until_done(
    work: asyncio.Task[None],
    sessionmaker: async_sessionmaker[AsyncSession],
    job_id: UUID,
    attempt: int,
    every: float,
) -> None:
    """Beat while `work` runs; cancel it once the row says this attempt no longer owns the job."""
    while not work.done():
        await asyncio.wait({work}, timeout=every)
        if work.done():
            return
        try:
            async with sessionmaker() as db:
                beat = await db.execute(
                    update(JobRecord).where(_is_current(job_id, attempt)).values(heartbeat_at=now())
                )
                await db.commit()
        except Exception as exc:
            # The job itself will meet the same outage; until then it may still finish its work.
            log.warning("job %s: heartbeat not recorded (%s)", job_id, type(exc).__name__)
            continue
        if beat.rowcount != 1:  # type: ignore[attr-defined]
            log.warning("job %s: cancelled or taken over, stopping attempt %s", job_id, attempt)
            work.cancel()


async def _finish(
    sessionmaker: async_sessionmaker[AsyncSession], job_id: UUID, attempt: int, **values: Any
) -> bool:
    async with sessionmaker() as db:
        done = await db.execute(update(JobRecord).where(_is_current(job_id, attempt)).values(**values))
        await db.commit()
        return done.rowcount == 1  # type: ignore[attr-defined]


async def give_up(definition: JobDefinition | None, context: JobContext, reason: str) -> None:
    if definition is None or definition.on_give_up is None:
        return
    try:
        await definition.on_give_up(context, reason)
    except Exception:
        log.exception("job %s: could not record that it was given up", context.job_id)


async def run_job(job_id: UUID, sessionmaker: async_sessionmaker[AsyncSession], settings: JobSettings) -> Ran:
    """Run the job if it is queued. Raises only when the database cannot be reached to claim it."""
    outside = REQUEST_ID.set(None)
    try:
        return await _run(job_id, sessionmaker, settings)
    finally:
        REQUEST_ID.reset(outside)


async def _run(job_id: UUID, sessionmaker: async_sessionmaker[AsyncSession], settings: JobSettings) -> Ran:
    async with sessionmaker() as db:
        claimed = await _claim(db, job_id)
    if claimed is None:
        return Ran(None, missing=True)
    if isinstance(claimed, JobStatus):
        return Ran(claimed)
    name, arguments, attempt, request_id = claimed
    # The job's log lines name the request that queued it (a daily job's, its own id).
    REQUEST_ID.set(request_id or f"job-{job_id.hex[:12]}")
    definition = registered_jobs().get(name)
    context = JobContext(job_id=job_id, arguments=arguments, sessionmaker=sessionmaker)
    if definition is None:
        await _finish(
            sessionmaker,
            job_id,
            attempt,
            status=JobStatus.FAILED,
            error=f"no job called {name!r}",
            finished_at=now(),
        )
        return Ran(JobStatus.FAILED)

    started = time.monotonic()
    work = asyncio.create_task(definition.function(context))
    try:
        await _beat_until_done(work, sessionmaker, job_id, attempt, settings.heartbeat)
        await work
    except asyncio.CancelledError:
        if not work.cancelled():
            raise  # this runner itself is being stopped; the sweeper will find the job
        return Ran(None)
    except Exception as exc:
        if is_outage(exc) and attempt < settings.attempts:
            wait = backoff(attempt, settings.heartbeat)
            log.warning("job %s (%s): %s; trying again in %.0f s", job_id, name, type(exc).__name__, wait)
            job_ended(name, "retried", time.monotonic() - started)
            await _finish(
                sessionmaker,
                job_id,
                attempt,
                status=JobStatus.QUEUED,
                due_at=now() + timedelta(seconds=wait),
                error=_describe(exc),
            )
            return Ran(JobStatus.QUEUED, retry_in=wait)
        log.exception("job %s (%s) failed", job_id, name)
        job_ended(name, "failed", time.monotonic() - started)
        if await _finish(
            sessionmaker,
            job_id,
            attempt,
            status=JobStatus.FAILED,
            error=_describe(exc),
            finished_at=now(),
            dedupe_key=None,
        ):
            # The person is told what kind of failure, not the details a log keeps for the developers.
            await give_up(definition, context, f"an unexpected error ({type(exc).__name__})")
        return Ran(JobStatus.FAILED)

    job_ended(name, "done", time.monotonic() - started)
    # The work is over, so the same request may start a new job from now on.
    await _finish(
        sessionmaker,
        job_id,
        attempt,
        status=JobStatus.DONE,
        error=None,
        progress=100,
        finished_at=now(),
        dedupe_key=None,
    )
    return Ran(JobStatus.DONE)


def _describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(exc)).strip()[:2000]
