"""The coordinator's run pages: starting a run from the form, following it, its figures and pupils,
downloading its files, comparing runs, and publishing one."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from matching.models import MatchRun, Outcome, RunStatus
from matching.runs import services as runs
from placements.audit.models import AuditEntry
from placements.jobs.models import JobRecord
from placements.notifications.models import OutboxMessage
from programme.models import Stage
from tests.matching.pages_support import RUN_FORM, close_preferences, finished_run, hold_jobs, start_run
from tests.support import make_round, run_queued_jobs


def _id(path: str) -> uuid.UUID:
    return uuid.UUID(path.rstrip("/").rsplit("/", 1)[-1])


async def _run(db, path: str) -> MatchRun:
    await db.commit()
    return await runs.run_files(db, _id(path))


async def _count(db, model) -> int:
    await db.commit()
    return await db.scalar(select(func.count()).select_from(model)) or 0


async def test_a_run_started_from_the_form_shows_progress_then_its_figures(client, db, scenario, monkeypatch):
    s = await scenario()
    await close_preferences(db, s)
    await client.sign_in(s.coordinator)
    release = hold_jobs(monkeypatch)
    form = await client.page(f"/rounds/{s.round.id}/runs")
    assert form.status_code == 200 and "Start a run" in form.text and "Fewest poor outcomes" in form.text

    path = await start_run(client, s, max_travel_km="40", seed="7")
    waiting = await client.page(path)
    assert waiting.status_code == 200
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in waiting.text
    assert f'data-reload-when-finished="/api/runs/{path.rsplit("/", 1)[-1]}"' in waiting.text
    assert "% done" in waiting.text
    assert "Queued" in waiting.text and "The run is waiting to start" in waiting.text
    job = await db.get(JobRecord, (await _run(db, path)).job_id)
    job.progress, job.message = 40, "Solving"
    await db.commit()
    assert "40% done</strong>: Solving" in (await client.page(path)).text

    await release()
    run = await _run(db, path)
    assert run.status is RunStatus.DONE, run.error
    done = await client.page(path)
    assert 'http-equiv="refresh"' not in done.text and "data-reload-when-finished" not in done.text
    for shown in (run.instance_sha256, run.result_sha256, run.solver, "travel up to 40 km, seed 7"):
        assert shown in done.text
    assert "Priority pupils placed" in done.text and "Blocking pairs" in done.text
    assert f"{s.schools[0].name}: placed" in done.text and "Choice 1" in done.text
    assert f"/runs/{run.id}/pupils" in done.text and f"/runs/{run.id}/instance.json" in done.text
    assert f"/runs/{run.id}/publish" not in done.text  # the round is not matched yet

    listed = await client.page(f"/rounds/{s.round.id}/runs")
    assert f'href="{path}">Run 1 — fewest poor outcomes</a>' in listed.text

    pupils = await client.page(f"{path}/pupils")
    assert pupils.status_code == 200
    every = [p for school in s.pupils for p in school]
    assert all(p.last_name in pupils.text for p in every)
    assert s.placements[0].title in pupils.text and "Unplaced" in pupils.text
    assert f"/adjustments/new?pupil={every[0].id}" in pupils.text
    unplaced = await client.page(f"{path}/pupils?unplaced=yes")
    # Three places for six pupils: three are left without one.
    assert unplaced.text.count("<strong>Unplaced</strong>") == 3
    assert s.placements[0].title not in unplaced.text.split("<tbody")[1]


async def test_downloads_give_the_stored_bytes_and_are_audited(client, db, scenario):
    s = await scenario()
    await close_preferences(db, s)
    await client.sign_in(s.coordinator)
    path = await finished_run(client, s)
    run = await _run(db, path)
    for which, stored in (("instance", run.instance), ("result", run.result)):
        response = await client.get(f"{path}/{which}.json")
        assert response.status_code == 200
        assert response.content == stored
        assert response.headers["content-disposition"].startswith("attachment;")
        assert f"run-1-{which}.json" in response.headers["content-disposition"]
    await db.commit()
    entries = list(await db.scalars(select(AuditEntry).where(AuditEntry.action == "run_file_downloaded")))
    assert sorted(e.detail["file"] for e in entries) == ["instance", "result"]
    assert {e.actor_id for e in entries} == {s.coordinator.id}


async def test_a_bad_policy_or_stage_starts_no_run(client, db, scenario):
    s = await scenario()
    await client.sign_in(s.coordinator)
    too_early = await client.submit(f"/rounds/{s.round.id}/runs", RUN_FORM)
    assert (
        too_early.status_code == 400 and "Runs can be started once preferences are closed" in too_early.text
    )

    await close_preferences(db, s)
    bad = {"mode": "", "preset": "cheapest", "priority_weight": "11", "max_per_school": "0"}
    response = await client.submit(
        f"/rounds/{s.round.id}/runs", {**bad, "max_travel_km": "far", "seed": "-1"}
    )
    assert response.status_code == 400
    for message in (
        "Choose optimal or stable matching",
        "Choose what the rank costs should favour",
        "The priority weight must be a whole number from 0 to 10",
        "The most pupils of one school must be a whole number from 1 to 100",
        "The travel limit must be a number of kilometres",
        "The seed must be a whole number from 0",
    ):
        assert message in response.text
    stable = await client.submit(
        f"/rounds/{s.round.id}/runs", {**RUN_FORM, "mode": "stable", "max_per_school": "1"}
    )
    assert stable.status_code == 400
    assert "The stable mode cannot limit pupils of one school per placement" in stable.text
    assert await _count(db, MatchRun) == 0


async def test_two_quick_starts_give_one_run(client, db, scenario, monkeypatch):
    s = await scenario()
    await close_preferences(db, s)
    await client.sign_in(s.coordinator)
    release = hold_jobs(monkeypatch)
    first = await start_run(client, s)
    second = await start_run(client, s, seed="9")
    assert first == second
    assert await _count(db, MatchRun) == 1
    await release()
    run = await _run(db, first)
    assert run.status is RunStatus.DONE and run.seed == 0


async def test_a_run_that_cannot_be_solved_shows_why(client, db, scenario):
    s = await scenario(capacities=(1, 2))
    await close_preferences(db, s)
    await client.sign_in(s.coordinator)
    full = s.placements[0]  # one place, two pupils pinned to it
    for pupil in (s.pupils[0][0], s.pupils[1][0]):
        pinned = await client.submit(
            f"/rounds/{s.round.id}/adjustments/new?pupil={pupil.id}",
            {"kind": "pin", "placement_id": str(full.id), "reason": "Asked for by the employer"},
        )
        assert pinned.status_code == 303
    path = await finished_run(client, s)
    run = await _run(db, path)
    assert run.status is RunStatus.FAILED and "over capacity" in run.error
    page = await client.page(path)
    assert "The run failed" in page.text and "over capacity" in page.text
    assert run.instance_sha256 in page.text and "/result.json" not in page.text
    assert (await client.get(f"{path}/result.json")).status_code == 404


async def test_compare_shows_both_runs_and_the_pupils_they_place_differently(client, db, scenario):
    s = await scenario()
    await close_preferences(db, s)
    await client.sign_in(s.coordinator)
    first_path = await finished_run(client, s)
    first = await _run(db, first_path)
    chooser = await client.page(f"/rounds/{s.round.id}/compare?run={first.id}")
    assert chooser.status_code == 200 and "Two finished runs are needed" in chooser.text

    results = await runs.pupil_results(db, first)
    moved, result = next((p, r) for p, r in sorted(results.items()) if r.placement_id)
    forbid = {"kind": "forbid", "placement_id": str(result.placement_id), "reason": "Clash with exams"}
    assert (
        await client.submit(f"/rounds/{s.round.id}/adjustments/new?pupil={moved}", forbid)
    ).status_code == 303
    second = await _run(db, await finished_run(client, s))

    chooser = await client.page(f"/rounds/{s.round.id}/compare")
    assert chooser.status_code == 200 and str(first.id) in chooser.text and str(second.id) in chooser.text
    page = await client.page(f"/rounds/{s.round.id}/compare?run={first.id}&run={second.id}")
    assert page.status_code == 200
    assert "Run 1" in page.text and "Run 2" in page.text and "Figures side by side" in page.text
    body = page.text.split("Pupils the runs place differently")[1]
    pupil = next(p for school in s.pupils for p in school if p.id == moved)
    assert f"{pupil.first_name} {pupil.last_name}" in body

    await db.commit()
    other = await make_round(db, stage=Stage.PREFERENCES_CLOSED)
    assert (
        await client.page(f"/rounds/{other.id}/compare?run={first.id}&run={second.id}")
    ).status_code == 404
    assert (await client.page(f"/rounds/{s.round.id}/compare?run=nonsense&run={first.id}")).status_code == 404
    too_many = "&".join(f"run={first.id}" for _ in range(5))
    assert (await client.page(f"/rounds/{s.round.id}/compare?{too_many}")).status_code == 400


async def test_publish_asks_first_then_publishes_the_run(client, db, scenario):
    s = await scenario()
    await close_preferences(db, s)
    await client.sign_in(s.coordinator)
    path = await finished_run(client, s)
    not_yet = await client.page(f"{path}/publish")
    assert not_yet.status_code == 200 and 'action="' + path + '/publish"' not in not_yet.text
    refused = await client.submit(f"{path}/publish", {})
    assert refused.status_code == 400 and "can be published only while the round is matched" in refused.text

    assert (await client.submit(f"/rounds/{s.round.id}/advance", {"to": "matched"})).status_code == 303
    assert f"{path}/publish" in (await client.page(path)).text
    confirm = await client.page(f"{path}/publish")
    assert "This sets the outcome of 6 pupils: 3 offered a placement and 3 unplaced" in confirm.text
    assert "You cannot undo this" in confirm.text and "emailed" in confirm.text

    published = await client.submit(f"{path}/publish", {})
    assert published.status_code == 303 and published.headers["location"] == f"/rounds/{s.round.id}"
    await run_queued_jobs()
    overview = await client.page(published.headers["location"])
    assert "Run 1 is published: 6 pupils" in overview.text
    await db.refresh(s.round)
    assert s.round.stage is Stage.PUBLISHED
    assert await _count(db, Outcome) == 6
    assert await _count(db, OutboxMessage) > 0
    again = await client.submit(f"{path}/publish", {})
    assert again.status_code == 400 and "This run is already published" in again.text
    assert await _count(db, Outcome) == 6


async def test_unknown_runs_are_not_found_and_other_roles_are_refused(client, db, scenario, monkeypatch):
    s = await scenario()
    await close_preferences(db, s)
    await client.sign_in(s.coordinator)
    release = hold_jobs(monkeypatch)
    path = await start_run(client, s)
    unknown = f"/runs/{uuid.uuid4()}"
    for missing in (unknown, f"{unknown}/pupils", f"{unknown}/instance.json", f"{unknown}/publish"):
        assert (await client.page(missing)).status_code == 404, missing
    assert (await client.get(f"{path}/instance.json")).status_code == 404  # not solved yet
    assert (await client.submit(f"{unknown}/publish", {})).status_code == 404
    await release()

    for user in (s.school_staff[0], s.employer_users[0]):
        await client.sign_in(user)
        for refused in (
            path,
            f"{path}/pupils",
            f"{path}/instance.json",
            f"{path}/result.json",
            f"{path}/publish",
            f"/rounds/{s.round.id}/runs",
            f"/rounds/{s.round.id}/compare",
        ):
            assert (await client.page(refused)).status_code == 403, refused
        assert (await client.submit(f"/rounds/{s.round.id}/runs", RUN_FORM)).status_code == 403
        assert (await client.submit(f"{path}/publish", {})).status_code == 403
        await client.post("/sign-out", data={"_csrf_token": await client.csrf_token()})
    assert await _count(db, MatchRun) == 1
