"""Queueing email and text messages: write them to the outbox in the caller's transaction, send
them from a job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from litestar.exceptions import NotFoundException
from sqlalchemy import select

from placements.accounts.models import User
from placements.audit.services import record
from placements.clock import now
from placements.db import locked
from placements.jobs.queue import submit
from placements.notifications.headers import recipient, subject_line
from placements.notifications.models import FAILED, Channel, OutboxMessage
from placements.notifications.phones import is_uk_mobile, uk_mobile
from placements.refusals import Refusal
from placements.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def public_url(path: str) -> str:
    """The address of a page as people reach it: every link in an email is made here."""
    return f"{get_settings().base_url}{path}"


async def queue_email(db: AsyncSession, *, to: str, subject: str, body: str) -> OutboxMessage:
    return await _queue(
        db,
        OutboxMessage(to_address=recipient(to), subject=subject_line(subject), body=body, created_at=now()),
    )


async def queue_text(db: AsyncSession, *, to: str, body: str) -> OutboxMessage:
    """A text message to a UK mobile (ValueError for any other number). Only GOV.UK Notify sends
    them: with SMTP, or nothing, set up, they stay in the outbox."""
    message = OutboxMessage(
        channel=Channel.SMS, to_address=uk_mobile(to), subject=subject_line(body), body=body, created_at=now()
    )
    return await _queue(db, message)


async def _queue(db: AsyncSession, message: OutboxMessage) -> OutboxMessage:
    db.add(message)
    await _send(db, message)
    return message


async def _send(db: AsyncSession, message: OutboxMessage) -> None:
    """Queue the job that sends `message`; it starts when the caller's transaction commits."""
    await db.flush()
    # The job keeps its first name, which queued jobs in existing databases carry; it sends both kinds.
    await submit(db, "send_email", message_id=str(message.id))


async def send_again(
    db: AsyncSession, *, message_id: UUID, actor: User, ip_address: str | None
) -> OutboxMessage:
    """Send again a message that failed for good (Notify refused it, or could not deliver it),
    once whatever was wrong is put right: a wrong API key fixed, an address corrected at the
    source. A message still on its way, or being tried, is left alone: it would arrive twice; and
    of two people asking at once, the second finds it queued already."""
    message = await locked(db, OutboxMessage, message_id)
    if message is None:
        raise NotFoundException("No message has this id")
    if message.status not in FAILED:
        raise Refusal("Only a message that failed for good can be sent again")
    message.status = message.status_at = message.sent_at = message.provider_id = message.last_error = None
    message.attempts = 0
    await _send(db, message)
    await record(
        db,
        actor=actor,
        action="message_sent_again",
        record_type="outbox_message",
        record_id=message.id,
        ip_address=ip_address,
    )
    return message


async def addresses_of(db: AsyncSession, *conditions: Any) -> list[str]:
    """The email addresses of the active users meeting `conditions` (on User), sorted."""
    return list(
        await db.scalars(select(User.email).where(User.is_active.is_(True), *conditions).order_by(User.email))
    )


async def mobiles_of(db: AsyncSession, *conditions: Any) -> list[str]:
    """The UK mobile numbers (as +447…) of the active users meeting `conditions`, each once, sorted;
    a landline or no number at all is left out."""
    phones = await db.scalars(
        select(User.phone).where(User.is_active.is_(True), User.phone.is_not(None), *conditions)
    )
    return sorted({uk_mobile(phone) for phone in phones if phone and is_uk_mobile(phone)})
