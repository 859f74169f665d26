"""The job queue, in-process or on Redis (whichever this run uses): recorded, run once, safe twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from placements.audit.models import AuditEntry
from placements.jobs.models import JobRecord, JobStatus
from placements.jobs.queue import submit
from placements.jobs.registry import JobContext, job, run_job
from placements.jobs.schedule import arq_cron_jobs, daily, daily_jobs, start_daily_job
from tests.support import run_queued_jobs


@job("test_write_marker")
async def write_marker(ctx: JobContext) -> None:
    await ctx.progress(50, "half way")
    async with ctx.sessionmaker() as db:
        from placements.audit.services import record

        await record(db, actor=None, action="test_marker", record_id=ctx.arguments["marker"])
        await db.commit()


@job("test_fail")
async def always_fails(ctx: JobContext) -> None:
    raise ValueError("the instance file is broken")


async def _markers(db, marker: str) -> int:
    return await db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "test_marker", AuditEntry.record_id == marker)
    )


async def test_a_committed_job_runs_and_records_its_outcome(client, db):
    record = await submit(db, "test_write_marker", marker="m1")
    await db.commit()
    await run_queued_jobs()
    await db.refresh(record)
    assert record.status is JobStatus.DONE
    assert record.progress == 100 and record.attempts == 1 and record.finished_at is not None
    assert await _markers(db, "m1") == 1


async def test_a_rolled_back_job_never_runs(client, db):
    await submit(db, "test_write_marker", marker="m2")
    await db.rollback()
    await run_queued_jobs()
    assert await db.scalar(select(func.count()).select_from(JobRecord)) == 0
    assert await _markers(db, "m2") == 0


async def test_the_same_request_twice_starts_one_job(client, db):
    first = await submit(db, "test_write_marker", dedupe_key="round-1-run", marker="m3")
    second = await submit(db, "test_write_marker", dedupe_key="round-1-run", marker="m3")
    assert first.id == second.id
    await db.commit()
    await run_queued_jobs()
    assert await _markers(db, "m3") == 1
    # Once finished, the same request may start new work.
    third = await submit(db, "test_write_marker", dedupe_key="round-1-run", marker="m3")
    assert third.id != first.id


async def test_running_a_finished_job_again_does_nothing(client, db, engine):
    from sqlalchemy.ext.asyncio import async_sessionmaker

    record = await submit(db, "test_write_marker", marker="m4")
    await db.commit()
    await run_queued_jobs()
    await run_job(record.id, async_sessionmaker(engine, expire_on_commit=False))
    assert await _markers(db, "m4") == 1


async def test_a_failing_job_records_its_error(client, db):
    record = await submit(db, "test_fail")
    await db.commit()
    await run_queued_jobs()
    await db.refresh(record)
    assert record.status is JobStatus.FAILED
    assert "the instance file is broken" in (record.error or "")


async def test_an_unknown_job_fails_cleanly(client, db):
    record = await submit(db, "no_such_job")
    await db.commit()
    await run_queued_jobs()
    await db.refresh(record)
    assert record.status is JobStatus.FAILED and "no_such_job" in (record.error or "")


@daily("test_daily_marker", hour=7, minute=30)
async def daily_marker(ctx: JobContext) -> None:
    async with ctx.sessionmaker() as db:
        from placements.audit.services import record

        await record(db, actor=None, action="test_marker", record_id="daily")
        await db.commit()


async def test_a_daily_job_runs_once_a_day_however_often_it_is_started(client, db):
    start = datetime(2027, 3, 1, 7, 30, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        await start_daily_job(db, "test_daily_marker")
        await db.commit()
        await start_daily_job(db, "test_daily_marker")
        await db.commit()
        await run_queued_jobs()
        assert await _markers(db, "daily") == 1
        clock.move_to(start + timedelta(days=1))
        await start_daily_job(db, "test_daily_marker")
        await db.commit()
        await run_queued_jobs()
        assert await _markers(db, "daily") == 2


def test_daily_jobs_know_when_they_run_next():
    schedule = next(d for d in daily_jobs() if d.name == "test_daily_marker")
    assert schedule.next_run(datetime(2027, 3, 1, 6, 0, tzinfo=UTC)) == datetime(
        2027, 3, 1, 7, 30, tzinfo=UTC
    )
    assert schedule.next_run(datetime(2027, 3, 1, 7, 30, tzinfo=UTC)) == datetime(
        2027, 3, 2, 7, 30, tzinfo=UTC
    )


def test_workers_start_daily_jobs_with_arq_cron():
    names = {entry.name for entry in arq_cron_jobs()}
    assert "daily:test_daily_marker" in names


async def test_job_state_is_readable_through_the_api(client, db):
    from placements.accounts.models import Role
    from tests.support import make_user

    record = await submit(db, "test_write_marker", marker="m5")
    await db.commit()
    await run_queued_jobs()
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    body = (await client.api("GET", f"/api/jobs/{record.id}")).json()
    assert body["status"] == "done" and body["progress"] == 100 and body["attempts"] == 1
    missing = await client.api("GET", "/api/jobs/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
