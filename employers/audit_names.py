"""How the audit log names employers."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from employers.models import Employer
from placements.audit.labels import names_records


@names_records("employer")
async def employer_names(db: AsyncSession, ids: set[UUID]) -> dict[UUID, str]:
    return dict(
        (await db.execute(select(Employer.id, Employer.name).where(Employer.id.in_(ids)))).tuples().all()
    )
