"""Offers' JSON: an outcome as each side sees it, an answer and a withdrawal."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from msgspec import Meta, Struct

from employers.schemas import HAS_A_LETTER
from matching.models import Reply
from matching.offers.privacy import NONE, EmployerDetails
from matching.offers.queries import OutcomeRow
from matching.runs.schemas import MAX_REASON


class AnswerIn(Struct, kw_only=True):
    accept: bool
    reason: Annotated[str, Meta(max_length=MAX_REASON, description="Needed to decline")] | None = None


class WithdrawalIn(Struct):
    reason: Annotated[str, Meta(min_length=1, max_length=MAX_REASON, pattern=HAS_A_LETTER)]


class OutcomeOut(Struct):
    """A pupil's outcome. Employer users get only what hosting needs: the pupil's first name, school and
    year group; access needs once the school has accepted, and the emergency contact only during the
    placement's weeks. Their pupil_id, last_name, rank and explanation are null."""

    id: UUID
    round_id: UUID
    run_id: UUID
    current: bool
    status: str
    pupil_id: UUID | None
    first_name: str
    last_name: str | None
    school_name: str
    year_group: int
    placement_id: UUID | None
    placement_title: str | None
    employer_name: str | None
    rank: int | None
    explanation: str | None
    school_reply: Reply
    employer_reply: Reply
    respond_by: date | None
    withdrawn_by: str | None
    withdrawn_on: date | None
    reason: str | None
    access_needs: str | None
    emergency_contact: str | None
    # What the parent agreed the host may know (medical, access, dietary), once the school accepted.
    shared_by_parent: str | None

    @classmethod
    def of(cls, row: OutcomeRow, *, for_employer: bool, details: EmployerDetails = NONE) -> OutcomeOut:
        outcome, pupil, placement = row.outcome, row.pupil, row.placement
        access_needs, contact = details.access_needs, details.emergency_contact
        return cls(
            id=outcome.id,
            round_id=outcome.round_id,
            run_id=outcome.run_id,
            current=outcome.current,
            status=outcome.status,
            pupil_id=None if for_employer else pupil.id,
            first_name=pupil.first_name,
            last_name=None if for_employer else pupil.last_name,
            school_name=row.school_name,
            year_group=pupil.year_group,
            placement_id=outcome.placement_id,
            placement_title=placement.title if placement else None,
            employer_name=row.employer_name,
            rank=None if for_employer else outcome.rank,
            explanation=None if for_employer else outcome.explanation,
            school_reply=outcome.school_reply,
            employer_reply=outcome.employer_reply,
            respond_by=outcome.respond_by,
            withdrawn_by=outcome.withdrawn_by,
            withdrawn_on=outcome.withdrawn_on,
            reason=outcome.reason,
            access_needs=access_needs,
            emergency_contact=contact,
            shared_by_parent=details.shared_by_parent,
        )


# --- After the match ---
