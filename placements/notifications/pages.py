"""Development only: the emails the service would have sent, so invitation links can be followed."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy import func, select

from placements.accounts.guards import access, development_only
from placements.accounts.models import Role
from placements.db import DbSession
from placements.notifications.models import OutboxMessage
from placements.web.paging import Page, page_from_request


class SentEmailsPage(Controller):
    path = "/sent-emails"
    include_in_schema = False
    opt = access(Role.COORDINATOR)
    guards = [development_only]

    @get("/")
    async def list_emails(self, request: Request[Any, Any, Any], db_session: DbSession) -> Template:
        paging = page_from_request(request, per_page=20)
        total = await db_session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
        messages = await db_session.scalars(
            select(OutboxMessage)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
            .limit(paging.limit)
            .offset(paging.offset)
        )
        return Template(
            template_name="placements/sent_emails.html",
            context={"messages": list(messages), "page": Page.of(paging, total, request)},
        )
