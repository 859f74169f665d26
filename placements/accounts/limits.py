"""Limits on how often something may be done, counted from the audit log.

Everything limited here (failed sign-ins, sign-ups, invitations, reset emails) is audited anyway,
so the log is the count: every web process sees the same one, inside the request's own
transaction, with no other store to keep in step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from litestar.exceptions import TooManyRequestsException
from sqlalchemy import ColumnElement, select

from placements.audit.models import AuditEntry
from placements.clock import now

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


class TooMany(TooManyRequestsException):
    """Refused for now (429, with Retry-After): the detail is for the person."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(detail=message, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    """At most `most` of the audited `actions` within `window`, for whatever the caller counts by."""

    actions: tuple[str, ...]
    most: int
    window: timedelta
    message: str = ""  # for the person refused; a limit that must not show (`reached`) has none


def seconds_until(moment: datetime) -> int:
    return max(1, math.ceil((moment - now()).total_seconds()))


async def recent(
    db: AsyncSession, actions: tuple[str, ...], *where: ColumnElement[bool], since: datetime, most: int
) -> list[datetime]:
    """When the latest `most` of `actions` matching `where` happened after `since`, newest first."""
    return list(
        await db.scalars(
            select(AuditEntry.at)
            .where(AuditEntry.action.in_(actions), AuditEntry.at > since, *where)
            .order_by(AuditEntry.at.desc())
            .limit(most)
        )
    )


async def enforce(db: AsyncSession, limit: Limit, *where: ColumnElement[bool]) -> None:
    """Raise TooMany when `limit` is already reached for the entries matching `where`."""
    times = await recent(db, limit.actions, *where, since=now() - limit.window, most=limit.most)
    if len(times) >= limit.most:
        raise TooMany(limit.message, seconds_until(times[-1] + limit.window))


async def reached(db: AsyncSession, limit: Limit, *where: ColumnElement[bool]) -> bool:
    """Whether `limit` is reached, for a caller that must answer the same either way."""
    try:
        await enforce(db, limit, *where)
    except TooMany:
        return True
    return False
