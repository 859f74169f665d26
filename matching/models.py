"""Matching rounds, their calendar, preferences, runs, adjustments and published outcomes."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDAuditBase, UUIDBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matching.policy import RunPolicy
from placements.types import enum_column


class Preference(UUIDBase):
    """One ranked choice of a pupil in a round (rank 1 is the first choice)."""

    __tablename__ = "preference"
    __table_args__ = (
        UniqueConstraint("round_id", "pupil_id", "rank", name="uq_preference_rank"),
        UniqueConstraint("round_id", "pupil_id", "placement_id", name="uq_preference_placement"),
    )

    round_id: Mapped[UUID] = mapped_column(ForeignKey("matching_round.id", ondelete="CASCADE"), index=True)
    pupil_id: Mapped[UUID] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    placement_id: Mapped[UUID] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int]


class ChoiceEntry(UUIDAuditBase):
    """That a school has entered a pupil's choices for a round, and whether the pupil is open to others.

    Only pupils with an entry take part in the round's runs.
    """

    __tablename__ = "choice_entry"
    __table_args__ = (UniqueConstraint("round_id", "pupil_id", name="uq_choice_entry_pupil"),)

    round_id: Mapped[UUID] = mapped_column(ForeignKey("matching_round.id", ondelete="CASCADE"), index=True)
    pupil_id: Mapped[UUID] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    open_to_other: Mapped[bool] = mapped_column(default=False)
    entered_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )


class RunKind(enum.StrEnum):
    MAIN = "main"
    REALLOCATION = "reallocation"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class MatchRun(UUIDAuditBase):
    """One matching run: the policy asked for, the exact instance file, and the solver's result file."""

    __tablename__ = "match_run"
    __table_args__ = (UniqueConstraint("round_id", "number", name="uq_match_run_number"),)

    round_id: Mapped[UUID] = mapped_column(ForeignKey("matching_round.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    kind: Mapped[RunKind] = mapped_column(enum_column(RunKind), default=RunKind.MAIN)
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus), default=RunStatus.QUEUED, index=True)
    # Holds the round id while the run is queued or running: a second start at the same moment
    # breaks the unique constraint instead of starting a second run.
    in_progress_key: Mapped[str | None] = mapped_column(String(60), unique=True, default=None)
    policy: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    seed: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("job_record.id", ondelete="SET NULL"), default=None
    )
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # The files themselves, byte for byte, so `placements verify` and downloads use what was solved.
    instance: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    result: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    instance_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    result_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    solver: Mapped[str | None] = mapped_column(String(120), default=None)
    # The result's metrics and objective, for lists and comparisons without reading the file.
    summary: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    started_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    published_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    @property
    def label(self) -> str:
        """The run's number and the policy it used: "Run 3 — most first choices"."""
        reallocation = ", reallocation" if self.kind is RunKind.REALLOCATION else ""
        return f"Run {self.number} — {RunPolicy.from_dict(self.policy).name}{reallocation}"


class AdjustmentKind(enum.StrEnum):
    PIN = "pin"
    FORBID = "forbid"

    @property
    def label(self) -> str:
        return {"pin": "Pinned", "forbid": "Forbidden"}[self.value]


class Adjustment(UUIDAuditBase):
    """A coordinator's decision that a pupil must (pin) or must not (forbid) go to a placement."""

    __tablename__ = "adjustment"
    __table_args__ = (UniqueConstraint("round_id", "pupil_id", "placement_id", name="uq_adjustment_pair"),)

    round_id: Mapped[UUID] = mapped_column(ForeignKey("matching_round.id", ondelete="CASCADE"), index=True)
    pupil_id: Mapped[UUID] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    placement_id: Mapped[UUID] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AdjustmentKind] = mapped_column(enum_column(AdjustmentKind))
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )


class Reply(enum.StrEnum):
    PENDING = "pending"
    YES = "yes"
    NO = "no"


