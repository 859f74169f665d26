"""The coordinator's pages for runs: start, follow, compare, pin and forbid, cancel and publish."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from employers.models import Placement
from matching.errors import MatchingError
from matching.models import AdjustmentKind, MatchRun, RunStatus
from matching.policy import DEFAULT_PRESET, PRESETS, RunPolicy
from matching.rounds import queries as round_queries
from matching.rounds import services as rounds
from matching.runs import compare, files, labels, publication, queries
from matching.runs import services as runs
from matching.solver.instance import MODES
from placements.accounts.guards import COORDINATOR
from placements.accounts.models import User
from placements.db import DbSession
from placements.jobs.models import JobRecord
from placements.web.acting import Acting
from placements.web.forms import FormErrors, form_values, render_form
from placements.web.paging import Page, Paging, page_from_request
from programme.models import Round

KM = re.compile(r"^[0-9]{1,4}(\.[0-9]{1,2})?$")

# Shown in a table of figures where a run has no such figure.
MISSING = "Not known"

MODE_OPTIONS = [("optimal", "Optimal: the best total for the chosen rank costs"), ("stable", "Stable")]

MODE_HINTS = {
    "stable": "Deferred acceptance: no pupil and placement would both rather have each other. "
    "The rank costs and the per-school limit do not apply."
}


def _policy(values: dict[str, str], errors: FormErrors) -> RunPolicy | None:
    mode = values.get("mode", "")
    if mode not in MODES:
        errors.add("mode", "Choose optimal or stable matching")
    preset = values.get("preset", "")
    if preset not in PRESETS:
        errors.add("preset", "Choose what the rank costs should favour")
    weight = errors.whole(values, "priority_weight", "the priority weight", 0, 10, required=True)
    cap = errors.whole(values, "max_per_school", "the most pupils of one school", 1, 100, required=False)
    km = values.get("max_travel_km", "")
    if km and (not KM.match(km) or not 0 < float(km) <= 500):
        errors.add("max_travel_km", "The travel limit must be a number of kilometres from 0.01 to 500")
    seed = errors.whole(values, "seed", "the seed", 0, 2**31 - 1, required=True)
    if errors or weight is None or seed is None:
        return None
    try:
        return RunPolicy(
            mode=mode,
            preset=preset,
            priority_weight=weight,
            max_per_school=cap,
            max_travel_km=float(km) if km else None,
            seed=seed,
        )
    except ValueError as exc:
        # Mode and preset are checked above, so what is left is a limit the mode cannot apply.
        errors.add("max_per_school", str(exc))
        return None


# --- Reading the round's records ---


async def _placement_options(db: AsyncSession, round_: Round) -> list[tuple[str, str]]:
    named = await labels.placement_labels(db, Placement.round_id == round_.id)
    return [(str(pid), label) for pid, label in named.items()]


def _can_publish(run: MatchRun, round_: Round, *, unchanged: bool) -> bool:
    """`unchanged`: what `publication.changes_nothing` says of the run (it reads the run's result)."""
    return (
        run.status is RunStatus.DONE
        and run.published_at is None
        and round_.stage is publication.PUBLISH_STAGE[run.kind]
        and not unchanged
    )


# --- Figures of runs, as rows of a table with one column per run ---


def _rank_label(key: str) -> str:
    return "Not on their list" if key == "unlisted" else f"Choice {key}"


def _shown(value: Any) -> str:
    return MISSING if value is None else str(value)


def _percent(rate: float | None) -> str:
    return MISSING if rate is None else f"{rate:.0%}"


def _share(group: dict[str, Any] | None) -> str:
    if not group:
        return MISSING
    return f"{group['assigned']} of {group['pupils']} ({_percent(group['rate'])})"


async def _figure_rows(db: AsyncSession, compared: list[MatchRun]) -> list[tuple[str, list[str]]]:
    every = [compare.figures(run) for run in compared]

    def row(label: str, value: Any) -> tuple[str, list[str]]:
        return label, [value(figures) for figures in every]

    ranks = sorted(
        {key for figures in every for key in figures["rank_counts"]},
        key=lambda key: (key == "unlisted", int(key) if key.isdigit() else 0),
    )
    school_ids = {UUID(key) for figures in every for key in figures["per_school"]}
    names = await compare.school_names(db, school_ids)
    schools = sorted(school_ids, key=lambda school: (names.get(school, ""), str(school)))
    return [
        row("Policy", lambda f: f["policy"]),
        row("Pupils", lambda f: _shown(f["pupils"])),
        row("Placed", lambda f: _shown(f["assigned"])),
        row("Unplaced", lambda f: _shown(f["unassigned"])),
        *(row(_rank_label(key), lambda f, key=key: _shown(f["rank_counts"].get(key, 0))) for key in ranks),
        row("Priority pupils placed", lambda f: _percent(f["priority_rate"])),
        row("Other pupils placed", lambda f: _percent(f["other_rate"])),
        *(
            row(
                f"{names.get(school, 'A school no longer listed')}: placed",
                lambda f, key=str(school): _share(f["per_school"].get(key)),
            )
            for school in schools
        ),
        row("Blocking pairs", lambda f: _shown(f["blocking_pairs"])),
        row(
            "Mean travel",
            lambda f: MISSING if f["mean_travel_km"] is None else f"{f['mean_travel_km']:.1f} km",
        ),
        row("Objective", lambda f: _shown(f["objective"])),
    ]


async def _names(db: AsyncSession, lines: list[compare.PupilLine]) -> labels.ResultNames:
    return await labels.result_names(db, (result for line in lines for result in line.results))


# --- Rounds and their calendar ---


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise NotFoundException("No run of this round has this id") from None


def _compare_page(
    page: Page, paging: Paging, compared: list[MatchRun], request: Request[Any, Any, Any]
) -> Page:
    """The page's links keep every compared run (Page.of keeps one value per query key)."""

    def href(number: int) -> str:
        query = [("run", str(run.id)) for run in compared] + [("page", str(number))]
        return f"{request.url.path}?{urlencode(query)}"

    return replace(
        page,
        previous_href=href(paging.page - 1) if page.previous_href else None,
        next_href=href(paging.page + 1) if page.next_href else None,
    )


async def _runs_page(db: AsyncSession, round_: Round, values: dict[str, str], errors: FormErrors) -> Template:
    listed = await queries.list_runs(db, round_.id)
    unchanged = {run.id for run in listed if await publication.changes_nothing(db, run)}
    return render_form(
        "matching/runs/runs.html",
        values=values,
        errors=errors,
        round=round_,
        runs=listed,
        policies={run.id: RunPolicy.from_dict(run.policy).description for run in listed},
        kind=rounds.run_kind_for(round_),
        modes=MODE_OPTIONS,
        mode_hints=MODE_HINTS,
        presets=[(name, *description.split(": ", 1)) for name, (description, _) in PRESETS.items()],
        publishable={run.id for run in listed if _can_publish(run, round_, unchanged=run.id in unchanged)},
        unchanged=unchanged,
    )


async def _adjustment_page(
    db: AsyncSession, round_: Round, pupil_id: UUID, values: dict[str, str], errors: FormErrors
) -> Template:
    pupil, school = await queries.entered_pupil(db, round_, pupil_id)
    return render_form(
        "matching/runs/adjustment_form.html",
        values=values,
        errors=errors,
        round=round_,
        pupil=pupil,
        school=school,
        placements=await _placement_options(db, round_),
        kinds=[
            ("pin", "Pin: the pupil must go to this placement"),
            ("forbid", "Forbid: never this placement"),
        ],
    )


# --- One run ---


async def _cancel_page(db: AsyncSession, run: MatchRun, errors: FormErrors) -> Template:
    return render_form(
        "matching/runs/run_cancel.html",
        values={},
        errors=errors,
        round=await round_queries.get_round(db, run.round_id),
        run=run,
        can_cancel=run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
    )


async def _publish_page(db: AsyncSession, run: MatchRun, errors: FormErrors) -> Template:
    round_ = await round_queries.get_round(db, run.round_id)
    changes = await publication.outcomes_to_publish(db, run) if run.status is RunStatus.DONE else {}
    unchanged = await publication.changes_nothing(db, run)
    return render_form(
        "matching/runs/publish.html",
        values={},
        errors=errors,
        round=round_,
        run=run,
        outcomes=len(changes),
        placed=sum(1 for result in changes.values() if result.placement_id),
        can_publish=_can_publish(run, round_, unchanged=unchanged),
        unchanged=unchanged,
    )


class RoundRunPages(Controller):
    """A round's runs, their comparison, and its pins and forbids (under the round's address)."""

    path = "/rounds"
    include_in_schema = False
    opt = COORDINATOR

    @get("/{round_id:uuid}/runs")
    async def runs_list(self, round_id: FromPath[UUID], db_session: DbSession) -> Template:
        round_ = await round_queries.get_round(db_session, round_id)
        values = {"mode": "optimal", "preset": DEFAULT_PRESET, "priority_weight": "1", "seed": "0"}
        return await _runs_page(db_session, round_, values, FormErrors())

    @post("/{round_id:uuid}/runs")
    async def start(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        round_ = await round_queries.get_round(db_session, round_id)
        values = await form_values(request)
        errors = FormErrors()
        policy = _policy(values, errors)
        if policy is not None:
            try:
                run = await runs.start_run(
                    db_session,
                    round_=round_,
                    policy=policy,
                    actor=acting.user,
                    ip_address=acting.ip_address,
                )
            except MatchingError as exc:
                errors.add(exc.field or "mode", str(exc))
            else:
                return Redirect(path=f"/runs/{run.id}", status_code=303)
        return await _runs_page(db_session, round_, values, errors)

    @get("/{round_id:uuid}/compare")
    async def compare_runs(
        self, request: Request[User, Any, Any], round_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        round_ = await round_queries.get_round(db_session, round_id)
        compared = [
            await queries.run_of_round(db_session, round_, _uuid(text))
            for text in request.query_params.getall("run", [])
        ]
        errors = FormErrors()
        if len(compared) > compare.MAX_COMPARED:
            errors.add("run", f"Choose at most {compare.MAX_COMPARED} runs to compare")
        unfinished = [run.number for run in compared if run.status is not RunStatus.DONE]
        if unfinished:
            errors.add("run", f"Run {unfinished[0]} has not finished: choose finished runs")
        if request.query_params.get("compare") and len(compared) < 2:
            errors.add("run", f"Tick at least 2 runs to compare: you ticked {len(compared)}")
        finished = [
            run for run in await queries.list_runs(db_session, round_.id) if run.status is RunStatus.DONE
        ]
        if errors or len(compared) < 2:
            return render_form(
                "matching/runs/compare_choose.html",
                values={},
                errors=errors,
                round=round_,
                finished=finished,
                chosen={str(run.id) for run in compared},
            )
        paging = page_from_request(request)
        lines = await compare.pupil_lines(db_session, compared, only_differences=True)
        shown = lines[paging.offset : paging.offset + paging.limit]
        return Template(
            template_name="matching/runs/compare.html",
            context={
                "round": round_,
                "compared": compared,
                "figure_rows": await _figure_rows(db_session, compared),
                "lines": shown,
                "names": await _names(db_session, shown),
                "page": _compare_page(Page.of(paging, len(lines), request), paging, compared, request),
            },
        )

    @get("/{round_id:uuid}/adjustments")
    async def adjustments(self, round_id: FromPath[UUID], db_session: DbSession) -> Template:
        round_ = await round_queries.get_round(db_session, round_id)
        return Template(
            template_name="matching/runs/adjustments.html",
            context={
                "round": round_,
                "rows": await queries.list_adjustments(db_session, round_.id),
                "can_adjust": rounds.run_kind_for(round_) is not None,
            },
        )

    @get("/{round_id:uuid}/adjustments/new")
    async def adjustment_form(
        self, round_id: FromPath[UUID], pupil: FromQuery[UUID], db_session: DbSession
    ) -> Template:
        round_ = await round_queries.get_round(db_session, round_id)
        return await _adjustment_page(db_session, round_, pupil, {"kind": "pin"}, FormErrors())

    @post("/{round_id:uuid}/adjustments/new")
    async def add_adjustment(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        pupil: FromQuery[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        round_ = await round_queries.get_round(db_session, round_id)
        person, _school = await queries.entered_pupil(db_session, round_, pupil)
        values = await form_values(request)
        errors = FormErrors()
        kind = values.get("kind", "")
        if kind not in AdjustmentKind.__members__.values():
            errors.add("kind", "Choose whether to pin the pupil to the placement or forbid the pair")
        options = dict(await _placement_options(db_session, round_))
        if values.get("placement_id", "") not in options:
            errors.add("placement_id", "Choose a placement of this round")
        if not errors:
            try:
                await runs.add_adjustment(
                    db_session,
                    round_=round_,
                    pupil_id=person.id,
                    placement_id=UUID(values["placement_id"]),
                    kind=AdjustmentKind(kind),
                    reason=values.get("reason", ""),
                    actor=acting.user,
                    ip_address=acting.ip_address,
                )
            except MatchingError as exc:
                errors.add(exc.field or "placement_id", str(exc))
            else:
                done = "pinned to" if kind == AdjustmentKind.PIN else "forbidden from"
                flash(
                    request,
                    f"{person.first_name} {person.last_name} is {done} {options[values['placement_id']]}. "
                    "Start a run to see the effect.",
                    category="success",
                )
                return Redirect(path=f"/rounds/{round_.id}/adjustments", status_code=303)
        return await _adjustment_page(db_session, round_, pupil, values, errors)

    @get("/{round_id:uuid}/adjustments/{adjustment_id:uuid}/remove")
    async def remove_form(
        self, round_id: FromPath[UUID], adjustment_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        round_ = await round_queries.get_round(db_session, round_id)
        adjustment = await queries.get_adjustment(db_session, round_.id, adjustment_id)
        [row] = [
            r for r in await queries.list_adjustments(db_session, round_.id) if r.adjustment is adjustment
        ]
        return Template(
            template_name="matching/runs/adjustment_remove.html", context={"round": round_, "row": row}
        )

    @post("/{round_id:uuid}/adjustments/{adjustment_id:uuid}/remove")
    async def remove(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        round_id: FromPath[UUID],
        adjustment_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Redirect:
        round_ = await round_queries.get_round(db_session, round_id)
        adjustment = await queries.get_adjustment(db_session, round_.id, adjustment_id)
        await runs.remove_adjustment(
            db_session, adjustment=adjustment, actor=acting.user, ip_address=acting.ip_address
        )
        flash(request, f"The {adjustment.kind.value} is removed", category="success")
        return Redirect(path=f"/rounds/{round_.id}/adjustments", status_code=303)


class RunPages(Controller):
    path = "/runs"
    include_in_schema = False
    opt = COORDINATOR

    @get("/{run_id:uuid}")
    async def show(self, run_id: FromPath[UUID], db_session: DbSession) -> Template:
        run = await queries.get_run(db_session, run_id)
        round_ = await round_queries.get_round(db_session, run.round_id)
        waiting = run.status in (RunStatus.QUEUED, RunStatus.RUNNING)
        unchanged = await publication.changes_nothing(db_session, run)
        return Template(
            template_name="matching/runs/run.html",
            context={
                "round": round_,
                "run": run,
                "policy": RunPolicy.from_dict(run.policy).description,
                "waiting": waiting,
                "job": await db_session.get(JobRecord, run.job_id) if waiting and run.job_id else None,
                "figure_rows": await _figure_rows(db_session, [run]) if run.status is RunStatus.DONE else [],
                "can_publish": _can_publish(run, round_, unchanged=unchanged),
                "unchanged": unchanged,
            },
        )

    @get("/{run_id:uuid}/pupils")
    async def pupils(
        self, request: Request[User, Any, Any], run_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        run = await queries.get_run(db_session, run_id)
        round_ = await round_queries.get_round(db_session, run.round_id)
        unplaced = request.query_params.get("unplaced") == "yes"
        paging = page_from_request(request)
        lines = await compare.pupil_lines(db_session, [run], unplaced_only=unplaced)
        shown = lines[paging.offset : paging.offset + paging.limit]
        return Template(
            template_name="matching/runs/run_pupils.html",
            context={
                "round": round_,
                "run": run,
                "lines": shown,
                "names": await _names(db_session, shown),
                "unplaced": unplaced,
                "can_adjust": rounds.run_kind_for(round_) is not None,
                "page": Page.of(paging, len(lines), request),
            },
        )

    @get("/{run_id:uuid}/instance.json")
    async def instance(
        self, acting: Acting, run_id: FromPath[UUID], db_session: DbSession
    ) -> Response[bytes]:
        return await files.run_file(acting, db_session, run_id, "instance", NotFoundException)

    @get("/{run_id:uuid}/result.json")
    async def result(self, acting: Acting, run_id: FromPath[UUID], db_session: DbSession) -> Response[bytes]:
        return await files.run_file(acting, db_session, run_id, "result", NotFoundException)

    @get("/{run_id:uuid}/cancel")
    async def cancel_form(self, run_id: FromPath[UUID], db_session: DbSession) -> Template:
        run = await queries.get_run(db_session, run_id)
        return await _cancel_page(db_session, run, FormErrors())

    @post("/{run_id:uuid}/cancel")
    async def cancel(
        self, acting: Acting, request: Request[User, Any, Any], run_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        run = await queries.get_run(db_session, run_id)
        try:
            await runs.cancel_run(db_session, run=run, actor=acting.user, ip_address=acting.ip_address)
        except MatchingError as exc:
            return await _cancel_page(db_session, run, FormErrors(cancel=str(exc)))
        flash(request, f"Run {run.number} is cancelled: you can start a new run", category="success")
        return Redirect(path=f"/rounds/{run.round_id}/runs", status_code=303)

    @get("/{run_id:uuid}/publish")
    async def publish_form(self, run_id: FromPath[UUID], db_session: DbSession) -> Template:
        run = await queries.get_run(db_session, run_id)
        return await _publish_page(db_session, run, FormErrors())

    @post("/{run_id:uuid}/publish")
    async def publish(
        self, acting: Acting, request: Request[User, Any, Any], run_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        run = await queries.get_run(db_session, run_id)
        errors = FormErrors()
        try:
            count = await publication.publish_run(
                db_session, run=run, actor=acting.user, ip_address=acting.ip_address
            )
        except MatchingError as exc:
            errors.add("publish", str(exc))
            return await _publish_page(db_session, run, errors)
        flash(
            request,
            f"Run {run.number} is published: {count} pupils' outcomes are set, and their schools and "
            "employers are emailed",
            category="success",
        )
        return Redirect(path=f"/rounds/{run.round_id}", status_code=303)
