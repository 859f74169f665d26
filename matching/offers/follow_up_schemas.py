"""After the match in JSON: attendance, feedback, completion and the placement's history."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from msgspec import Meta, Struct

from employers.schemas import HAS_A_LETTER
from matching.offers import follow_up
from matching.offers.queries import OutcomeRow

# Enough for the longest placement a round allows (60 weeks of five days), and no more.
MOST_PLACEMENT_DAYS = 300


class AttendanceDay(Struct, kw_only=True):
    day: date
    attended: Annotated[bool | None, Meta(description="Null: nothing recorded (in a change: clear the day)")]


class AttendanceIn(Struct):
    days: Annotated[
        list[AttendanceDay],
        Meta(
            min_length=1,
            max_length=MOST_PLACEMENT_DAYS,
            description="Days of the placement up to today, each once; days left out are unchanged",
        ),
    ]


class FeedbackIn(Struct, kw_only=True):
    feedback: Annotated[str, Meta(min_length=1, max_length=follow_up.MAX_TEXT, pattern=HAS_A_LETTER)]
    would_host_again: bool


Reflection = Annotated[str, Meta(max_length=follow_up.MAX_TEXT, description="The pupil's own words")]


class CompletionIn(Struct, kw_only=True):
    completed: bool
    reflection: Reflection | None = None


class HistoryEventOut(Struct):
    on: date
    what: str
    placement: str | None
    earlier: Annotated[bool, Meta(description="The step is of an earlier offer to the pupil in the round")]

    @classmethod
    def of(cls, event: follow_up.Event) -> HistoryEventOut:
        return cls(on=event.on, what=event.what, placement=event.placement, earlier=event.earlier)


class FollowUpOut(Struct):
    """What was recorded after the match, and the placement's history. The reflection is the pupil's:
    employer users get null for it."""

    outcome_id: UUID
    status: str
    closed_reason: Annotated[
        str | None, Meta(description="Why nothing can be recorded today; null when it can")
    ]
    days: Annotated[list[AttendanceDay], Meta(description="Every day of the placement")]
    attendance_summary: str | None
    employer_feedback: str | None
    would_host_again: bool | None
    feedback_on: date | None
    completed: bool | None
    completed_on: date | None
    reflection: str | None
    history: list[HistoryEventOut]

    @classmethod
    def of(
        cls,
        row: OutcomeRow,
        recorded: follow_up.Recorded,
        events: list[follow_up.Event],
        *,
        for_employer: bool,
    ) -> FollowUpOut:
        given = recorded.follow_up
        return cls(
            outcome_id=row.outcome.id,
            status=row.outcome.status,
            closed_reason=follow_up.refusal(row.outcome, row.placement),
            days=[AttendanceDay(day=day, attended=recorded.attendance.get(day)) for day in recorded.days],
            attendance_summary=recorded.attendance_summary,
            employer_feedback=given.employer_feedback if given else None,
            would_host_again=given.would_host_again if given else None,
            feedback_on=given.feedback_on if given else None,
            completed=given.completed if given else None,
            completed_on=given.completed_on if given else None,
            reflection=None if for_employer or given is None else given.reflection,
            history=[HistoryEventOut.of(event) for event in events],
        )
