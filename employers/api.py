"""The employers and placements JSON API: the same operations as the pages.

Checks that need the database or more than one field (the round's weeks, coordinates from the
postcode) answer 422 naming each field at fault, and a state that does not allow the change (a
decision already made) 409, both as problem details (placements.refusals); the request body's own
shape is in the schema, so anything it allows is not answered 400.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, get, post, put
from litestar.exceptions import TooManyRequestsException, ValidationException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from employers import inputs, queries, services
from employers.models import Employer, EmployerStatus, PlacementStatus, WorkMode
from employers.schemas import (
    ColleagueIn,
    ComplianceIn,
    ComplianceOut,
    DecisionIn,
    EmployerDetailsIn,
    EmployerInvitationIn,
    EmployerOut,
    PlacementIn,
    PlacementOut,
    SignUpIn,
    SignUpOut,
)
from placements.accounts.api import InvitationSentOut, UserOut
from placements.accounts.guards import COORDINATOR, EMPLOYER, PUBLIC, access
from placements.accounts.models import Role, User
from placements.clock import today
from placements.db import DbSession
from placements.postcodes.lookup import locate
from placements.web.acting import Acting
from placements.web.errors import (
    API_ERRORS,
    API_LOOKUP_ERRORS,
    WRITE_ERRORS,
    ConflictException,
)
from placements.web.forms import FormErrors
from placements.web.paging import NO_NUL, Limit, Offset
from programme.queries import current_round


async def _decide(
    acting: Acting,
    db: AsyncSession,
    employer_id: UUID,
    decision: Callable[..., Awaitable[object]],
    **details: Any,
) -> EmployerOut:
    """A coordinator's decision on an organisation; a decision its status does not allow is a 409."""
    employer = await queries.employer_for(db, user=acting.user, employer_id=employer_id)
    await decision(db, employer=employer, actor=acting.user, ip_address=acting.ip_address, **details)
    return await _employer_out(db, employer)


async def _employer_out(db: AsyncSession, employer: Employer) -> EmployerOut:
    return EmployerOut.of(employer, await queries.compliance_of(db, employer), today())


