"""Pages for employers (sign up, their organisation, compliance, colleagues, placements),
coordinators (the review queue and decisions) and school staff (browsing placements)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from employers import inputs, queries, services
from employers.compliance import compliance_problems, insurance_warning, matching_problems
from employers.models import Employer, EmployerStatus, Placement, PlacementStatus, WorkMode
from placements.accounts.guards import PUBLIC, access
from placements.accounts.models import Role, User
from placements.accounts.pages import client_ip
from placements.accounts.services import AccountError
from placements.clock import today
from placements.db import DbSession
from placements.geo import coordinates_as_entered
from placements.web.forms import FormErrors, date_input, render_form
from placements.web.pages import current_round
from placements.web.paging import Page, page_from_request
from placements.web.templating import week_commencing

MULTI_FIELDS = ("pathways", "weeks", "year_groups")
DATE_FIELDS = ("insurance_expires_on", "risk_assessment_on")
WITHIN_KM = [("5", "5 km"), ("10", "10 km"), ("20", "20 km"), ("40", "40 km")]


async def read_form(request: Request[Any, Any, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(raw values for checking, values to show again): lists for the checkbox fields, dates combined."""
    form = await request.form()
    shown: dict[str, Any] = {}
    for key in form:
        if key in MULTI_FIELDS:
            shown[key] = [str(v) for v in form.getall(key) if isinstance(v, str)]
        else:
            value = form.get(key)
            if isinstance(value, str):
                shown[key] = value.strip()
    raw = dict(shown)
    for name in DATE_FIELDS:
        entered, day = date_input(shown, name)
        if entered:
            raw[name] = day or ""
        elif name in raw or any(f"{name}-{p}" in shown for p in ("day", "month", "year")):
            raw[name] = None
    return raw, shown


def _date_values(name: str, day: date | None) -> dict[str, str]:
    if day is None:
        return {}
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def _option_lists() -> dict[str, Any]:
    return {
        "pathways": inputs.PATHWAYS,
        "sizes": inputs.SIZES,
        "year_group_options": [(group, f"Year {group}") for group in inputs.YEAR_GROUPS],
        "work_modes": [(mode.value, mode.label) for mode in WorkMode],
    }


def _employer_values(employer: Employer) -> dict[str, Any]:
    return {
        "name": employer.name,
        "companies_house_number": employer.companies_house_number or "",
        "address": employer.address or "",
        "postcode": employer.postcode,
        "town": employer.town or "",
        **coordinates_as_entered(employer.postcode, employer.lat, employer.lon),
        "sector": employer.sector or "",
        "pathways": list(employer.pathways or []),
        "size": employer.size or "",
    }


class EmployerSignUpPage(Controller):
    path = "/employers/sign-up"
    include_in_schema = False
    opt = PUBLIC

    @get("/", name="employer_sign_up")
    async def form(self) -> Template:
        return render_form("employers/sign_up.html", values={}, errors=FormErrors(), **_option_lists())

    @post("/")
    async def submit(self, request: Request[Any, Any, Any], db_session: DbSession) -> Template:
        raw, shown = await read_form(request)
        errors = FormErrors()
        data = inputs.check_sign_up(raw, errors)
        if data is None:
            return render_form("employers/sign_up.html", values=shown, errors=errors, **_option_lists())
        await services.sign_up(db_session, data=data, ip_address=client_ip(request))
        # The same page whether or not the address already had an account: the email says which.
        return Template(template_name="employers/sign_up_sent.html", context={"email": data.person.email})


async def _employer_context(db: AsyncSession, employer: Employer) -> dict[str, Any]:
    compliance = await queries.compliance_of(db, employer)
    day = today()
    return {
        "employer": employer,
        "compliance": compliance,
        "problems": matching_problems(employer, compliance, day),
        "warning": insurance_warning(compliance, day),
        "pathway_labels": dict(inputs.PATHWAYS),
    }


