"""Pupils in the JSON API: records, consent, erasure, subject access, and importing a CSV file."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException, ValidationException
from litestar.params import Body, FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts.guards import COORDINATOR, STAFF, STAFF_OR_COORDINATOR
from placements.accounts.models import User
from placements.clock import today
from placements.db import DbSession
from placements.geo import normalise_postcode
from placements.postcodes.lookup import locate
from placements.web.acting import Acting
from placements.web.downloads import attachment
from placements.web.errors import (
    API_ERRORS,
    API_LOOKUP_ERRORS,
    WRITE_ERRORS,
    ConflictException,
)
from placements.web.paging import FilterText, Limit, Offset
from placements.web.schemas import from_model
from schools import queries, services, subject_access
from schools.csv_import import MAX_BYTES, FileRefused, template_csv
from schools.models import Consent, Pupil, PupilImport
from schools.schemas import (
    ConsentIn,
    ConsentOut,
    ImportProblemOut,
    ImportResultOut,
    PupilImportOut,
    PupilIn,
    PupilOut,
    PupilSummaryOut,
    WithdrawalIn,
)
from schools.services import ConsentData, SchoolsError
from schools.validation import PupilData, date_of_birth_problem


class FileTooLarge(ClientException):
    status_code = 413


class NotACsvFile(ClientException):
    status_code = 415


async def _pupil_data(db: AsyncSession, data: PupilIn) -> PupilData:
    pupil = PupilData(
        reference=data.reference or "",
        first_name=data.first_name.strip(),
        last_name=data.last_name.strip(),
        date_of_birth=data.date_of_birth,
        year_group=data.year_group,
        home_postcode=normalise_postcode(data.home_postcode) if data.home_postcode else None,
        lat=data.lat,
        lon=data.lon,
        max_travel_km=data.max_travel_km,
        pupil_premium=data.pupil_premium,
        looked_after=data.looked_after,
        send=data.send,
        access_needs=data.access_needs or None,
        emergency_contact_name=data.emergency_contact_name,
        emergency_contact_relationship=data.emergency_contact_relationship,
        emergency_contact_phone=data.emergency_contact_phone,
        parent_email=data.parent_email,
    )
    problem = date_of_birth_problem(pupil.date_of_birth, pupil.year_group, today())
    if problem:
        raise SchoolsError(problem, "date_of_birth")
    if (pupil.lat is None) != (pupil.lon is None):
        raise SchoolsError("Give both latitude and longitude, or neither", "lat")
    pupil.fill_coordinates(await locate(db, pupil.home_postcode))
    return pupil


async def _pupil_out(db: Any, user: User, pupil: Pupil) -> PupilOut:
    current = await queries.current_consent(db, pupil=pupil)
    return from_model(
        PupilOut,
        pupil,
        access_needs=pupil.access_needs if queries.may_see_access_needs(user, pupil) else None,
        has_current_consent=current is not None,
    )


def _consent_out(consent: Consent) -> ConsentOut:
    return from_model(ConsentOut, consent, recorded_at=consent.created_at)


class PupilsApi(Controller):
    path = "/api/pupils"
    tags = ["Pupils"]

    @get(
        "/",
        opt=STAFF_OR_COORDINATOR,
        operation_id="listPupils",
        summary="Pupils (school staff: their own school's); consent=missing lists those without consent",
        raises=API_ERRORS,
    )
    async def list_pupils(
        self,
        request: Request[User, Any, Any],
        db_session: DbSession,
        q: FilterText = None,
        school_id: FromQuery[UUID | None] = None,
        consent: FromQuery[Literal["missing", "current"] | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> OffsetPagination[PupilSummaryOut]:
        rows, total = await queries.list_pupils(
            db_session,
            user=request.user,
            search=q,
            school_id=school_id,
            consent=consent if consent in ("missing", "current") else None,
            limit=limit,
            offset=offset,
        )
        items = [
            PupilSummaryOut(
                id=r.pupil.id,
                school_id=r.pupil.school_id,
                school_name=r.school_name,
                reference=r.pupil.reference,
                first_name=r.pupil.first_name,
                last_name=r.pupil.last_name,
                year_group=r.pupil.year_group,
                priority=bool(r.pupil.priority),
                has_current_consent=r.has_consent,
            )
            for r in rows
        ]
        return OffsetPagination(items=items, limit=limit, offset=offset, total=total)

    @post(
        "/",
        opt=STAFF,
        operation_id="createPupil",
        summary="Add a pupil to the signed-in user's school",
        raises=WRITE_ERRORS,
    )
    async def create(self, acting: Acting, data: JSONBody[PupilIn], db_session: DbSession) -> PupilOut:
        school = await queries.get_school(db_session, user=acting.user, school_id=acting.user.school_id)
        pupil = await services.create_pupil(
            db_session,
            school=school,
            data=await _pupil_data(db_session, data),
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        return await _pupil_out(db_session, acting.user, pupil)

    @get(
        "/{pupil_id:uuid}",
        opt=STAFF_OR_COORDINATOR,
        operation_id="getPupil",
        summary="One pupil",
        raises=API_LOOKUP_ERRORS,
    )
    async def show(
        self, request: Request[User, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> PupilOut:
        pupil = await queries.get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        return await _pupil_out(db_session, request.user, pupil)

    @put(
        "/{pupil_id:uuid}",
        opt=STAFF,
        operation_id="updatePupil",
        summary="Change a pupil's details",
        raises=WRITE_ERRORS,
    )
    async def update(
        self,
        acting: Acting,
        pupil_id: FromPath[UUID],
        data: JSONBody[PupilIn],
        db_session: DbSession,
    ) -> PupilOut:
        pupil = await queries.get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        await services.update_pupil(
            db_session,
            pupil=pupil,
            data=await _pupil_data(db_session, data),
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        return await _pupil_out(db_session, acting.user, pupil)

    @delete(
        "/{pupil_id:uuid}",
        opt=STAFF_OR_COORDINATOR,
        operation_id="erasePupil",
        summary="Remove a pupil and erase everything about them (an anonymous count is kept)",
        raises=API_LOOKUP_ERRORS,
    )
    async def erase(self, acting: Acting, pupil_id: FromPath[UUID], db_session: DbSession) -> None:
        pupil = await queries.get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        await services.erase_pupil(db_session, pupil=pupil, actor=acting.user, ip_address=acting.ip_address)

    @get(
        "/{pupil_id:uuid}/consents",
        opt=STAFF_OR_COORDINATOR,
        operation_id="listConsents",
        summary="A pupil's consent history, newest first",
        raises=API_LOOKUP_ERRORS,
    )
    async def consents(
        self, request: Request[User, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> list[ConsentOut]:
        pupil = await queries.get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        return [_consent_out(c) for c in await queries.consent_history(db_session, pupil=pupil)]

    @post(
        "/{pupil_id:uuid}/consents",
        opt=STAFF,
        operation_id="recordConsent",
        summary="Record a parent's consent",
        raises=WRITE_ERRORS,
    )
    async def record_consent(
        self,
        acting: Acting,
        pupil_id: FromPath[UUID],
        data: JSONBody[ConsentIn],
        db_session: DbSession,
    ) -> ConsentOut:
        pupil = await queries.get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        consent = await services.record_consent(
            db_session,
            pupil=pupil,
            data=ConsentData(
                given_by=data.given_by.strip(),
                relationship=data.relationship.strip(),
                given_on=data.given_on,
                text_version=data.text_version.strip(),
            ),
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        return _consent_out(consent)

    @post(
        "/{pupil_id:uuid}/consents/withdraw",
        opt=STAFF,
        operation_id="withdrawConsent",
        summary="Withdraw the pupil's current consent",
        raises=WRITE_ERRORS,
        status_code=200,
    )
    async def withdraw(
        self,
        acting: Acting,
        pupil_id: FromPath[UUID],
        data: JSONBody[WithdrawalIn],
        db_session: DbSession,
    ) -> list[ConsentOut]:
        pupil = await queries.get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        closed = await services.withdraw_consent(
            db_session,
            pupil=pupil,
            withdrawn_on=data.withdrawn_on,
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        return [_consent_out(c) for c in closed]

    @get(
        "/{pupil_id:uuid}/subject-access-export",
        opt=COORDINATOR,
        operation_id="exportPupilSubjectAccess",
        summary="Everything held about one pupil, as a JSON file (subject access request)",
        raises=API_LOOKUP_ERRORS,
        media_type="application/json",
    )
    async def subject_access(
        self, acting: Acting, pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Response[dict[str, Any]]:
        pupil = await queries.get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        document = await subject_access.subject_access_export(
            db_session, pupil=pupil, actor=acting.user, ip_address=acting.ip_address
        )
        return attachment(document, f"subject-access-{pupil.id}.json")


def _import_out(pending: PupilImport) -> PupilImportOut:
    summary = services.summarise(pending)
    return PupilImportOut(
        id=pending.id,
        filename=pending.filename,
        new=summary.new,
        updated=summary.updated,
        rows_with_problems=summary.with_problems,
        problems=[
            ImportProblemOut(row=p["row"], column=p["column"], message=p["message"]) for p in summary.problems
        ],
        expires_at=pending.expires_at,
    )


class PupilImportsApi(Controller):
    path = "/api/pupil-imports"
    tags = ["Pupil imports"]

    @get(
        "/template",
        opt=STAFF_OR_COORDINATOR,
        operation_id="getPupilImportTemplate",
        summary="The CSV template with the accepted headers",
        raises=API_ERRORS,
        media_type="text/csv",
    )
    async def template(self) -> Response[str]:
        return attachment(template_csv(), "pupils-template.csv")

    @post(
        "/",
        opt=STAFF,
        operation_id="uploadPupilImport",
        summary="Upload a CSV file: it is checked and kept for preview; nothing about pupils is written",
        raises=[*API_ERRORS, ValidationException, FileTooLarge, NotACsvFile],
    )
    async def upload(
        self,
        acting: Acting,
        db_session: DbSession,
        data: Annotated[UploadFile, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> PupilImportOut:
        content = await data.read(MAX_BYTES + 1)
        if len(content) > MAX_BYTES:
            raise FileTooLarge("The file must be smaller than 2 MB")
        school = await queries.get_school(db_session, user=acting.user, school_id=acting.user.school_id)
        try:
            pending = await services.start_import(
                db_session,
                school=school,
                filename=data.filename or "upload",
                content=content,
                actor=acting.user,
                ip_address=acting.ip_address,
            )
        except FileRefused as exc:
            raise NotACsvFile(str(exc)) from exc
        return _import_out(pending)

    @get(
        "/{import_id:uuid}",
        opt=STAFF,
        operation_id="getPupilImport",
        summary="A pending import: counts and every problem by row and column",
        raises=API_LOOKUP_ERRORS,
    )
    async def show(
        self, request: Request[User, Any, Any], import_id: FromPath[UUID], db_session: DbSession
    ) -> PupilImportOut:
        return _import_out(
            await queries.get_pending_import(db_session, user=request.user, import_id=import_id)
        )

    @post(
        "/{import_id:uuid}/confirm",
        opt=STAFF,
        operation_id="confirmPupilImport",
        summary="Import every row, or nothing while any row has a problem",
        raises=[*API_LOOKUP_ERRORS, ConflictException],
        status_code=200,
    )
    async def confirm(
        self, acting: Acting, import_id: FromPath[UUID], db_session: DbSession
    ) -> ImportResultOut:
        pending = await queries.get_pending_import(db_session, user=acting.user, import_id=import_id)
        result = await services.confirm_import(
            db_session, pending=pending, actor=acting.user, ip_address=acting.ip_address
        )
        return ImportResultOut(created=result.created, updated=result.updated)

    @delete(
        "/{import_id:uuid}",
        opt=STAFF,
        operation_id="discardPupilImport",
        summary="Discard a pending import",
        raises=API_LOOKUP_ERRORS,
    )
    async def discard(self, acting: Acting, import_id: FromPath[UUID], db_session: DbSession) -> None:
        pending = await queries.get_pending_import(db_session, user=acting.user, import_id=import_id)
        await services.discard_import(
            db_session, pending=pending, actor=acting.user, ip_address=acting.ip_address
        )
