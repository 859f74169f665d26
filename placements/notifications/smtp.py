"""Sending an email over SMTP, the way mail leaves the service when GOV.UK Notify is not set up."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from placements.notifications.headers import recipient, subject_line
from placements.notifications.models import OutboxMessage
from placements.settings import SmtpSettings


async def send(message: OutboxMessage, smtp: SmtpSettings) -> None:
    email = EmailMessage()
    email["From"] = smtp.sender
    # Checked again here: a row written before the outbox checked its headers is sent safely too.
    email["To"] = recipient(message.to_address)
    email["Subject"] = subject_line(message.subject)
    email.set_content(message.body)
    await aiosmtplib.send(
        email,
        hostname=smtp.host,
        port=smtp.port,
        username=smtp.username,
        password=smtp.password,
        start_tls=smtp.use_tls,
        timeout=30,
    )
