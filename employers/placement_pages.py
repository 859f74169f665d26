"""Placements in pages: everyone's search, and an employer's own to post, change, copy and withdraw."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from employers import inputs, queries, services
from employers.compliance import matching_problems
from employers.forms import option_lists, read_form
from employers.models import JOINING, Employer, EmployerStatus, Placement, PlacementStatus, WorkMode
from employers.pages import _employer_context
from placements.accounts.guards import EMPLOYER, access
from placements.accounts.models import Role, User
from placements.clock import today
from placements.db import DbSession
from placements.postcodes.lookup import coordinates_as_entered, locate
from placements.web.acting import Acting
from placements.web.forms import FormErrors, render_form
from placements.web.paging import Page, page_from_request
from placements.web.templating import week_commencing
from programme.queries import current_round

WITHIN_KM = [("5", "5 km"), ("10", "10 km"), ("20", "20 km"), ("40", "40 km")]


async def _placement_values(db: AsyncSession, placement: Placement) -> dict[str, Any]:
    return {
        "title": placement.title,
        "description": placement.description,
        "pathway": placement.pathway,
        "skills": placement.skills or "",
        "work_mode": placement.work_mode.value,
        "address": placement.address or "",
        "postcode": placement.postcode or "",
        "town": placement.town or "",
        **await coordinates_as_entered(db, placement.postcode, placement.lat, placement.lon),
        "weeks": list(placement.weeks),
        "capacity": str(placement.capacity),
        "year_groups": [str(g) for g in placement.year_groups],
        "min_age": "" if placement.min_age is None else str(placement.min_age),
        "accessibility_notes": placement.accessibility_notes or "",
        "supervisor_name": placement.supervisor_name or "",
        **{f"joining_{key}": placement.joining.get(key, "") for key, _, _ in JOINING},
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
        origin = await queries.school_origin(db_session, user)
        listed, total = await queries.placements_page(
            db_session,
            user=user,
            origin=origin,
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
            "has_origin": origin is not None,
            "statuses": [(s.value, s.label) for s in PlacementStatus],
            **option_lists(),
        }
        if user.role is Role.EMPLOYER_USER:
            employer = await db_session.get_one(Employer, user.employer_id)
            context.update(await _employer_context(db_session, employer))
        return Template(template_name="employers/placements.html", context=context)

    @get("/new", opt=EMPLOYER)
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
            **option_lists(),
        )

    @post("/new", opt=EMPLOYER)
    async def create(
        self, acting: Acting, request: Request[User, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        employer = await db_session.get_one(Employer, acting.user.employer_id)
        current = await current_round(db_session)
        raw, shown = await read_form(request)
        errors = FormErrors()
        data = inputs.check_placement(
            raw,
            errors,
            round_weeks=list(current.weeks) if current else [],
            located=await locate(db_session, raw.get("postcode")),
        )
        if data is None or current is None:
            return render_form(
                "employers/placement_form.html",
                values=shown,
                errors=errors,
                round=current,
                placement=None,
                **option_lists(),
            )
        placement = await services.create_placement(
            db_session,
            employer=employer,
            round=current,
            data=data,
            actor=acting.user,
            ip_address=acting.ip_address,
        )
        flash(request, _saved_message(placement, employer), category="success")
        return Redirect(path=f"/placements/{placement.id}", status_code=303)

    @get("/copy", opt=EMPLOYER)
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

    @get("/{placement_id:uuid}/edit", opt=EMPLOYER)
    async def edit_form(
        self, request: Request[User, Any, Any], placement_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        placement = await queries.placement_for(
            db_session, user=request.user, placement_id=placement_id, today=today(), for_change=True
        )
        from programme.models import Round

        placement_round = await db_session.get_one(Round, placement.round_id)
        return render_form(
            "employers/placement_form.html",
            values=await _placement_values(db_session, placement),
            errors=FormErrors(),
            round=placement_round,
            placement=placement,
            **option_lists(),
        )

    @post("/{placement_id:uuid}/edit", opt=EMPLOYER)
    async def save(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        placement_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        placement = await queries.placement_for(
            db_session, user=acting.user, placement_id=placement_id, today=today(), for_change=True
        )
        from programme.models import Round

        placement_round = await db_session.get_one(Round, placement.round_id)
        raw, shown = await read_form(request)
        errors = FormErrors()
        data = inputs.check_placement(
            raw,
            errors,
            round_weeks=list(placement_round.weeks),
            located=await locate(db_session, raw.get("postcode")),
        )
        if data is not None:
            try:
                await services.update_placement(
                    db_session,
                    placement=placement,
                    data=data,
                    actor=acting.user,
                    ip_address=acting.ip_address,
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
            **option_lists(),
        )

    @get("/{placement_id:uuid}/withdraw", opt=EMPLOYER)
    async def withdraw_form(
        self, request: Request[User, Any, Any], placement_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        placement = await queries.placement_for(
            db_session, user=request.user, placement_id=placement_id, today=today(), for_change=True
        )
        return Template(template_name="employers/withdraw.html", context={"placement": placement})

    @post("/{placement_id:uuid}/withdraw", opt=EMPLOYER)
    async def withdraw(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        placement_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Redirect:
        placement = await queries.placement_for(
            db_session, user=acting.user, placement_id=placement_id, today=today(), for_change=True
        )
        try:
            await services.withdraw_placement(
                db_session, placement=placement, actor=acting.user, ip_address=acting.ip_address
            )
        except services.EmployerError as exc:
            flash(request, str(exc), category="info")
            return Redirect(path=f"/placements/{placement.id}", status_code=303)
        flash(request, f"{placement.title} is withdrawn. Schools no longer see it.", category="success")
        return Redirect(path="/placements", status_code=303)

    @post("/{placement_id:uuid}/copy", opt=EMPLOYER)
    async def copy(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        placement_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Redirect:
        placement = await queries.placement_for(
            db_session, user=acting.user, placement_id=placement_id, today=today(), for_change=True
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
                actor=acting.user,
                ip_address=acting.ip_address,
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
