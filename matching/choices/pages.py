"""School staff's pages for pupils' ranked choices: who has none yet, one pupil's choices, and bulk
entry by CSV (with a template to fill in and the list of placement codes to type)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from employers.queries import Filters, placements_page
from matching.choices import queries
from matching.choices import services as preferences
from matching.choices.services import MAX_CSV_BYTES, MAX_CSV_ROWS, Choice, closed_reason, placement_code
from matching.errors import MatchingError
from placements.accounts.guards import STAFF
from placements.accounts.models import User
from placements.clock import today
from placements.db import DbSession
from placements.exports import csv_text
from placements.web.acting import Acting
from placements.web.downloads import attachment
from placements.web.forms import FormErrors, form_values, render_form
from placements.web.paging import Page, page_from_request
from programme.models import Round
from programme.queries import current_round
from schools.models import Pupil
from schools.queries import get_pupil, get_school

# A field of the choices form: choice-1 is the first choice.
CHOICE_FIELD = re.compile(r"choice-(\d{1,3})")
# More placements than any round has, so the codes list is never cut short.
PLACEMENT_LIST_LIMIT = 100_000


def csv_download(filename: str, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Response[str]:
    """A formula-safe CSV file the browser saves rather than shows."""
    return attachment(csv_text(header, rows), filename)


async def round_or_404(db: AsyncSession) -> Round:
    round_ = await current_round(db)
    if round_ is None:
        raise NotFoundException("There is no matching round")
    return round_


def _no_round(request: Request[User, Any, Any]) -> Redirect:
    """A download or upload asked for before any round exists: back to the choices page, which says so."""
    flash(request, "There is no matching round yet, so there is nothing to download", category="info")
    return Redirect(path="/choices", status_code=303)


def _option_text(choice: Choice) -> str:
    distance = "" if choice.distance_km is None else f", {choice.distance_km:.1f} km"
    return f"{choice.code}: {choice.placement.title}, {choice.employer_name}{distance}"


def _posted_choices(values: dict[str, str], errors: FormErrors) -> list[UUID]:
    """The placements chosen in rank order, from every choice-N field; blank ranks are skipped."""
    ranked = sorted(
        (int(match.group(1)), value)
        for key, value in values.items()
        if (match := CHOICE_FIELD.fullmatch(key)) and value
    )
    chosen = []
    for rank, value in ranked:
        try:
            chosen.append(UUID(value))
        except ValueError:
            errors.add("choices", f"Choice {rank} is not a placement from the list")
    return chosen


async def _choice_values(db: AsyncSession, round_: Round, pupil: Pupil) -> dict[str, str]:
    ranked, open_to_other = await preferences.current_choices(db, round_=round_, pupil=pupil)
    values = {f"choice-{rank}": str(placement_id) for rank, placement_id in enumerate(ranked, start=1)}
    values["open_to_other"] = "yes" if open_to_other else ""
    return values


async def _choice_form(
    db: AsyncSession, round_: Round, pupil: Pupil, values: dict[str, str], errors: FormErrors
) -> Template:
    choices = await preferences.choices_for(db, round_=round_, pupil=pupil)
    return render_form(
        "matching/choices/pupil.html",
        values=values,
        errors=errors,
        round=round_,
        pupil=pupil,
        choices=choices,
        options=[(str(c.placement.id), _option_text(c)) for c in choices],
        closed=closed_reason(round_),
    )


def _upload_form(round_: Round, errors: FormErrors, problems: list[tuple[int, str, str]]) -> Template:
    return render_form(
        "matching/choices/upload.html",
        values={},
        errors=errors,
        round=round_,
        problems=problems,
        closed=closed_reason(round_),
        max_mb=MAX_CSV_BYTES // (1024 * 1024),
    )


class ChoicePages(Controller):
    path = "/choices"
    include_in_schema = False

    @get("/", opt=STAFF)
    async def list_pupils(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        round_ = await current_round(db_session)
        paging = page_from_request(request)
        missing = request.query_params.get("missing") == "yes"
        rows, total = [], 0
        if round_ is not None:
            rows, total = await queries.choice_statuses(
                db_session,
                school_id=request.user.school_id,
                round_id=round_.id,
                missing_only=missing,
                limit=paging.limit,
                offset=paging.offset,
            )
        return Template(
            template_name="matching/choices/list.html",
            context={
                "round": round_,
                "closed": closed_reason(round_),
                "rows": rows,
                "page": Page.of(paging, total, request),
                "missing": missing,
            },
        )

    @get("/{pupil_id:uuid}", opt=STAFF)
    async def pupil_form(
        self, request: Request[User, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        pupil = await get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        round_ = await round_or_404(db_session)
        values = await _choice_values(db_session, round_, pupil)
        return await _choice_form(db_session, round_, pupil, values, FormErrors())

    @post("/{pupil_id:uuid}", opt=STAFF)
    async def save(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        pupil_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        pupil = await get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        round_ = await round_or_404(db_session)
        values = await form_values(request)
        errors = FormErrors()
        chosen = _posted_choices(values, errors)
        if not errors:
            try:
                await preferences.save_choices(
                    db_session,
                    round_=round_,
                    pupil=pupil,
                    placement_ids=chosen,
                    open_to_other=values.get("open_to_other") == "yes",
                    actor=acting.user,
                    ip_address=acting.ip_address,
                )
            except MatchingError as exc:
                errors.add(exc.field or "choices", str(exc))
        if errors:
            return await _choice_form(db_session, round_, pupil, values, errors)
        flash(request, f"Choices saved for {pupil.first_name} {pupil.last_name}", category="success")
        return Redirect(path="/choices", status_code=303)

    @get("/upload", opt=STAFF)
    async def upload_form(
        self, request: Request[User, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        round_ = await current_round(db_session)
        if round_ is None:
            return _no_round(request)
        return _upload_form(round_, FormErrors(), [])

    @post("/upload", opt=STAFF)
    async def upload(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        db_session: DbSession,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template | Redirect:
        round_ = await round_or_404(db_session)
        errors = FormErrors()
        file = data.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            errors.add("file", "Select a CSV file")
            return _upload_form(round_, errors, [])
        school = await get_school(db_session, user=acting.user, school_id=acting.user.school_id)
        try:
            result = await preferences.upload_choices(
                db_session,
                round_=round_,
                school=school,
                data=await file.read(MAX_CSV_BYTES + 1),
                actor=acting.user,
                ip_address=acting.ip_address,
            )
        except MatchingError as exc:
            errors.add("file", str(exc))
            return _upload_form(round_, errors, [])
        if result.problems:
            count = len(result.problems)
            errors.add("file", f"The file has {count} problem{'s' if count != 1 else ''}: nothing was saved")
            return _upload_form(round_, errors, result.problems)
        flash(
            request,
            f"Choices saved for {result.rows} pupil{'s' if result.rows != 1 else ''}",
            category="success",
        )
        return Redirect(path="/choices", status_code=303)

    @get("/template.csv", opt=STAFF)
    async def template(
        self, acting: Acting, request: Request[User, Any, Any], db_session: DbSession
    ) -> Response[str] | Redirect:
        """The school's consenting pupils with their current choices, ready to fill in and upload."""
        round_ = await current_round(db_session)
        if round_ is None:
            return _no_round(request)
        school_id = acting.user.school_id
        statuses, _ = await queries.choice_statuses(
            db_session,
            school_id=school_id,
            round_id=round_.id,
            missing_only=False,
            limit=MAX_CSV_ROWS,
            offset=0,
        )
        codes = await queries.codes_by_pupil(db_session, round_, school_id)
        blanks = [""] * round_.max_choices
        rows = [
            [
                s.pupil.reference,
                s.pupil.first_name,
                s.pupil.last_name,
                *(codes[s.pupil.id] + blanks)[: round_.max_choices],
                ("yes" if s.open_to_other else "no") if s.entered else "",
            ]
            for s in statuses
        ]
        await acting.audit(
            db_session,
            "choices_template_downloaded",
            record_type="school",
            record_id=school_id,
            rows=len(rows),
        )
        header = [
            "reference",
            "first_name",
            "last_name",
            *(f"choice {n}" for n in range(1, round_.max_choices + 1)),
            "open_to_other",
        ]
        return csv_download("choices.csv", header, rows)

    @get("/placements.csv", opt=STAFF)
    async def placement_codes(
        self, request: Request[User, Any, Any], db_session: DbSession
    ) -> Response[str] | Redirect:
        """The codes to type in the choices file, with what each placement is."""
        round_ = await current_round(db_session)
        if round_ is None:
            return _no_round(request)
        listed, _ = await placements_page(
            db_session,
            user=request.user,
            origin=None,  # the file has no distances
            round_id=round_.id,
            filters=Filters(),
            today=today(),
            limit=PLACEMENT_LIST_LIMIT,
            offset=0,
        )
        rows = [
            [
                placement_code(item.placement.id),
                item.placement.title,
                item.employer_name,
                " ".join(item.placement.weeks or []),
                " ".join(str(year) for year in item.placement.year_groups or []) or "any",
            ]
            for item in listed
        ]
        return csv_download("placements.csv", ["code", "title", "employer", "weeks", "year_groups"], rows)
