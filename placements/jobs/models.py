"""Job records: what was asked, how far it got and how it ended, whichever worker ran it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from advanced_alchemy.base import UUIDBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from placements.types import enum_column


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class JobRecord(UUIDBase):
    __tablename__ = "job_record"

    name: Mapped[str] = mapped_column(String(60), index=True)
    # Two requests for the same work share one key, so a double click starts one job.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    arguments: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.QUEUED, index=True)
    progress: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(String(300), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    # When a queued job was last handed to the queue (or, after a failure, when it may run again):
    # the sweeper hands it over again once it has waited too long.
    due_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None, index=True)
    # A running job's last sign of life: a worker that stops beating has stopped.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    started_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # The request that queued the job (placements.logs): the job's log lines carry it too.
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
