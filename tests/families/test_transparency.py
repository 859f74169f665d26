"""`placements round transparency ROUND` writes the round's algorithmic transparency record and the
facts a DPIA needs, from its stored runs and report, reviews included; an unknown round is refused."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import update

from families import reviews
from matching.models import MatchRun
from tests.support import run_queued_jobs


def placements(*arguments: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", "from placements.cli import main; main()", *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": database_url},
        check=False,
        timeout=120,
    )


async def test_a_rounds_transparency_record_names_its_runs_equity_and_reviews(
    client, db, published, database_url, tmp_path
):
    round_, _, _, _, unplaced = published
    await db.execute(
        update(MatchRun).values(instance_sha256="ab" * 32, policy={"mode": "optimal", "seed": 7})
    )
    await reviews.request_review(
        db,
        round_=round_,
        pupil=unplaced,
        reason="Please",
        requested_by="parent",
        label="parent",
        ip_address=None,
    )
    await db.commit()
    await run_queued_jobs()  # the coordinators' emails are sent before the command opens the database
    target = tmp_path / "record.md"
    written = placements(
        "round", "transparency", str(round_.programme_year), "-o", str(target), database_url=database_url
    )
    assert written.returncode == 0, written.stderr
    record = target.read_text(encoding="utf-8")
    assert record.startswith(f"# Algorithmic transparency record: allocating work placements, {round_.name}")
    assert "## Tier 1: summary" in record and "## Facts for the data protection impact assessment" in record
    assert "| 1 | Main | Queued | Optimal, Fewest poor outcomes, priority weight 1, seed 7 |" in record
    assert "ab" * 32 in record
    assert "| Priority pupils |" in record and "| Other pupils |" in record and "- Choice 2: 1" in record
    assert "- By a parent or carer: 1" in record
    assert unplaced.first_name not in record and unplaced.last_name not in record

    by_id = placements("round", "transparency", str(round_.id), database_url=database_url)
    assert by_id.returncode == 0 and by_id.stdout == record
    unknown = placements("round", "transparency", "1999", database_url=database_url)
    assert unknown.returncode == 1 and "no round has the id or programme year '1999'" in unknown.stderr
