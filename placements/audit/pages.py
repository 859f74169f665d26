"""The coordinator's view of the audit log, and the same in the API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, get
from litestar.response import Template
from msgspec import Struct

from placements.accounts.guards import COORDINATOR
from placements.audit.labels import record_names
from placements.audit.queries import AuditFilter, audit_actions, audit_entries
from placements.db import DbSession
from placements.web.errors import API_ERRORS
from placements.web.paging import FilterText, Limit, Offset, Page, page_from_request


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


class AuditPages(Controller):
    path = "/audit"
    include_in_schema = False
    opt = COORDINATOR

    @get("/")
    async def browse(self, request: Request[Any, Any, Any], db_session: DbSession) -> Template:
        params = request.query_params
        where = AuditFilter(
            actor=params.get("actor") or None,
            action=params.get("action") or None,
            record_type=params.get("record_type") or None,
            record_id=params.get("record_id") or None,
            on_or_after=_date(params.get("from")),
            before=_date(params.get("to")),
        )
        paging = page_from_request(request, per_page=50)
        entries, total = await audit_entries(db_session, where, limit=paging.limit, offset=paging.offset)
        return Template(
            template_name="placements/audit.html",
            context={
                "entries": entries,
                "names": await record_names(db_session, entries),
                "page": Page.of(paging, total, request),
                "actions": await audit_actions(db_session),
                "values": dict(params.items()),
            },
        )


class AuditEntryOut(Struct):
    id: UUID
    at: datetime
    actor: str
    action: str
    record_type: str | None
    record_id: str | None
    ip_address: str | None


class AuditApi(Controller):
    path = "/api/audit"
    tags = ["Audit"]
    opt = COORDINATOR

    @get("/", operation_id="listAuditEntries", summary="The audit log, newest first", raises=API_ERRORS)
    async def list_entries(
        self,
        db_session: DbSession,
        action: FilterText = None,
        actor: FilterText = None,
        record_type: FilterText = None,
        record_id: FilterText = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> OffsetPagination[AuditEntryOut]:
        where = AuditFilter(actor=actor, action=action, record_type=record_type, record_id=record_id)
        entries, total = await audit_entries(db_session, where, limit=limit, offset=offset)
        items = [
            AuditEntryOut(
                id=e.id,
                at=e.at,
                actor=e.actor_label,
                action=e.action,
                record_type=e.record_type,
                record_id=e.record_id,
                ip_address=e.ip_address,
            )
            for e in entries
        ]
        return OffsetPagination(items=items, limit=limit, offset=offset, total=total)
