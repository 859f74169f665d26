"""A published round the outcome, letter and review tests start from."""

from __future__ import annotations

import pytest

from matching.models import MatchRun, Outcome
from placements.accounts.models import Role
from programme.models import Stage
from tests.support import (
    make_compliance,
    make_consent,
    make_employer,
    make_placement,
    make_pupil,
    make_round,
    make_user,
)

PARENT_EMAIL = "kim.parent@example.com"


@pytest.fixture
async def published(db):
    """A published round: one pupil got their second choice, another was not placed."""
    round_ = await make_round(db, stage=Stage.PUBLISHED)
    employer = await make_employer(db, name="Ribble Data Ltd")
    await make_compliance(db, employer.id)
    placement = await make_placement(db, employer.id, round_.id, title="Web team helper")
    staff = await make_user(db, Role.SCHOOL_STAFF)
    coordinator = await make_user(db, Role.COORDINATOR)
    placed = await make_pupil(db, staff.school_id, parent_email=PARENT_EMAIL)
    unplaced = await make_pupil(db, staff.school_id)
    for pupil in (placed, unplaced):
        await make_consent(db, pupil.id)
    run = MatchRun(round_id=round_.id, number=1)
    db.add(run)
    await db.flush()
    db.add_all(
        [
            Outcome(
                round_id=round_.id,
                run_id=run.id,
                pupil_id=placed.id,
                placement_id=placement.id,
                rank=2,
                explanation="choice 2: choice 1 was full",
            ),
            Outcome(
                round_id=round_.id,
                run_id=run.id,
                pupil_id=unplaced.id,
                explanation="unplaced: every eligible choice was full",
            ),
        ]
    )
    await db.commit()
    return round_, staff, coordinator, placed, unplaced
