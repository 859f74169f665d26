"""Finding rounds."""

from __future__ import annotations

from uuid import UUID

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from matching.models import ChoiceEntry
from placements.web.counting import page_of
from programme.models import Round


async def get_round(db: AsyncSession, round_id: UUID) -> Round:
    round_ = await db.get(Round, round_id)
    if round_ is None:
        raise NotFoundException("No round has this id")
    return round_


async def list_rounds(db: AsyncSession, *, limit: int, offset: int) -> tuple[list[Round], int]:
    rows, total = await page_of(
        db, select(Round), order_by=[Round.programme_year.desc()], limit=limit, offset=offset
    )
    return [round_ for (round_,) in rows], total


async def every_round(db: AsyncSession) -> list[Round]:
    """Every round, oldest programme year first."""
    return list(await db.scalars(select(Round).order_by(Round.programme_year)))


async def count_entered_pupils(db: AsyncSession, round_: Round) -> int:
    """How many pupils have their choices entered in the round (only they take part in its runs)."""
    return (
        await db.scalar(
            select(func.count()).select_from(ChoiceEntry).where(ChoiceEntry.round_id == round_.id)
        )
        or 0
    )
