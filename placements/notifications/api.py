"""The messages that did not arrive, for coordinators' own tools (the page is /undelivered-messages)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, get, post
from litestar.params import FromPath
from msgspec import Struct

from placements.accounts.guards import COORDINATOR
from placements.db import DbSession
from placements.notifications import queries, services
from placements.notifications.models import Channel, DeliveryStatus, OutboxMessage
from placements.web.acting import Acting
from placements.web.errors import API_ERRORS, API_LOOKUP_ERRORS, ConflictException
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

    @post(
        "/{message_id:uuid}/send-again",
        opt=COORDINATOR,
        operation_id="sendMessageAgain",
        summary="Send again a message that failed for good, once what was wrong is put right",
        description="Refused (409) for a message on its way, arrived, or still being tried.",
        raises=[*API_LOOKUP_ERRORS, ConflictException],
        status_code=200,
    )
    async def send_again(
        self, acting: Acting, message_id: FromPath[UUID], db_session: DbSession
    ) -> UndeliveredOut:
        message = await services.send_again(
            db_session, message_id=message_id, actor=acting.user, ip_address=acting.ip_address
        )
        return UndeliveredOut.of(message)
