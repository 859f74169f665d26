"""A matching run whose process dies, whose job is cancelled, or which runs out of attempts: real
processes of the service, killed with SIGKILL mid-run. Nothing is stuck: the run finishes in
another process, or fails with its reason, within the sweeper's bound, and a new run can start."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.models import MatchRun, RunStatus
from matching.policy import RunPolicy
from matching.runs import publication
from matching.runs import services as runs
from placements.app import create_app
from placements.audit.models import AuditEntry
from placements.jobs.models import JobRecord, JobStatus
from placements.jobs.queue import ArqQueue, install_queue, submit
from placements.settings import get_settings
from programme.models import Round, Stage
from tests.faults import REDIS_URL, Link, ServiceProcess, eventually, free_port, redis_port, service_env
from tests.matching.pages_support import RUN_FORM
from tests.matching.published import enter
from tests.support import serving_client

pytestmark = pytest.mark.slow
# Generous beside the settings (a stopped worker is noticed after 1.5 s, swept every 0.3 s), for a
# loaded machine; the point is that it happens without anyone's help, not how fast.
BOUND = 45.0


class Doorbell:
    """A queue that takes jobs and hands them to nobody: what a process that died just after its
    commit leaves behind. Only the service's own sweeper can start them."""

    def __init__(self) -> None:
        self.rung: list[UUID] = []

    async def check(self) -> None:
        return None

    def enqueue(self, job_id: UUID, delay: float = 0) -> None:
        self.rung.append(job_id)

    async def drain(self) -> None:
        return None

    async def close(self) -> None:
        return None


@pytest.fixture
def doorbell() -> Iterator[Doorbell]:
    bell = Doorbell()
    previous = install_queue(bell)
    yield bell
    install_queue(previous)


async def _ready_round(db: AsyncSession, scenario: Any) -> Any:
    s = await scenario()
    await enter(db, s, {pupil: [s.placements[0]] for pupil in s.pupils[0]}, open_to_other=True)
    s.round.stage = Stage.PREFERENCES_CLOSED
    await db.commit()
    return s


async def _start(db: AsyncSession, s: Any) -> MatchRun:
    for row in (s.round, s.coordinator):
        await db.refresh(row)  # as it is now, after the other processes' work
    run = await runs.start_run(db, round_=s.round, policy=RunPolicy(), actor=s.coordinator, ip_address=None)
    await db.commit()
    return run


async def _now(db: AsyncSession, model: Any, row_id: UUID) -> Any:
    await db.rollback()  # a new transaction sees what the other processes committed
    return await db.get(model, row_id, populate_existing=True)


async def _solving(db: AsyncSession, job_id: UUID) -> bool:
    job = await _now(db, JobRecord, job_id)
    return job.status is JobStatus.RUNNING and job.message == "Solving"


def _web(tmp_path: Any, name: str, **env: str) -> ServiceProcess:
    """A web process that runs its jobs itself (no Redis), with the solver held at the gate."""
    return ServiceProcess(
        "serve",
        "--port",
        str(free_port()),
        env=service_env(REDIS_URL="", **env),
        log=tmp_path / f"{name}.log",
        gate=tmp_path / "gate",
    )


async def test_a_web_process_killed_mid_run_leaves_the_run_to_the_next_one(db, scenario, doorbell, tmp_path):
    s = await _ready_round(db, scenario)
    run = await _start(db, s)
    run_id, job_id = run.id, run.job_id
    first = _web(tmp_path, "first")
    try:
        # Nothing handed the job over: the process's own sweeper finds it queued, and starts it.
        await eventually(lambda: _solving(db, job_id), within=BOUND, what=f"run solving\n{first.output()}")
    finally:
        first.kill()
    assert (await _now(db, MatchRun, run_id)).status is RunStatus.RUNNING

    (tmp_path / "gate").touch()
    second = _web(tmp_path, "second")
    try:

        async def finished() -> MatchRun | None:
            current = await _now(db, MatchRun, run_id)
            return current if current.status is RunStatus.DONE else None

        done = await eventually(finished, within=BOUND, what=f"run finished\n{second.output()}")
    finally:
        second.stop()
    assert done.in_progress_key is None and done.result_sha256
    job = await _now(db, JobRecord, job_id)
    assert job.status is JobStatus.DONE and job.attempts == 2
    # The round is free: the next request starts a new run.
    assert (await _start(db, s)).number == 2


