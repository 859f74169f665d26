"""Schools in the JSON API: the schools, their details and their staff."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, get, post, put
from litestar.exceptions import TooManyRequestsException, ValidationException
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts.api import InvitationSentOut
from placements.accounts.guards import COORDINATOR, STAFF_OR_COORDINATOR
from placements.accounts.models import User
from placements.db import DbSession
from placements.geo import normalise_postcode
from placements.postcodes.lookup import locate
from placements.web.acting import Acting
from placements.web.errors import (
    API_ERRORS,
    API_LOOKUP_ERRORS,
    WRITE_ERRORS,
    ConflictException,
)
from placements.web.paging import FilterText, Limit, Offset
from placements.web.schemas import from_model
from schools import queries, services
from schools.models import School
from schools.schemas import (
    SchoolIn,
    SchoolOut,
    StaffIn,
    StaffInvitationIn,
    StaffOut,
)
from schools.services import SchoolData


async def _school_out(db: Any, user: User, school: School) -> SchoolOut:
    rows, _ = await queries.list_schools(db, user=user, search=school.urn, limit=5, offset=0)
    row = next(r for r in rows if r.school.id == school.id)
    return from_model(
        SchoolOut,
        school,
        pupils=row.pupils,
        digital_advisors=row.advisors,
        has_digital_advisor=row.has_digital_advisor,
    )


def _staff_out(user: User) -> StaffOut:
    return from_model(StaffOut, user, invited=user.password_hash is None)


async def _school_data(db: AsyncSession, data: SchoolIn) -> SchoolData:
    postcode = normalise_postcode(data.postcode) or data.postcode.upper()
    lat, lon = data.lat, data.lon
    if lat is None and lon is None and (located := await locate(db, postcode)):
        lat, lon = located.lat, located.lon
    return SchoolData(
        urn=data.urn,
        name=data.name.strip(),
        postcode=postcode,
        town=data.town,
        lat=lat,
        lon=lon,
        phase=data.phase,
    )


class SchoolsApi(Controller):
    path = "/api/schools"
    tags = ["Schools"]

    @get(
        "/",
        opt=STAFF_OR_COORDINATOR,
        operation_id="listSchools",
        summary="Schools (school staff: their own), with their digital advisors",
        raises=API_ERRORS,
    )
    async def list_schools(
        self,
        request: Request[User, Any, Any],
        db_session: DbSession,
        q: FilterText = None,
        without_digital_advisor: FromQuery[bool] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> OffsetPagination[SchoolOut]:
        rows, total = await queries.list_schools(
            db_session,
            user=request.user,
            search=q,
            without_advisor=without_digital_advisor,
            limit=limit,
            offset=offset,
        )
        items = [
            SchoolOut(
                id=r.school.id,
                urn=r.school.urn,
                name=r.school.name,
                postcode=r.school.postcode,
                town=r.school.town,
                lat=r.school.lat,
                lon=r.school.lon,
                phase=r.school.phase,
                pupils=r.pupils,
                digital_advisors=r.advisors,
                has_digital_advisor=r.has_digital_advisor,
            )
            for r in rows
        ]
        return OffsetPagination(items=items, limit=limit, offset=offset, total=total)

    @post(
        "/",
        opt=COORDINATOR,
        operation_id="createSchool",
        summary="Add a school",
        raises=[*API_ERRORS, ValidationException, ConflictException],
    )
    async def create(self, acting: Acting, data: JSONBody[SchoolIn], db_session: DbSession) -> SchoolOut:
        school = await services.create_school(
            db_session,
            data=await _school_data(db_session, data),
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        return await _school_out(db_session, acting.user, school)

    @get(
        "/{school_id:uuid}",
        opt=STAFF_OR_COORDINATOR,
        operation_id="getSchool",
        summary="One school",
        raises=API_LOOKUP_ERRORS,
    )
    async def show(
        self, request: Request[User, Any, Any], school_id: FromPath[UUID], db_session: DbSession
    ) -> SchoolOut:
        school = await queries.get_school(db_session, user=request.user, school_id=school_id)
        return await _school_out(db_session, request.user, school)

    @put(
        "/{school_id:uuid}",
        opt=STAFF_OR_COORDINATOR,
        operation_id="updateSchool",
        summary="Change a school's details",
        raises=WRITE_ERRORS,
    )
    async def update(
        self,
        acting: Acting,
        school_id: FromPath[UUID],
        data: JSONBody[SchoolIn],
        db_session: DbSession,
    ) -> SchoolOut:
        school = await queries.get_school(db_session, user=acting.user, school_id=school_id)
        await services.update_school(
            db_session,
            school=school,
            data=await _school_data(db_session, data),
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        return await _school_out(db_session, acting.user, school)

    @get(
        "/{school_id:uuid}/staff",
        opt=STAFF_OR_COORDINATOR,
        operation_id="listSchoolStaff",
        summary="A school's staff and digital advisors",
        raises=API_LOOKUP_ERRORS,
    )
    async def staff(
        self, request: Request[User, Any, Any], school_id: FromPath[UUID], db_session: DbSession
    ) -> list[StaffOut]:
        school = await queries.get_school(db_session, user=request.user, school_id=school_id)
        return [_staff_out(user) for user in await queries.school_staff(db_session, school=school)]

    @post(
        "/{school_id:uuid}/staff",
        opt=STAFF_OR_COORDINATOR,
        operation_id="inviteSchoolStaff",
        summary="Invite a member of a school's staff (a digital advisor needs a phone)",
        description="The answer is the same whether or not the address has an account elsewhere.",
        raises=[*WRITE_ERRORS, TooManyRequestsException],
    )
    async def invite(
        self,
        acting: Acting,
        school_id: FromPath[UUID],
        data: JSONBody[StaffInvitationIn],
        db_session: DbSession,
    ) -> InvitationSentOut:
        school = await queries.get_school(db_session, user=acting.user, school_id=school_id)
        await services.invite_school_staff(
            db_session,
            school=school,
            name=data.name,
            email=data.email,
            is_digital_advisor=data.is_digital_advisor,
            phone=data.phone,
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        return InvitationSentOut.to(data.email)

    @put(
        "/{school_id:uuid}/staff/{staff_id:uuid}",
        opt=STAFF_OR_COORDINATOR,
        operation_id="updateSchoolStaff",
        summary="Flag a member of staff as digital advisor (with a phone), or not",
        raises=WRITE_ERRORS,
    )
    async def update_staff(
        self,
        acting: Acting,
        school_id: FromPath[UUID],
        staff_id: FromPath[UUID],
        data: JSONBody[StaffIn],
        db_session: DbSession,
    ) -> StaffOut:
        school = await queries.get_school(db_session, user=acting.user, school_id=school_id)
        staff = await queries.get_school_staff(db_session, user=acting.user, school=school, staff_id=staff_id)
        await services.update_school_staff(
            db_session,
            staff=staff,
            is_digital_advisor=data.is_digital_advisor,
            phone=data.phone,
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        return _staff_out(staff)
