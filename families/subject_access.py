"""What the families domain holds about a pupil, in their subject access export: the parent's links
and the pupil's codes (never their secrets), the advisor's locks and requests for a review."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from families.models import ChoiceLock, FamilyKey, ParentLink, PupilCode, ReviewRequest
from schools.models import Pupil
from schools.subject_access import plain, subject_access_section


def _key(key: FamilyKey, **more: Any) -> dict[str, Any]:
    shared = ("created_at", "expires_at", "revoked_at", "failed_attempts", "locked_at")
    return {name: plain(getattr(key, name)) for name in shared} | {k: plain(v) for k, v in more.items()}


@subject_access_section("families")
async def families_of(db: AsyncSession, pupil: Pupil) -> dict[str, Any]:
    links = await db.scalars(
        select(ParentLink).where(ParentLink.pupil_id == pupil.id).order_by(ParentLink.created_at)
    )
    codes = await db.scalars(
        select(PupilCode).where(PupilCode.pupil_id == pupil.id).order_by(PupilCode.created_at)
    )
    locks = await db.scalars(
        select(ChoiceLock).where(ChoiceLock.pupil_id == pupil.id).order_by(ChoiceLock.locked_at)
    )
    reviews = await db.scalars(
        select(ReviewRequest).where(ReviewRequest.pupil_id == pupil.id).order_by(ReviewRequest.requested_at)
    )
    return {
        "parent_links": [
            _key(link, kind=link.kind, sent_to=link.sent_to, opened_at=link.opened_at, answer=link.answer)
            for link in links
        ],
        "sign_in_codes": [_key(code, last_signed_in_at=code.last_signed_in_at) for code in codes],
        "choices_locked": [plain(lock.locked_at) for lock in locks],
        "review_requests": [
            {
                "requested_by": review.requested_by,
                "requested_at": plain(review.requested_at),
                "reason": review.reason,
                "decision": review.decision,
                "decision_reason": review.decision_reason,
                "decided_at": plain(review.decided_at),
            }
            for review in reviews
        ],
    }
