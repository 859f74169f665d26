"""Sending queued email over SMTP, when SMTP is configured."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from uuid import UUID

import aiosmtplib

from placements.clock import now
from placements.jobs.registry import JobContext, job
from placements.notifications.headers import recipient, subject_line
from placements.notifications.models import OutboxMessage
from placements.settings import get_settings

log = logging.getLogger(__name__)


@job("send_email")
async def send_email(ctx: JobContext) -> None:
    smtp = get_settings().smtp
    async with ctx.sessionmaker() as db:
        message = await db.get(OutboxMessage, UUID(ctx.arguments["message_id"]))
        # Already sent by an earlier delivery of this job: sending twice would spam.
        if message is None or message.sent_at is not None:
            return
        if not smtp.configured:
            log.info("SMTP not configured: email to %s kept in the outbox", message.to_address)
            return
        email = EmailMessage()
        email["From"] = smtp.sender
        # Checked again here: a row written before the outbox checked its headers is sent safely too.
        email["To"] = recipient(message.to_address)
        email["Subject"] = subject_line(message.subject)
        email.set_content(message.body)
        message.attempts += 1
        try:
            await aiosmtplib.send(
                email,
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username,
                password=smtp.password,
                start_tls=smtp.use_tls,
                timeout=30,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            message.last_error = str(exc)[:500]
            await db.commit()
            raise
        message.sent_at = now()
        message.last_error = None
        await db.commit()
