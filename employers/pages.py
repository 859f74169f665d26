"""Employers in pages: signing up, the coordinator's queue and decisions, details, compliance, colleagues."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from employers import inputs, queries, services
from employers.compliance import compliance_problems, insurance_warning, matching_problems
from employers.forms import DATE_FIELDS, option_lists, read_form
from employers.models import Employer, EmployerStatus
from placements.accounts.guards import COORDINATOR, EMPLOYER, PUBLIC, access
from placements.accounts.models import Role, User
from placements.accounts.services import AccountError
from placements.clock import today
from placements.db import DbSession
from placements.postcodes.lookup import coordinates_as_entered, locate
from placements.web.acting import Acting
from placements.web.forms import FormErrors, date_input_values, render_form
from placements.web.paging import Page, page_from_request
from programme.queries import current_round


async def _employer_values(db: AsyncSession, employer: Employer) -> dict[str, Any]:
    return {
        "name": employer.name,
        "companies_house_number": employer.companies_house_number or "",
        "address": employer.address or "",
        "postcode": employer.postcode,
        "town": employer.town or "",
        **await coordinates_as_entered(db, employer.postcode, employer.lat, employer.lon),
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
        return render_form("employers/sign_up.html", values={}, errors=FormErrors(), **option_lists())

    @post("/")
    async def submit(
        self, acting: Acting, request: Request[Any, Any, Any], db_session: DbSession
    ) -> Template:
        raw, shown = await read_form(request)
        errors = FormErrors()
        data = inputs.check_sign_up(raw, errors, located=await locate(db_session, raw.get("postcode")))
        if data is None:
            return render_form("employers/sign_up.html", values=shown, errors=errors, **option_lists())
        await services.sign_up(db_session, data=data, ip_address=acting.ip_address)
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

    @get("/", opt=COORDINATOR, name="employer_queue")
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

    @get("/mine", opt=EMPLOYER)
    async def mine(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        """The signed-in employer user's own organisation (the "Your organisation" menu item)."""
        return await self._employer_page(request, db_session, request.user.employer_id)

    @get("/new", opt=COORDINATOR)
    async def new_form(self) -> Template:
        return render_form("employers/new.html", values={}, errors=FormErrors(), **option_lists())

    @post("/new", opt=COORDINATOR)
    async def create(
        self, acting: Acting, request: Request[User, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        raw, shown = await read_form(request)
        errors = FormErrors()
        details = inputs.check_employer_details(
            raw, errors, located=await locate(db_session, raw.get("postcode"))
        )
        person = inputs.check_person(raw, errors)
        if details is not None and person is not None and not errors:
            try:
                employer = await services.invite_employer(
                    db_session,
                    details=details,
                    contact=person,
                    actor=acting.user,
                    ip_address=acting.ip_address,
                )
            except AccountError as exc:
                errors.add(exc.field or "user_email", str(exc))
            else:
                flash(request, f"{employer.name} is added and {person.email} is invited", category="success")
                return Redirect(path=f"/employers/{employer.id}", status_code=303)
        return render_form("employers/new.html", values=shown, errors=errors, **option_lists())

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
        colleagues = await queries.colleagues(db_session, employer=employer)
        current = await current_round(db_session)
        listed, total = (
            await queries.placements_page(
                db_session,
                user=request.user,
                origin=None,  # an employer user's own placements: no school to measure from
                round_id=current.id if current else None,
                filters=queries.Filters(employer_id=employer.id, status=None),
                today=today(),
                limit=50,
                offset=0,
            )
            if request.user.role is Role.EMPLOYER_USER
            else await queries.employer_placements(
                db_session, employer=employer, round_id=current.id if current else None
            )
        )
        return Template(
            template_name="employers/employer.html",
            context={
                **context,
                "colleagues": colleagues,
                "placements": listed,
                "placement_total": total,
                "round": current,
            },
        )

    # Organisation details
    @get("/{employer_id:uuid}/details", opt=access(Role.COORDINATOR, Role.EMPLOYER_USER))
    async def details_form(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        employer = await queries.employer_for(db_session, user=request.user, employer_id=employer_id)
        return render_form(
            "employers/details.html",
            values=await _employer_values(db_session, employer),
            errors=FormErrors(),
            employer=employer,
            **option_lists(),
        )

    @post("/{employer_id:uuid}/details", opt=access(Role.COORDINATOR, Role.EMPLOYER_USER))
    async def save_details(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        employer_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        employer = await queries.employer_for(db_session, user=acting.user, employer_id=employer_id)
        raw, shown = await read_form(request)
        errors = FormErrors()
        details = inputs.check_employer_details(
            raw, errors, located=await locate(db_session, raw.get("postcode"))
        )
        if details is None:
            return render_form(
                "employers/details.html", values=shown, errors=errors, employer=employer, **option_lists()
            )
        await services.update_details(
            db_session, employer=employer, details=details, actor=acting.user, ip_address=acting.ip_address
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
                values.update(date_input_values(name, getattr(compliance, name)))
        return render_form(
            "employers/compliance.html",
            values=values,
            errors=FormErrors(),
            **await _employer_context(db_session, employer),
        )

    @post("/{employer_id:uuid}/compliance", opt=access(Role.COORDINATOR, Role.EMPLOYER_USER))
    async def save_compliance(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        employer_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        employer = await queries.employer_for(db_session, user=acting.user, employer_id=employer_id)
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
            db_session, employer=employer, data=data, actor=acting.user, ip_address=acting.ip_address
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
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        employer_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        employer = await queries.employer_for(db_session, user=acting.user, employer_id=employer_id)
        raw, shown = await read_form(request)
        errors = FormErrors()
        person = inputs.check_person(raw, errors, prefix="")
        if person is not None:
            try:
                await services.invite_colleague(
                    db_session,
                    employer=employer,
                    person=person,
                    actor=acting.user,
                    ip_address=acting.ip_address,
                )
            except (AccountError, services.EmployerError) as exc:
                errors.add("email", str(exc))
            else:
                flash(request, f"Invitation sent to {person.email}", category="success")
                return Redirect(path=f"/employers/{employer.id}", status_code=303)
        return render_form("employers/colleague.html", values=shown, errors=errors, employer=employer)

    # Decisions (coordinators): each asks for confirmation, reject and suspend for a reason.
    @get("/{employer_id:uuid}/approve", opt=COORDINATOR)
    async def approve_form(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await _decision_form(request, db_session, employer_id, "approve")

    @post("/{employer_id:uuid}/approve", opt=COORDINATOR)
    async def approve(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        employer_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        return await _decide(acting, request, db_session, employer_id, "approve")

    @get("/{employer_id:uuid}/reject", opt=COORDINATOR)
    async def reject_form(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await _decision_form(request, db_session, employer_id, "reject")

    @post("/{employer_id:uuid}/reject", opt=COORDINATOR)
    async def reject(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        employer_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        return await _decide(acting, request, db_session, employer_id, "reject")

    @get("/{employer_id:uuid}/suspend", opt=COORDINATOR)
    async def suspend_form(
        self, request: Request[User, Any, Any], employer_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        return await _decision_form(request, db_session, employer_id, "suspend")

    @post("/{employer_id:uuid}/suspend", opt=COORDINATOR)
    async def suspend(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        employer_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        return await _decide(acting, request, db_session, employer_id, "suspend")


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
    acting: Acting, request: Request[User, Any, Any], db: AsyncSession, employer_id: UUID, decision: str
) -> Template | Redirect:
    employer = await queries.employer_for(db, user=acting.user, employer_id=employer_id)
    raw, shown = await read_form(request)
    errors = FormErrors()
    reason = str(raw.get("reason", ""))
    if decision != "approve":
        if not reason:
            errors.add("reason", f"Enter the reason to {decision} the organisation: we email it to them")
        elif len(reason) > 2000:
            errors.add("reason", "The reason must be 2000 characters or fewer")
    if not errors:
        ip = acting.ip_address
        try:
            if decision == "approve":
                await services.approve_employer(db, employer=employer, actor=acting.user, ip_address=ip)
            elif decision == "reject":
                await services.reject_employer(
                    db, employer=employer, reason=reason, actor=acting.user, ip_address=ip
                )
            else:
                await services.suspend_employer(
                    db, employer=employer, reason=reason, actor=acting.user, ip_address=ip
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
