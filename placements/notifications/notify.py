"""Talking to GOV.UK Notify: send a message, ask what became of it.

The client is synchronous (requests), so each call runs in a worker thread, bounded by a timeout,
and the event loop carries on. Notify's answer decides what happens next: a client error (a bad
address or template, a trial-mode or team key's limits, a key Notify does not know) will be given
again however often the message is sent, so it is `Refused`; anything else (Notify down or slow,
its rate limit, the network) is an outage, which the job runner waits out and tries again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from notifications_python_client import NotificationsAPIClient
from notifications_python_client.errors import APIError

from placements.notifications.headers import recipient, subject_line
from placements.notifications.models import Channel, DeliveryStatus, OutboxMessage
from placements.outages import ServiceUnavailable
from placements.settings import NotifySettings

# Seconds for each request to Notify, and a little more for the thread as a whole.
TIMEOUT = 20.0
TOO_MANY_REQUESTS = 429


class Refused(Exception):
    """Notify will not take this request however often it is made; the message says why."""


def _describe(error: APIError) -> str:
    """Notify's own words: `403 AuthError: Invalid token: …`."""
    detail = error.message
    if isinstance(detail, list):
        detail = "; ".join(f"{item.get('error')}: {item.get('message')}" for item in detail)
    return f"{error.status_code} {detail}"[:500]


async def _call(settings: NotifySettings, request: Callable[[NotificationsAPIClient], Any]) -> Any:
    def in_thread() -> Any:
        # A client per call: it holds a requests session, which threads must not share.
        client = NotificationsAPIClient(settings.api_key, base_url=settings.base_url, timeout=TIMEOUT)
        return request(client)

    try:
        return await asyncio.wait_for(asyncio.to_thread(in_thread), TIMEOUT + 5)
    except APIError as error:
        if 400 <= error.status_code < 500 and error.status_code != TOO_MANY_REQUESTS:
            raise Refused(_describe(error)) from error
        raise ServiceUnavailable(f"GOV.UK Notify did not answer: {_describe(error)}") from error


async def send(message: OutboxMessage, settings: NotifySettings) -> str:
    """Hand the message to Notify; its id for the message. The outbox row's id is the reference,
    so Notify's own records lead back to the row."""
    reference = str(message.id)
    if message.channel is Channel.SMS:
        template_id = settings.sms_template_id
        answer = await _call(
            settings,
            lambda client: client.send_sms_notification(
                phone_number=message.to_address,
                template_id=template_id,
                personalisation={"body": message.body},
                reference=reference,
            ),
        )
    else:
        # Checked again here: a row written before the outbox checked its headers is sent safely too.
        address, subject = recipient(message.to_address), subject_line(message.subject)
        answer = await _call(
            settings,
            lambda client: client.send_email_notification(
                email_address=address,
                template_id=settings.email_template_id,
                personalisation={"subject": subject, "body": message.body},
                reference=reference,
            ),
        )
    return str(answer["id"])


async def status_of(provider_id: str, settings: NotifySettings) -> tuple[DeliveryStatus, datetime | None]:
    """Notify's status of a message it took, and when it reached it (None while it is not final).
    Refused for a status this service does not know, or a message Notify no longer has."""
    answer = await _call(settings, lambda client: client.get_notification_by_id(provider_id))
    try:
        status = DeliveryStatus(answer["status"])
    except ValueError:
        raise Refused(f"an unknown status from Notify: {answer['status']!r}") from None
    completed = answer.get("completed_at")
    return status, datetime.fromisoformat(completed) if completed else None
