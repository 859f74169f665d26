"""How far each pupil of a school has got with their choices."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.choices.services import placement_code
from matching.models import (
    ChoiceEntry,
    Preference,
)
from placements.web.counting import page_of
from programme.models import Round
from schools.models import PUPILS_BY_NAME, Pupil
from schools.queries import has_current_consent


@dataclass(frozen=True)
class ChoiceStatus:
    pupil: Pupil
    choices: int
    entered: bool
    open_to_other: bool


async def choice_statuses(
    db: AsyncSession, *, school_id: UUID, round_id: UUID, missing_only: bool, limit: int, offset: int
) -> tuple[list[ChoiceStatus], int]:
    """The school's consenting pupils with how many choices each has (for "who has none yet")."""
    counts = (
        select(Preference.pupil_id, func.count().label("n"))
        .where(Preference.round_id == round_id)
        .group_by(Preference.pupil_id)
        .subquery()
    )
    query = (
        select(Pupil, func.coalesce(counts.c.n, 0), ChoiceEntry.id, ChoiceEntry.open_to_other)
        .outerjoin(counts, counts.c.pupil_id == Pupil.id)
        .outerjoin(ChoiceEntry, (ChoiceEntry.pupil_id == Pupil.id) & (ChoiceEntry.round_id == round_id))
        .where(Pupil.school_id == school_id, has_current_consent())
    )
    if missing_only:
        query = query.where(ChoiceEntry.id.is_(None))
    rows, total = await page_of(db, query, order_by=PUPILS_BY_NAME, limit=limit, offset=offset)
    return [ChoiceStatus(p, n, entry is not None, bool(open_)) for p, n, entry, open_ in rows], total


async def codes_by_pupil(db: AsyncSession, round_: Round, school_id: UUID) -> dict[UUID, list[str]]:
    """The school's pupils' current choices as placement codes, in rank order."""
    rows = await db.execute(
        select(Preference.pupil_id, Preference.placement_id)
        .join(Pupil, Pupil.id == Preference.pupil_id)
        .where(Preference.round_id == round_.id, Pupil.school_id == school_id)
        .order_by(Preference.pupil_id, Preference.rank)
    )
    codes: dict[UUID, list[str]] = defaultdict(list)
    for pupil_id, placement_id in rows:
        codes[pupil_id].append(placement_code(placement_id))
    return codes
