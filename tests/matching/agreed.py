"""An agreed placement to follow up: published, accepted by the school and confirmed by the employer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from matching.models import Outcome
from matching.offers import services as offers
from matching.offers.follow_up import placement_days
from tests.matching.published import publish_choices


@dataclass
class Agreed:
    s: Any
    pupil: Any  # school 0's pupil
    outcome: Outcome  # their placement with employer 1, agreed by both sides
    waiting: Outcome  # school 1's pupil on the same placement, not answered by either side
    days: list[date]  # the placement's days, Monday to Friday of its two weeks

    @property
    def staff(self) -> Any:
        return self.s.school_staff[0]

    @property
    def employer(self) -> Any:
        return self.s.employer_users[1]


async def agreed(db: Any, scenario: Any) -> Agreed:
    s = await scenario(capacities=(2, 2))
    pupil, other = s.pupils[0][0], s.pupils[1][0]
    placement = s.placements[1]
    outcomes = await publish_choices(db, s, {pupil: [placement], other: [placement]})
    outcome = outcomes[pupil.id]
    for actor in (s.school_staff[0], s.employer_users[1]):
        await offers.answer(db, outcome=outcome, yes=True, reason=None, actor=actor, ip_address=None)
    await db.commit()
    assert outcome.status == "Agreed"
    return Agreed(s, pupil, outcome, outcomes[other.id], placement_days(placement))