async def test_a_run_whose_worker_keeps_stopping_fails_with_the_reason(db, scenario, doorbell, tmp_path):
    s = await _ready_round(db, scenario)
    run = await _start(db, s)
    run_id, job_id = run.id, run.job_id
    first = _web(tmp_path, "first", JOB_ATTEMPTS="1")
    try:
        await eventually(lambda: _solving(db, job_id), within=BOUND, what=f"run solving\n{first.output()}")
    finally:
        first.kill()
    second = _web(tmp_path, "second", JOB_ATTEMPTS="1")
    try:

        async def failed() -> MatchRun | None:
            current = await _now(db, MatchRun, run_id)
            return current if current.status is RunStatus.FAILED else None

        stopped = await eventually(failed, within=BOUND, what=f"run failed\n{second.output()}")
    finally:
        second.stop()
    assert stopped.error == "The run stopped: the worker running it stopped (once), so it was not tried again"
    assert stopped.in_progress_key is None
    assert (await _now(db, JobRecord, job_id)).status is JobStatus.FAILED
    assert (await _start(db, s)).number == 2


async def test_a_running_run_cancelled_stops_and_keeps_no_result(db, scenario, doorbell, tmp_path):
    s = await _ready_round(db, scenario)
    run = await _start(db, s)
    run_id, job_id = run.id, run.job_id
    web = _web(tmp_path, "web")
    try:
        await eventually(lambda: _solving(db, job_id), within=BOUND, what=f"run solving\n{web.output()}")
        await db.rollback()
        await db.refresh(s.coordinator)
        await runs.cancel_run(
            db, run=await db.get_one(MatchRun, run_id), actor=s.coordinator, ip_address="192.0.2.1"
        )
        await db.commit()

        async def let_go() -> bool:
            return "cancelled or taken over, stopping attempt 1" in web.output()

        # The process notices at its next heartbeat, while the solver is still held at the gate.
        await eventually(let_go, within=BOUND, what=f"the process to stop the run's work\n{web.output()}")
        (tmp_path / "gate").touch()  # the solver's thread may now end: its result must not be kept
        assert (await _now(db, JobRecord, job_id)).status is JobStatus.CANCELLED
        second = await _start(db, s)
        assert second.number == 2
    finally:
        web.stop()
    cancelled = await runs.run_files(db, run_id)
    assert cancelled.status is RunStatus.CANCELLED and cancelled.result is None
    assert cancelled.error == f"Cancelled by {s.coordinator.name}"


@pytest.mark.skipif(not REDIS_URL, reason="needs Redis: runs in CI's PostgreSQL and Redis pass")
async def test_a_worker_killed_mid_run_is_replaced_by_a_fresh_one(db, scenario, tmp_path):
    s = await _ready_round(db, scenario)
    env = service_env(QUEUE_NAME=f"placements:faults:{tmp_path.name}")
    queue = ArqQueue(REDIS_URL or "", env["QUEUE_NAME"])
    previous = install_queue(queue)
    try:
        run = await _start(db, s)
        run_id, job_id = run.id, run.job_id
        await queue.drain()  # handed to Redis
        first = ServiceProcess("worker", env=env, log=tmp_path / "first.log", gate=tmp_path / "gate")
        try:
            await eventually(
                lambda: _solving(db, job_id), within=BOUND, what=f"run solving\n{first.output()}"
            )
        finally:
            first.kill()
        second = ServiceProcess("worker", env=env, log=tmp_path / "second.log")
        try:

            async def finished() -> MatchRun | None:
                current = await _now(db, MatchRun, run_id)
                return current if current.status is RunStatus.DONE else None

            await eventually(finished, within=BOUND, what=f"run finished\n{second.output()}")
        finally:
            second.stop()
    finally:
        install_queue(previous)
        await queue.close()
    assert (await _now(db, JobRecord, job_id)).attempts == 2


