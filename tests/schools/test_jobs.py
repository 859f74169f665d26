"""The daily purge of pending pupil imports: expired ones go, fresh ones stay, and twice is harmless."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from placements.audit.models import AuditEntry
from placements.jobs.registry import JobContext
from placements.jobs.schedule import daily_jobs, start_daily_job
from schools.jobs import purge_expired_pupil_imports
from schools.models import PupilImport
from tests.support import make_school, run_queued_jobs

START = datetime(2027, 3, 1, 3, 0, tzinfo=UTC)


async def _pending(db, school_id, *, expires_at: datetime, filename: str) -> PupilImport:
    pending = PupilImport(
        school_id=school_id,
        filename=filename,
        rows=[{"row": 2, "pupil": {"first_name": "Ada"}}],
        problems=[],
        created_at=expires_at - timedelta(hours=24),
        expires_at=expires_at,
    )
    db.add(pending)
    await db.flush()
    return pending


async def _filenames(db) -> set[str]:
    await db.rollback()  # a fresh snapshot: the job committed in its own session
    return set(await db.scalars(select(PupilImport.filename)))


def test_the_purge_runs_daily_at_three():
    schedule = next(d for d in daily_jobs() if d.name == "purge_expired_pupil_imports")
    assert (schedule.hour, schedule.minute) == (3, 0)


async def test_expired_imports_are_purged_and_fresh_ones_kept(client, db, engine):
    with time_machine.travel(START, tick=False) as clock:
        school = await make_school(db)
        await _pending(db, school.id, expires_at=START - timedelta(hours=1), filename="expired.csv")
        await _pending(db, school.id, expires_at=START, filename="expires-now.csv")
        await _pending(db, school.id, expires_at=START + timedelta(hours=23), filename="fresh.csv")
        await db.commit()

        await start_daily_job(db, "purge_expired_pupil_imports")
        await db.commit()
        await run_queued_jobs()
        assert await _filenames(db) == {"fresh.csv"}
        purged = await db.scalar(select(AuditEntry.detail).where(AuditEntry.action == "pupil_imports_purged"))
        assert purged == {"count": 2}

        # Run again the same day (as arq may): nothing more goes, nothing fails, nothing more is logged.
        await purge_expired_pupil_imports(
            JobContext(job_id=None, arguments={}, sessionmaker=async_sessionmaker(engine))  # type: ignore[arg-type]
        )
        assert await _filenames(db) == {"fresh.csv"}
        logged = (
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "pupil_imports_purged")
        )
        assert await db.scalar(logged) == 1

        # The next day the one that was fresh has expired too.
        clock.move_to(START + timedelta(days=1))
        await start_daily_job(db, "purge_expired_pupil_imports")
        await db.commit()
        await run_queued_jobs()
        assert await _filenames(db) == set()
        assert await db.scalar(logged) == 2