class EmployersApi(Controller):
    path = "/api/employers"
    tags = ["Employers"]

    @post(
        "/sign-up",
        opt=PUBLIC,
        security=[{}],
        operation_id="signUpEmployer",
        summary="Register a business and its first user (pending until a coordinator approves it)",
        raises=[ValidationException, ConflictException, TooManyRequestsException],
    )
    async def sign_up(self, acting: Acting, data: JSONBody[SignUpIn], db_session: DbSession) -> SignUpOut:
        errors = FormErrors()
        raw = data.raw()
        checked = inputs.check_sign_up(raw, errors, located=await locate(db_session, raw.get("postcode")))
        if checked is None:
            raise services.EmployerError.of(errors)
        await services.sign_up(db_session, data=checked, ip_address=acting.ip_address)
        return SignUpOut(
            email=checked.person.email,
            message="We have emailed this address: the link in it finishes signing up.",
        )

    @get(
        "/",
        opt=access(Role.COORDINATOR, Role.EMPLOYER_USER),
        operation_id="listEmployers",
        summary="Employer organisations with what each is missing (an employer user sees their own)",
        raises=API_ERRORS,
    )
    async def list_employers(
        self,
        request: Request[User, Any, Any],
        db_session: DbSession,
        status: FromQuery[EmployerStatus | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=100, pattern=NO_NUL)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> OffsetPagination[EmployerOut]:
        rows, total = await queries.employers_page(
            db_session, user=request.user, status=status, q=q, limit=limit, offset=offset
        )
        day = today()
        return OffsetPagination(
            items=[EmployerOut.of(e, c, day) for e, c in rows], limit=limit, offset=offset, total=total
        )

    @post(
        "/",
        opt=COORDINATOR,
        operation_id="inviteEmployer",
        summary="Add an organisation directly (approved) and invite its first user",
        raises=[*WRITE_ERRORS, TooManyRequestsException],
    )
    async def invite(
        self, acting: Acting, data: JSONBody[EmployerInvitationIn], db_session: DbSession
    ) -> EmployerOut:
        errors = FormErrors()
        raw = data.raw()
        details = inputs.check_employer_details(
            raw, errors, located=await locate(db_session, raw.get("postcode"))
        )
        person = inputs.check_person(raw, errors)
        if details is None or person is None:
            raise services.EmployerError.of(errors)
        employer = await services.invite_employer(
            db_session, details=details, contact=person, actor=acting.user, ip_address=acting.ip_address
        )
        return await _employer_out(db_session, employer)

    @get(
        "/{employer_id:uuid}",
        opt=access(Role.COORDINATOR, Role.EMPLOYER_USER),
        operation_id="getEmployer",
        summary="An employer organisation, whether it is eligible for matching, and why not",
        raises=API_LOOKUP_ERRORS,
    )
    async def get_employer(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> EmployerOut:
        employer = await queries.employer_for(db_session, user=request.user, employer_id=employer_id)
        return await _employer_out(db_session, employer)

    @put(
        "/{employer_id:uuid}",
        opt=access(Role.COORDINATOR, Role.EMPLOYER_USER),
        operation_id="updateEmployer",
        summary="Change an organisation's details",
        raises=WRITE_ERRORS,
    )
    async def update(
        self,
        acting: Acting,
        employer_id: FromPath[UUID],
        data: JSONBody[EmployerDetailsIn],
        db_session: DbSession,
    ) -> EmployerOut:
        employer = await queries.employer_for(db_session, user=acting.user, employer_id=employer_id)
        errors = FormErrors()
        raw = data.raw()
        details = inputs.check_employer_details(
            raw, errors, located=await locate(db_session, raw.get("postcode"))
        )
        if details is None:
            raise services.EmployerError.of(errors)
        await services.update_details(
            db_session, employer=employer, details=details, actor=acting.user, ip_address=acting.ip_address
        )
        return await _employer_out(db_session, employer)

    @post(
        "/{employer_id:uuid}/approve",
        opt=COORDINATOR,
        status_code=200,
        operation_id="approveEmployer",
        summary="Approve a pending (or rejected or suspended) organisation; its users are emailed",
        raises=WRITE_ERRORS,
    )
    async def approve(
        self, acting: Acting, employer_id: FromPath[UUID], db_session: DbSession
    ) -> EmployerOut:
        return await _decide(acting, db_session, employer_id, services.approve_employer)

    @post(
        "/{employer_id:uuid}/reject",
        opt=COORDINATOR,
        status_code=200,
        operation_id="rejectEmployer",
        summary="Reject a pending organisation, with a reason that is emailed to its users",
        raises=WRITE_ERRORS,
    )
    async def reject(
        self,
        acting: Acting,
        employer_id: FromPath[UUID],
        data: JSONBody[DecisionIn],
        db_session: DbSession,
    ) -> EmployerOut:
        return await _decide(acting, db_session, employer_id, services.reject_employer, reason=data.reason)

    @post(
        "/{employer_id:uuid}/suspend",
        opt=COORDINATOR,
        status_code=200,
        operation_id="suspendEmployer",
        summary="Suspend an approved organisation, with a reason that is emailed to its users",
        raises=WRITE_ERRORS,
    )
    async def suspend(
        self,
        acting: Acting,
        employer_id: FromPath[UUID],
        data: JSONBody[DecisionIn],
        db_session: DbSession,
    ) -> EmployerOut:
        return await _decide(acting, db_session, employer_id, services.suspend_employer, reason=data.reason)

    @get(
        "/{employer_id:uuid}/compliance",
        opt=access(Role.COORDINATOR, Role.EMPLOYER_USER),
        operation_id="getEmployerCompliance",
        summary="The organisation's compliance record and what is missing from it",
        raises=API_LOOKUP_ERRORS,
    )
    async def get_compliance(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> ComplianceOut:
        employer = await queries.employer_for(db_session, user=request.user, employer_id=employer_id)
        return ComplianceOut.of(employer, await queries.compliance_of(db_session, employer), today())

    @put(
        "/{employer_id:uuid}/compliance",
        opt=access(Role.COORDINATOR, Role.EMPLOYER_USER),
        operation_id="saveEmployerCompliance",
        summary="Save the organisation's compliance record (insurance, risk assessment, safeguarding)",
        raises=WRITE_ERRORS,
    )
    async def save_compliance(
        self,
        acting: Acting,
        employer_id: FromPath[UUID],
        data: JSONBody[ComplianceIn],
        db_session: DbSession,
    ) -> ComplianceOut:
        employer = await queries.employer_for(db_session, user=acting.user, employer_id=employer_id)
        errors = FormErrors()
        checked = inputs.check_compliance(data.raw(), errors)
        if checked is None:
            raise services.EmployerError.of(errors)
        compliance = await services.save_compliance(
            db_session, employer=employer, data=checked, actor=acting.user, ip_address=acting.ip_address
        )
        return ComplianceOut.of(employer, compliance, today())

    @get(
        "/{employer_id:uuid}/users",
        opt=access(Role.COORDINATOR, Role.EMPLOYER_USER),
        operation_id="listEmployerUsers",
        summary="The organisation's users",
        raises=API_LOOKUP_ERRORS,
    )
    async def list_users(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> list[UserOut]:
        employer = await queries.employer_for(db_session, user=request.user, employer_id=employer_id)
        return [UserOut.of(user) for user in await queries.colleagues(db_session, employer=employer)]

    @post(
        "/{employer_id:uuid}/users",
        opt=access(Role.COORDINATOR, Role.EMPLOYER_USER),
        operation_id="inviteEmployerColleague",
        summary="Invite a colleague to the same organisation by email",
        description="The answer is the same whether or not the address has an account elsewhere.",
        raises=[*WRITE_ERRORS, TooManyRequestsException],
    )
    async def invite_colleague(
        self,
        acting: Acting,
        employer_id: FromPath[UUID],
        data: JSONBody[ColleagueIn],
        db_session: DbSession,
    ) -> InvitationSentOut:
        employer = await queries.employer_for(db_session, user=acting.user, employer_id=employer_id)
        await services.invite_colleague(
            db_session,
            employer=employer,
            person=inputs.Person(name=data.name.strip(), email=data.email),
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        return InvitationSentOut.to(data.email)


class PlacementsApi(Controller):
    path = "/api/placements"
    tags = ["Placements"]

    @get(
        "/",
        opt=access(),
        operation_id="listPlacements",
        summary="Placements of the current round: schools and coordinators see those open to schools, "
        "employer users their own. Distance (km from the school) applies to school staff.",
        raises=API_ERRORS,
    )
    async def list_placements(
        self,
        request: Request[User, Any, Any],
        db_session: DbSession,
        q: Annotated[
            str | None,
            QueryParameter(
                max_length=100,
                pattern=NO_NUL,
                description="Words in the title, description, skills or employer",
            ),
        ] = None,
        pathway: Annotated[str | None, QueryParameter(max_length=40, pattern=NO_NUL)] = None,
        town: Annotated[str | None, QueryParameter(max_length=100, pattern=NO_NUL)] = None,
        within_km: Annotated[float | None, QueryParameter(ge=1, le=200)] = None,
        week: Annotated[str | None, QueryParameter(max_length=8, pattern=NO_NUL)] = None,
        year_group: Annotated[int | None, QueryParameter(ge=7, le=13)] = None,
        work_mode: FromQuery[WorkMode | None] = None,
        status: FromQuery[PlacementStatus | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> OffsetPagination[PlacementOut]:
        current = await current_round(db_session)
        if current is None:
            return OffsetPagination(items=[], limit=limit, offset=offset, total=0)
        filters = queries.Filters(
            q=q or None,
            pathway=pathway or None,
            town=town or None,
            within_km=within_km,
            week=week or None,
            year_group=year_group,
            work_mode=work_mode,
            status=status if request.user.role is not Role.SCHOOL_STAFF else None,
        )
        listed, total = await queries.placements_page(
            db_session,
            user=request.user,
            origin=await queries.school_origin(db_session, request.user),
            round_id=current.id,
            filters=filters,
            today=today(),
            limit=limit,
            offset=offset,
        )
        return OffsetPagination(
            items=[PlacementOut.of(item.placement, item.employer_name, item.distance_km) for item in listed],
            limit=limit,
            offset=offset,
            total=total,
        )

    @post(
        "/",
        opt=EMPLOYER,
        operation_id="createPlacement",
        summary="Post a placement in the current round (as a draft, or published)",
        raises=WRITE_ERRORS,
    )
    async def create(
        self, acting: Acting, data: JSONBody[PlacementIn], db_session: DbSession
    ) -> PlacementOut:
        employer = await db_session.get_one(Employer, acting.user.employer_id)
        current = await current_round(db_session)
        if current is None:
            raise ConflictException("There is no open round to post placements in")
        errors = FormErrors()
        raw = data.raw()
        checked = inputs.check_placement(
            raw,
            errors,
            round_weeks=list(current.weeks),
            located=await locate(db_session, raw.get("postcode")),
        )
        if checked is None:
            raise services.EmployerError.of(errors)
        placement = await services.create_placement(
            db_session,
            employer=employer,
            round=current,
            data=checked,
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        return PlacementOut.of(placement, employer.name)

    @get(
        "/{placement_id:uuid}",
        opt=access(),
        operation_id="getPlacement",
        summary="A placement",
        raises=API_LOOKUP_ERRORS,
    )
    async def get_placement(
        self, request: Request[User, Any, Any], placement_id: FromPath[UUID], db_session: DbSession
    ) -> PlacementOut:
        placement = await queries.placement_for(
            db_session, user=request.user, placement_id=placement_id, today=today()
        )
        employer = await db_session.get_one(Employer, placement.employer_id)
        distance = queries.distance_km(await queries.school_origin(db_session, request.user), placement)
        return PlacementOut.of(placement, employer.name, distance)

    @put(
        "/{placement_id:uuid}",
        opt=EMPLOYER,
        operation_id="updatePlacement",
        summary="Change a placement (not once withdrawn)",
        raises=WRITE_ERRORS,
    )
    async def update(
        self,
        acting: Acting,
        placement_id: FromPath[UUID],
        data: JSONBody[PlacementIn],
        db_session: DbSession,
    ) -> PlacementOut:
        placement = await queries.placement_for(
            db_session, user=acting.user, placement_id=placement_id, today=today(), for_change=True
        )
        from programme.models import Round

        placement_round = await db_session.get_one(Round, placement.round_id)
        errors = FormErrors()
        raw = data.raw()
        checked = inputs.check_placement(
            raw,
            errors,
            round_weeks=list(placement_round.weeks),
            located=await locate(db_session, raw.get("postcode")),
        )
        if checked is None:
            raise services.EmployerError.of(errors)
        await services.update_placement(
            db_session,
            placement=placement,
            data=checked,
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        employer = await db_session.get_one(Employer, placement.employer_id)
        return PlacementOut.of(placement, employer.name)

    @post(
        "/{placement_id:uuid}/withdraw",
        opt=EMPLOYER,
        status_code=200,
        operation_id="withdrawPlacement",
        summary="Withdraw a placement: schools stop seeing it",
        raises=WRITE_ERRORS,
    )
    async def withdraw(
        self, acting: Acting, placement_id: FromPath[UUID], db_session: DbSession
    ) -> PlacementOut:
        placement = await queries.placement_for(
            db_session, user=acting.user, placement_id=placement_id, today=today(), for_change=True
        )
        await services.withdraw_placement(
            db_session, placement=placement, actor=acting.user, ip_address=acting.ip_address
        )
        employer = await db_session.get_one(Employer, placement.employer_id)
        return PlacementOut.of(placement, employer.name)

    @post(
        "/{placement_id:uuid}/copy",
        opt=EMPLOYER,
        operation_id="copyPlacement",
        summary="Copy a placement of an earlier round into the current round, as a draft",
        raises=WRITE_ERRORS,
    )
    async def copy(self, acting: Acting, placement_id: FromPath[UUID], db_session: DbSession) -> PlacementOut:
        placement = await queries.placement_for(
            db_session, user=acting.user, placement_id=placement_id, today=today(), for_change=True
        )
        current = await current_round(db_session)
        if current is None:
            raise ConflictException("There is no open round to copy the placement into")
        copy = await services.copy_placement(
            db_session,
            placement=placement,
            round=current,
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        employer = await db_session.get_one(Employer, placement.employer_id)
        return PlacementOut.of(copy, employer.name)
