"""The messages that did not arrive, for coordinators' own tools (the page is /undelivered-messages)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, get
from msgspec import Struct

from placements.accounts.guards import COORDINATOR
from placements.db import DbSession
from placements.notifications import queries
from placements.notifications.models import Channel, DeliveryStatus, OutboxMessage
from placements.web.errors import API_ERRORS
from placements.web.paging import Limit, Offset
from placements.web.schemas import from_model


class UndeliveredOut(Struct):
    id: UUID
    channel: Channel
    to_address: str
    subject: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    status: DeliveryStatus | None
    status_at: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, message: OutboxMessage) -> UndeliveredOut:
        return from_model(cls, message)


class NotificationsApi(Controller):
    path = "/api/undelivered-messages"
    tags = ["Notifications"]

    @get(
        "/",
        opt=COORDINATOR,
        operation_id="listUndeliveredMessages",
        summary="Emails and text messages refused, failed, failing to send or stuck, newest first",
        raises=API_ERRORS,
    )
    async def undelivered(
        self, db_session: DbSession, limit: Limit = 50, offset: Offset = 0
    ) -> OffsetPagination[UndeliveredOut]:
        messages, total = await queries.undelivered(db_session, limit=limit, offset=offset)
        return OffsetPagination(
            items=[UndeliveredOut.of(message) for message in messages],
            limit=limit,
            offset=offset,
            total=total,
        )