def holds_place(placement_id: UUID | None, employer: Reply, school: Reply, withdrawn_by: str | None) -> bool:
    """Whether an offer holds its place: neither side said no or withdrew (plain values, so reports
    can ask it of thousands of rows without loading each outcome)."""
    return placement_id is not None and Reply.NO not in (employer, school) and withdrawn_by is None


def offer_status(placement_id: UUID | None, employer: Reply, school: Reply, withdrawn_by: str | None) -> str:
    if placement_id is None:
        return "Unplaced"
    if withdrawn_by is not None:
        return f"Withdrawn by the {withdrawn_by}"
    if employer is Reply.NO:
        return "Declined by the employer"
    if school is Reply.NO:
        return "Declined by the school"
    if employer is Reply.YES and school is Reply.YES:
        return "Agreed"
    return "Waiting for answers"


class Outcome(UUIDAuditBase):
    """A pupil's published result in a round: a placement offered (or none), and both sides' answers.

    A publication adds one row per pupil it decides; the pupil's newest row is `current`, and
    the older ones are its history. An offer holds its place until either side says no or withdraws.
    """

    __tablename__ = "outcome"

    round_id: Mapped[UUID] = mapped_column(ForeignKey("matching_round.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[UUID] = mapped_column(ForeignKey("match_run.id", ondelete="CASCADE"), index=True)
    pupil_id: Mapped[UUID] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    placement_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), default=None, index=True
    )
    rank: Mapped[int | None] = mapped_column(default=None)
    explanation: Mapped[str] = mapped_column(Text)
    current: Mapped[bool] = mapped_column(default=True, index=True)
    employer_reply: Mapped[Reply] = mapped_column(enum_column(Reply), default=Reply.PENDING)
    school_reply: Mapped[Reply] = mapped_column(enum_column(Reply), default=Reply.PENDING)
    respond_by: Mapped[date | None] = mapped_column(default=None)
    reminded_on: Mapped[date | None] = mapped_column(default=None)
    # The day each side answered, for the placement's history.
    employer_replied_on: Mapped[date | None] = mapped_column(default=None)
    school_replied_on: Mapped[date | None] = mapped_column(default=None)
    # Set when a side ends an agreed placement ("school" or "employer"), with the reason given.
    withdrawn_by: Mapped[str | None] = mapped_column(String(20), default=None)
    withdrawn_on: Mapped[date | None] = mapped_column(default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)

    @property
    def holds_place(self) -> bool:
        return holds_place(self.placement_id, self.employer_reply, self.school_reply, self.withdrawn_by)

    @property
    def status(self) -> str:
        return offer_status(self.placement_id, self.employer_reply, self.school_reply, self.withdrawn_by)


class Attendance(UUIDBase):
    """One day of an agreed placement as the employer recorded it: the pupil attended or did not."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("outcome_id", "day", name="uq_attendance_day"),)

    outcome_id: Mapped[UUID] = mapped_column(ForeignKey("outcome.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    attended: Mapped[bool]
    recorded_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )


class FollowUp(UUIDAuditBase):
    """What both sides say once an agreed placement has happened: one record per outcome.

    The employer gives feedback on the pupil and says whether it would host again; the school
    records the pupil's reflection and whether the pupil completed the placement.
    """

    __tablename__ = "follow_up"

    outcome_id: Mapped[UUID] = mapped_column(
        ForeignKey("outcome.id", ondelete="CASCADE"), unique=True, index=True
    )
    employer_feedback: Mapped[str | None] = mapped_column(Text, default=None)
    would_host_again: Mapped[bool | None] = mapped_column(default=None)
    feedback_on: Mapped[date | None] = mapped_column(default=None)
    reflection: Mapped[str | None] = mapped_column(Text, default=None)
    completed: Mapped[bool | None] = mapped_column(default=None)
    completed_on: Mapped[date | None] = mapped_column(default=None)
