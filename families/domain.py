"""The families package as the app registers it: parents' and pupils' pages, and the school's
consent requests and pupils' sign-in codes, and the coordinator's review requests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from families import (
    models,  # noqa: F401  (the families' tables)
    notices,  # noqa: F401  (tells parents on publication; the daily consent reminders)
    reviews,  # noqa: F401  (the reviews' section of the reports)
    subject_access,  # noqa: F401  (the families' part of a pupil's subject access export)
)
from families.api import ConsentRequestsApi
from families.code_pages import PupilCodePages
from families.letters import LetterPages
from families.models import ReviewRequest
from families.parent_pages import ParentPages
from families.pupil_pages import PupilPages
from families.request_pages import ConsentRequestPages
from families.review_pages import ReviewPages, SchoolReviewPages
from placements.accounts.models import Role, User
from placements.domains import Domain
from placements.web.counting import counted

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


async def _home(db: AsyncSession, user: User) -> dict[str, Any]:
    """A coordinator sees how many families wait for a review."""
    if user.role is not Role.COORDINATOR:
        return {}
    return {"open_reviews": counted(ReviewRequest, ReviewRequest.decision.is_(None))}


DOMAIN = Domain(
    name="families",
    route_handlers=(
        ParentPages,
        PupilPages,
        ConsentRequestPages,
        PupilCodePages,
        ReviewPages,
        LetterPages,
        SchoolReviewPages,
        ConsentRequestsApi,
    ),
    home=_home,
)
