"""Queueing email: write it to the outbox in the caller's transaction, send it from a job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from placements.accounts.models import User
from placements.clock import now
from placements.jobs.queue import submit
from placements.notifications.headers import recipient, subject_line
from placements.notifications.models import OutboxMessage
from placements.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def public_url(path: str) -> str:
    """The address of a page as people reach it: every link in an email is made here."""
    return f"{get_settings().base_url}{path}"


async def queue_email(db: AsyncSession, *, to: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(
        to_address=recipient(to), subject=subject_line(subject), body=body, created_at=now()
    )
    db.add(message)
    await db.flush()
    await submit(db, "send_email", message_id=str(message.id))
    return message


async def addresses_of(db: AsyncSession, *conditions: Any) -> list[str]:
    """The email addresses of the active users meeting `conditions` (on User), sorted."""
    return list(
        await db.scalars(select(User.email).where(User.is_active.is_(True), *conditions).order_by(User.email))
    )