class EmployerPages(Controller):
    path = "/employers"
    include_in_schema = False

    @get("/", opt=access(Role.COORDINATOR), name="employer_queue")
    async def queue(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        status_text = request.query_params.get("status", "pending")
        status = EmployerStatus(status_text) if status_text in EmployerStatus.__members__.values() else None
        q = (request.query_params.get("q") or "").strip()[:100] or None
        paging = page_from_request(request)
        rows, total = await queries.employers_page(
            db_session, user=request.user, status=status, q=q, limit=paging.limit, offset=paging.offset
        )
        day = today()
        return Template(
            template_name="employers/queue.html",
            context={
                "rows": [
                    {
                        "employer": employer,
                        "problems": compliance_problems(compliance, day)
                        + ([] if employer.lat is not None else ["The coordinates are missing"]),
                        "warning": insurance_warning(compliance, day),
                    }
                    for employer, compliance in rows
                ],
                "status": status.value if status else "",
                "statuses": [(s.value, s.label) for s in EmployerStatus],
                "q": q or "",
                "page": Page.of(paging, total, request),
            },
        )

    @get("/mine", opt=access(Role.EMPLOYER_USER))
    async def mine(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        """The signed-in employer user's own organisation (the "Your organisation" menu item)."""
        return await self._employer_page(request, db_session, request.user.employer_id)

    @get("/new", opt=access(Role.COORDINATOR))
    async def new_form(self) -> Template:
        return render_form("employers/new.html", values={}, errors=FormErrors(), **_option_lists())

    @post("/new", opt=access(Role.COORDINATOR))
    async def create(self, request: Request[User, Any, Any], db_session: DbSession) -> Template | Redirect:
        raw, shown = await read_form(request)
        errors = FormErrors()
        details = inputs.check_employer_details(raw, errors)
        person = inputs.check_person(raw, errors)
        if details is not None and person is not None and not errors:
            try:
                employer = await services.invite_employer(
                    db_session,
                    details=details,
                    contact=person,
                    actor=request.user,
                    ip_address=client_ip(request),
                )
            except AccountError as exc:
                errors.add(exc.field or "user_email", str(exc))
            else:
                flash(request, f"{employer.name} is added and {person.email} is invited", category="success")
                return Redirect(path=f"/employers/{employer.id}", status_code=303)
        return render_form("employers/new.html", values=shown, errors=errors, **_option_lists())

    @get("/{employer_id:uuid}", opt=access(Role.COORDINATOR, Role.EMPLOYER_USER), name="employer")
    async def show(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await self._employer_page(request, db_session, employer_id)

    async def _employer_page(
        self, request: Request[User, Any, Any], db_session: AsyncSession, employer_id: UUID
    ) -> Template:
        employer = await queries.employer_for(db_session, user=request.user, employer_id=employer_id)
        context = await _employer_context(db_session, employer)
        colleagues = await db_session.scalars(
            select(User).where(User.employer_id == employer.id).order_by(User.name, User.email)
        )
        current = await current_round(db_session)
        listed, total = (
            await queries.placements_page(
                db_session,
                user=request.user,
                round_id=current.id if current else None,
                filters=queries.Filters(employer_id=employer.id, status=None),
                today=today(),
                limit=50,
                offset=0,
            )
            if request.user.role is Role.EMPLOYER_USER
            else await self._all_placements(db_session, employer, current)
        )
        return Template(
            template_name="employers/employer.html",
            context={
                **context,
                "colleagues": list(colleagues),
                "placements": listed,
                "placement_total": total,
                "round": current,
            },
        )

    @staticmethod
    async def _all_placements(db: AsyncSession, employer: Employer, current: Any) -> tuple[list[Any], int]:
        query = select(Placement).where(Placement.employer_id == employer.id)
        if current is not None:
            query = query.where(Placement.round_id == current.id)
        placements = list(await db.scalars(query.order_by(Placement.title, Placement.id).limit(50)))
        return [
            queries.Listed(placement=p, employer_name=employer.name, distance_km=None) for p in placements
        ], len(placements)

    # Organisation details
    @get("/{employer_id:uuid}/details", opt=access(Role.COORDINATOR, Role.EMPLOYER_USER))
    async def details_form(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        employer = await queries.employer_for(db_session, user=request.user, employer_id=employer_id)
        return render_form(
            "employers/details.html",
            values=_employer_values(employer),
            errors=FormErrors(),
            employer=employer,
            **_option_lists(),
        )

    @post("/{employer_id:uuid}/details", opt=access(Role.COORDINATOR, Role.EMPLOYER_USER))
    async def save_details(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        employer = await queries.employer_for(db_session, user=request.user, employer_id=employer_id)
        raw, shown = await read_form(request)
        errors = FormErrors()
        details = inputs.check_employer_details(raw, errors)
        if details is None:
            return render_form(
                "employers/details.html", values=shown, errors=errors, employer=employer, **_option_lists()
            )
        await services.update_details(
            db_session, employer=employer, details=details, actor=request.user, ip_address=client_ip(request)
        )
        flash(request, "Organisation details saved", category="success")
        return Redirect(path=f"/employers/{employer.id}", status_code=303)

    # Compliance record
    @get("/{employer_id:uuid}/compliance", opt=access(Role.COORDINATOR, Role.EMPLOYER_USER))
    async def compliance_form(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        employer = await queries.employer_for(db_session, user=request.user, employer_id=employer_id)
        compliance = await queries.compliance_of(db_session, employer)
        values: dict[str, Any] = {}
        if compliance is not None:
            for name in (
                "insurer",
                "policy_number",
                "safeguarding_lead_name",
                "safeguarding_lead_email",
                "safeguarding_lead_phone",
            ):
                values[name] = getattr(compliance, name) or ""
            values["supervisor_checks_done"] = {True: "yes", False: "no", None: ""}[
                compliance.supervisor_checks_done
            ]
            for name in DATE_FIELDS:
                values.update(_date_values(name, getattr(compliance, name)))
        return render_form(
            "employers/compliance.html",
            values=values,
            errors=FormErrors(),
            **await _employer_context(db_session, employer),
        )

    @post("/{employer_id:uuid}/compliance", opt=access(Role.COORDINATOR, Role.EMPLOYER_USER))
    async def save_compliance(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        employer = await queries.employer_for(db_session, user=request.user, employer_id=employer_id)
        raw, shown = await read_form(request)
        errors = FormErrors()
        data = inputs.check_compliance(raw, errors)
        if data is None:
            return render_form(
                "employers/compliance.html",
                values=shown,
                errors=errors,
                **await _employer_context(db_session, employer),
            )
        compliance = await services.save_compliance(
            db_session, employer=employer, data=data, actor=request.user, ip_address=client_ip(request)
        )
        problems = compliance_problems(compliance, today())
        flash(
            request,
            "Compliance record saved"
            + ("" if not problems else f". Still missing: {len(problems)} item(s), listed below"),
            category="success",
        )
        return Redirect(path=f"/employers/{employer.id}", status_code=303)

    # Colleagues
    @get("/{employer_id:uuid}/colleagues", opt=access(Role.COORDINATOR, Role.EMPLOYER_USER))
    async def colleague_form(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        employer = await queries.employer_for(db_session, user=request.user, employer_id=employer_id)
        return render_form("employers/colleague.html", values={}, errors=FormErrors(), employer=employer)

    @post("/{employer_id:uuid}/colleagues", opt=access(Role.COORDINATOR, Role.EMPLOYER_USER))
    async def invite_colleague(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        employer = await queries.employer_for(db_session, user=request.user, employer_id=employer_id)
        raw, shown = await read_form(request)
        errors = FormErrors()
        person = inputs.check_person(raw, errors, prefix="")
        if person is not None:
            try:
                await services.invite_colleague(
                    db_session,
                    employer=employer,
                    person=person,
                    actor=request.user,
                    ip_address=client_ip(request),
                )
            except (AccountError, services.EmployerError) as exc:
                errors.add("email", str(exc))
            else:
                flash(request, f"Invitation sent to {person.email}", category="success")
                return Redirect(path=f"/employers/{employer.id}", status_code=303)
        return render_form("employers/colleague.html", values=shown, errors=errors, employer=employer)

    # Decisions (coordinators): each asks for confirmation, reject and suspend for a reason.
    @get("/{employer_id:uuid}/approve", opt=access(Role.COORDINATOR))
    async def approve_form(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await _decision_form(request, db_session, employer_id, "approve")

    @post("/{employer_id:uuid}/approve", opt=access(Role.COORDINATOR))
    async def approve(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        return await _decide(request, db_session, employer_id, "approve")

    @get("/{employer_id:uuid}/reject", opt=access(Role.COORDINATOR))
    async def reject_form(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await _decision_form(request, db_session, employer_id, "reject")

    @post("/{employer_id:uuid}/reject", opt=access(Role.COORDINATOR))
    async def reject(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        return await _decide(request, db_session, employer_id, "reject")

    @get("/{employer_id:uuid}/suspend", opt=access(Role.COORDINATOR))
    async def suspend_form(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await _decision_form(request, db_session, employer_id, "suspend")

    @post("/{employer_id:uuid}/suspend", opt=access(Role.COORDINATOR))
    async def suspend(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        return await _decide(request, db_session, employer_id, "suspend")


async def _decision_form(
    request: Request[User, Any, Any], db: AsyncSession, employer_id: UUID, decision: str
) -> Template:
    employer = await queries.employer_for(db, user=request.user, employer_id=employer_id)
    return render_form(
        "employers/decision.html",
        values={},
        errors=FormErrors(),
        decision=decision,
        **await _employer_context(db, employer),
    )


async def _decide(
    request: Request[User, Any, Any], db: AsyncSession, employer_id: UUID, decision: str
) -> Template | Redirect:
    employer = await queries.employer_for(db, user=request.user, employer_id=employer_id)
    raw, shown = await read_form(request)
    errors = FormErrors()
    reason = str(raw.get("reason", ""))
    if decision != "approve":
        if not reason:
            errors.add("reason", f"Enter the reason to {decision} the organisation: we email it to them")
        elif len(reason) > 2000:
            errors.add("reason", "The reason must be 2000 characters or fewer")
    if not errors:
        ip = client_ip(request)
        try:
            if decision == "approve":
                await services.approve_employer(db, employer=employer, actor=request.user, ip_address=ip)
            elif decision == "reject":
                await services.reject_employer(
                    db, employer=employer, reason=reason, actor=request.user, ip_address=ip
                )
            else:
                await services.suspend_employer(
                    db, employer=employer, reason=reason, actor=request.user, ip_address=ip
                )
        except services.EmployerError as exc:
            errors.add("reason", str(exc))
        else:
            verb = {"approve": "approved", "reject": "rejected", "suspend": "suspended"}[decision]
            flash(request, f"{employer.name} is {verb}. We have emailed its users.", category="success")
            return Redirect(path=f"/employers/{employer.id}", status_code=303)
    return render_form(
        "employers/decision.html",
        values=shown,
        errors=errors,
        decision=decision,
        **await _employer_context(db, employer),
    )


def _placement_values(placement: Placement) -> dict[str, Any]:
    return {
        "title": placement.title,
        "description": placement.description,
        "pathway": placement.pathway,
        "skills": placement.skills or "",
        "work_mode": placement.work_mode.value,
        "address": placement.address or "",
        "postcode": placement.postcode or "",
        "town": placement.town or "",
        **coordinates_as_entered(placement.postcode, placement.lat, placement.lon),
        "weeks": list(placement.weeks),
        "capacity": str(placement.capacity),
        "year_groups": [str(g) for g in placement.year_groups],
        "min_age": "" if placement.min_age is None else str(placement.min_age),
        "accessibility_notes": placement.accessibility_notes or "",
        "supervisor_name": placement.supervisor_name or "",
        "status": placement.status.value if placement.status is not PlacementStatus.WITHDRAWN else "draft",
    }


def filters_from(params: Any, user: User) -> tuple[queries.Filters, dict[str, str]]:
    """The browse filters from the query string (anything unrecognised is ignored)."""
    values = {
        key: (params.get(key) or "").strip()[:100]
        for key in ("q", "pathway", "town", "within_km", "week", "year_group", "work_mode", "status")
    }
    year_group = int(values["year_group"]) if values["year_group"].isdigit() else None
    within = float(values["within_km"]) if values["within_km"] in dict(WITHIN_KM) else None
    status = values["status"] if user.role is not Role.SCHOOL_STAFF else ""
    filters = queries.Filters(
        q=values["q"] or None,
        pathway=values["pathway"] if values["pathway"] in inputs.PATHWAY_VALUES else None,
        town=values["town"] or None,
        within_km=within,
        week=values["week"] or None,
        year_group=year_group,
        work_mode=WorkMode(values["work_mode"])
        if values["work_mode"] in WorkMode.__members__.values()
        else None,
        status=PlacementStatus(status) if status in PlacementStatus.__members__.values() else None,
    )
    return filters, values


class PlacementPages(Controller):
    path = "/placements"
    include_in_schema = False

    @get("/", opt=access(), name="placements")
    async def browse(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        user = request.user
        current = await current_round(db_session)
        filters, values = filters_from(request.query_params, user)
        paging = page_from_request(request)
        listed, total = await queries.placements_page(
            db_session,
            user=user,
            round_id=current.id if current else None,
            filters=filters,
            today=today(),
            limit=paging.limit,
            offset=paging.offset,
        )
        context: dict[str, Any] = {
            "listed": listed,
            "page": Page.of(paging, total, request),
            "values": values,
            "round": current,
            "weeks": [(w, week_commencing(w)) for w in (current.weeks if current else [])],
            "within_options": WITHIN_KM,
            "has_origin": await queries.school_origin(db_session, user) is not None,
            "statuses": [(s.value, s.label) for s in PlacementStatus],
            **_option_lists(),
        }
        if user.role is Role.EMPLOYER_USER:
            employer = await db_session.get_one(Employer, user.employer_id)
            context.update(await _employer_context(db_session, employer))
        return Template(template_name="employers/placements.html", context=context)

    @get("/new", opt=access(Role.EMPLOYER_USER))
    async def new_form(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        employer = await db_session.get_one(Employer, request.user.employer_id)
        current = await current_round(db_session)
        values = {
            "address": employer.address or "",
            "postcode": employer.postcode,
            "town": employer.town or "",
            "capacity": "1",
            "status": "published",
            "work_mode": "on_site",
        }
        return render_form(
            "employers/placement_form.html",
            values=values,
            errors=FormErrors(),
            round=current,
            placement=None,
            **_option_lists(),
        )

    @post("/new", opt=access(Role.EMPLOYER_USER))
    async def create(self, request: Request[User, Any, Any], db_session: DbSession) -> Template | Redirect:
        employer = await db_session.get_one(Employer, request.user.employer_id)
        current = await current_round(db_session)
        raw, shown = await read_form(request)
        errors = FormErrors()
        data = inputs.check_placement(raw, errors, round_weeks=list(current.weeks) if current else [])
        if data is None or current is None:
            return render_form(
                "employers/placement_form.html",
                values=shown,
                errors=errors,
                round=current,
                placement=None,
                **_option_lists(),
            )
        placement = await services.create_placement(
            db_session,
            employer=employer,
            round=current,
            data=data,
            actor=request.user,
            ip_address=client_ip(request),
        )
        flash(request, _saved_message(placement, employer), category="success")
        return Redirect(path=f"/placements/{placement.id}", status_code=303)

    @get("/copy", opt=access(Role.EMPLOYER_USER))
    async def copy_list(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        current = await current_round(db_session)
        earlier = await queries.earlier_placements(
            db_session, user=request.user, current_round_id=current.id if current else None
        )
        return Template(template_name="employers/copy.html", context={"earlier": earlier, "round": current})

    @get("/{placement_id:uuid}", opt=access(), name="placement")
    async def show(
        self, request: Request[User, Any, Any], placement_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        placement = await queries.placement_for(
            db_session, user=request.user, placement_id=placement_id, today=today()
        )
        employer = await db_session.get_one(Employer, placement.employer_id)
        distance = queries.distance_km(await queries.school_origin(db_session, request.user), placement)
        context: dict[str, Any] = {
            "placement": placement,
            "employer": employer,
            "distance": distance,
            "pathway_labels": dict(inputs.PATHWAYS),
        }
        if request.user.role is not Role.SCHOOL_STAFF:
            compliance = await queries.compliance_of(db_session, employer)
            context["problems"] = matching_problems(employer, compliance, today())
        return Template(template_name="employers/placement.html", context=context)

    @get("/{placement_id:uuid}/edit", opt=access(Role.EMPLOYER_USER))
    async def edit_form(
        self, request: Request[User, Any, Any], placement_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        placement = await queries.placement_for(
            db_session, user=request.user, placement_id=placement_id, today=today(), for_change=True
        )
        from matching.models import Round

        placement_round = await db_session.get_one(Round, placement.round_id)
        return render_form(
            "employers/placement_form.html",
            values=_placement_values(placement),
            errors=FormErrors(),
            round=placement_round,
            placement=placement,
            **_option_lists(),
        )

    @post("/{placement_id:uuid}/edit", opt=access(Role.EMPLOYER_USER))
    async def save(
        self, request: Request[User, Any, Any], placement_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        placement = await queries.placement_for(
            db_session, user=request.user, placement_id=placement_id, today=today(), for_change=True
        )
        from matching.models import Round

        placement_round = await db_session.get_one(Round, placement.round_id)
        raw, shown = await read_form(request)
        errors = FormErrors()
        data = inputs.check_placement(raw, errors, round_weeks=list(placement_round.weeks))
        if data is not None:
            try:
                await services.update_placement(
                    db_session,
                    placement=placement,
                    data=data,
                    actor=request.user,
                    ip_address=client_ip(request),
                )
            except services.EmployerError as exc:
                errors.add(exc.field or "title", str(exc))
            else:
                employer = await db_session.get_one(Employer, placement.employer_id)
                flash(request, _saved_message(placement, employer), category="success")
                return Redirect(path=f"/placements/{placement.id}", status_code=303)
        return render_form(
            "employers/placement_form.html",
            values=shown,
            errors=errors,
            round=placement_round,
            placement=placement,
            **_option_lists(),
        )

    @get("/{placement_id:uuid}/withdraw", opt=access(Role.EMPLOYER_USER))
    async def withdraw_form(
        self, request: Request[User, Any, Any], placement_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        placement = await queries.placement_for(
            db_session, user=request.user, placement_id=placement_id, today=today(), for_change=True
        )
        return Template(template_name="employers/withdraw.html", context={"placement": placement})

    @post("/{placement_id:uuid}/withdraw", opt=access(Role.EMPLOYER_USER))
    async def withdraw(
        self, request: Request[User, Any, Any], placement_id: FromPath[UUID], db_session: DbSession
    ) -> Redirect:
        placement = await queries.placement_for(
            db_session, user=request.user, placement_id=placement_id, today=today(), for_change=True
        )
        try:
            await services.withdraw_placement(
                db_session, placement=placement, actor=request.user, ip_address=client_ip(request)
            )
        except services.EmployerError as exc:
            flash(request, str(exc), category="info")
            return Redirect(path=f"/placements/{placement.id}", status_code=303)
        flash(request, f"{placement.title} is withdrawn. Schools no longer see it.", category="success")
        return Redirect(path="/placements", status_code=303)

    @post("/{placement_id:uuid}/copy", opt=access(Role.EMPLOYER_USER))
    async def copy(
        self, request: Request[User, Any, Any], placement_id: FromPath[UUID], db_session: DbSession
    ) -> Redirect:
        placement = await queries.placement_for(
            db_session, user=request.user, placement_id=placement_id, today=today(), for_change=True
        )
        current = await current_round(db_session)
        if current is None:
            flash(request, "There is no open round to copy the placement into", category="info")
            return Redirect(path="/placements/copy", status_code=303)
        try:
            copy = await services.copy_placement(
                db_session,
                placement=placement,
                round=current,
                actor=request.user,
                ip_address=client_ip(request),
            )
        except services.EmployerError as exc:
            flash(request, str(exc), category="info")
            return Redirect(path="/placements/copy", status_code=303)
        flash(request, "Copied as a draft. Check the details and weeks, then publish it.", category="success")
        return Redirect(path=f"/placements/{copy.id}/edit", status_code=303)


def _saved_message(placement: Placement, employer: Employer) -> str:
    if placement.status is PlacementStatus.DRAFT:
        return f"{placement.title} is saved as a draft. Schools cannot see it until you publish it."
    if employer.status is not EmployerStatus.APPROVED:
        return (
            f"{placement.title} is published. "
            "Schools will see it once a coordinator approves your organisation."
        )
    return f"{placement.title} is published."
