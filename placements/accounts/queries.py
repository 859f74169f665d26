"""Finding accounts: the coordinator's list of everyone, and the organisations people belong to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts.models import Role, User, organisation_model


async def list_users(
    db: AsyncSession, *, order: tuple[Any, ...], limit: int, offset: int
) -> tuple[list[User], int]:
    total = await db.scalar(select(func.count()).select_from(User)) or 0
    users = await db.scalars(select(User).order_by(*order).limit(limit).offset(offset))
    return list(users), total


async def organisation_choices(db: AsyncSession, role: Role) -> list[tuple[Any, str]]:
    """(id, name) of every organisation whose people have this role (schools, employers), by name."""
    model = organisation_model(role)
    return [(row.id, row.name) for row in await db.execute(select(model.id, model.name).order_by(model.name))]
