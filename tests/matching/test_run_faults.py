"""A matching run whose process dies, whose job is cancelled, or which runs out of attempts: real
processes of the service, killed with SIGKILL mid-run. Nothing is stuck: the run finishes in
another process, or fails with its reason, within the sweeper's bound, and a new run can start."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from matching import runs
from matching.models import MatchRun, RunStatus, Stage
from matching.policy import RunPolicy
from placements.jobs.models import JobRecord, JobStatus
from placements.jobs.queue import ArqQueue, install_queue
from tests.faults import REDIS_URL, ServiceProcess, eventually, free_port, service_env
from tests.matching.published import enter

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
