"""The coordinator's pages for a round: create it, change its settings and calendar, move it on."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from matching.errors import MatchingError
from matching.rounds import keeping, queries, stage_effects
from matching.rounds import services as rounds
from matching.rounds.schemas import MOST_CHOICES
from placements.accounts.guards import COORDINATOR
from placements.accounts.models import User
from placements.db import DbSession
from placements.web.acting import Acting
from placements.web.forms import FormErrors, date_input_values, form_values, render_form
from placements.web.paging import Page, page_from_request
from programme.models import Round, Stage

DATE_FIELDS = ("preferences_open_on", "preferences_close_on", "publish_on")

KEEP_MONTHS = (keeping.MIN_MONTHS, keeping.MAX_MONTHS)

# How long a round keeps its pupil data after closing when the coordinator leaves the field blank.
USUAL_KEEP_MONTHS = rounds.RoundData.keep_pupil_data_months

# --- Reading the forms ---


def _weeks(values: dict[str, str], errors: FormErrors) -> list[str]:
    entered = [week for week in re.split(r"[\s,;]+", values.get("weeks", "")) if week]
    wrong = [week for week in entered if not rounds.is_iso_week(week.upper())]
    if wrong:
        shown = ", ".join(wrong[:5])
        errors.add(
            "weeks", f"Write each placement week as an ISO week, like 2027-W25. Not recognised: {shown}"
        )
    return sorted({week.upper() for week in entered})


def _round_data(values: dict[str, str], errors: FormErrors) -> rounds.RoundData | None:
    name = errors.require(values, "name", "Enter the round's name")
    errors.at_most(values, "name", 100, "The name")
    year = errors.whole(values, "programme_year", "the programme year", 2020, 2100, required=True)
    weeks = _weeks(values, errors)
    target = errors.whole(values, "target", "the yearly target", 1, 100_000, required=True)
    most = errors.whole(values, "max_choices", "the most choices per pupil", 1, MOST_CHOICES, required=True)
    days = errors.whole(values, "respond_within_days", "the days to answer offers", 1, 90, required=True)
    keep = errors.whole(
        values,
        "keep_pupil_data_months",
        "the months to keep pupil data",
        *KEEP_MONTHS,
        required=False,
    )
    dates = {name: errors.date(values, name) for name in DATE_FIELDS}
    if errors or year is None or target is None or most is None or days is None:
        return None
    return rounds.RoundData(
        name=name,
        programme_year=year,
        weeks=weeks,
        target=target,
        max_choices=most,
        respond_within_days=days,
        keep_pupil_data_months=keep or USUAL_KEEP_MONTHS,
        **dates,
    )


def _round_values(round_: Round) -> dict[str, str]:
    values = {
        "name": round_.name,
        "programme_year": str(round_.programme_year),
        "weeks": "\n".join(round_.weeks),
        "target": str(round_.target),
        "max_choices": str(round_.max_choices),
        "respond_within_days": str(round_.respond_within_days),
        "keep_pupil_data_months": str(round_.keep_pupil_data_months),
    }
    for name in DATE_FIELDS:
        values.update(date_input_values(name, getattr(round_, name)))
    return values


def _calendar(round_: Round) -> list[tuple[Stage, date | None]]:
    """Every stage in order, with the day the round reached it (None for those still ahead)."""
    reached = round_.stage_dates or {}
    return [(stage, date.fromisoformat(reached[stage]) if stage in reached else None) for stage in Stage]


def _round_form(values: dict[str, str], errors: FormErrors, round_: Round | None) -> Template:
    return render_form("matching/rounds/form.html", values=values, errors=errors, round=round_)


async def _advance_page(db: AsyncSession, round_: Round, errors: FormErrors) -> Template:
    following = rounds.NEXT.get(round_.stage)
    return render_form(
        "matching/rounds/advance.html",
        values={},
        errors=errors,
        round=round_,
        following=following,
        effect=rounds.EFFECTS.get(following) if following else None,
        problems=await rounds.step_problems(db, round_),
        publishing=following is Stage.PUBLISHED,
        consequences=await stage_effects.consequences(db, round_, following) if following else [],
    )


class RoundPages(Controller):
    path = "/rounds"
    include_in_schema = False
    opt = COORDINATOR

    @get("/", name="rounds")
    async def rounds_list(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        paging = page_from_request(request)
        listed, total = await queries.list_rounds(db_session, limit=paging.limit, offset=paging.offset)
        return Template(
            template_name="matching/rounds/list.html",
            context={"rounds": listed, "page": Page.of(paging, total, request)},
        )

    @get("/new")
    async def new_form(self) -> Template:
        defaults = {
            "target": "500",
            "max_choices": "5",
            "respond_within_days": "14",
            "keep_pupil_data_months": str(USUAL_KEEP_MONTHS),
        }
        return _round_form(defaults, FormErrors(), None)

    @post("/new")
    async def create(
        self, acting: Acting, request: Request[User, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        values = await form_values(request)
        errors = FormErrors()
        data = _round_data(values, errors)
        if data is not None:
            try:
                round_ = await rounds.create_round(
                    db_session, data=data, actor=acting.user, ip_address=acting.ip_address
                )
            except MatchingError as exc:
                errors.add(exc.field or "name", str(exc))
            else:
                flash(request, f"{round_.name} is created as a draft", category="success")
                return Redirect(path=f"/rounds/{round_.id}", status_code=303)
        return _round_form(values, errors, None)

    @get("/{round_id:uuid}")
    async def show(self, round_id: FromPath[UUID], db_session: DbSession) -> Template:
        round_ = await queries.get_round(db_session, round_id)
        following = rounds.NEXT.get(round_.stage)
        return Template(
            template_name="matching/rounds/show.html",
            context={
                "round": round_,
                "calendar": _calendar(round_),
                "following": following,
                "effect": rounds.EFFECTS.get(following) if following else None,
                "problems": await rounds.step_problems(db_session, round_),
                "matchable": await rounds.matchable_placements(db_session, round_.id),
                "with_choices": await queries.count_entered_pupils(db_session, round_),
                "runs_allowed": rounds.run_kind_for(round_) is not None,
                "erase_after": keeping.erase_after(round_),
            },
        )

    @get("/{round_id:uuid}/edit")
    async def edit_form(self, round_id: FromPath[UUID], db_session: DbSession) -> Template:
        round_ = await queries.get_round(db_session, round_id)
        return _round_form(_round_values(round_), FormErrors(), round_)

    @post("/{round_id:uuid}/edit")
    async def save(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        round_ = await queries.get_round(db_session, round_id)
        values = await form_values(request)
        errors = FormErrors()
        data = _round_data(values, errors)
        if data is not None:
            try:
                await rounds.update_round(
                    db_session, round_=round_, data=data, actor=acting.user, ip_address=acting.ip_address
                )
            except MatchingError as exc:
                errors.add(exc.field or "name", str(exc))
            else:
                flash(request, f"{round_.name} is saved", category="success")
                return Redirect(path=f"/rounds/{round_.id}", status_code=303)
        return _round_form(values, errors, round_)

    @get("/{round_id:uuid}/advance")
    async def advance_form(self, round_id: FromPath[UUID], db_session: DbSession) -> Template:
        round_ = await queries.get_round(db_session, round_id)
        return await _advance_page(db_session, round_, FormErrors())

    @post("/{round_id:uuid}/advance")
    async def advance(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        round_ = await queries.get_round(db_session, round_id)
        values = await form_values(request)
        errors = FormErrors()
        try:
            to = Stage(values.get("to", ""))
            round_ = await rounds.advance(
                db_session, round_=round_, to=to, actor=acting.user, ip_address=acting.ip_address
            )
        except MatchingError as exc:
            errors.add("to", str(exc))
        except ValueError:
            errors.add("to", "Choose the stage to move the round to from its page")
        else:
            flash(
                request, f"{round_.name} is now {to.label.lower()}. {rounds.EFFECTS[to]}", category="success"
            )
            return Redirect(path=f"/rounds/{round_.id}", status_code=303)
        return await _advance_page(db_session, round_, errors)
