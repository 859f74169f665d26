"""The job queue, in-process or on Redis (whichever this run uses): recorded, run once, safe twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from placements.audit.models import AuditEntry
from placements.clock import now
from placements.jobs.models import JobRecord, JobStatus
from placements.jobs.queue import InProcessQueue, cancel_job, get_queue, submit
from placements.jobs.registry import JobContext, job
from placements.jobs.runner import run_job
from placements.jobs.schedule import arq_cron_jobs, daily, daily_jobs, start_daily_job
from placements.jobs.sweeper import sweep
from placements.settings import JobSettings, get_settings
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


_crowd = {"running": 0, "most": 0, "done": 0}


@job("test_crowd")
async def one_of_a_crowd(ctx: JobContext) -> None:
    _crowd["running"] += 1
    _crowd["most"] = max(_crowd["most"], _crowd["running"])
    await asyncio.sleep(0.01)
    _crowd["running"] -= 1
    _crowd["done"] += 1


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
    await run_job(record.id, async_sessionmaker(engine, expire_on_commit=False), get_settings().jobs)
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


# --- Nothing lost, nothing stuck ---------------------------------------------------------------

QUICK = JobSettings(heartbeat=0.05, stale=1.0, sweep=0.1, requeue=1.0, attempts=2)
gave_up: list[tuple[str, str]] = []


async def _give_up(ctx: JobContext, reason: str) -> None:
    gave_up.append((ctx.arguments["marker"], reason))


@job("test_stopped_worker", on_give_up=_give_up)
async def stopped_worker(ctx: JobContext) -> None:
    await write_marker(ctx)


async def _left_running(db, name: str, *, attempts: int, silent_for: float, marker: str) -> JobRecord:
    """A job as a worker killed mid-run leaves it: running, its heartbeat stopped `silent_for` s ago."""
    at = now()
    record = JobRecord(
        name=name,
        arguments={"marker": marker},
        status=JobStatus.RUNNING,
        attempts=attempts,
        created_at=at - timedelta(minutes=5),
        started_at=at - timedelta(minutes=5),
        heartbeat_at=at - timedelta(seconds=silent_for),
        dedupe_key=f"key:{marker}",
    )
    db.add(record)
    await db.commit()
    return record


def _sessions(engine):
    from sqlalchemy.ext.asyncio import async_sessionmaker

    return async_sessionmaker(engine, expire_on_commit=False)


async def test_the_sweeper_runs_again_a_job_whose_worker_stopped(client, db, engine):
    stopped = await _left_running(db, "test_stopped_worker", attempts=1, silent_for=5, marker="m6")
    beating = await _left_running(db, "test_stopped_worker", attempts=1, silent_for=0, marker="m7")
    swept = await sweep(_sessions(engine), QUICK, get_queue())
    assert swept.requeued == [stopped.id] and swept.failed == []
    await run_queued_jobs()
    await db.refresh(stopped)
    await db.refresh(beating)
    assert stopped.status is JobStatus.DONE and stopped.attempts == 2
    assert await _markers(db, "m6") == 1
    assert beating.status is JobStatus.RUNNING  # its worker is alive: left alone
    assert await _markers(db, "m7") == 0


async def test_the_sweeper_fails_a_job_after_its_last_attempt_and_says_why(client, db, engine):
    gave_up.clear()
    stopped = await _left_running(db, "test_stopped_worker", attempts=2, silent_for=5, marker="m8")
    swept = await sweep(_sessions(engine), QUICK, get_queue())
    assert swept.failed == [stopped.id]
    await db.refresh(stopped)
    assert stopped.status is JobStatus.FAILED and stopped.finished_at is not None
    assert stopped.error == "the worker running it stopped (2 times), so it was not tried again"
    assert stopped.dedupe_key is None  # the same request may start it afresh
    assert gave_up == [("m8", stopped.error)]
    # A second sweeper, or the same one again, changes nothing more.
    assert (await sweep(_sessions(engine), QUICK, get_queue())).failed == []
    assert len(gave_up) == 1


async def test_the_sweeper_hands_over_again_a_job_nobody_took(client, db, engine, monkeypatch):
    handed: list[object] = []
    monkeypatch.setattr(get_queue(), "enqueue", lambda job_id, delay=0: handed.append(job_id))
    waiting = await submit(db, "test_write_marker", marker="m9")
    fresh = await submit(db, "test_write_marker", marker="m10")
    await db.commit()
    handed.clear()
    waiting.due_at = now() - timedelta(seconds=5)
    await db.commit()
    swept = await sweep(_sessions(engine), QUICK, get_queue())
    assert swept.requeued == [waiting.id] and handed == [waiting.id]
    assert fresh.id not in handed


def _deliver_by_hand(monkeypatch) -> None:
    """Jobs are recorded but not handed to the queue: the test delivers them itself."""
    monkeypatch.setattr(get_queue(), "enqueue", lambda job_id, delay=0: None)


async def test_a_job_that_meets_an_outage_is_tried_again_later(client, db, engine, monkeypatch):
    _deliver_by_hand(monkeypatch)
    attempts: list[int] = []

    @job("test_flaky")
    async def flaky(ctx: JobContext) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionRefusedError(111, "Connection refused")
        await write_marker(ctx)

    record = await submit(db, "test_flaky", marker="m11")
    await db.commit()
    ran = await run_job(record.id, _sessions(engine), QUICK)
    assert ran.status is JobStatus.QUEUED and ran.retry_in == QUICK.heartbeat
    await db.refresh(record)
    assert record.status is JobStatus.QUEUED and "Connection refused" in record.error
    ran = await run_job(record.id, _sessions(engine), QUICK)
    assert ran.status is JobStatus.DONE and len(attempts) == 2
    await db.commit()  # a new transaction sees the job's writes
    assert await _markers(db, "m11") == 1


async def test_a_job_delivered_before_its_row_exists_says_so(client, db, engine):
    ran = await run_job(uuid4(), _sessions(engine), QUICK)
    assert ran.missing and ran.status is None


async def test_a_cancelled_job_never_starts_and_a_running_one_stops(client, db, engine, monkeypatch):
    record = await submit(db, "test_write_marker", marker="m12")
    await db.flush()
    await cancel_job(db, record.id)
    await db.commit()
    await run_queued_jobs()
    await db.refresh(record)
    assert record.status is JobStatus.CANCELLED and await _markers(db, "m12") == 0

    started = asyncio.Event()

    @job("test_long")
    async def long(ctx: JobContext) -> None:
        started.set()
        await asyncio.sleep(60)

    _deliver_by_hand(monkeypatch)
    running = await submit(db, "test_long")
    await db.commit()
    work = asyncio.create_task(run_job(running.id, _sessions(engine), QUICK))
    await started.wait()
    await cancel_job(db, running.id)
    await db.commit()
    ran = await asyncio.wait_for(work, 10)  # stopped at its next heartbeat, not after a minute
    assert ran.status is None
    await db.refresh(running)
    assert running.status is JobStatus.CANCELLED


async def test_jobs_recorded_in_savepoints_wait_for_the_outer_commit(client, db, monkeypatch):
    """A savepoint's release is not a commit: no job is handed over before the transaction commits."""
    handed: list[object] = []
    monkeypatch.setattr(get_queue(), "enqueue", lambda job_id, delay=0: handed.append(job_id))
    first = await submit(db, "test_write_marker", dedupe_key="k1", marker="m13")
    second = await submit(db, "test_write_marker", dedupe_key="k2", marker="m14")
    async with db.begin_nested():
        pass
    assert handed == []
    await db.commit()
    assert handed == [first.id, second.id]
    handed.clear()
    await submit(db, "test_write_marker", dedupe_key="k3", marker="m15")
    await db.rollback()
    await db.commit()
    assert handed == []


