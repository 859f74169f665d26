"""The outbox as coordinators see it: the messages that did not arrive (in production too), and in
development every email the service would have sent, so invitation links can be followed."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from placements.accounts.guards import COORDINATOR, development_only
from placements.db import DbSession
from placements.notifications import queries, services
from placements.notifications.models import FAILED
from placements.notifications.queries import STUCK_AFTER
from placements.refusals import Refusal
from placements.web.acting import Acting
from placements.web.paging import Page, page_from_request


class SentEmailsPage(Controller):
    path = "/sent-emails"
    include_in_schema = False
    opt = COORDINATOR
    guards = [development_only]

    @get("/")
    async def list_emails(self, request: Request[Any, Any, Any], db_session: DbSession) -> Template:
        paging = page_from_request(request, per_page=20)
        messages, total = await queries.sent_emails(db_session, limit=paging.limit, offset=paging.offset)
        return Template(
            template_name="placements/sent_emails.html",
            context={"messages": messages, "page": Page.of(paging, total, request)},
        )


class UndeliveredMessagesPage(Controller):
    path = "/undelivered-messages"
    include_in_schema = False
    opt = COORDINATOR

    @get("/")
    async def list_undelivered(self, request: Request[Any, Any, Any], db_session: DbSession) -> Template:
        paging = page_from_request(request)
        messages, total = await queries.undelivered(db_session, limit=paging.limit, offset=paging.offset)
        return Template(
            template_name="placements/undelivered_messages.html",
            context={
                "messages": messages,
                "failed": FAILED,
                "stuck_days": STUCK_AFTER.days,
                "page": Page.of(paging, total, request),
            },
        )

    @get("/{message_id:uuid}/send-again")
    async def confirm_send_again(self, message_id: FromPath[UUID], db_session: DbSession) -> Template:
        message = await queries.message(db_session, message_id)
        return Template(
            template_name="placements/send_again.html", context={"message": message, "failed": FAILED}
        )

    @post("/{message_id:uuid}/send-again")
    async def send_again(
        self,
        acting: Acting,
        request: Request[Any, Any, Any],
        message_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Redirect:
        try:
            message = await services.send_again(
                db_session, message_id=message_id, actor=acting.user, ip_address=acting.ip_address
            )
        except Refusal as exc:
            flash(request, str(exc), category="error")
            return Redirect(path="/undelivered-messages", status_code=303)
        flash(request, f"The message to {message.to_address} is being sent again", category="success")
        return Redirect(path="/undelivered-messages", status_code=303)
