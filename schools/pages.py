"""Schools in pages: the coordinator's list, a school's details, and its staff."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts.guards import COORDINATOR, STAFF, STAFF_OR_COORDINATOR
from placements.accounts.models import User
from placements.db import DbSession
from placements.geo import POSTCODE_NOT_FOUND, normalise_postcode
from placements.postcodes.lookup import Location, coordinates_as_entered, locate
from placements.web.acting import Acting
from placements.web.forms import FormErrors, form_values, render_form
from placements.web.paging import Page, page_from_request
from schools import queries, services
from schools.models import School
from schools.services import SchoolData, SchoolsError
from schools.validation import LAT_RANGE, LON_RANGE, PHONE

PHASES = [
    ("secondary", "Secondary"),
    ("all-through", "All-through"),
    ("sixth form", "Sixth form"),
    ("special", "Special school"),
]


def _float_or_none(raw: str | None) -> float | None:
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def school_form(values: dict[str, str], errors: FormErrors, *, located: Location | None) -> SchoolData | None:
    """`located` is where the postcode is (placements.postcodes.locate): the coordinates when none
    are given."""
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
        if located is None:
            errors.add("postcode", POSTCODE_NOT_FOUND)
            return None
        data.lat, data.lon = located.lat, located.lon
    return data


async def _school_values(db: AsyncSession, school: School) -> dict[str, str]:
    return {
        "urn": school.urn,
        "name": school.name,
        "postcode": school.postcode,
        "town": school.town or "",
        **await coordinates_as_entered(db, school.postcode, school.lat, school.lon),
        "phase": school.phase,
    }


class SchoolPages(Controller):
    path = "/schools"
    include_in_schema = False

    @get("/", opt=COORDINATOR)
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

    @get("/new", opt=COORDINATOR)
    async def new_form(self) -> Template:
        return render_form(
            "schools/school_form.html",
            values={"phase": "secondary"},
            errors=FormErrors(),
            phases=PHASES,
            school=None,
        )

    @post("/new", opt=COORDINATOR)
    async def create(
        self, acting: Acting, request: Request[User, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        values = await form_values(request)
        errors = FormErrors()
        data = school_form(values, errors, located=await locate(db_session, values.get("postcode")))
        if data is not None:
            try:
                school = await services.create_school(
                    db_session, data=data, actor=acting.user, ip_address=acting.ip_address
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
            values=await _school_values(db_session, school),
            errors=FormErrors(),
            phases=PHASES,
            school=school,
        )

    @post("/{school_id:uuid}/edit", opt=STAFF_OR_COORDINATOR)
    async def update(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        school_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        school = await queries.get_school(db_session, user=acting.user, school_id=school_id)
        values = await form_values(request)
        errors = FormErrors()
        data = school_form(values, errors, located=await locate(db_session, values.get("postcode")))
        if data is not None:
            try:
                await services.update_school(
                    db_session, school=school, data=data, actor=acting.user, ip_address=acting.ip_address
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
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        school_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        school = await queries.get_school(db_session, user=acting.user, school_id=school_id)
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
                    actor=acting.user,
                    ip_address=acting.ip_address,
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
        acting: Acting,
        request: Request[User, Any, Any],
        school_id: FromPath[UUID],
        staff_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        school = await queries.get_school(db_session, user=acting.user, school_id=school_id)
        staff = await queries.get_school_staff(db_session, user=acting.user, school=school, staff_id=staff_id)
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
                actor=acting.user,
                ip_address=acting.ip_address,
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
