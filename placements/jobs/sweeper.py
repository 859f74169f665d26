"""The sweeper: nothing queued is forgotten and nothing running is stuck.

It runs in every worker (and in the web process when jobs run there). A running job whose
heartbeat stopped lost its worker: it is queued again, or, after its last attempt, failed with
the reason and given up on. A queued job nobody has taken for a while (its hand-over to Redis
failed, or Redis lost it) is handed over again. Every change is a conditional update, so several
sweepers at once each change a job at most once between them.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from placements.clock import now
from placements.jobs.models import JobRecord, JobStatus
from placements.jobs.queue import Queue
from placements.jobs.registry import JobContext, registered_jobs
from placements.jobs.runner import give_up
from placements.settings import JobSettings

log = logging.getLogger(__name__)


@dataclass
class Swept:
    requeued: list[UUID] = field(default_factory=list)
    failed: list[UUID] = field(default_factory=list)


def stopped_reason(attempts: int) -> str:
    times = "once" if attempts == 1 else f"{attempts} times"
    return f"the worker running it stopped ({times}), so it was not tried again"


async def sweep(sessionmaker: async_sessionmaker[AsyncSession], settings: JobSettings, queue: Queue) -> Swept:
    swept = Swept()
    at = now()
    given_up: list[tuple[JobRecord, str]] = []
    async with sessionmaker() as db:
        last_sign = func.coalesce(JobRecord.heartbeat_at, JobRecord.started_at, JobRecord.created_at)
        silent = await db.scalars(
            select(JobRecord).where(
                JobRecord.status == JobStatus.RUNNING, last_sign < at - timedelta(seconds=settings.stale)
            )
        )
        for record in silent.all():
            unchanged = (
                (JobRecord.id == record.id)
                & (JobRecord.status == JobStatus.RUNNING)
                & (JobRecord.attempts == record.attempts)
            )
            if record.attempts < settings.attempts:
                values = {
                    "status": JobStatus.QUEUED,
                    "due_at": at,
                    "error": "Its worker stopped: queued again",
                }
                target = swept.requeued
            else:
                reason = stopped_reason(record.attempts)
                values = {"status": JobStatus.FAILED, "error": reason, "finished_at": at, "dedupe_key": None}
                target = swept.failed
            changed = await db.execute(update(JobRecord).where(unchanged).values(**values))
            if changed.rowcount == 1:  # type: ignore[attr-defined]
                target.append(record.id)
                if target is swept.failed:
                    given_up.append((record, values["error"]))  # type: ignore[arg-type]
        waiting = list(
            await db.scalars(
                select(JobRecord.id).where(
                    JobRecord.status == JobStatus.QUEUED,
                    func.coalesce(JobRecord.due_at, JobRecord.created_at)
                    < at - timedelta(seconds=settings.requeue),
                )
            )
        )
        for job_id in waiting:
            changed = await db.execute(
                update(JobRecord)
                .where(JobRecord.id == job_id, JobRecord.status == JobStatus.QUEUED)
                .values(due_at=at)
            )
            if changed.rowcount == 1:  # type: ignore[attr-defined]
                swept.requeued.append(job_id)
        await db.commit()
    for job_id in swept.requeued:
        queue.enqueue(job_id)
    jobs = registered_jobs()
    for record, reason in given_up:
        context = JobContext(job_id=record.id, arguments=dict(record.arguments), sessionmaker=sessionmaker)
        await give_up(jobs.get(record.name), context, reason)
    if swept.requeued or swept.failed:
        log.warning("sweeper: queued %d job(s) again, failed %d", len(swept.requeued), len(swept.failed))
    return swept


async def sweep_forever(
    sessionmaker: async_sessionmaker[AsyncSession], settings: JobSettings, queue: Queue
) -> None:
    while True:
        await asyncio.sleep(settings.sweep)
        try:
            await sweep(sessionmaker, settings, queue)
        except Exception as exc:
            # An outage the next sweep may not meet; the sweeper must outlive it.
            log.warning("sweeper could not sweep: %s", exc)
