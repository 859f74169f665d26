"""Pupils in pages: a school's pupils, one pupil's record and consent, and the subject access export."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts.guards import COORDINATOR, STAFF, STAFF_OR_COORDINATOR
from placements.accounts.models import User
from placements.clock import today
from placements.db import DbSession
from placements.exports import csv_text
from placements.postcodes.lookup import coordinates_as_entered, locate
from placements.web.acting import Acting
from placements.web.downloads import attachment
from placements.web.forms import FormErrors, date_input, date_input_values, form_values, render_form
from placements.web.paging import Page, page_from_request
from schools import queries, services, subject_access
from schools.csv_import import COLUMNS
from schools.models import Pupil, School
from schools.services import ConsentData, SchoolsError
from schools.validation import RELATIONSHIPS, parse_pupil


def _uuid(raw: str | None) -> UUID | None:
    try:
        return UUID(raw or "")
    except ValueError:
        return None


FLAGS = ["pupil_premium", "looked_after", "send"]


async def _pupil_values(db: AsyncSession, pupil: Pupil) -> dict[str, str]:
    values = {
        "reference": pupil.reference,
        "first_name": pupil.first_name,
        "last_name": pupil.last_name,
        **date_input_values("date_of_birth", pupil.date_of_birth),
        "year_group": str(pupil.year_group),
        "home_postcode": pupil.home_postcode or "",
        **await coordinates_as_entered(db, pupil.home_postcode, pupil.lat, pupil.lon),
        "max_travel_km": "" if pupil.max_travel_km is None else f"{pupil.max_travel_km:g}",
        "access_needs": pupil.access_needs or "",
        "emergency_contact_name": pupil.emergency_contact_name or "",
        "emergency_contact_relationship": pupil.emergency_contact_relationship or "",
        "emergency_contact_phone": pupil.emergency_contact_phone or "",
        "parent_email": pupil.parent_email or "",
    }
    for flag in FLAGS:
        values[flag] = "yes" if getattr(pupil, flag) else ""
    return values


async def _pupil_form(
    request: Request[User, Any, Any], db: AsyncSession
) -> tuple[dict[str, str], Any, FormErrors]:
    form = await request.form()
    values = await form_values(request)
    for flag in FLAGS:
        values[flag] = "yes" if flag in form.getall("flags", []) else ""
    # The date input's boxes as the text parse_pupil reads (as from a CSV file): a date, or not one.
    entered, born = date_input(values, "date_of_birth")
    parse_values = {**values, "date_of_birth": born.isoformat() if born else "not a date" if entered else ""}
    data, problems = parse_pupil(
        parse_values,
        on=today(),
        home=await locate(db, values.get("home_postcode")),
        reference_required=False,
        home_must_be_found=True,
    )
    errors = FormErrors()
    for field, message in problems.items():
        errors.add(field, message)
    return values, data, errors


class PupilPages(Controller):
    path = "/pupils"
    include_in_schema = False

    @get("/", opt=STAFF_OR_COORDINATOR)
    async def list_pupils(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        paging = page_from_request(request)
        params = request.query_params
        consent = params.get("consent") if params.get("consent") in ("missing", "current") else None
        rows, total = await queries.list_pupils(
            db_session,
            user=request.user,
            search=params.get("q") or None,
            school_id=_uuid(params.get("school_id")),
            consent=consent,
            limit=paging.limit,
            offset=paging.offset,
        )
        missing = None
        if request.user.school_id:
            missing = await queries.count_missing_consent(db_session, school_id=request.user.school_id)
        return Template(
            template_name="schools/pupils.html",
            context={
                "rows": rows,
                "page": Page.of(paging, total, request),
                "q": params.get("q") or "",
                "consent": consent or "",
                "missing": missing,
            },
        )

    @get("/new", opt=STAFF)
    async def new_form(self) -> Template:
        return render_form(
            "schools/pupil_form.html", values={}, errors=FormErrors(), pupil=None, relationships=RELATIONSHIPS
        )

    @post("/new", opt=STAFF)
    async def create(
        self, acting: Acting, request: Request[User, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        values, data, errors = await _pupil_form(request, db_session)
        if data is not None:
            school = await queries.get_school(db_session, user=acting.user, school_id=acting.user.school_id)
            try:
                pupil = await services.create_pupil(
                    db_session, school=school, data=data, actor=acting.user, ip_address=acting.ip_address
                )
            except SchoolsError as exc:
                errors.add(exc.field or "reference", str(exc))
        if errors:
            return render_form(
                "schools/pupil_form.html",
                values=values,
                errors=errors,
                pupil=None,
                relationships=RELATIONSHIPS,
            )
        flash(
            request, f"Pupil {pupil.reference} added. Record their parent's consent next.", category="success"
        )
        return Redirect(path=f"/pupils/{pupil.id}", status_code=303)

    @get("/{pupil_id:uuid}", opt=STAFF_OR_COORDINATOR)
    async def show(
        self, request: Request[User, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        pupil = await queries.get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        school = await db_session.get_one(School, pupil.school_id)
        return Template(
            template_name="schools/pupil.html",
            context={
                "pupil": pupil,
                "school": school,
                "consents": await queries.consent_history(db_session, pupil=pupil),
                "current": await queries.current_consent(db_session, pupil=pupil),
                "show_access_needs": queries.may_see_access_needs(request.user, pupil),
                "own_school": request.user.school_id == pupil.school_id,
            },
        )

    @get("/{pupil_id:uuid}/edit", opt=STAFF)
    async def edit_form(
        self, request: Request[User, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        pupil = await queries.get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        return render_form(
            "schools/pupil_form.html",
            values=await _pupil_values(db_session, pupil),
            errors=FormErrors(),
            pupil=pupil,
            relationships=RELATIONSHIPS,
        )

    @post("/{pupil_id:uuid}/edit", opt=STAFF)
    async def update(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        pupil_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        pupil = await queries.get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        values, data, errors = await _pupil_form(request, db_session)
        if data is not None:
            try:
                await services.update_pupil(
                    db_session, pupil=pupil, data=data, actor=acting.user, ip_address=acting.ip_address
                )
            except SchoolsError as exc:
                errors.add(exc.field or "reference", str(exc))
        if errors:
            return render_form(
                "schools/pupil_form.html",
                values=values,
                errors=errors,
                pupil=pupil,
                relationships=RELATIONSHIPS,
            )
        flash(request, "Pupil's details saved", category="success")
        return Redirect(path=f"/pupils/{pupil.id}", status_code=303)

    @get("/{pupil_id:uuid}/remove", opt=STAFF_OR_COORDINATOR)
    async def remove_form(
        self, request: Request[User, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        pupil = await queries.get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        return Template(template_name="schools/pupil_remove.html", context={"pupil": pupil})

    @post("/{pupil_id:uuid}/remove", opt=STAFF_OR_COORDINATOR)
    async def remove(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        pupil_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Redirect:
        pupil = await queries.get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        await services.erase_pupil(db_session, pupil=pupil, actor=acting.user, ip_address=acting.ip_address)
        flash(request, "The pupil's record has been erased", category="success")
        return Redirect(path="/pupils", status_code=303)

    @get("/{pupil_id:uuid}/consent", opt=STAFF)
    async def consent_form(
        self, request: Request[User, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        pupil = await queries.get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        return render_form(
            "schools/consent_form.html",
            values={},
            errors=FormErrors(),
            pupil=pupil,
            relationships=RELATIONSHIPS,
        )

    @post("/{pupil_id:uuid}/consent", opt=STAFF)
    async def record_consent(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        pupil_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        pupil = await queries.get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        values = await form_values(request)
        errors = FormErrors()
        given_by = errors.require(values, "given_by", "Enter the name of the person who gave consent")
        relationship = errors.require(values, "relationship", "Select their relationship to the pupil")
        version = errors.require(values, "text_version", "Enter the version of the consent form they signed")
        if len(given_by) > 200:
            errors.add("given_by", "Name must be 200 characters or fewer")
        if len(relationship) > 60:
            errors.add("relationship", "Relationship must be 60 characters or fewer")
        if len(version) > 20:
            errors.add("text_version", "Version must be 20 characters or fewer")
        given_on = errors.date(values, "given_on", missing="Enter the date consent was given")
        if not errors and given_on:
            try:
                await services.record_consent(
                    db_session,
                    pupil=pupil,
                    data=ConsentData(
                        given_by=given_by, relationship=relationship, given_on=given_on, text_version=version
                    ),
                    actor=acting.user,
                    ip_address=acting.ip_address,
                )
            except SchoolsError as exc:
                errors.add(exc.field or "given_on", str(exc))
        if errors:
            return render_form(
                "schools/consent_form.html",
                values=values,
                errors=errors,
                pupil=pupil,
                relationships=RELATIONSHIPS,
            )
        flash(request, "Consent recorded: the pupil can now be matched", category="success")
        return Redirect(path=f"/pupils/{pupil.id}", status_code=303)

    @get("/{pupil_id:uuid}/consent/withdraw", opt=STAFF)
    async def withdraw_form(
        self, request: Request[User, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        pupil = await queries.get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        return render_form("schools/consent_withdraw.html", values={}, errors=FormErrors(), pupil=pupil)

    @post("/{pupil_id:uuid}/consent/withdraw", opt=STAFF)
    async def withdraw(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        pupil_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        pupil = await queries.get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        values = await form_values(request)
        errors = FormErrors()
        withdrawn_on = errors.date(values, "withdrawn_on", missing="Enter the date consent was withdrawn")
        if not errors and withdrawn_on:
            try:
                await services.withdraw_consent(
                    db_session,
                    pupil=pupil,
                    withdrawn_on=withdrawn_on,
                    actor=acting.user,
                    ip_address=acting.ip_address,
                )
            except SchoolsError as exc:
                errors.add(exc.field or "withdrawn_on", str(exc))
        if errors:
            return render_form("schools/consent_withdraw.html", values=values, errors=errors, pupil=pupil)
        flash(request, "Consent withdrawn: the pupil will not be matched", category="success")
        return Redirect(path=f"/pupils/{pupil.id}", status_code=303)

    @get("/{pupil_id:uuid}/subject-access.json", opt=COORDINATOR)
    async def subject_access(
        self, acting: Acting, pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Response[bytes]:
        pupil = await queries.get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        document = await subject_access.subject_access_export(
            db_session, pupil=pupil, actor=acting.user, ip_address=acting.ip_address
        )
        return attachment(
            json.dumps(document, indent=2, ensure_ascii=False).encode(), f"subject-access-{pupil.id}.json"
        )

    @get("/export.csv", opt=STAFF)
    async def export(self, acting: Acting, db_session: DbSession) -> Response[str]:
        """The school's pupils in the import format: download, edit, upload again."""
        pupils = await queries.pupils_of_school(db_session, school_id=acting.user.school_id)
        rows = [
            [
                ("yes" if getattr(p, name) else "no")
                if name in FLAGS
                else (
                    getattr(p, name).isoformat() if isinstance(getattr(p, name), date) else getattr(p, name)
                )
                for name, _, _ in COLUMNS
            ]
            for p in pupils
        ]
        await acting.audit(
            db_session,
            "pupils_exported",
            record_type="school",
            record_id=acting.user.school_id,
            rows=len(rows),
        )
        return attachment(csv_text([header for _, header, _ in COLUMNS], rows), "pupils.csv")
