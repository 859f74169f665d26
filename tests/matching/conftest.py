"""A small matching round ready for choices: approved, insured employers with published placements,
two schools with consenting pupils, and the people who act on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts.models import Role, User
from programme.models import Stage
from tests.support import (
    make_compliance,
    make_consent,
    make_employer,
    make_placement,
    make_pupil,
    make_round,
    make_school,
    make_user,
)


@dataclass
class Scenario:
    round: Any
    coordinator: User
    schools: list[Any]
    school_staff: list[User]
    employers: list[Any]
    employer_users: list[User]
    placements: list[Any]
    pupils: list[Any] = field(default_factory=list)  # pupils[s] are school s's pupils


@pytest.fixture
def scenario(db: AsyncSession) -> Any:
    async def build(
        *,
        stage: Stage = Stage.PREFERENCES_OPEN,
        pupils_per_school: int = 3,
        capacities: tuple[int, ...] = (1, 2),
        **round_fields: Any,
    ) -> Scenario:
        round_ = await make_round(db, stage=stage, stage_dates={stage.value: "2026-11-01"}, **round_fields)
        coordinator = await make_user(db, Role.COORDINATOR)
        schools = [await make_school(db), await make_school(db, lat=53.75, lon=-2.48, town="Blackburn")]
        staff = [await make_user(db, Role.SCHOOL_STAFF, school_id=s.id) for s in schools]
        employers = [await make_employer(db) for _ in capacities]
        users = [await make_user(db, Role.EMPLOYER_USER, employer_id=e.id) for e in employers]
        placements = []
        for employer, capacity in zip(employers, capacities, strict=True):
            await make_compliance(db, employer.id)
            placements.append(await make_placement(db, employer.id, round_.id, capacity=capacity))
        pupils = []
        for school in schools:
            mine = []
            for _ in range(pupils_per_school):
                pupil = await make_pupil(db, school.id)
                await make_consent(db, pupil.id)
                mine.append(pupil)
            pupils.append(mine)
        return Scenario(round_, coordinator, schools, staff, employers, users, placements, pupils)

    return build
