"""Matching runs: starting one, the background job that solves it, cancelling it, and reading its result.

The job is safe to run again (jobs run at least once): it reads the round, solves, then writes
the instance, the result, both hashes and the status in one transaction. A worker stopped before
that commit leaves the run as it was: the sweeper queues the job again, and the next delivery
simply does the work again, or, after the last attempt, the run is marked failed with the reason
so that a new one can start.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from matching.errors import MatchingError
from matching.models import Adjustment, AdjustmentKind, MatchRun, RunStatus
from matching.policy import RunPolicy
from matching.rounds.services import run_kind_for
from matching.runs.instances import build_instance
from matching.solver import InstanceError, SolverError, result_to_json, solve_bytes
from placements.accounts.models import User
from placements.audit.services import record
from placements.clock import now, today
from placements.db import locked
from placements.jobs.queue import cancel_job, submit
from placements.jobs.registry import JobContext, job
from programme.models import Round


async def start_run(
    db: AsyncSession, *, round_: Round, policy: RunPolicy, actor: User, ip_address: str | None
) -> MatchRun:
    """Record a run and queue its job; a run already queued or running for the round is returned instead."""
    kind = run_kind_for(round_)
    if kind is None:
        raise MatchingError(
            "Runs can be started once preferences are closed, or during reallocation "
            f"(the round is {round_.stage.label.lower()})"
        )
    key = f"round:{round_.id}"
    running = await db.scalar(select(MatchRun).where(MatchRun.in_progress_key == key))
    if running is not None:
        return running
    number = (
        await db.scalar(select(func.max(MatchRun.number)).where(MatchRun.round_id == round_.id)) or 0
    ) + 1
    run = MatchRun(
        round_id=round_.id,
        number=number,
        kind=kind,
        status=RunStatus.QUEUED,
        in_progress_key=key,
        policy=policy.as_dict(),
        seed=policy.seed,
        started_by_id=actor.id,
        summary={},
    )
    try:
        async with db.begin_nested():
            db.add(run)
    except IntegrityError:
        # Another request started a run for this round between our look and our insert.
        running = await db.scalar(select(MatchRun).where(MatchRun.in_progress_key == key))
        if running is None:
            raise
        return running
    job_record = await submit(db, "matching_run", dedupe_key=f"matching_run:{run.id}", run_id=str(run.id))
    run.job_id = job_record.id
    await record(
        db,
        actor=actor,
        action="run_started",
        record_type="round",
        record_id=round_.id,
        ip_address=ip_address,
        run=number,
        kind=kind.value,
        policy=policy.as_dict(),
    )
    return run


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    metrics = dict(result["metrics"])
    metrics["objective"] = result["objective"]
    return metrics


async def _give_up_run(ctx: JobContext, reason: str) -> None:
    """The job failed for good: the coordinator sees why and can start a new run."""
    async with ctx.sessionmaker() as db:
        run = await locked(db, MatchRun, UUID(ctx.arguments["run_id"]))
        if run is not None and run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
            run.status = RunStatus.FAILED
            run.error = f"The run stopped: {reason}"
            run.in_progress_key = None
            run.finished_at = now()
            await record(
                db,
                actor=None,
                action="run_failed",
                record_type="round",
                record_id=run.round_id,
                run=run.number,
            )
            await db.commit()


@job("matching_run", on_give_up=_give_up_run)
async def matching_run(ctx: JobContext) -> None:
    run_id = UUID(ctx.arguments["run_id"])
    async with ctx.sessionmaker() as db:
        run = await locked(db, MatchRun, run_id)
        if run is None or run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            return  # finished, failed or cancelled already: running again changes nothing
        run.status = RunStatus.RUNNING
        run.started_at = now()
        await db.commit()
    await ctx.progress(10, "Reading pupils, choices and placements")
    async with ctx.sessionmaker() as db:
        run = await db.get_one(MatchRun, run_id)
        instance = await build_instance(db, run, today())
        await db.rollback()
    await ctx.progress(40, "Solving")
    error: str | None = None
    result_bytes: bytes | None = None
    try:
        result = await asyncio.to_thread(solve_bytes, instance)
        result_bytes = result_to_json(result)
    except (InstanceError, SolverError) as exc:
        error = f"The round cannot be matched as it stands: {exc}"
    async with ctx.sessionmaker() as db:
        run = await locked(db, MatchRun, run_id)
        if run is None or run.status is not RunStatus.RUNNING:
            return  # cancelled while it solved: the result is not wanted
        run.instance = instance
        run.instance_sha256 = hashlib.sha256(instance).hexdigest()
        if result_bytes is not None:
            run.result = result_bytes
            run.result_sha256 = hashlib.sha256(result_bytes).hexdigest()
            parsed = json.loads(result_bytes)
            run.solver = parsed["solver"]
            run.summary = _summary(parsed)
        run.error = error
        run.status = RunStatus.FAILED if error else RunStatus.DONE
        run.in_progress_key = None
        run.finished_at = now()
        await record(
            db,
            actor=None,
            action="run_failed" if error else "run_finished",
            record_type="round",
            record_id=run.round_id,
            run=run.number,
            result_sha256=run.result_sha256,
        )
        await db.commit()


async def cancel_run(db: AsyncSession, *, run: MatchRun, actor: User, ip_address: str | None) -> MatchRun:
    """Stop a queued or running run; its job stops at its next heartbeat and its result is not kept."""
    current = await locked(db, MatchRun, run.id)
    if current is None or current.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        raise MatchingError("Only a run that is waiting or running can be cancelled")
    current.status = RunStatus.CANCELLED
    current.error = f"Cancelled by {actor.name}"
    current.in_progress_key = None
    current.finished_at = now()
    if current.job_id is not None:
        await cancel_job(db, current.job_id)
    await record(
        db,
        actor=actor,
        action="run_cancelled",
        record_type="round",
        record_id=current.round_id,
        ip_address=ip_address,
        run=current.number,
    )
    return current


async def run_files(db: AsyncSession, run_id: UUID) -> MatchRun:
    """The run with its instance and result bytes loaded."""
    run = await db.scalar(
        select(MatchRun)
        .where(MatchRun.id == run_id)
        .options(undefer(MatchRun.instance), undefer(MatchRun.result))
        .execution_options(populate_existing=True)
    )
    if run is None:
        raise MatchingError("No run has this id")
    return run


@dataclass(frozen=True)
class PupilResult:
    placement_id: UUID | None
    rank: int | None
    explanation: str


async def pupil_results(db: AsyncSession, run: MatchRun) -> dict[UUID, PupilResult]:
    """Every pupil of a finished run: placement (or None), rank and the solver's explanation."""
    loaded = await run_files(db, run.id)
    if loaded.result is None:
        return {}
    result = json.loads(loaded.result)
    placed = {a["pupil"]: a for a in result["assignments"]}
    outcomes: dict[UUID, PupilResult] = {}
    for pupil, explanation in result["explanations"].items():
        assignment = placed.get(pupil)
        outcomes[UUID(pupil)] = PupilResult(
            placement_id=UUID(assignment["placement"]) if assignment else None,
            rank=assignment["rank"] if assignment else None,
            explanation=explanation,
        )
    return outcomes


