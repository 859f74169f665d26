"""A coordinator cancels a run that is waiting or running: it keeps no result, the cancel is audited,
and a new run can start at once. A finished run cannot be cancelled."""

from __future__ import annotations

from sqlalchemy import select

from matching.models import MatchRun, RunStatus
from matching.runs import services as runs
from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.jobs.models import JobRecord, JobStatus
from tests.matching.pages_support import close_preferences, hold_jobs, start_run
from tests.support import make_user, run_queued_jobs


async def test_a_waiting_run_is_cancelled_from_its_page(client, db, scenario, monkeypatch):
    s = await scenario()
    coordinator_email = s.coordinator.email
    await close_preferences(db, s)
    await client.sign_in(s.coordinator)
    release = hold_jobs(monkeypatch)
    path = await start_run(client, s)
    page = await client.page(path)
    assert 'href="' + path + '/cancel"' in page.text

    confirm = await client.page(f"{path}/cancel")
    assert confirm.status_code == 200 and "keeps no result" in confirm.text
    cancelled = await client.submit(f"{path}/cancel", {})
    assert cancelled.status_code == 303 and cancelled.headers["location"] == f"/rounds/{s.round.id}/runs"
    await release()  # the job is delivered after all: it finds itself cancelled and does nothing

    await db.commit()
    run = await runs.run_files(db, (await db.scalar(select(MatchRun))).id)
    assert run.status is RunStatus.CANCELLED and run.result is None and run.in_progress_key is None
    assert (await db.get_one(JobRecord, run.job_id)).status is JobStatus.CANCELLED
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "run_cancelled"))
    assert entry.actor_label == coordinator_email and entry.detail["run"] == 1
    shown = await client.page(path)
    assert "Cancelled by" in shown.text and "Cancel this run" not in shown.text

    second = await start_run(client, s)
    assert second != path
    await run_queued_jobs()


async def test_a_finished_run_cannot_be_cancelled(client, db, scenario):
    s = await scenario()
    await close_preferences(db, s)
    await client.sign_in(s.coordinator)
    path = await start_run(client, s)
    await run_queued_jobs()
    run_id = path.rsplit("/", 1)[1]
    page = await client.submit(f"{path}/cancel", {})
    assert page.status_code == 400 and "Only a run that is waiting or running can be cancelled" in page.text
    api = await client.api("POST", f"/api/runs/{run_id}/cancel")
    assert api.status_code == 409
    await db.commit()
    assert (await db.scalar(select(MatchRun))).status is RunStatus.DONE


async def test_a_run_is_cancelled_through_the_api_by_coordinators_only(client, db, scenario, monkeypatch):
    s = await scenario()
    await close_preferences(db, s)
    release = hold_jobs(monkeypatch)
    await client.sign_in(s.coordinator)
    started = await client.api("POST", f"/api/rounds/{s.round.id}/runs", json={"seed": 3})
    run_id = started.json()["id"]
    await client.post("/sign-out", headers={"x-csrftoken": await client.csrf_token()})

    await client.sign_in(await make_user(db, Role.SCHOOL_STAFF))
    assert (await client.api("POST", f"/api/runs/{run_id}/cancel")).status_code == 403
    await client.sign_in(s.coordinator)
    cancelled = await client.api("POST", f"/api/runs/{run_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["progress"] == 100
    await release()
