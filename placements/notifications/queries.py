"""Finding the emails the service has sent (or would have sent), newest first."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from placements.notifications.models import OutboxMessage


async def sent_emails(db: AsyncSession, *, limit: int, offset: int) -> tuple[list[OutboxMessage], int]:
    total = await db.scalar(select(func.count()).select_from(OutboxMessage)) or 0
    messages = await db.scalars(
        select(OutboxMessage)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
        .limit(limit)
        .offset(offset)
    )
    return list(messages), total