async def add_adjustment(
    db: AsyncSession,
    *,
    round_: Round,
    pupil_id: UUID,
    placement_id: UUID,
    kind: AdjustmentKind,
    reason: str,
    actor: User,
    ip_address: str | None,
) -> Adjustment:
    if run_kind_for(round_) is None:
        raise MatchingError("Pupils can be pinned or pairs forbidden only while runs can be started")
    if not reason.strip():
        raise MatchingError("Say why: the reason is kept in the audit log", field="reason")
    if await db.scalar(
        select(Adjustment.id).where(
            Adjustment.round_id == round_.id,
            Adjustment.pupil_id == pupil_id,
            Adjustment.placement_id == placement_id,
        )
    ):
        raise MatchingError("This pupil and placement already have a pin or a forbid: remove it first")
    if kind is AdjustmentKind.PIN and await db.scalar(
        select(Adjustment.id).where(
            Adjustment.round_id == round_.id,
            Adjustment.pupil_id == pupil_id,
            Adjustment.kind == AdjustmentKind.PIN,
        )
    ):
        raise MatchingError("This pupil is already pinned to a placement: remove that pin first")
    adjustment = Adjustment(
        round_id=round_.id,
        pupil_id=pupil_id,
        placement_id=placement_id,
        kind=kind,
        reason=reason.strip(),
        created_by_id=actor.id,
    )
    db.add(adjustment)
    await db.flush()
    await record(
        db,
        actor=actor,
        action="pair_pinned" if kind is AdjustmentKind.PIN else "pair_forbidden",
        record_type="pupil",
        record_id=pupil_id,
        ip_address=ip_address,
        round_id=str(round_.id),
        placement_id=str(placement_id),
        reason=adjustment.reason,
    )
    return adjustment


async def remove_adjustment(
    db: AsyncSession, *, adjustment: Adjustment, actor: User, ip_address: str | None
) -> None:
    await db.delete(adjustment)
    await record(
        db,
        actor=actor,
        action="adjustment_removed",
        record_type="pupil",
        record_id=adjustment.pupil_id,
        ip_address=ip_address,
        round_id=str(adjustment.round_id),
        placement_id=str(adjustment.placement_id),
        kind=adjustment.kind.value,
    )
