"""Counting rows, for the figures on home pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession


async def count(db: AsyncSession, model: Any, *where: Any) -> int:
    return await db.scalar(select(func.count()).select_from(model).where(*where)) or 0
