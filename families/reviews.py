"""Human review of an automated decision: a family asks (or the school asks for them) while the
round's results are out, a coordinator decides with a reason, and the family and school are told.
Nothing here commits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from families.keys import FamiliesError
from families.models import ReviewRequest
from matching.models import Outcome
from matching.reports.services import Scope, report_section
from placements.accounts.models import Role, User
from placements.audit.services import record
from placements.clock import now
from placements.db import locked
from placements.notifications.services import addresses_of, public_url, queue_email
from programme.models import Round, Stage
from schools.models import Pupil

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

# Reviews are asked for while results are out and places can still change.
OPEN_FOR_REVIEW = (Stage.PUBLISHED, Stage.REALLOCATION)
DECISIONS = {"upheld": "kept the outcome", "changed": "will change the outcome through reallocation"}
MAX_REASON = 2000


async def request_review(
    db: AsyncSession,
    *,
    round_: Round | None,
    pupil: Pupil,
    reason: str,
    requested_by: str,
    label: str,
    actor: User | None = None,
    ip_address: str | None,
) -> ReviewRequest:
    """A request for a person to review the pupil's outcome; the coordinators are told."""
    if round_ is None or round_.stage not in OPEN_FOR_REVIEW:
        raise FamiliesError(
            "A review can be asked for only while the round's results are out", field="reason"
        )
    reason = reason.strip()
    if not reason:
        raise FamiliesError("Say why you would like the outcome reviewed", field="reason")
    if len(reason) > MAX_REASON:
        raise FamiliesError(f"The reason must be {MAX_REASON:,} characters or fewer", field="reason")
    await locked(db, Pupil, pupil.id)  # two requests at once: one open request, not two
    if await open_request(db, round_id=round_.id, pupil_id=pupil.id) is not None:
        raise FamiliesError(
            "A review of this outcome has already been asked for and is waiting for a decision"
        )
    outcome_id = await db.scalar(
        select(Outcome.id).where(
            Outcome.round_id == round_.id, Outcome.pupil_id == pupil.id, Outcome.current.is_(True)
        )
    )
    review = ReviewRequest(
        round_id=round_.id,
        pupil_id=pupil.id,
        outcome_id=outcome_id,
        requested_by=requested_by,
        reason=reason,
        requested_at=now(),
    )
    db.add(review)
    await db.flush()
    await record(
        db,
        actor=actor,
        actor_label=None if actor else label,
        action="review_requested",
        record_type="pupil",
        record_id=pupil.id,
        ip_address=ip_address,
        review_id=str(review.id),
        requested_by=requested_by,
    )
    for address in await addresses_of(db, User.role == Role.COORDINATOR):
        await queue_email(
            db,
            to=address,
            subject="A review of an outcome has been asked for",
            body=(
                f"A {requested_by} has asked for a review of an outcome.\n\n"
                f"Decide it: {public_url(f'/reviews/{review.id}')}"
            ),
        )
    return review


async def open_request(db: AsyncSession, *, round_id: UUID, pupil_id: UUID) -> ReviewRequest | None:
    return await db.scalar(
        select(ReviewRequest).where(
            ReviewRequest.round_id == round_id,
            ReviewRequest.pupil_id == pupil_id,
            ReviewRequest.decision.is_(None),
        )
    )


async def latest_request(db: AsyncSession, *, round_id: UUID, pupil_id: UUID) -> ReviewRequest | None:
    return await db.scalar(
        select(ReviewRequest)
        .where(ReviewRequest.round_id == round_id, ReviewRequest.pupil_id == pupil_id)
        .order_by(ReviewRequest.requested_at.desc())
        .limit(1)
    )


async def decide(
    db: AsyncSession,
    *,
    review: ReviewRequest,
    decision: str,
    reason: str,
    actor: User,
    ip_address: str | None,
) -> None:
    """The coordinator's decision with its reason; the family (by email, where the school holds an
    address) and the school's staff are told."""
    if decision not in DECISIONS:
        raise FamiliesError("Select whether the outcome is kept or changed", field="decision")
    reason = reason.strip()
    if not reason:
        raise FamiliesError("Give the reason for the decision: the family reads it", field="decision_reason")
    if len(reason) > MAX_REASON:
        raise FamiliesError(f"The reason must be {MAX_REASON:,} characters or fewer", field="decision_reason")
    review = await locked(db, ReviewRequest, review.id) or review
    if review.decision is not None:
        raise FamiliesError("This review has already been decided")
    review.decision, review.decision_reason = decision, reason
    review.decided_at, review.decided_by_id = now(), actor.id
    await record(
        db,
        actor=actor,
        action="review_decided",
        record_type="pupil",
        record_id=review.pupil_id,
        ip_address=ip_address,
        review_id=str(review.id),
        decision=decision,
    )
    pupil = await db.get_one(Pupil, review.pupil_id)
    told = await addresses_of(db, User.school_id == pupil.school_id, User.role == Role.SCHOOL_STAFF)
    for address in [*([pupil.parent_email] if pupil.parent_email else []), *told]:
        await queue_email(
            db,
            to=address,
            subject=f"The review of {pupil.first_name}'s placement outcome",
            body=(
                f"A programme coordinator has reviewed {pupil.first_name}'s outcome "
                f"and {DECISIONS[decision]}.\n\n"
                f"The reason: {reason}\n\nIf you have questions, please contact the school."
            ),
        )


@report_section
async def review_figures(
    db: AsyncSession, round_: Round, scope: Scope
) -> tuple[str, list[tuple[str, int]]] | None:
    """How many reviews of the round's outcomes were asked for, by whom, and how they were decided:
    for the programme, or one school's pupils. An employer is not told which outcomes were questioned."""
    if scope.employer_id is not None:
        return None
    query = (
        select(ReviewRequest.requested_by, ReviewRequest.decision, func.count())
        .where(ReviewRequest.round_id == round_.id)
        .group_by(ReviewRequest.requested_by, ReviewRequest.decision)
    )
    if scope.school_id is not None:
        query = query.join(Pupil, Pupil.id == ReviewRequest.pupil_id).where(
            Pupil.school_id == scope.school_id
        )
    asked_by: dict[str, int] = {}
    decided: dict[str | None, int] = {}
    for requested_by, decision, count in await db.execute(query):
        asked_by[requested_by] = asked_by.get(requested_by, 0) + count
        decided[decision] = decided.get(decision, 0) + count
    return (
        "Reviews of outcomes asked for",
        [
            ("Asked for", sum(asked_by.values())),
            ("By a parent or carer", asked_by.get("parent", 0)),
            ("By the pupil", asked_by.get("pupil", 0)),
            ("By the school", asked_by.get("school", 0)),
            ("Waiting for a decision", decided.get(None, 0)),
            ("Outcome kept", decided.get("upheld", 0)),
            ("Outcome changed", decided.get("changed", 0)),
        ],
    )
