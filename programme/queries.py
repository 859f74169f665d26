"""Which round is the programme's current one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from programme.models import Round, Stage

# Built once, and so its cache key too: most pages ask for it.
_CURRENT_ROUND = (
    select(Round).where(Round.stage != Stage.CLOSED).order_by(Round.programme_year.desc()).limit(1)
)


async def current_round(db: AsyncSession) -> Round | None:
    """The latest round that has not closed."""
    return await db.scalar(_CURRENT_ROUND)
