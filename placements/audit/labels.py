"""Names for the records audit entries point at, so the log shows "Summer placements 2027", not an id.

An entry stores only a record type and id; each package that owns a kind of record says how to name it
with `names_records`, so the log can name records of packages the core does not import.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts.models import User
from placements.audit.models import AuditEntry

Namer = Callable[[AsyncSession, set[UUID]], Awaitable[dict[UUID, str]]]
NAMERS: dict[str, Namer] = {}


def names_records(record_type: str) -> Callable[[Namer], Namer]:
    def register(namer: Namer) -> Namer:
        NAMERS[record_type] = namer
        return namer

    return register


@names_records("user")
async def _users(db: AsyncSession, ids: set[UUID]) -> dict[UUID, str]:
    return {
        uid: f"{name} ({email})"
        for uid, name, email in await db.execute(
            select(User.id, User.name, User.email).where(User.id.in_(ids))
        )
    }


def _uuid(text: str | None) -> UUID | None:
    try:
        return UUID(text) if text else None
    except ValueError:
        return None


async def record_names(db: AsyncSession, entries: Iterable[AuditEntry]) -> dict[str, str]:
    """Each entry's record id → the record's name, for the records that still exist and can be named."""
    wanted: dict[str, set[UUID]] = defaultdict(set)
    for entry in entries:
        record_id = _uuid(entry.record_id)
        if entry.record_type in NAMERS and record_id is not None:
            wanted[entry.record_type].add(record_id)
    names: dict[str, str] = {}
    for record_type, ids in wanted.items():
        names.update({str(rid): name for rid, name in (await NAMERS[record_type](db, ids)).items()})
    return names
