"""The pupil's pages: sign in with the school's code and your date of birth, browse the placements
you can choose, shortlist and rank them, and say whether you are open to others. Phone-first, no
password, only your own data; every change is audited."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from employers.models import WorkMode
from families import letters, pupil_services, reviews
from families.calendar import placement_calendar
from families.detours import DETOURS, Detour
from families.keys import KeyUnusable
from families.outcomes import outcome_context, review_form
from matching.choices.services import Choice, choices_for, closed_reason, current_choices
from matching.offers.follow_up import write_reflection
from placements.accounts.auth import ROTATE
from placements.accounts.guards import PUBLIC
from placements.accounts.limits import TooMany
from placements.audit.services import record
from placements.clock import now
from placements.db import DbSession
from placements.refusals import Refusal
from placements.web.acting import Acting
from placements.web.downloads import attachment
from placements.web.forms import FormErrors, form_values, render_form
from placements.web.paging import Page, page_from_request
from programme.models import Round
from programme.queries import current_round
from schools.models import Pupil, School

SIGNED_IN = "pupil_code_id"
PER_PAGE = 20


def _to_sign_in() -> Redirect:
    return Redirect(path="/pupil/sign-in", status_code=303)


KEY_PROBLEMS = {
    "unknown": "We do not recognise this code. Check it with your teacher.",
    "replaced": "This code has been replaced by a newer one. Ask your teacher for it.",
    "locked": "This code is locked after too many wrong dates of birth. Ask your teacher for a new one.",
    "expired": "This code has expired. Ask your teacher for a new one.",
}


async def _pupil(request: Request[Any, Any, Any], db: AsyncSession) -> Pupil | None:
    return await pupil_services.signed_in_pupil(db, request.session.get(SIGNED_IN))


def _matches(choice: Choice, params: dict[str, str]) -> bool:
    """Whether a placement passes the browse page's filters (all optional)."""
    placement = choice.placement
    text = params.get("q", "").lower()
    if text and text not in f"{placement.title} {choice.employer_name} {placement.description}".lower():
        return False
    if params.get("pathway") and placement.pathway != params["pathway"]:
        return False
    if params.get("week") and params["week"] not in placement.weeks:
        return False
    if params.get("where") == "remote" and placement.work_mode is not WorkMode.REMOTE:
        return False
    if params.get("where") == "in_person" and placement.work_mode is WorkMode.REMOTE:
        return False
    within = params.get("within", "")
    if within.isdigit() and placement.work_mode is not WorkMode.REMOTE:
        return choice.distance_km is not None and choice.distance_km <= int(within)
    return True