async def test_a_worker_that_cannot_reach_the_database_asks_arq_to_try_again():
    from arq import Retry
    from sqlalchemy.ext.asyncio import create_async_engine

    from placements.jobs.worker import run_job_by_id
    from tests.faults import free_port

    unreachable = create_async_engine(f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/none")
    ctx = {"settings": get_settings(), "sessionmaker": _sessions(unreachable), "job_try": 1}
    try:
        with pytest.raises(Retry):
            await run_job_by_id(ctx, str(uuid4()))
    finally:
        await unreachable.dispose()


async def test_a_worker_that_finds_no_row_yet_asks_again_a_few_times(engine):
    from arq import Retry

    from placements.jobs.worker import DELIVERY_TRIES, run_job_by_id

    ctx = {"settings": get_settings(), "sessionmaker": _sessions(engine), "job_try": 1}
    with pytest.raises(Retry):
        await run_job_by_id(ctx, str(uuid4()))
    ctx["job_try"] = DELIVERY_TRIES  # the last try: the sweeper covers anything later
    assert await run_job_by_id(ctx, str(uuid4())) is None


async def test_a_crowd_of_jobs_in_this_process_runs_a_few_at_a_time(db, engine):
    """As a round's publication queues an email for every pupil: all run, none at once with more
    than a few others, none failing for want of a database connection."""
    at = now()
    crowd = [
        JobRecord(name="test_crowd", arguments={}, status=JobStatus.QUEUED, created_at=at, due_at=at)
        for _ in range(60)
    ]
    db.add_all(crowd)
    await db.commit()
    queue = InProcessQueue(async_sessionmaker(engine, expire_on_commit=False), get_settings().jobs)
    _crowd.update(running=0, most=0, done=0)
    for record in crowd:
        queue.enqueue(record.id)
    await queue.drain()
    assert _crowd["done"] == 60 and 1 < _crowd["most"] <= InProcessQueue.RUNNING_AT_ONCE
    statuses = await db.scalars(select(JobRecord.status).where(JobRecord.name == "test_crowd"))
    assert set(statuses) == {JobStatus.DONE}
