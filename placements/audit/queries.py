"""Reading the audit log, filtered, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from placements.audit.models import AuditEntry
from placements.clock import UTC
from placements.web.counting import page_of


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    record_type: str | None = None
    record_id: str | None = None
    on_or_after: date | None = None
    before: date | None = None

    def apply(self, query: Select[tuple[AuditEntry]]) -> Select[tuple[AuditEntry]]:
        if self.actor:
            query = query.where(AuditEntry.actor_label.icontains(self.actor, autoescape=True))
        if self.action:
            query = query.where(AuditEntry.action == self.action)
        if self.record_type:
            query = query.where(AuditEntry.record_type == self.record_type)
        if self.record_id:
            query = query.where(AuditEntry.record_id == self.record_id)
        if self.on_or_after:
            query = query.where(AuditEntry.at >= datetime.combine(self.on_or_after, time.min, UTC))
        if self.before:
            query = query.where(
                AuditEntry.at < datetime.combine(self.before + timedelta(days=1), time.min, UTC)
            )
        return query


async def audit_entries(
    db: AsyncSession, where: AuditFilter, *, limit: int, offset: int
) -> tuple[list[AuditEntry], int]:
    order = [AuditEntry.at.desc(), AuditEntry.id]
    rows, total = await page_of(
        db, where.apply(select(AuditEntry)), order_by=order, limit=limit, offset=offset
    )
    return [entry for (entry,) in rows], total


async def audit_actions(db: AsyncSession) -> list[str]:
    return list(await db.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
