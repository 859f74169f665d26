"""`placements verify RUN`: a stored run re-checked from the command line, against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

from sqlalchemy import update

from matching import preferences, runs
from matching.models import MatchRun, Stage
from matching.policy import RunPolicy
from tests.support import run_queued_jobs


def verify(run_id: object, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", "from placements.cli import main; main()", "verify", str(run_id)],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": database_url},
        check=False,
        timeout=120,
    )


async def test_a_stored_run_reproduces_until_its_files_are_tampered_with(client, db, scenario, database_url):
    s = await scenario(stage=Stage.PREFERENCES_OPEN)
    for pupil in s.pupils[1]:
        await preferences.save_choices(
            db,
            round_=s.round,
            pupil=pupil,
            placement_ids=[q.id for q in s.placements],
            open_to_other=False,
            actor=s.school_staff[1],
            ip_address=None,
        )
    s.round.stage = Stage.PREFERENCES_CLOSED
    await db.commit()
    run = await runs.start_run(
        db, round_=s.round, policy=RunPolicy(mode="stable", seed=7), actor=s.coordinator, ip_address=None
    )
    await db.commit()
    await run_queued_jobs()
    run_id = run.id
    await db.rollback()

    good = verify(run_id, database_url)
    assert good.returncode == 0, good.stderr
    assert "reproduces: result SHA-256" in good.stdout

    await db.execute(update(MatchRun).where(MatchRun.id == run_id).values(result=b"{}"))
    await db.commit()
    tampered = verify(run_id, database_url)
    assert tampered.returncode == 1
    assert "the stored result no longer matches its SHA-256" in tampered.stdout

    unknown = verify(uuid.uuid4(), database_url)
    assert unknown.returncode == 1 and "No run has this id" in unknown.stderr
