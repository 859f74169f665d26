"""Finding messages in the outbox: all of them, newest first, or those that did not arrive."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from litestar.exceptions import NotFoundException
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from placements.clock import now
from placements.notifications.models import FAILED, IN_FLIGHT, OutboxMessage
from placements.web.counting import page_of

# Notify's providers try for up to 72 hours; a message still on its way after that is stuck.
STUCK_AFTER = timedelta(days=3)


async def _newest_first(
    db: AsyncSession, where: ColumnElement[bool] | None, *, limit: int, offset: int
) -> tuple[list[OutboxMessage], int]:
    query = select(OutboxMessage) if where is None else select(OutboxMessage).where(where)
    order = [OutboxMessage.created_at.desc(), OutboxMessage.id]
    rows, total = await page_of(db, query, order_by=order, limit=limit, offset=offset)
    return [message for (message,) in rows], total


async def sent_emails(db: AsyncSession, *, limit: int, offset: int) -> tuple[list[OutboxMessage], int]:
    return await _newest_first(db, None, limit=limit, offset=offset)


def _undelivered() -> ColumnElement[bool]:
    return or_(
        OutboxMessage.status.in_(FAILED),
        # Tried and not sent: each try's error is kept, including the last one's when the job gave up.
        and_(OutboxMessage.sent_at.is_(None), OutboxMessage.last_error.is_not(None)),
        and_(OutboxMessage.status.in_(IN_FLIGHT), OutboxMessage.sent_at < now() - STUCK_AFTER),
    )


async def undelivered(db: AsyncSession, *, limit: int, offset: int) -> tuple[list[OutboxMessage], int]:
    """Messages that failed for good, are failing, or have been on their way too long."""
    return await _newest_first(db, _undelivered(), limit=limit, offset=offset)


async def message(db: AsyncSession, message_id: UUID) -> OutboxMessage:
    found = await db.get(OutboxMessage, message_id)
    if found is None:
        raise NotFoundException("No message has this id")
    return found
