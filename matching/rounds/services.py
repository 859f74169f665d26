"""Rounds and their calendar: creating a round and moving it, one checked step at a time.

draft → open for placements → preferences open → preferences closed → matched → published →
reallocation → closed. Publication is its own action (it needs a run), so `advance` refuses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from employers.inputs import WEEK_PATTERN
from employers.models import Employer, EmployerCompliance, Placement
from employers.queries import visible_to_schools
from matching.errors import MatchingError
from matching.models import ChoiceEntry, MatchRun, RunKind, RunStatus
from placements.audit.services import record
from placements.clock import today
from placements.db import locked
from programme.models import KEEP_PUPIL_DATA_MONTHS, Round, Stage

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from placements.accounts.models import User

NEXT: dict[Stage, Stage] = {
    Stage.DRAFT: Stage.OPEN_FOR_PLACEMENTS,
    Stage.OPEN_FOR_PLACEMENTS: Stage.PREFERENCES_OPEN,
    Stage.PREFERENCES_OPEN: Stage.PREFERENCES_CLOSED,
    Stage.PREFERENCES_CLOSED: Stage.MATCHED,
    Stage.MATCHED: Stage.PUBLISHED,
    Stage.PUBLISHED: Stage.REALLOCATION,
    Stage.REALLOCATION: Stage.CLOSED,
}
# What moving into each stage does, told to the coordinator before they confirm.
EFFECTS: dict[Stage, str] = {
    Stage.OPEN_FOR_PLACEMENTS: "Employers can post placements for this round.",
    Stage.PREFERENCES_OPEN: "Schools can see the approved placements and enter their pupils' choices.",
    Stage.PREFERENCES_CLOSED: "Schools can no longer change choices; you can start matching runs.",
    Stage.MATCHED: "The runs are kept for comparison; you can still start runs, pin or forbid pairs, "
    "then publish one run.",
    Stage.PUBLISHED: "Schools and employers see the published run's outcomes and are emailed.",
    Stage.REALLOCATION: "You can run matching again for unplaced pupils and freed places, keeping every "
    "offer that still holds its place.",
    Stage.CLOSED: "The round ends: nobody can change choices, runs or offers any more.",
}


ISO_WEEK = re.compile(WEEK_PATTERN)


def is_iso_week(text: str) -> bool:
    """Whether `text` is an ISO week like 2027-W25 that exists in its year."""
    if not ISO_WEEK.match(text):
        return False
    try:
        date.fromisocalendar(int(text[:4]), int(text[6:]), 1)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class RoundData:
    name: str
    programme_year: int
    weeks: list[str]
    target: int = 500
    max_choices: int = 5
    respond_within_days: int = 14
    keep_pupil_data_months: int = KEEP_PUPIL_DATA_MONTHS
    preferences_open_on: date | None = None
    preferences_close_on: date | None = None
    publish_on: date | None = None


def _check_dates(data: RoundData) -> None:
    opens, closes, publish = data.preferences_open_on, data.preferences_close_on, data.publish_on
    if opens and closes and closes < opens:
        raise MatchingError(
            "Preferences must close on or after the day they open", field="preferences_close_on"
        )
    if closes and publish and publish < closes:
        raise MatchingError("Results must be published on or after preferences close", field="publish_on")


def _apply(round_: Round, data: RoundData) -> None:
    for name in RoundData.__dataclass_fields__:
        setattr(round_, name, getattr(data, name))


async def create_round(db: AsyncSession, *, data: RoundData, actor: User, ip_address: str | None) -> Round:
    _check_dates(data)
    if await db.scalar(select(Round.id).where(Round.programme_year == data.programme_year)):
        raise MatchingError(f"There is already a round for {data.programme_year}", field="programme_year")
    round_ = Round(stage=Stage.DRAFT, stage_dates={Stage.DRAFT.value: today().isoformat()})
    _apply(round_, data)
    db.add(round_)
    await db.flush()
    await record(
        db,
        actor=actor,
        action="round_created",
        record_type="round",
        record_id=round_.id,
        ip_address=ip_address,
    )
    return round_


async def update_round(
    db: AsyncSession, *, round_: Round, data: RoundData, actor: User, ip_address: str | None
) -> Round:
    if round_.stage is Stage.CLOSED:
        raise MatchingError("A closed round cannot be changed")
    _check_dates(data)
    if data.programme_year != round_.programme_year and await db.scalar(
        select(Round.id).where(Round.programme_year == data.programme_year)
    ):
        raise MatchingError(f"There is already a round for {data.programme_year}", field="programme_year")
    changed = [
        name for name in RoundData.__dataclass_fields__ if getattr(round_, name) != getattr(data, name)
    ]
    _apply(round_, data)
    await record(
        db,
        actor=actor,
        action="round_updated",
        record_type="round",
        record_id=round_.id,
        ip_address=ip_address,
        fields=changed,
    )
    return round_


async def matchable_placements(db: AsyncSession, round_id: object) -> int:
    """Published placements of the round whose employer can take pupils today."""
    return (
        await db.scalar(
            select(func.count())
            .select_from(Placement)
            .join(Employer, Employer.id == Placement.employer_id)
            .outerjoin(EmployerCompliance, EmployerCompliance.employer_id == Employer.id)
            .where(Placement.round_id == round_id, *visible_to_schools(today()))
        )
        or 0
    )


async def step_problems(db: AsyncSession, round_: Round) -> list[str]:
    """Why the round cannot move to its next stage now (empty when it can)."""
    target = NEXT.get(round_.stage)
    if target is None:
        return ["The round is closed"]
    problems: list[str] = []
    if target is Stage.OPEN_FOR_PLACEMENTS and not round_.weeks:
        problems.append("Set the placement weeks first")
    if target is Stage.PREFERENCES_OPEN and not await matchable_placements(db, round_.id):
        problems.append("No approved placement can take pupils yet")
    if target is Stage.PREFERENCES_CLOSED and not await db.scalar(
        select(ChoiceEntry.id).where(ChoiceEntry.round_id == round_.id).limit(1)
    ):
        problems.append("No school has entered any pupil's choices yet")
    if target is Stage.MATCHED and not await db.scalar(
        select(MatchRun.id)
        .where(
            MatchRun.round_id == round_.id, MatchRun.kind == RunKind.MAIN, MatchRun.status == RunStatus.DONE
        )
        .limit(1)
    ):
        problems.append("Start a matching run and wait for it to finish first")
    if target is Stage.PUBLISHED:
        problems.append("Choose a run and publish it")
    return problems


def enter_stage(round_: Round, stage: Stage) -> None:
    round_.stage = stage
    round_.stage_dates = {**round_.stage_dates, stage.value: today().isoformat()}


async def locked_round(db: AsyncSession, round_id: object) -> Round:
    """The round, locked for this transaction on PostgreSQL, so two steps at once cannot both pass."""
    round_ = await locked(db, Round, round_id)
    if round_ is None:
        raise MatchingError("The round no longer exists")
    return round_


async def advance(
    db: AsyncSession, *, round_: Round, to: Stage, actor: User, ip_address: str | None
) -> Round:
    """Move the round to `to`, its next stage; refused unless that is the next stage and it is ready."""
    round_ = await locked_round(db, round_.id)
    if NEXT.get(round_.stage) is not to:
        raise MatchingError(
            f"The round is {round_.stage.label.lower()}: it cannot move to {to.label.lower()}"
        )
    problems = await step_problems(db, round_)
    if problems:
        raise MatchingError("; ".join(problems))
    previous = round_.stage
    enter_stage(round_, to)
    await record(
        db,
        actor=actor,
        action="round_stage_changed",
        record_type="round",
        record_id=round_.id,
        ip_address=ip_address,
        stage_from=previous.value,
        stage_to=to.value,
    )
    return round_


# The kind of matching run each stage allows: the main run once choices close, then reallocations.
RUN_STAGES = {
    RunKind.MAIN: (Stage.PREFERENCES_CLOSED, Stage.MATCHED),
    RunKind.REALLOCATION: (Stage.REALLOCATION,),
}


def run_kind_for(round_: Round) -> RunKind | None:
    """The kind of run the round's stage allows, if any."""
    for kind, stages in RUN_STAGES.items():
        if round_.stage in stages:
            return kind
    return None
