"""Finding a round's runs and its pins and forbids."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from litestar.exceptions import NotFoundException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from employers.models import Employer, Placement
from matching.models import (
    Adjustment,
    ChoiceEntry,
    MatchRun,
)
from matching.runs.labels import placement_label
from placements.audit.trail import note_reads
from programme.models import Round
from schools.models import Pupil, School


async def get_run(db: AsyncSession, run_id: UUID) -> MatchRun:
    run = await db.get(MatchRun, run_id)
    if run is None:
        raise NotFoundException("No run has this id")
    return run


async def list_runs(db: AsyncSession, round_id: UUID) -> list[MatchRun]:
    return list(
        await db.scalars(
            select(MatchRun).where(MatchRun.round_id == round_id).order_by(MatchRun.number.desc())
        )
    )


async def get_adjustment(db: AsyncSession, round_id: UUID, adjustment_id: UUID) -> Adjustment:
    adjustment = await db.scalar(
        select(Adjustment).where(Adjustment.id == adjustment_id, Adjustment.round_id == round_id)
    )
    if adjustment is None:
        raise NotFoundException("No pin or forbid has this id")
    return adjustment


@dataclass(frozen=True)
class AdjustmentRow:
    adjustment: Adjustment
    pupil_name: str
    school_name: str
    placement_title: str
    employer_name: str
    pupil_reference: str
    placement_label: str


async def list_adjustments(db: AsyncSession, round_id: UUID) -> list[AdjustmentRow]:
    rows = await db.execute(
        select(
            Adjustment,
            Pupil.first_name,
            Pupil.last_name,
            Pupil.reference,
            School.name,
            Placement,
            Employer.name,
        )
        .join(Pupil, Pupil.id == Adjustment.pupil_id)
        .join(School, School.id == Pupil.school_id)
        .join(Placement, Placement.id == Adjustment.placement_id)
        .join(Employer, Employer.id == Placement.employer_id)
        .where(Adjustment.round_id == round_id)
        .order_by(Adjustment.created_at)
    )
    adjustments = [
        AdjustmentRow(
            a,
            f"{first} {last}",
            school,
            placement.title,
            employer,
            reference,
            placement_label(placement, employer),
        )
        for a, first, last, reference, school, placement, employer in rows
    ]
    note_reads(db, "pupil", [row.adjustment.pupil_id for row in adjustments])
    return adjustments


async def run_of_round(db: AsyncSession, round_: Round, run_id: UUID) -> MatchRun:
    run = await get_run(db, run_id)
    if run.round_id != round_.id:
        raise NotFoundException("No run of this round has this id")
    return run


async def entered_pupil(db: AsyncSession, round_: Round, pupil_id: UUID) -> tuple[Pupil, str]:
    """The pupil and their school's name, when the pupil's choices are entered in the round (only
    they take part in its runs)."""
    row = (
        await db.execute(
            select(Pupil, School.name)
            .join(School, School.id == Pupil.school_id)
            .join(ChoiceEntry, (ChoiceEntry.pupil_id == Pupil.id) & (ChoiceEntry.round_id == round_.id))
            .where(Pupil.id == pupil_id)
        )
    ).first()
    if row is None:
        raise NotFoundException("No pupil of this round has this id")
    return row[0], row[1]


async def placement_of_round(db: AsyncSession, round_: Round, placement_id: UUID) -> Placement:
    placement = await db.scalar(
        select(Placement).where(Placement.id == placement_id, Placement.round_id == round_.id)
    )
    if placement is None:
        raise NotFoundException("No placement of this round has this id")
    return placement