async def test_starting_a_run_while_redis_is_down_saves_nothing_and_says_so(db, scenario):
    s = await _ready_round(db, scenario)
    down = dataclasses.replace(get_settings(), redis_url=f"redis://127.0.0.1:{free_port()}")
    async with serving_client(create_app(down)) as client:
        await client.sign_in(s.coordinator)
        api = await client.api("POST", f"/api/rounds/{s.round.id}/runs", json={"seed": 1})
        assert api.status_code == 503 and api.headers["retry-after"]
        assert "nothing was saved" in api.json()["detail"]
        page = await client.submit(f"/rounds/{s.round.id}/runs", RUN_FORM)
        assert page.status_code == 503
        assert "Sorry, the service is unavailable" in page.text and "nothing was saved" in page.text
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(MatchRun)) == 0
    assert await db.scalar(select(func.count()).select_from(JobRecord)) == 0
    assert (
        await db.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "run_started")
        )
        == 0
    )


@pytest.mark.skipif(not REDIS_URL, reason="needs Redis: runs in CI's PostgreSQL and Redis pass")
async def test_a_fast_worker_finds_every_job_a_transaction_queued(db, scenario, tmp_path):
    """Publishing emails every school and employer from one transaction: a worker already waiting on
    Redis finds each job's row, because nothing is handed over before the commit."""
    s = await _ready_round(db, scenario)
    env = service_env(QUEUE_NAME=f"placements:faults:{tmp_path.name}")
    queue = ArqQueue(REDIS_URL or "", env["QUEUE_NAME"])
    previous = install_queue(queue)
    worker = ServiceProcess("worker", env=env, log=tmp_path / "worker.log")
    try:
        run = await _start(db, s)
        run_id, round_id = run.id, run.round_id

        async def finished() -> bool:
            return (await _now(db, MatchRun, run_id)).status is RunStatus.DONE

        await eventually(finished, within=BOUND, what=f"the run to finish\n{worker.output()}")
        round_ = await db.get_one(Round, round_id)
        round_.stage = Stage.MATCHED
        await db.commit()
        await db.refresh(s.coordinator)
        await publication.publish_run(
            db, run=await db.get_one(MatchRun, run_id), actor=s.coordinator, ip_address=None
        )
        # Work after the savepoints and before the commit, as a slow request would: a job handed
        # over early would be looked for now, before its row exists.
        await asyncio.sleep(0.5)
        await db.commit()
        emails = list(await db.scalars(select(JobRecord.id).where(JobRecord.name == "send_email")))
        assert len(emails) >= 3

        async def all_sent() -> bool:
            await db.rollback()
            statuses = set(await db.scalars(select(JobRecord.status).where(JobRecord.id.in_(emails))))
            return statuses == {JobStatus.DONE}

        await eventually(all_sent, within=BOUND, what=f"every email's job to run\n{worker.output()}")
    finally:
        worker.stop()
        install_queue(previous)
        await queue.close()


@pytest.mark.skipif(not REDIS_URL, reason="needs Redis: runs in CI's PostgreSQL and Redis pass")
async def test_a_job_redis_lost_at_the_commit_runs_once_redis_is_back(db, engine, tmp_path):
    """Redis goes away between the check and the hand-over: the job waits in the database, and the
    sweeper hands it over again when Redis answers."""
    link = Link(redis_port())
    env = service_env(QUEUE_NAME=f"placements:faults:{tmp_path.name}")
    flaky = ArqQueue(f"redis://127.0.0.1:{link.port}", env["QUEUE_NAME"], timeout=0.5)
    previous = install_queue(flaky)
    worker = None
    try:
        record = await submit(db, "send_email", message_id=str(uuid4()))
        link.freeze()
        await db.commit()
        await flaky.drain()  # the hand-over times out: logged, and left to the sweeper
        await db.refresh(record)
        assert record.status is JobStatus.QUEUED
        link.thaw()
        worker = ServiceProcess("worker", env=env, log=tmp_path / "worker.log")

        async def ran() -> bool:
            return (await _now(db, JobRecord, record.id)).status is JobStatus.DONE

        await eventually(ran, within=BOUND, what=f"the job to run\n{worker.output()}")
    finally:
        if worker is not None:
            worker.stop()
        install_queue(previous)
        await flaky.close()
        link.close()
