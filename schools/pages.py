"""Pages for schools, their staff, pupils, consent and the CSV import (no JavaScript needed)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from placements.accounts.guards import access
from placements.accounts.models import Role, User
from placements.accounts.pages import client_ip
from placements.audit.services import record
from placements.clock import today
from placements.db import DbSession
from placements.exports import csv_text
from placements.geo import POSTCODE_NOT_FOUND, coordinates_as_entered, district_centroid, normalise_postcode
from placements.web.downloads import attachment
from placements.web.forms import FormErrors, form_values, render_form
from placements.web.paging import Page, page_from_request
from schools import queries, services
from schools.csv_import import COLUMNS, MAX_BYTES, FileRefused, template_csv
from schools.models import Pupil, School
from schools.services import ConsentData, SchoolData, SchoolsError
from schools.validation import LAT_RANGE, LON_RANGE, PHONE, parse_date, parse_pupil

STAFF = access(Role.SCHOOL_STAFF)
STAFF_OR_COORDINATOR = access(Role.COORDINATOR, Role.SCHOOL_STAFF)
PHASES = [
    ("secondary", "Secondary"),
    ("all-through", "All-through"),
    ("sixth form", "Sixth form"),
    ("special", "Special school"),
]
RELATIONSHIPS = ["Mother", "Father", "Parent", "Carer", "Guardian", "Grandparent", "Social worker", "Other"]


def _uuid(raw: str | None) -> UUID | None:
    try:
        return UUID(raw or "")
    except ValueError:
        return None


def _float_or_none(raw: str | None) -> float | None:
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def school_form(values: dict[str, str], errors: FormErrors) -> SchoolData | None:
    urn = errors.require(values, "urn", "Enter the school's URN")
    if urn and not (urn.isdigit() and 6 <= len(urn) <= 7):
        errors.add("urn", "URN must be 6 or 7 digits, like 119584")
    name = errors.require(values, "name", "Enter the school's name")
    errors.at_most(values, "name", 200, "Name")
    postcode = normalise_postcode(errors.require(values, "postcode", "Enter the school's postcode") or "x")
    if values.get("postcode") and postcode is None:
        errors.add("postcode", "Enter a real postcode, like PR1 2HE")
    town = values.get("town") or None
    if town and len(town) > 100:
        errors.add("town", "Town must be 100 characters or fewer")
    lat, lon = _float_or_none(values.get("lat")), _float_or_none(values.get("lon"))
    if values.get("lat") and (lat is None or not LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
        errors.add("lat", "Latitude must be a number between 49.8 and 60.9, like 53.76")
    if values.get("lon") and (lon is None or not LON_RANGE[0] <= lon <= LON_RANGE[1]):
        errors.add("lon", "Longitude must be a number between -8.7 and 1.8, like -2.70")
    if "lat" not in errors and "lon" not in errors and (lat is None) != (lon is None):
        errors.add("lat" if lat is None else "lon", "Enter both the latitude and the longitude, or neither")
    phase = values.get("phase") or "secondary"
    if phase not in dict(PHASES):
        errors.add("phase", "Select the school's phase")
    if errors:
        return None
    assert postcode
    data = SchoolData(urn=urn, name=name, postcode=postcode, town=town, lat=lat, lon=lon, phase=phase)
    if data.lat is None and data.lon is None:
        found = district_centroid(postcode)
        if found is None:
            errors.add("postcode", POSTCODE_NOT_FOUND)
            return None
        data.lat, data.lon = found
    return data


def _school_values(school: School) -> dict[str, str]:
    return {
        "urn": school.urn,
        "name": school.name,
        "postcode": school.postcode,
        "town": school.town or "",
        **coordinates_as_entered(school.postcode, school.lat, school.lon),
        "phase": school.phase,
    }


class SchoolPages(Controller):
    path = "/schools"
    include_in_schema = False

    @get("/", opt=access(Role.COORDINATOR))
    async def list_schools(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        paging = page_from_request(request)
        search = request.query_params.get("q") or None
        without = request.query_params.get("without_advisor") == "yes"
        rows, total = await queries.list_schools(
            db_session,
            user=request.user,
            search=search,
            without_advisor=without,
            limit=paging.limit,
            offset=paging.offset,
        )
        return Template(
            template_name="schools/list.html",
            context={
                "rows": rows,
                "page": Page.of(paging, total, request),
                "q": search or "",
                "without": without,
            },
        )

    @get("/new", opt=access(Role.COORDINATOR))
    async def new_form(self) -> Template:
        return render_form(
            "schools/school_form.html",
            values={"phase": "secondary"},
            errors=FormErrors(),
            phases=PHASES,
            school=None,
        )

    @post("/new", opt=access(Role.COORDINATOR))
    async def create(self, request: Request[User, Any, Any], db_session: DbSession) -> Template | Redirect:
        values = await form_values(request)
        errors = FormErrors()
        data = school_form(values, errors)
        if data is not None:
            try:
                school = await services.create_school(
                    db_session, data=data, actor=request.user, ip_address=client_ip(request)
                )
            except SchoolsError as exc:
                errors.add(exc.field or "urn", str(exc))
        if errors or data is None:
            return render_form(
                "schools/school_form.html", values=values, errors=errors, phases=PHASES, school=None
            )
        flash(request, f"{school.name} added. Invite its first member of staff below.", category="success")
        return Redirect(path=f"/schools/{school.id}", status_code=303)

    @get("/{school_id:uuid}", opt=STAFF_OR_COORDINATOR)
    async def show(
        self, request: Request[User, Any, Any], school_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        school = await queries.get_school(db_session, user=request.user, school_id=school_id)
        staff = await queries.school_staff(db_session, school=school)
        return Template(
            template_name="schools/show.html",
            context={
                "school": school,
                "staff": staff,
                "has_advisor": any(person.is_digital_advisor and person.is_active for person in staff),
                "missing_consent": await queries.count_missing_consent(db_session, school_id=school.id),
            },
        )

    @get("/{school_id:uuid}/edit", opt=STAFF_OR_COORDINATOR)
    async def edit_form(
        self, request: Request[User, Any, Any], school_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        school = await queries.get_school(db_session, user=request.user, school_id=school_id)
        return render_form(
            "schools/school_form.html",
            values=_school_values(school),
            errors=FormErrors(),
            phases=PHASES,
            school=school,
        )

    @post("/{school_id:uuid}/edit", opt=STAFF_OR_COORDINATOR)
    async def update(
        self, request: Request[User, Any, Any], school_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        school = await queries.get_school(db_session, user=request.user, school_id=school_id)
        values = await form_values(request)
        errors = FormErrors()
        data = school_form(values, errors)
        if data is not None:
            try:
                await services.update_school(
                    db_session, school=school, data=data, actor=request.user, ip_address=client_ip(request)
                )
            except SchoolsError as exc:
                errors.add(exc.field or "urn", str(exc))
        if errors:
            return render_form(
                "schools/school_form.html", values=values, errors=errors, phases=PHASES, school=school
            )
        flash(request, "School details saved", category="success")
        return Redirect(path=f"/schools/{school.id}", status_code=303)

    @get("/{school_id:uuid}/staff/invite", opt=STAFF_OR_COORDINATOR)
    async def invite_form(
        self, request: Request[User, Any, Any], school_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        school = await queries.get_school(db_session, user=request.user, school_id=school_id)
        return render_form("schools/staff_invite.html", values={}, errors=FormErrors(), school=school)

    @post("/{school_id:uuid}/staff/invite", opt=STAFF_OR_COORDINATOR)
    async def invite(
        self, request: Request[User, Any, Any], school_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        school = await queries.get_school(db_session, user=request.user, school_id=school_id)
        values = await form_values(request)
        errors = FormErrors()
        errors.require(values, "name", "Enter the person's name")
        errors.at_most(values, "name", 200, "The name")
        errors.email(values)
        advisor = values.get("is_digital_advisor") == "yes"
        phone = _phone(values, errors, required=advisor)
        if not errors:
            try:
                await services.invite_school_staff(
                    db_session,
                    school=school,
                    name=values["name"],
                    email=values["email"],
                    is_digital_advisor=advisor,
                    phone=phone,
                    actor=request.user,
                    ip_address=client_ip(request),
                )
            except SchoolsError as exc:
                errors.add(exc.field or "email", str(exc))
        if errors:
            return render_form("schools/staff_invite.html", values=values, errors=errors, school=school)
        flash(request, f"Invitation sent to {values['email']}", category="success")
        return Redirect(path=f"/schools/{school.id}", status_code=303)

    @get("/{school_id:uuid}/staff/{staff_id:uuid}", opt=STAFF_OR_COORDINATOR)
    async def staff_form(
        self,
        request: Request[User, Any, Any],
        school_id: FromPath[UUID],
        staff_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template:
        school = await queries.get_school(db_session, user=request.user, school_id=school_id)
        staff = await queries.get_school_staff(
            db_session, user=request.user, school=school, staff_id=staff_id
        )
        values = {
            "is_digital_advisor": "yes" if staff.is_digital_advisor else "no",
            "phone": staff.phone or "",
        }
        return render_form(
            "schools/staff_form.html", values=values, errors=FormErrors(), school=school, staff=staff
        )

    @post("/{school_id:uuid}/staff/{staff_id:uuid}", opt=STAFF_OR_COORDINATOR)
    async def update_staff(
        self,
        request: Request[User, Any, Any],
        school_id: FromPath[UUID],
        staff_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        school = await queries.get_school(db_session, user=request.user, school_id=school_id)
        staff = await queries.get_school_staff(
            db_session, user=request.user, school=school, staff_id=staff_id
        )
        values = await form_values(request)
        errors = FormErrors()
        if values.get("is_digital_advisor") not in ("yes", "no"):
            errors.add("is_digital_advisor", "Select whether they are a digital advisor")
        advisor = values.get("is_digital_advisor") == "yes"
        phone = _phone(values, errors, required=advisor)
        if not errors:
            await services.update_school_staff(
                db_session,
                staff=staff,
                is_digital_advisor=advisor,
                phone=phone,
                actor=request.user,
                ip_address=client_ip(request),
            )
        if errors:
            return render_form(
                "schools/staff_form.html", values=values, errors=errors, school=school, staff=staff
            )
        flash(request, f"{staff.name}'s details saved", category="success")
        return Redirect(path=f"/schools/{school.id}", status_code=303)


def _phone(values: dict[str, str], errors: FormErrors, *, required: bool) -> str | None:
    phone = values.get("phone") or None
    if required and not phone:
        errors.add("phone", "Enter a contact phone number for the digital advisor")
    elif phone and not PHONE.match(phone):
        errors.add("phone", "Enter a phone number, like 01772 123456")
    return phone


class OwnSchoolPage(Controller):
    include_in_schema = False

    @get("/school", opt=STAFF)
    async def own_school(self, request: Request[User, Any, Any]) -> Redirect:
        return Redirect(path=f"/schools/{request.user.school_id}")


# --- Pupils --------------------------------------------------------------------------------------

FLAGS = ["pupil_premium", "looked_after", "send"]


def _pupil_values(pupil: Pupil) -> dict[str, str]:
    values = {
        "reference": pupil.reference,
        "first_name": pupil.first_name,
        "last_name": pupil.last_name,
        "date_of_birth-day": str(pupil.date_of_birth.day),
        "date_of_birth-month": str(pupil.date_of_birth.month),
        "date_of_birth-year": str(pupil.date_of_birth.year),
        "year_group": str(pupil.year_group),
        "home_postcode": pupil.home_postcode or "",
        **coordinates_as_entered(pupil.home_postcode, pupil.lat, pupil.lon),
        "max_travel_km": "" if pupil.max_travel_km is None else f"{pupil.max_travel_km:g}",
        "access_needs": pupil.access_needs or "",
        "emergency_contact_name": pupil.emergency_contact_name or "",
        "emergency_contact_relationship": pupil.emergency_contact_relationship or "",
        "emergency_contact_phone": pupil.emergency_contact_phone or "",
    }
    for flag in FLAGS:
        values[flag] = "yes" if getattr(pupil, flag) else ""
    return values


def _date_from_parts(values: dict[str, str], name: str) -> str:
    parts = [values.get(f"{name}-{part}", "").strip() for part in ("year", "month", "day")]
    if not any(parts):
        return ""
    if not all(parts) or not all(part.isdigit() for part in parts):
        return "invalid"
    return "-".join(parts)


async def _pupil_form(request: Request[User, Any, Any]) -> tuple[dict[str, str], Any, FormErrors]:
    form = await request.form()
    values = await form_values(request)
    for flag in FLAGS:
        values[flag] = "yes" if flag in form.getall("flags", []) else ""
    parse_values = {**values, "date_of_birth": _date_from_parts(values, "date_of_birth")}
    data, problems = parse_pupil(parse_values, on=today(), reference_required=False, home_must_be_found=True)
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
    async def create(self, request: Request[User, Any, Any], db_session: DbSession) -> Template | Redirect:
        values, data, errors = await _pupil_form(request)
        if data is not None:
            school = await queries.get_school(db_session, user=request.user, school_id=request.user.school_id)
            try:
                pupil = await services.create_pupil(
                    db_session, school=school, data=data, actor=request.user, ip_address=client_ip(request)
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
            values=_pupil_values(pupil),
            errors=FormErrors(),
            pupil=pupil,
            relationships=RELATIONSHIPS,
        )

    @post("/{pupil_id:uuid}/edit", opt=STAFF)
    async def update(
        self, request: Request[User, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        pupil = await queries.get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        values, data, errors = await _pupil_form(request)
        if data is not None:
            try:
                await services.update_pupil(
                    db_session, pupil=pupil, data=data, actor=request.user, ip_address=client_ip(request)
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
        self, request: Request[User, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Redirect:
        pupil = await queries.get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        await services.erase_pupil(db_session, pupil=pupil, actor=request.user, ip_address=client_ip(request))
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
        self, request: Request[User, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        pupil = await queries.get_pupil(db_session, user=request.user, pupil_id=pupil_id)
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
        given_on = _date_field(values, "given_on", errors, "Enter the date consent was given")
        if not errors and given_on:
            try:
                await services.record_consent(
                    db_session,
                    pupil=pupil,
                    data=ConsentData(
                        given_by=given_by, relationship=relationship, given_on=given_on, text_version=version
                    ),
                    actor=request.user,
                    ip_address=client_ip(request),
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
        self, request: Request[User, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        pupil = await queries.get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        values = await form_values(request)
        errors = FormErrors()
        withdrawn_on = _date_field(values, "withdrawn_on", errors, "Enter the date consent was withdrawn")
        if not errors and withdrawn_on:
            try:
                await services.withdraw_consent(
                    db_session,
                    pupil=pupil,
                    withdrawn_on=withdrawn_on,
                    actor=request.user,
                    ip_address=client_ip(request),
                )
            except SchoolsError as exc:
                errors.add(exc.field or "withdrawn_on", str(exc))
        if errors:
            return render_form("schools/consent_withdraw.html", values=values, errors=errors, pupil=pupil)
        flash(request, "Consent withdrawn: the pupil will not be matched", category="success")
        return Redirect(path=f"/pupils/{pupil.id}", status_code=303)

    @get("/{pupil_id:uuid}/subject-access.json", opt=access(Role.COORDINATOR))
    async def subject_access(
        self, request: Request[User, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Response[bytes]:
        pupil = await queries.get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        document = await services.subject_access_export(
            db_session, pupil=pupil, actor=request.user, ip_address=client_ip(request)
        )
        return attachment(
            json.dumps(document, indent=2, ensure_ascii=False).encode(), f"subject-access-{pupil.id}.json"
        )

    @get("/export.csv", opt=STAFF)
    async def export(self, request: Request[User, Any, Any], db_session: DbSession) -> Response[str]:
        """The school's pupils in the import format: download, edit, upload again."""
        from sqlalchemy import select

        pupils = await db_session.scalars(
            select(Pupil).where(Pupil.school_id == request.user.school_id).order_by(Pupil.reference)
        )
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
        await record(
            db_session,
            actor=request.user,
            action="pupils_exported",
            record_type="school",
            record_id=request.user.school_id,
            ip_address=client_ip(request),
            rows=len(rows),
        )
        return attachment(csv_text([header for _, header, _ in COLUMNS], rows), "pupils.csv")

    # --- CSV import ---

    @get("/import", opt=STAFF)
    async def import_form(self) -> Template:
        return render_form(
            "schools/import_upload.html",
            values={},
            errors=FormErrors(),
            columns=COLUMNS,
            max_mb=MAX_BYTES // (1024 * 1024),
        )

    @get("/import/template.csv", opt=STAFF_OR_COORDINATOR)
    async def import_template(self) -> Response[str]:
        return attachment(template_csv(), "pupils-template.csv")

    @post("/import", opt=STAFF)
    async def upload(
        self,
        request: Request[User, Any, Any],
        db_session: DbSession,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template | Redirect:
        errors = FormErrors()
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            errors.add("file", "Select a CSV file")
        else:
            content = await upload.read(MAX_BYTES + 1)
            school = await queries.get_school(db_session, user=request.user, school_id=request.user.school_id)
            try:
                pending = await services.start_import(
                    db_session,
                    school=school,
                    filename=upload.filename,
                    content=content,
                    actor=request.user,
                    ip_address=client_ip(request),
                )
            except FileRefused as exc:
                errors.add("file", str(exc))
        if errors:
            return render_form(
                "schools/import_upload.html",
                values={},
                errors=errors,
                columns=COLUMNS,
                max_mb=MAX_BYTES // (1024 * 1024),
            )
        return Redirect(path=f"/pupils/import/{pending.id}", status_code=303)

    @get("/import/{import_id:uuid}", opt=STAFF)
    async def preview(
        self, request: Request[User, Any, Any], import_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        pending = await queries.get_pending_import(db_session, user=request.user, import_id=import_id)
        return Template(
            template_name="schools/import_preview.html",
            context={"pending": pending, "summary": services.summarise(pending)},
        )

    @post("/import/{import_id:uuid}", opt=STAFF)
    async def confirm(
        self, request: Request[User, Any, Any], import_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        pending = await queries.get_pending_import(db_session, user=request.user, import_id=import_id)
        try:
            result = await services.confirm_import(
                db_session, pending=pending, actor=request.user, ip_address=client_ip(request)
            )
        except SchoolsError as exc:
            return Template(
                template_name="schools/import_preview.html",
                context={"pending": pending, "summary": services.summarise(pending), "refused": str(exc)},
                status_code=409,
            )
        flash(
            request,
            f"Imported {result.created + result.updated} pupils: "
            f"{result.created} new, {result.updated} updated",
            category="success",
        )
        return Redirect(path="/pupils", status_code=303)


def _date_field(values: dict[str, str], name: str, errors: FormErrors, message: str) -> date | None:
    raw = _date_from_parts(values, name)
    if not raw:
        errors.add(name, message)
        return None
    found = parse_date(raw) if raw != "invalid" else None
    if found is None:
        errors.add(name, "Enter a real date, like 27 3 2026")
    return found
