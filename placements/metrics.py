"""What Prometheus reads at /metrics, besides the requests and their latencies that Litestar's
Prometheus middleware counts: how long each job took and how it ended (in the process that ran
it), and, read from the database when scraped, the jobs waiting or running and what the domains
add (matching: its runs by status). With several processes on one machine, point
PROMETHEUS_MULTIPROC_DIR at one empty directory for all of them (web and workers) and /metrics
adds them up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import func, select

from placements.clock import now
from placements.jobs.models import JobRecord, JobStatus

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

JOB_SECONDS = Histogram(
    "placements_job_seconds",
    "Seconds a job's attempt took, by job and how it ended (done, failed, retried)",
    ["job", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
JOB_FAILURES = Counter("placements_job_failures", "Jobs failed for good, by job", ["job"])
JOBS = Gauge(
    "placements_jobs",
    "Jobs waiting or running, read from the database when scraped",
    ["job", "status"],
    multiprocess_mode="mostrecent",
)
OLDEST_QUEUED = Gauge(
    "placements_oldest_queued_job_seconds",
    "How long the oldest waiting job has waited, when scraped",
    multiprocess_mode="mostrecent",
)

# Each reads its figures from the database and sets its gauges, just before a scrape is answered.
ScrapeReader = Callable[["AsyncSession"], Awaitable[None]]
SCRAPE_READERS: list[ScrapeReader] = []


def on_scrape(reader: ScrapeReader) -> ScrapeReader:
    SCRAPE_READERS.append(reader)
    return reader


def job_ended(job: str, outcome: str, seconds: float) -> None:
    JOB_SECONDS.labels(job, outcome).observe(seconds)
    if outcome == "failed":
        JOB_FAILURES.labels(job).inc()


@on_scrape
async def _jobs(db: AsyncSession) -> None:
    JOBS.clear()
    waiting = (JobStatus.QUEUED, JobStatus.RUNNING)
    rows = await db.execute(
        select(JobRecord.name, JobRecord.status, func.count())
        .where(JobRecord.status.in_(waiting))
        .group_by(JobRecord.name, JobRecord.status)
    )
    for name, status, count in rows:
        JOBS.labels(name, status.value).set(count)
    oldest = await db.scalar(
        select(func.min(JobRecord.created_at)).where(JobRecord.status == JobStatus.QUEUED)
    )
    OLDEST_QUEUED.set((now() - oldest).total_seconds() if oldest else 0)
