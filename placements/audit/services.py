"""Writing to the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import insert

from placements.audit.models import AuditEntry
from placements.clock import now

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from placements.accounts.models import User


def entry_values(
    *,
    actor: User | None,
    action: str,
    record_type: str | None = None,
    record_id: object | None = None,
    ip_address: str | None = None,
    actor_label: str | None = None,
    **detail: Any,
) -> dict[str, Any]:
    """An audit entry's columns."""
    return {
        "at": now(),
        "actor_id": actor.id if actor else None,
        "actor_label": actor_label or (actor.email if actor else "system"),
        "action": action,
        "record_type": record_type,
        "record_id": str(record_id) if record_id is not None else None,
        "ip_address": ip_address,
        "detail": detail,
    }


async def record(db: AsyncSession, **entry: Any) -> AuditEntry:
    """Adds an entry (`entry_values`' arguments) to be written with the transaction's other changes."""
    added = AuditEntry(**entry_values(**entry))
    db.add(added)
    return added


async def record_at_once(db: AsyncSession, entries: list[dict[str, Any]]) -> None:
    """Writes entries (`entry_values`) now, as one plain insert: no objects for the session to track
    and flush, which cost a page that read pupils a few tenths of a millisecond for its one entry."""
    if entries:
        await db.execute(insert(AuditEntry.__table__), entries)
