"""Job progress for pages and scripts that started one."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from litestar import Controller, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from msgspec import Struct

from placements.accounts.guards import COORDINATOR
from placements.db import DbSession
from placements.jobs.models import JobRecord, JobStatus
from placements.web.errors import API_LOOKUP_ERRORS


class JobOut(Struct):
    id: UUID
    name: str
    status: JobStatus
    progress: int
    message: str | None
    error: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobsApi(Controller):
    path = "/api/jobs"
    tags = ["Jobs"]
    opt = COORDINATOR

    @get(
        "/{job_id:uuid}",
        operation_id="getJob",
        summary="A job's state and progress",
        raises=API_LOOKUP_ERRORS,
    )
    async def get_job(self, job_id: FromPath[UUID], db_session: DbSession) -> JobOut:
        record = await db_session.get(JobRecord, job_id)
        if record is None:
            raise NotFoundException("No such job")
        return JobOut(
            id=record.id,
            name=record.name,
            status=record.status,
            progress=record.progress,
            message=record.message,
            error=record.error,
            attempts=record.attempts,
            created_at=record.created_at,
            started_at=record.started_at,
            finished_at=record.finished_at,
        )
