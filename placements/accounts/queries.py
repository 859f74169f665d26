"""Finding accounts: the coordinator's list of everyone, and the organisations people belong to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts.models import Role, User, organisation_model
from placements.web.counting import page_of


async def list_users(
    db: AsyncSession, *, order: tuple[Any, ...], limit: int, offset: int
) -> tuple[list[User], int]:
    rows, total = await page_of(db, select(User), order_by=order, limit=limit, offset=offset)
    return [user for (user,) in rows], total


async def organisation_choices(db: AsyncSession, role: Role) -> list[tuple[Any, str]]:
    """(id, name) of every organisation whose people have this role (schools, employers), by name."""
    model = organisation_model(role)
    return [(row.id, row.name) for row in await db.execute(select(model.id, model.name).order_by(model.name))]
