"""Getting a round to published outcomes, for the tests of the pages that show and answer them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.choices import services as preferences
from matching.models import MatchRun, Outcome, RunStatus
from matching.policy import RunPolicy
from matching.rounds import services as rounds
from matching.runs import publication
from matching.runs import services as runs
from programme.models import Stage
from tests.support import run_queued_jobs


async def enter(
    db: AsyncSession, s: Any, choices: dict[Any, list[Any]], *, open_to_other: bool = False
) -> None:
    """Each pupil's choices (pupil → placements), entered by their own school's staff."""
    staff_of = {school.id: staff for school, staff in zip(s.schools, s.school_staff, strict=True)}
    for pupil, placements in choices.items():
        await preferences.save_choices(
            db,
            round_=s.round,
            pupil=pupil,
            placement_ids=[p.id for p in placements],
            open_to_other=open_to_other,
            actor=staff_of[pupil.school_id],
            ip_address=None,
        )


async def matched_run(
    db: AsyncSession, s: Any, choices: dict[Any, list[Any]], *, open_to_other: bool = False
) -> MatchRun:
    """Enter choices, close preferences, run matching and mark the round matched: the finished run."""
    await enter(db, s, choices, open_to_other=open_to_other)
    await rounds.advance(
        db, round_=s.round, to=Stage.PREFERENCES_CLOSED, actor=s.coordinator, ip_address=None
    )
    await db.commit()
    run = await runs.start_run(db, round_=s.round, policy=RunPolicy(), actor=s.coordinator, ip_address=None)
    await db.commit()
    await run_queued_jobs()
    await db.refresh(run)
    assert run.status is RunStatus.DONE, run.error
    await rounds.advance(db, round_=s.round, to=Stage.MATCHED, actor=s.coordinator, ip_address=None)
    await db.commit()
    return run


async def publish_choices(
    db: AsyncSession, s: Any, choices: dict[Any, list[Any]], *, open_to_other: bool = False
) -> dict[UUID, Outcome]:
    """Enter choices (pupil → placements), run matching and publish: the current outcomes by pupil."""
    run = await matched_run(db, s, choices, open_to_other=open_to_other)
    await publication.publish_run(db, run=run, actor=s.coordinator, ip_address=None)
    await db.commit()
    await run_queued_jobs()
    current = await db.scalars(
        select(Outcome).where(Outcome.round_id == s.round.id, Outcome.current.is_(True))
    )
    return {o.pupil_id: o for o in current}
