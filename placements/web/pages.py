"""The home page of each role, and the health check."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from employers.models import Employer, Placement
from matching.models import Round, Stage
from placements.accounts.guards import access
from placements.accounts.models import Role, User
from placements.db import DbSession
from schools import queries as school_queries
from schools.models import Pupil, School


async def current_round(db: AsyncSession) -> Round | None:
    return await db.scalar(
        select(Round).where(Round.stage != Stage.CLOSED).order_by(Round.programme_year.desc()).limit(1)
    )


def _stage_dates(round_: Round | None) -> list[tuple[str, date]]:
    """(stage label, the day the round reached it) for the stages it has reached, in calendar order."""
    if round_ is None:
        return []
    return [
        (stage.label, date.fromisoformat(round_.stage_dates[stage.value]))
        for stage in Stage
        if stage.value in (round_.stage_dates or {})
    ]


async def _count(db: AsyncSession, model: Any, *where: Any) -> int:
    return await db.scalar(select(func.count()).select_from(model).where(*where)) or 0


class HomeController(Controller):
    include_in_schema = False

    @get("/", opt=access(), name="home")
    async def home(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        user = request.user
        round_ = await current_round(db_session)
        context: dict[str, Any] = {"round": round_, "stage_dates": _stage_dates(round_)}
        if user.role is Role.COORDINATOR:
            context["counts"] = {
                "schools": await _count(db_session, School),
                "employers": await _count(db_session, Employer),
                "pending_employers": await _count(db_session, Employer, Employer.status == "pending"),
                "pupils": await _count(db_session, Pupil),
                "placements": await _count(db_session, Placement),
            }
        elif user.role is Role.SCHOOL_STAFF:
            # The user's own school only: list_schools is scoped to it, with its pupils and advisors.
            rows, _ = await school_queries.list_schools(db_session, user=user, limit=1, offset=0)
            if rows:
                context["school"] = rows[0].school
                context["school_row"] = rows[0]
                context["missing_consent"] = await school_queries.count_missing_consent(
                    db_session, school_id=rows[0].school.id
                )
        else:
            context["employer"] = await db_session.get(Employer, user.employer_id)
            context["placements"] = await _count(
                db_session, Placement, Placement.employer_id == user.employer_id
            )
        return Template(template_name="placements/home.html", context=context)
