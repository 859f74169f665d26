"""Writing to the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from placements.audit.models import AuditEntry
from placements.clock import now

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from placements.accounts.models import User


async def record(
    db: AsyncSession,
    *,
    actor: User | None,
    action: str,
    record_type: str | None = None,
    record_id: object | None = None,
    ip_address: str | None = None,
    actor_label: str | None = None,
    **detail: Any,
) -> AuditEntry:
    entry = AuditEntry(
        at=now(),
        actor_id=actor.id if actor else None,
        actor_label=actor_label or (actor.email if actor else "system"),
        action=action,
        record_type=record_type,
        record_id=str(record_id) if record_id is not None else None,
        ip_address=ip_address,
        detail=detail,
    )
    db.add(entry)
    return entry
