"""How the audit log names the records a round's entries point at: the round, its offers and placements."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.models import Outcome
from matching.runs.labels import labels_of
from placements.audit.labels import names_records
from programme.models import Round
from schools.audit_names import pupil_names


@names_records("round")
async def _rounds(db: AsyncSession, ids: set[UUID]) -> dict[UUID, str]:
    return dict((await db.execute(select(Round.id, Round.name).where(Round.id.in_(ids)))).tuples().all())


@names_records("placement")
async def _placements(db: AsyncSession, ids: set[UUID]) -> dict[UUID, str]:
    return await labels_of(db, ids)


@names_records("outcome")
async def _offers(db: AsyncSession, ids: set[UUID]) -> dict[UUID, str]:
    rows = (await db.execute(select(Outcome.id, Outcome.pupil_id).where(Outcome.id.in_(ids)))).tuples().all()
    pupils = await pupil_names(db, {pupil_id for _, pupil_id in rows})
    return {oid: f"Offer to {pupils[pupil_id]}" for oid, pupil_id in rows if pupil_id in pupils}
