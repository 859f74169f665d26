"""The outbox: every email and text message the service sends is written here first, then sent by a
job; with GOV.UK Notify, what became of it afterwards is recorded here too."""

from __future__ import annotations

import enum
from datetime import datetime

from advanced_alchemy.base import UUIDBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from placements.types import enum_column


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class DeliveryStatus(enum.StrEnum):
    """Notify's statuses of an email or text message, and `refused` for one Notify would not take."""

    CREATED = "created"
    SENDING = "sending"
    PENDING = "pending"
    # International text messages: handed to a provider abroad, which tells Notify nothing more.
    SENT = "sent"
    DELIVERED = "delivered"
    PERMANENT_FAILURE = "permanent-failure"
    TEMPORARY_FAILURE = "temporary-failure"
    TECHNICAL_FAILURE = "technical-failure"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return {
            "created": "Queued at Notify",
            "sending": "Sending",
            "pending": "Sending",
            "sent": "Sent abroad",
            "delivered": "Delivered",
            "permanent-failure": "No such address or number",
            "temporary-failure": "Inbox full or phone off",
            "technical-failure": "Notify could not send it",
            "refused": "Refused by Notify",
        }[self.value]


# Notify has taken these and is still trying; every other status is the last it will give.
IN_FLIGHT = frozenset({DeliveryStatus.CREATED, DeliveryStatus.SENDING, DeliveryStatus.PENDING})
FAILED = frozenset(
    {
        DeliveryStatus.PERMANENT_FAILURE,
        DeliveryStatus.TEMPORARY_FAILURE,
        DeliveryStatus.TECHNICAL_FAILURE,
        DeliveryStatus.REFUSED,
    }
)


class OutboxMessage(UUIDBase):
    __tablename__ = "outbox_message"

    channel: Mapped[Channel] = mapped_column(
        enum_column(Channel), default=Channel.EMAIL, server_default="email"
    )
    # An email address, or for a text message a UK mobile number as +447…
    to_address: Mapped[str] = mapped_column(String(320), index=True)
    # A text message has none: its first words stand in for one in lists.
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    # Notify's id of the message, and the last status Notify gave (with when it was learnt); SMTP
    # reports nothing back, so both stay empty for mail sent that way.
    provider_id: Mapped[str | None] = mapped_column(String(36), default=None)
    status: Mapped[DeliveryStatus | None] = mapped_column(
        enum_column(DeliveryStatus), default=None, index=True
    )
    status_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
