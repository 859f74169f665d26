"""Time the 2,000-row pupil CSV import: parse + check + preview, then the all-or-nothing write.

Runs against a fresh SQLite database (and PostgreSQL too when DATABASE_URL names one):
    .venv/bin/python -m benchmarks.pupil_import
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

ROWS = 2000


def generate_csv(rows: int = ROWS) -> bytes:
    from placements.clock import today
    from schools.validation import academic_year_start

    start = academic_year_start(today())
    lines = [
        "reference,first_name,last_name,date_of_birth,year_group,home_postcode,pupil_premium,send,"
        "emergency_contact_name,emergency_contact_phone"
    ]
    for n in range(rows):
        year = 10 if n % 2 else 12
        lines.append(
            f"B{n:05d},First{n},Last{n},15/01/{start - year - 4},{year},PR1 2HE,"
            f"{'yes' if n % 4 == 0 else 'no'},no,Parent {n},07700 900{n % 1000:03d}"
        )
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


async def run(url: str) -> None:
    from placements import migrate
    from placements.accounts.models import Role, User
    from placements.db import create_engine
    from placements.settings import settings_from_env
    from schools import services
    from schools.models import Pupil, School

    settings = settings_from_env({"DATABASE_URL": url})
    await asyncio.to_thread(migrate.upgrade, settings)
    engine = create_engine(settings)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    content = generate_csv()
    async with sessions() as db:
        school = School(urn="999001", name="Benchmark School", postcode="PR1 2HE")
        db.add(school)
        await db.flush()
        user = User(email="bench@example.org", name="Bench", role=Role.SCHOOL_STAFF, school_id=school.id)
        db.add(user)
        await db.commit()
        for label in ("first import", "re-import (updates)"):
            started = time.perf_counter()
            pending = await services.start_import(
                db, school=school, filename="bench.csv", content=content, actor=user, ip_address=None
            )
            services.summarise(pending)
            await db.commit()
            preview = time.perf_counter() - started
            started = time.perf_counter()
            result = await services.confirm_import(db, pending=pending, actor=user, ip_address=None)
            await db.commit()
            write = time.perf_counter() - started
            total = await db.scalar(select(func.count()).select_from(Pupil))
            print(
                f"{url.split(':')[0]:<20} {label:<20} rows={ROWS} parse+preview={preview:.2f}s "
                f"import={write:.2f}s (created {result.created}, updated {result.updated}, pupils {total})"
            )
    await engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"))
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        print("(PostgreSQL: DATABASE_URL must name an empty database the benchmark may fill)")
        asyncio.run(run(url))


if __name__ == "__main__":
    main()
