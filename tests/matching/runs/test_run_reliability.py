"""A run's job under failure: stopped half-way, failing, or run twice, it never leaves a half-written run."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

import matching.runs.services
from matching.models import AdjustmentKind, MatchRun, Outcome, RunKind, RunStatus
from matching.policy import RunPolicy
from matching.runs import publication
from matching.runs import services as runs
from placements.audit.models import AuditEntry
from placements.clock import now
from placements.jobs.models import JobRecord, JobStatus
from placements.jobs.registry import JobContext
from programme.models import Stage
from tests.matching.pages_support import hold_jobs
from tests.matching.published import enter
from tests.support import run_queued_jobs


class WorkerStopped(BaseException):
    """What a worker killed mid-job looks like from inside: not an error the job can handle."""


async def _queued_run(db, round_, actor) -> tuple[MatchRun, JobContext]:
    """A run recorded as `start_run` would, but not handed to a queue: the test plays the worker."""
    record = JobRecord(name="matching_run", arguments={}, created_at=now())
    db.add(record)
    await db.flush()
    run = MatchRun(
        round_id=round_.id,
        number=1,
        kind=RunKind.MAIN,
        in_progress_key=f"round:{round_.id}",
        policy=RunPolicy().as_dict(),
        job_id=record.id,
        started_by_id=actor.id,
        summary={},
    )
    db.add(run)
    record.arguments = {"run_id": str(run.id)}
    await db.commit()
    sessionmaker = async_sessionmaker(db.bind, expire_on_commit=False)
    return run, JobContext(job_id=record.id, arguments={"run_id": str(run.id)}, sessionmaker=sessionmaker)


async def _with_choices(db, scenario):
    """The first school's pupils chose the first placement; preferences closed (set directly, since
    these tests are about the run's job, not the calendar)."""
    s = await scenario()
    await enter(db, s, {pupil: [s.placements[0]] for pupil in s.pupils[0]}, open_to_other=True)
    s.round.stage = Stage.PREFERENCES_CLOSED
    await db.commit()
    return s


async def test_a_worker_stopped_mid_run_leaves_nothing_and_the_job_runs_again(db, scenario, monkeypatch):
    s = await _with_choices(db, scenario)
    run, ctx = await _queued_run(db, s.round, s.coordinator)
    run_id = run.id

    def stop(_data):
        raise WorkerStopped

    with monkeypatch.context() as patch:
        patch.setattr(matching.runs.services, "solve_bytes", stop)
        with pytest.raises(WorkerStopped):
            await runs.matching_run(ctx)
    loaded = await runs.run_files(db, run_id)
    assert loaded.status is RunStatus.RUNNING
    assert loaded.instance is None and loaded.result is None and loaded.summary == {}
    assert loaded.in_progress_key is not None  # still holds the round: it will run again
    await db.rollback()

    # The queue delivers the job again (at least once): this time it finishes.
    await runs.matching_run(ctx)
    done = await runs.run_files(db, run_id)
    assert done.status is RunStatus.DONE and done.result is not None and done.in_progress_key is None
    finished = await db.scalars(select(AuditEntry).where(AuditEntry.action == "run_finished"))
    assert len(list(finished)) == 1
    await db.rollback()

    # A third delivery of a finished run changes nothing.
    await runs.matching_run(ctx)
    again = await runs.run_files(db, run_id)
    assert again.result == done.result and again.finished_at == done.finished_at


async def test_a_round_that_cannot_be_matched_fails_with_its_reason(client, db, scenario):
    s = await _with_choices(db, scenario)
    first = s.placements[0]  # capacity 1
    for pupil in s.pupils[0][:2]:
        await runs.add_adjustment(
            db,
            round_=s.round,
            pupil_id=pupil.id,
            placement_id=first.id,
            kind=AdjustmentKind.PIN,
            reason="Asked for by the school",
            actor=s.coordinator,
            ip_address=None,
        )
    run = await runs.start_run(db, round_=s.round, policy=RunPolicy(), actor=s.coordinator, ip_address=None)
    await db.commit()
    await run_queued_jobs()
    run = await runs.run_files(db, run.id)
    assert run.status is RunStatus.FAILED
    assert "over capacity" in run.error and str(first.id) in run.error
    assert run.in_progress_key is None and run.result is None
    # The round is free for a new run at once.
    second = await runs.start_run(
        db, round_=s.round, policy=RunPolicy(), actor=s.coordinator, ip_address=None
    )
    assert second.id != run.id


async def test_an_unexpected_error_fails_the_run_and_its_job(client, db, scenario, monkeypatch):
    s = await _with_choices(db, scenario)

    def broken(_data):
        raise RuntimeError("numerical trouble")

    monkeypatch.setattr(matching.runs.services, "solve_bytes", broken)
    run = await runs.start_run(db, round_=s.round, policy=RunPolicy(), actor=s.coordinator, ip_address=None)
    await db.commit()
    await run_queued_jobs()
    await db.refresh(run)
    job = await db.get(JobRecord, run.job_id)
    await db.refresh(job)
    assert run.status is RunStatus.FAILED
    assert run.error == "The run stopped: an unexpected error (RuntimeError)"
    assert run.in_progress_key is None
    assert job.status is JobStatus.FAILED and "numerical trouble" in job.error


async def test_two_run_requests_at_the_same_moment_start_one_run(client, db, scenario, monkeypatch):
    s = await _with_choices(db, scenario)
    await client.sign_in(s.coordinator)
    # Held, so the first run is still in progress when the second request arrives, however fast the
    # in-process job would otherwise finish.
    release = hold_jobs(monkeypatch)
    path = f"/api/rounds/{s.round.id}/runs"
    first, second = await asyncio.gather(
        client.api("POST", path, json={"seed": 1}), client.api("POST", path, json={"seed": 2})
    )
    assert first.status_code == second.status_code == 202, (first.text, second.text)
    assert first.json()["id"] == second.json()["id"]
    await release()
    await db.commit()
    assert len(list(await db.scalars(select(MatchRun)))) == 1


async def test_a_publication_that_fails_half_way_writes_nothing(client, db, scenario, monkeypatch):
    s = await _with_choices(db, scenario)
    run = await runs.start_run(db, round_=s.round, policy=RunPolicy(), actor=s.coordinator, ip_address=None)
    await db.commit()
    await run_queued_jobs()
    s.round.stage = Stage.MATCHED
    await db.commit()

    async def mail_down(*_args, **_kwargs):
        raise ConnectionError("outbox unavailable")

    monkeypatch.setattr(publication, "_tell_schools_and_employers", mail_down)
    await client.sign_in(s.coordinator)
    response = await client.api("POST", f"/api/runs/{run.id}/publish")
    # A dependency that cannot be reached is an outage: "try again later", and nothing was saved.
    assert response.status_code == 503 and response.headers["retry-after"]
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(Outcome)) == 0
    assert (await runs.run_files(db, run.id)).published_at is None
    await db.refresh(s.round)
    assert s.round.stage is Stage.MATCHED
