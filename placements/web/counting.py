"""Counting rows: the figures on home pages, and the total beside each page of a long list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ScalarSelect, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession


def counted(model: Any, *where: Any) -> ScalarSelect[int]:
    """A count to be asked for beside others: a page of figures (the home page's) selects all of
    its counts in one query (`fill_counts`) instead of one query each."""
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


async def fill_counts(db: AsyncSession, values: dict[str, Any]) -> dict[str, Any]:
    """`values` with every `counted(…)` in it, or in a dict in it, replaced by its number, all
    asked for in one query."""
    places = [(values, name) for name, value in values.items() if isinstance(value, ScalarSelect)]
    for inner in values.values():
        if isinstance(inner, dict):
            places += [(inner, name) for name, value in inner.items() if isinstance(value, ScalarSelect)]
    if places:
        numbers = (await db.execute(select(*(where[name] for where, name in places)))).one()
        for (where, name), number in zip(places, numbers, strict=True):
            where[name] = number or 0
    return values


async def page_of(
    db: AsyncSession, query: Select[Any], *, order_by: Sequence[Any], limit: int, offset: int
) -> tuple[list[tuple[Any, ...]], int]:
    """A page of `query`'s rows in `order_by` order, and how many rows it has in all.

    The total rides on every row as a window count, so a page costs one query, not a count and
    then the rows; only a page past the end (no row to carry it) asks for the total apart.
    """
    with_total = query.add_columns(func.count().over().label("rows_in_all"))
    rows = (await db.execute(with_total.order_by(*order_by).limit(limit).offset(offset))).all()
    if rows:
        return [tuple(row[:-1]) for row in rows], rows[0][-1]
    if offset == 0:
        return [], 0
    return [], await db.scalar(select(func.count()).select_from(query.subquery())) or 0
