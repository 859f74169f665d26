"""Counting rows: the figures on home pages, and the total beside each page of a long list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession


async def count(db: AsyncSession, model: Any, *where: Any) -> int:
    return await db.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def page_of(
    db: AsyncSession, query: Select[Any], *, order_by: Sequence[Any], limit: int, offset: int
) -> tuple[list[tuple[Any, ...]], int]:
    """A page of `query`'s rows in `order_by` order, and how many rows it has in all.

    The total rides on every row as a window count, so a page costs one query, not a count and
    then the rows; only a page past the end (no row to carry it) asks for the total apart.
    """
    counted = query.add_columns(func.count().over().label("rows_in_all"))
    rows = (await db.execute(counted.order_by(*order_by).limit(limit).offset(offset))).all()
    if rows:
        return [tuple(row[:-1]) for row in rows], rows[0][-1]
    if offset == 0:
        return [], 0
    return [], await db.scalar(select(func.count()).select_from(query.subquery())) or 0
