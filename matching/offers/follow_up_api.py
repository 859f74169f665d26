"""After the match in the JSON API: attendance, feedback and completion of an outcome."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, put
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from matching.offers import follow_up, queries
from matching.offers.follow_up_schemas import AttendanceIn, CompletionIn, FeedbackIn, FollowUpOut
from placements.accounts.guards import EMPLOYER, STAFF, access
from placements.accounts.models import Role, User
from placements.db import DbSession
from placements.web.acting import Acting
from placements.web.errors import API_LOOKUP_ERRORS, WRITE_ERRORS


async def _follow_up_out(db: AsyncSession, user: User, row: queries.OutcomeRow) -> FollowUpOut:
    return FollowUpOut.of(
        row,
        await follow_up.recorded(db, row=row),
        await follow_up.history(db, user=user, row=row),
        for_employer=user.role is Role.EMPLOYER_USER,
    )


class FollowUpApi(Controller):
    path = "/api/outcomes"
    tags = ["Follow-up"]

    @get(
        "/{outcome_id:uuid}/follow-up",
        opt=access(Role.COORDINATOR, Role.SCHOOL_STAFF, Role.EMPLOYER_USER),
        operation_id="getFollowUp",
        summary="What was recorded after the match (attendance per day, the employer's feedback, the "
        "pupil's completion) and the placement's history; the pupil's reflection is null for employer users",
        raises=API_LOOKUP_ERRORS,
    )
    async def show_follow_up(
        self, request: Request[User, Any, Any], outcome_id: FromPath[UUID], db_session: DbSession
    ) -> FollowUpOut:
        row = await queries.outcome_for(db_session, user=request.user, outcome_id=outcome_id)
        return await _follow_up_out(db_session, request.user, row)

    @put(
        "/{outcome_id:uuid}/attendance",
        opt=EMPLOYER,
        operation_id="recordAttendance",
        summary="Record whether the pupil attended each given day of an agreed placement (null clears a "
        "day); only days of the placement up to today (409 otherwise)",
        raises=WRITE_ERRORS,
    )
    async def record_attendance(
        self,
        acting: Acting,
        outcome_id: FromPath[UUID],
        data: JSONBody[AttendanceIn],
        db_session: DbSession,
    ) -> FollowUpOut:
        row = await queries.outcome_for(db_session, user=acting.user, outcome_id=outcome_id)
        days = {given.day: given.attended for given in data.days}
        if len(days) != len(data.days):
            raise ValidationException("Give each day once")
        await follow_up.record_attendance(
            db_session, outcome=row.outcome, days=days, actor=acting.user, ip_address=acting.ip_address
        )
        return await _follow_up_out(db_session, acting.user, row)

    @put(
        "/{outcome_id:uuid}/feedback",
        opt=EMPLOYER,
        operation_id="giveFeedback",
        summary="Give feedback on the pupil of an agreed placement, and say whether you would host again, "
        "from the placement's first day; replaces earlier feedback",
        raises=WRITE_ERRORS,
    )
    async def give_feedback(
        self,
        acting: Acting,
        outcome_id: FromPath[UUID],
        data: JSONBody[FeedbackIn],
        db_session: DbSession,
    ) -> FollowUpOut:
        row = await queries.outcome_for(db_session, user=acting.user, outcome_id=outcome_id)
        await follow_up.give_feedback(
            db_session,
            outcome=row.outcome,
            feedback=data.feedback,
            would_host_again=data.would_host_again,
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        return await _follow_up_out(db_session, acting.user, row)

    @put(
        "/{outcome_id:uuid}/completion",
        opt=STAFF,
        operation_id="recordCompletion",
        summary="Record whether the pupil completed an agreed placement, with the pupil's reflection, "
        "from the placement's first day",
        raises=WRITE_ERRORS,
    )
    async def record_completion(
        self,
        acting: Acting,
        outcome_id: FromPath[UUID],
        data: JSONBody[CompletionIn],
        db_session: DbSession,
    ) -> FollowUpOut:
        row = await queries.outcome_for(db_session, user=acting.user, outcome_id=outcome_id)
        await follow_up.record_completion(
            db_session,
            outcome=row.outcome,
            completed=data.completed,
            reflection=data.reflection,
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        return await _follow_up_out(db_session, acting.user, row)
