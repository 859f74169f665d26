"""A pupil's choices and outcomes in their subject access export."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from employers.models import Placement
from matching.models import Attendance, FollowUp, Outcome, Preference
from programme.models import Round
from schools.models import Pupil
from schools.subject_access import plain, subject_access_section


@subject_access_section("matching")
async def matching_of(db: AsyncSession, pupil: Pupil) -> dict[str, Any]:
    """The pupil's choices and published outcomes, in every round, with what was recorded after the match."""
    choices = await db.execute(
        select(Round.name, Preference.rank, Placement.title)
        .join(Round, Round.id == Preference.round_id)
        .join(Placement, Placement.id == Preference.placement_id)
        .where(Preference.pupil_id == pupil.id)
        .order_by(Round.programme_year, Preference.rank)
    )
    outcomes = await db.execute(
        select(Round.name, Outcome, Placement.title, FollowUp)
        .join(Round, Round.id == Outcome.round_id)
        .outerjoin(Placement, Placement.id == Outcome.placement_id)
        .outerjoin(FollowUp, FollowUp.outcome_id == Outcome.id)
        .where(Outcome.pupil_id == pupil.id)
        .order_by(Round.programme_year, Outcome.created_at)
    )
    days = await db.scalars(
        select(Attendance)
        .join(Outcome, Outcome.id == Attendance.outcome_id)
        .where(Outcome.pupil_id == pupil.id)
        .order_by(Attendance.day)
    )
    attendance: dict[UUID, list[dict[str, Any]]] = {}
    for day in days:
        attendance.setdefault(day.outcome_id, []).append(
            {"day": day.day.isoformat(), "attended": day.attended}
        )
    dates = ("employer_replied_on", "school_replied_on", "withdrawn_on")
    said = ("employer_feedback", "would_host_again", "feedback_on", "reflection", "completed", "completed_on")
    return {
        "choices": [{"round": name, "rank": rank, "placement": title} for name, rank, title in choices],
        "outcomes": [
            {
                "round": name,
                "placement": title,
                "rank": outcome.rank,
                "explanation": outcome.explanation,
                "status": outcome.status,
                "current": outcome.current,
                "published_at": outcome.created_at.isoformat(),
                **{field: plain(getattr(outcome, field)) for field in dates},
                "attendance": attendance.get(outcome.id, []),
                "follow_up": (
                    {field: plain(getattr(follow_up, field)) for field in said} if follow_up else None
                ),
            }
            for name, outcome, title, follow_up in outcomes
        ],
    }
