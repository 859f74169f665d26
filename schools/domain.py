"""The schools package as the app registers it: pages, API, jobs and the school's home page."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts.models import Role, User
from placements.domains import Domain
from placements.web.counting import counted
from schools import (
    audit_names,  # noqa: F401  (the audit log names schools' records from here on)
    jobs,  # noqa: F401  (registers the schools' jobs)
    queries,
)
from schools.api import SchoolsApi
from schools.import_pages import PupilImportPages
from schools.models import Pupil, School
from schools.pages import OwnSchoolPage, SchoolPages
from schools.pupil_api import PupilImportsApi, PupilsApi
from schools.pupil_pages import PupilPages


async def _home(db: AsyncSession, user: User) -> dict[str, Any]:
    if user.role is Role.COORDINATOR:
        return {"counts": {"schools": counted(School), "pupils": counted(Pupil)}}
    if user.role is not Role.SCHOOL_STAFF:
        return {}
    # The user's own school only: list_schools is scoped to it, with its pupils and advisors.
    rows, _ = await queries.list_schools(db, user=user, limit=1, offset=0)
    if not rows:
        return {}
    return {
        "school": rows[0].school,
        "school_row": rows[0],
        "missing_consent": await queries.count_missing_consent(db, school_id=rows[0].school.id),
    }


DOMAIN = Domain(
    name="schools",
    route_handlers=(
        SchoolPages,
        OwnSchoolPage,
        PupilPages,
        PupilImportPages,
        SchoolsApi,
        PupilsApi,
        PupilImportsApi,
    ),
    home=_home,
)
