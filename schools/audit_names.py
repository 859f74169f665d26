"""How the audit log names schools and pupils."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from placements.audit.labels import names_records
from schools.models import Pupil, School


@names_records("school")
async def school_names(db: AsyncSession, ids: set[UUID]) -> dict[UUID, str]:
    return dict((await db.execute(select(School.id, School.name).where(School.id.in_(ids)))).tuples().all())


@names_records("pupil")
async def pupil_names(db: AsyncSession, ids: set[UUID]) -> dict[UUID, str]:
    """A pupil's name with their school's reference and the school: names alone repeat."""
    rows = await db.execute(
        select(Pupil.id, Pupil.first_name, Pupil.last_name, Pupil.reference, School.name)
        .join(School, School.id == Pupil.school_id)
        .where(Pupil.id.in_(ids))
    )
    return {pid: f"{first} {last} ({reference}, {school})" for pid, first, last, reference, school in rows}
