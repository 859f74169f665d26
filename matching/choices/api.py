"""Pupils' choices in the JSON API: one pupil at a time, or a school's CSV file."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from matching.choices import queries
from matching.choices import services as preferences
from matching.choices.schemas import (
    ChoiceOptionOut,
    ChoicesIn,
    ChoiceStatusOut,
    ChoiceUploadOut,
    PupilChoicesOut,
    UploadProblemOut,
)
from matching.choices.services import MAX_CSV_BYTES
from matching.errors import MatchingError
from matching.rounds import queries as round_queries
from placements.accounts.guards import STAFF, STAFF_OR_COORDINATOR
from placements.accounts.models import User
from placements.db import DbSession
from placements.web.acting import Acting
from placements.web.errors import API_LOOKUP_ERRORS, WRITE_ERRORS, ConflictException
from placements.web.paging import Limit, Offset
from programme.models import Round
from schools.models import Pupil
from schools.queries import get_pupil, get_school


async def _pupil_choices(db: AsyncSession, round_: Round, pupil: Pupil) -> PupilChoicesOut:
    ranked, open_to_other = await preferences.current_choices(db, round_=round_, pupil=pupil)
    return PupilChoicesOut(
        round_id=round_.id,
        pupil_id=pupil.id,
        placements=ranked,
        open_to_other=open_to_other,
        closed_reason=preferences.closed_reason(round_),
    )


class ChoicesApi(Controller):
    path = "/api/rounds"
    tags = ["Choices"]

    @get(
        "/{round_id:uuid}/choices",
        opt=STAFF_OR_COORDINATOR,
        operation_id="listChoiceStatuses",
        summary="A school's consenting pupils with how many choices each has (school staff: their own "
        "school; coordinators name the school). missing=true lists those with nothing entered.",
        raises=[*API_LOOKUP_ERRORS, ConflictException],
    )
    async def choice_statuses(
        self,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        db_session: DbSession,
        school_id: FromQuery[UUID | None] = None,
        missing: FromQuery[bool] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> OffsetPagination[ChoiceStatusOut]:
        round_ = await round_queries.get_round(db_session, round_id)
        wanted = school_id or request.user.school_id
        if wanted is None:
            raise MatchingError("Say which school: school_id", "school_id")
        school = await get_school(db_session, user=request.user, school_id=wanted)
        rows, total = await queries.choice_statuses(
            db_session,
            school_id=school.id,
            round_id=round_.id,
            missing_only=missing,
            limit=limit,
            offset=offset,
        )
        return OffsetPagination(
            items=[ChoiceStatusOut.of(row) for row in rows], limit=limit, offset=offset, total=total
        )

    @post(
        "/{round_id:uuid}/choices/upload",
        opt=STAFF,
        status_code=200,
        operation_id="uploadChoices",
        summary="Save the choices of many pupils from a CSV file (reference, choice 1 … choice N, "
        "open_to_other). Every row is saved, or none: rows with problems answer 422 with each problem; "
        "a file that cannot be read, or choices that are closed, answer 409.",
        raises=WRITE_ERRORS,
        responses={
            422: ResponseSpec(
                data_container=ChoiceUploadOut,
                description="Some rows have problems: nothing was saved",
                generate_examples=False,
            )
        },
    )
    async def upload(
        self,
        acting: Acting,
        round_id: FromPath[UUID],
        db_session: DbSession,
        data: Annotated[UploadFile, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[ChoiceUploadOut]:
        round_ = await round_queries.get_round(db_session, round_id)
        school = await get_school(db_session, user=acting.user, school_id=acting.user.school_id)
        result = await preferences.upload_choices(
            db_session,
            round_=round_,
            school=school,
            data=await data.read(MAX_CSV_BYTES + 1),
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        problems = [UploadProblemOut(row, column, message) for row, column, message in result.problems]
        return Response(
            ChoiceUploadOut(rows=result.rows, saved=not problems, problems=problems),
            status_code=422 if problems else 200,
        )

    @get(
        "/{round_id:uuid}/choices/{pupil_id:uuid}",
        opt=STAFF_OR_COORDINATOR,
        operation_id="getPupilChoices",
        summary="A pupil's choices in rank order, and whether they are open to any other placement",
        raises=API_LOOKUP_ERRORS,
    )
    async def pupil_choices(
        self,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        pupil_id: FromPath[UUID],
        db_session: DbSession,
    ) -> PupilChoicesOut:
        round_ = await round_queries.get_round(db_session, round_id)
        pupil = await get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        return await _pupil_choices(db_session, round_, pupil)

    @get(
        "/{round_id:uuid}/choices/{pupil_id:uuid}/options",
        opt=STAFF_OR_COORDINATOR,
        operation_id="listPupilChoiceOptions",
        summary="The placements a pupil may choose (their year group), nearest first, with demand so far",
        raises=API_LOOKUP_ERRORS,
    )
    async def options(
        self,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        pupil_id: FromPath[UUID],
        db_session: DbSession,
    ) -> list[ChoiceOptionOut]:
        round_ = await round_queries.get_round(db_session, round_id)
        pupil = await get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        return [
            ChoiceOptionOut.of(c)
            for c in await preferences.choices_for(db_session, round_=round_, pupil=pupil)
        ]

    @put(
        "/{round_id:uuid}/choices/{pupil_id:uuid}",
        opt=STAFF,
        operation_id="savePupilChoices",
        summary="Replace a pupil's choices (placement ids, first choice first) while preferences are open; "
        "no choices and not open to others takes the pupil out of the round",
        raises=WRITE_ERRORS,
    )
    async def save_choices(
        self,
        acting: Acting,
        round_id: FromPath[UUID],
        pupil_id: FromPath[UUID],
        data: JSONBody[ChoicesIn],
        db_session: DbSession,
    ) -> PupilChoicesOut:
        round_ = await round_queries.get_round(db_session, round_id)
        pupil = await get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        try:
            await preferences.save_choices(
                db_session,
                round_=round_,
                pupil=pupil,
                placement_ids=data.placements,
                open_to_other=data.open_to_other,
                actor=acting.user,
                ip_address=acting.ip_address,
            )
        except MatchingError as exc:
            # The page's list of choices is this body's `placements`: name the field the client sent.
            raise MatchingError(str(exc), "placements" if exc.field == "choices" else exc.field) from exc
        return await _pupil_choices(db_session, round_, pupil)
