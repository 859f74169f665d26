"""Job functions by name, and the one runner every queue uses.

A job receives ids, opens its own database session and may run more than once
(arq delivers at least once), so every job function must be safe to repeat.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from placements.clock import now
from placements.jobs.models import JobRecord, JobStatus

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    job_id: UUID
    arguments: dict[str, Any]
    sessionmaker: async_sessionmaker[AsyncSession]

    async def progress(self, percent: int, message: str | None = None) -> None:
        """Record progress in its own transaction so a page can show it while the job runs."""
        async with self.sessionmaker() as db:
            record = await db.get_one(JobRecord, self.job_id)
            record.progress = max(0, min(100, percent))
            record.message = message
            await db.commit()


JobFunction = Callable[[JobContext], Awaitable[None]]
_jobs: dict[str, JobFunction] = {}


def job(name: str) -> Callable[[JobFunction], JobFunction]:
    def register(function: JobFunction) -> JobFunction:
        _jobs[name] = function
        return function

    return register


def registered_jobs() -> dict[str, JobFunction]:
    # Importing the domains' job modules registers their functions.
    import employers.jobs  # noqa: F401
    import matching.offers
    import matching.retention
    import matching.runs  # noqa: F401
    import placements.notifications.jobs  # noqa: F401
    import schools.jobs  # noqa: F401

    return dict(_jobs)


async def run_job(job_id: UUID, sessionmaker: async_sessionmaker[AsyncSession]) -> JobStatus | None:
    jobs = registered_jobs()
    async with sessionmaker() as db:
        record = await db.get(JobRecord, job_id)
        if record is None or record.status in (JobStatus.DONE, JobStatus.FAILED):
            return record.status if record else None
        function = jobs.get(record.name)
        record.status = JobStatus.RUNNING
        record.attempts += 1
        record.started_at = now()
        arguments = dict(record.arguments)
        await db.commit()

    error: str | None = None
    if function is None:
        error = f"no job called {record.name!r}"
    else:
        try:
            await function(JobContext(job_id=job_id, arguments=arguments, sessionmaker=sessionmaker))
        except Exception as exc:
            log.exception("job %s (%s) failed", job_id, record.name)
            error = "".join(traceback.format_exception_only(exc)).strip()

    async with sessionmaker() as db:
        record = await db.get_one(JobRecord, job_id)
        record.status = JobStatus.FAILED if error else JobStatus.DONE
        record.error = error
        if not error:
            record.progress = 100
        record.finished_at = now()
        # The work is over, so the same request may start a new job from now on.
        record.dedupe_key = None
        await db.commit()
        return record.status
