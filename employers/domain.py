"""The employers package as the app registers it: pages, API, jobs and the employer's home page."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from employers import (
    audit_names,  # noqa: F401  (the audit log names employers' records from here on)
    jobs,  # noqa: F401  (registers the employers' jobs)
)
from employers.api import EmployersApi, PlacementsApi
from employers.models import Employer, EmployerStatus, Placement
from employers.pages import EmployerPages, EmployerSignUpPage
from employers.placement_pages import PlacementPages
from placements.accounts.models import Role, User
from placements.domains import Domain
from placements.web.counting import counted


async def _home(db: AsyncSession, user: User) -> dict[str, Any]:
    if user.role is Role.COORDINATOR:
        return {
            "counts": {
                "employers": counted(Employer),
                "pending_employers": counted(Employer, Employer.status == EmployerStatus.PENDING),
                "placements": counted(Placement),
            }
        }
    if user.role is not Role.EMPLOYER_USER:
        return {}
    return {
        "employer": await db.get(Employer, user.employer_id),
        "placements": counted(Placement, Placement.employer_id == user.employer_id),
    }


DOMAIN = Domain(
    name="employers",
    route_handlers=(EmployerSignUpPage, EmployerPages, PlacementPages, EmployersApi, PlacementsApi),
    home=_home,
)