class PupilPages(Controller):
    path = "/pupil"
    include_in_schema = False
    opt = PUBLIC
    exception_handlers = DETOURS  # type: ignore[assignment]

    @get("/sign-in")
    async def sign_in_form(self) -> Template:
        return render_form("families/pupil_sign_in.html", values={}, errors=FormErrors())

    @post("/sign-in")
    async def sign_in(
        self, acting: Acting, request: Request[Any, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        values = await form_values(request)
        errors = FormErrors()
        code = errors.require(values, "code", "Enter the code your teacher gave you")
        born = errors.date(values, "born", missing="Enter your date of birth")
        if errors or born is None:
            return render_form("families/pupil_sign_in.html", values=values, errors=errors)
        try:
            key = await pupil_services.sign_in(db_session, code=code, born=born, ip_address=acting.ip_address)
        except KeyUnusable as exc:
            errors.add("code", KEY_PROBLEMS[exc.reason])
        except TooMany as exc:
            errors.add("code", exc.detail)
        except Refusal as exc:
            errors.add(exc.field or "code", str(exc))
        if errors:
            await db_session.commit()  # a wrong attempt counts although the page refuses it
            return render_form("families/pupil_sign_in.html", values={"code": code}, errors=errors)
        request.scope.setdefault("state", {})[ROTATE] = True  # a new session id: none planted before counts
        request.set_session({SIGNED_IN: str(key.id)})
        return Redirect(path="/pupil", status_code=303)

    @post("/sign-out")
    async def sign_out(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return _to_sign_in()

    async def _context(self, request: Request[Any, Any, Any], db: AsyncSession) -> dict[str, Any]:
        """What every signed-in pupil page shows; a Detour to sign in when nobody is."""
        pupil = await _pupil(request, db)
        if pupil is None:
            raise Detour(_to_sign_in())
        if request.method == "GET":  # every page a pupil sees is audited; changes audit themselves
            await record(
                db,
                actor=None,
                actor_label=pupil_services.PUPIL,
                action="pupil_page_viewed",
                record_type="pupil",
                record_id=pupil.id,
                ip_address=request.client.host if request.client else None,
                path=request.url.path,
            )
        round_ = await current_round(db)
        chosen, open_to_other = (
            ([], None) if round_ is None else await current_choices(db, round_=round_, pupil=pupil)
        )
        return {
            "pupil": pupil,
            "school": await db.get_one(School, pupil.school_id),
            "round": round_,
            "chosen": chosen,
            "open_to_other": open_to_other,
            "closed": closed_reason(round_),
            "locked": round_ is not None and await pupil_services.locked_at(db, round_=round_, pupil=pupil),
            **await outcome_context(db, round_, pupil, home="/pupil"),
        }

    @get("/")
    async def home(self, request: Request[Any, Any, Any], db_session: DbSession) -> Template | Redirect:
        context = await self._context(request, db_session)
        round_: Round | None = context["round"]
        options = (
            {}
            if round_ is None
            else {
                c.placement.id: c
                for c in await choices_for(db_session, round_=round_, pupil=context["pupil"])
            }
        )
        context["ranked"] = [options[pid] for pid in context["chosen"] if pid in options]
        return Template(template_name="families/pupil_home.html", context=context)

    @get("/placements")
    async def browse(self, request: Request[Any, Any, Any], db_session: DbSession) -> Template | Redirect:
        context = await self._context(request, db_session)
        params = {key: value.strip() for key, value in request.query_params.items() if isinstance(value, str)}
        round_ = context["round"]
        eligible = (
            [] if round_ is None else await choices_for(db_session, round_=round_, pupil=context["pupil"])
        )
        found = [choice for choice in eligible if _matches(choice, params)]
        paging = page_from_request(request, per_page=PER_PAGE)
        return Template(
            template_name="families/pupil_placements.html",
            context={
                **context,
                "found": found[paging.offset : paging.offset + paging.limit],
                "page": Page.of(paging, len(found), request),
                "params": params,
                "pathways": sorted({c.placement.pathway for c in eligible}),
                "weeks": round_.weeks if round_ else [],
            },
        )

    @get("/placements/{placement_id:uuid}")
    async def placement(
        self, request: Request[Any, Any, Any], placement_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        context = await self._context(request, db_session)
        round_ = context["round"]
        eligible = (
            [] if round_ is None else await choices_for(db_session, round_=round_, pupil=context["pupil"])
        )
        choice = next((c for c in eligible if c.placement.id == placement_id), None)
        if choice is None:
            return Template(template_name="families/pupil_not_found.html", status_code=404)
        return Template(template_name="families/pupil_placement.html", context={**context, "choice": choice})

    @post("/choices")
    async def change(
        self, acting: Acting, request: Request[Any, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        context = await self._context(request, db_session)
        values = await form_values(request)
        chosen: list[UUID] = list(context["chosen"])
        open_to_other = bool(context["open_to_other"])
        try:
            placement_id = UUID(values.get("placement_id", ""))
        except ValueError:
            placement_id = None
        action = values.get("action")
        if action == "open_to_other":
            open_to_other = values.get("open") == "yes"
        elif placement_id is None:
            return Redirect(path="/pupil", status_code=303)
        elif action == "add" and placement_id not in chosen:
            chosen.append(placement_id)
        elif action == "remove" and placement_id in chosen:
            chosen.remove(placement_id)
        elif action in ("up", "down") and placement_id in chosen:
            at = chosen.index(placement_id)
            to = max(0, at - 1) if action == "up" else min(len(chosen) - 1, at + 1)
            chosen[at], chosen[to] = chosen[to], chosen[at]
        round_ = context["round"]
        try:
            if round_ is None:
                raise Refusal("There is no matching round")
            await pupil_services.save_own_choices(
                db_session,
                round_=round_,
                pupil=context["pupil"],
                placement_ids=chosen,
                open_to_other=open_to_other,
                ip_address=acting.ip_address,
            )
        except Refusal as exc:
            # A redirect commits the request's transaction: saving choices refuses before it writes.
            flash(request, str(exc), category="error")
            return Redirect(path="/pupil", status_code=303)
        if action == "add":
            flash(request, "Added to your choices", category="success")
        return Redirect(path="/pupil", status_code=303)

    @get("/review")
    async def review_form(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        context = await self._context(request, db_session)
        return review_form(context["pupil"], {}, FormErrors(), action="/pupil/review", back="/pupil")

    @post("/review")
    async def ask_for_review(
        self, acting: Acting, request: Request[Any, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        context = await self._context(request, db_session)
        values = await form_values(request)
        try:
            await reviews.request_review(
                db_session,
                round_=context["round"],
                pupil=context["pupil"],
                reason=values.get("reason", ""),
                requested_by="pupil",
                label=pupil_services.PUPIL,
                ip_address=acting.ip_address,
            )
        except Refusal as exc:
            errors = FormErrors()
            errors.add(exc.field or "reason", str(exc))
            return review_form(context["pupil"], values, errors, action="/pupil/review", back="/pupil")
        flash(request, "You have asked for a review. We will tell you the decision.", category="success")
        return Redirect(path="/pupil", status_code=303)

    @get("/calendar.ics")
    async def calendar(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> Response[str] | Redirect:
        context = await self._context(request, db_session)
        result = context["result"]
        if result is None or result.placement is None or result.outcome.status != "Agreed":
            raise NotFoundException("There is no agreed placement to put in a calendar yet")
        calendar = placement_calendar(result.placement, result.employer_name or "", made_at=now())
        return attachment(calendar, "work-placement.ics")

    @get("/letter")
    async def letter(self, request: Request[Any, Any, Any], db_session: DbSession) -> Template:
        return letters.letter_page(await self._context(request, db_session), back="/pupil")

    @get("/letter.pdf")
    async def letter_pdf(self, request: Request[Any, Any, Any], db_session: DbSession) -> Response[Any]:
        return await letters.letter_pdf(request, await self._context(request, db_session))

    @get("/certificate.pdf")
    async def certificate(self, request: Request[Any, Any, Any], db_session: DbSession) -> Response[Any]:
        return await letters.certificate_pdf(request, await self._context(request, db_session))

    @post("/reflection")
    async def reflect(
        self, acting: Acting, request: Request[Any, Any, Any], db_session: DbSession
    ) -> Redirect:
        context = await self._context(request, db_session)
        result = context["result"]
        if result is None:
            raise NotFoundException("There is no placement to reflect on yet")
        values = await form_values(request)
        try:
            await write_reflection(
                db_session,
                outcome=result.outcome,
                reflection=values.get("reflection", ""),
                actor_label=pupil_services.PUPIL,
                ip_address=acting.ip_address,
            )
        except Refusal as exc:
            # A redirect commits the request's transaction: writing a reflection refuses before it writes.
            flash(request, str(exc), category="error")
            return Redirect(path="/pupil", status_code=303)
        flash(request, "Your reflection is saved", category="success")
        return Redirect(path="/pupil", status_code=303)
