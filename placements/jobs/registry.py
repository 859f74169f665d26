"""Job functions by name.

A job receives ids, opens its own database session and may run more than once (a queue delivers
at least once, and a job whose worker stopped is run again), so every job function must be safe
to repeat. A job may name what to do when it is given up on (`on_give_up`): a matching run, for
one, is then marked failed so that a new run can start.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from placements.jobs.models import JobRecord, JobStatus


@dataclass
class JobContext:
    job_id: UUID
    arguments: dict[str, Any]
    sessionmaker: async_sessionmaker[AsyncSession]

    async def progress(self, percent: int, message: str | None = None) -> None:
        """Record progress in its own transaction so a page can show it while the job runs."""
        async with self.sessionmaker() as db:
            await db.execute(
                update(JobRecord)
                .where(JobRecord.id == self.job_id, JobRecord.status == JobStatus.RUNNING)
                .values(progress=max(0, min(100, percent)), message=message)
            )
            await db.commit()


JobFunction = Callable[[JobContext], Awaitable[None]]
# Called with the job's context and the reason (words for a person, such as "an unexpected error
# (ValueError)"), in a transaction of its own, once the job has failed for good.
GiveUp = Callable[[JobContext, str], Awaitable[None]]


@dataclass(frozen=True)
class JobDefinition:
    function: JobFunction
    on_give_up: GiveUp | None = None


_jobs: dict[str, JobDefinition] = {}


def job(name: str, *, on_give_up: GiveUp | None = None) -> Callable[[JobFunction], JobFunction]:
    def register(function: JobFunction) -> JobFunction:
        _jobs[name] = JobDefinition(function, on_give_up)
        return function

    return register


def registered_jobs() -> dict[str, JobDefinition]:
    """Every job registered so far: the core's, and those of each domain placements.app imported."""
    import placements.notifications.jobs  # noqa: F401

    return dict(_jobs)
