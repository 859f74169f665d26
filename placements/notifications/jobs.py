"""Sending what the outbox holds, through GOV.UK Notify or over SMTP, whichever is set up, and asking
Notify what became of the messages it took."""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from placements.clock import now
from placements.jobs.registry import JobContext, job
from placements.jobs.schedule import hourly
from placements.notifications import notify, smtp
from placements.notifications.models import IN_FLIGHT, Channel, DeliveryStatus, OutboxMessage
from placements.settings import NotifySettings, SmtpSettings, get_settings

log = logging.getLogger(__name__)
# Notify keeps a message's record for 7 days: after that there is nobody to ask.
NOTIFY_KEEPS = timedelta(days=7)
# Messages asked about in one run; the rest wait for the next hour (Notify limits requests a minute).
STATUS_BATCH = 1000


@job("send_email")
async def send_email(ctx: JobContext) -> None:
    """Send one message of the outbox, an email or a text message."""
    settings = get_settings()
    async with ctx.sessionmaker() as db:
        message = await db.get(OutboxMessage, UUID(ctx.arguments["message_id"]))
        # Already sent, or refused for good, by an earlier delivery of this job: sending twice would spam.
        if message is None or message.sent_at is not None or message.status is DeliveryStatus.REFUSED:
            return
        if settings.notify.configured:
            await _through_notify(db, message, settings.notify)
        else:
            await _over_smtp(db, message, settings.smtp)


async def _through_notify(db: AsyncSession, message: OutboxMessage, settings: NotifySettings) -> None:
    if message.channel is Channel.SMS and not settings.sms_template_id:
        log.info("NOTIFY_SMS_TEMPLATE_ID not set: text message to %s kept in the outbox", message.to_address)
        return
    message.attempts += 1
    try:
        provider_id = await notify.send(message, settings)
    except notify.Refused as refusal:
        # Notify would refuse it again: the coordinator sees it, and the job ends without retrying.
        log.warning("GOV.UK Notify refused message %s: %s", message.id, refusal)
        message.status, message.status_at, message.last_error = DeliveryStatus.REFUSED, now(), str(refusal)
        await db.commit()
        return
    except Exception as exc:
        await _failed(db, message, exc)
        raise
    message.sent_at = message.status_at = now()
    message.provider_id, message.status, message.last_error = provider_id, DeliveryStatus.CREATED, None
    await db.commit()


async def _over_smtp(db: AsyncSession, message: OutboxMessage, settings: SmtpSettings) -> None:
    if message.channel is Channel.SMS:
        log.info(
            "Text messages go only through GOV.UK Notify: one to %s kept in the outbox", message.to_address
        )
        return
    if not settings.configured:
        log.info("SMTP not configured: email to %s kept in the outbox", message.to_address)
        return
    message.attempts += 1
    try:
        await smtp.send(message, settings)
    except Exception as exc:
        await _failed(db, message, exc)
        raise
    message.sent_at = now()
    message.last_error = None
    await db.commit()


async def _failed(db: AsyncSession, message: OutboxMessage, error: Exception) -> None:
    """Keep the attempt and its error; the job fails, and is tried again if the error was an outage."""
    message.last_error = str(error)[:500]
    await db.commit()


@hourly("delivery_status", minute=20)
async def delivery_status(ctx: JobContext) -> None:
    """Ask Notify what became of each message it took and has not finished with, and record it."""
    settings = get_settings().notify
    if not settings.configured:
        return
    async with ctx.sessionmaker() as db:
        waiting = await db.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.provider_id.is_not(None),
                OutboxMessage.status.in_(IN_FLIGHT),
                OutboxMessage.sent_at >= now() - NOTIFY_KEEPS,
            )
            .order_by(OutboxMessage.sent_at, OutboxMessage.id)
            .limit(STATUS_BATCH)
        )
        for message in waiting.all():
            assert message.provider_id is not None
            try:
                status, reached_at = await notify.status_of(message.provider_id, settings)
            except notify.Refused as refusal:
                log.warning("GOV.UK Notify gave no status for message %s: %s", message.id, refusal)
                continue
            if status is not message.status:
                message.status, message.status_at = status, reached_at or now()
        await db.commit()
