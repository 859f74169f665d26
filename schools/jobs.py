"""Daily: delete pending pupil imports past their expiry (they hold pupils' details nobody confirmed)."""

from __future__ import annotations

from placements.audit.services import record
from placements.jobs.registry import JobContext
from placements.jobs.schedule import daily
from schools.services import purge_expired_imports


@daily("purge_expired_pupil_imports", hour=3)
async def purge_expired_pupil_imports(ctx: JobContext) -> None:
    """Delete every pending import whose expires_at has passed: a second run finds none left."""
    async with ctx.sessionmaker() as db:
        purged = await purge_expired_imports(db)
        if purged:
            await record(
                db,
                actor=None,
                action="pupil_imports_purged",
                record_type="pupil_import",
                record_id=None,
                count=purged,
            )
        await db.commit()
