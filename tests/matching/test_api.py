"""The matching round's JSON API: rounds and their calendar, choices, runs and their files, comparing,
pins and forbids, and publication, with each operation's access rules and refusals."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from matching.choices import services as preferences
from matching.models import Adjustment, ChoiceEntry, MatchRun, Preference, RunStatus
from matching.policy import PRESETS
from matching.runs.schemas import Mode, Preset
from matching.solver import result_to_json, solve_bytes
from matching.solver.instance import MODES
from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from programme.models import Round, Stage
from tests.support import assert_refused, make_placement, make_round, make_user, run_queued_jobs

ROUND = {"name": "Summer placements 2031", "programme_year": 2031, "weeks": ["2031-W26", "2031-W25"]}


async def _count(db, model) -> int:
    return await db.scalar(select(func.count()).select_from(model))


def test_the_schema_names_every_mode_and_preset():
    assert set(Mode.__args__) == set(MODES)
    assert set(Preset.__args__) == set(PRESETS)


async def test_coordinators_create_change_and_advance_a_round(client, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    await client.sign_in(coordinator)

    created = await client.api("POST", "/api/rounds", json=ROUND)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["stage"] == "draft" and body["next_stage"] == "open_for_placements"
    assert body["weeks"] == ["2031-W25", "2031-W26"] and body["max_choices"] == 5
    round_id = body["id"]

    refusals = [
        ({**ROUND, "programme_year": 2031}, "already a round for 2031", "programme_year"),
        ({**ROUND, "programme_year": 2032, "weeks": ["2032-W54"]}, "2032-W54 is not a week", "weeks"),
        (
            {**ROUND, "programme_year": 2033, "preferences_open_on": "2033-03-01",
             "preferences_close_on": "2033-02-01"},
            "Preferences must close on or after",
            "preferences_close_on",
        ),
    ]  # fmt: skip
    for body, message, field in refusals:
        assert_refused(await client.api("POST", "/api/rounds", json=body), message, field=field)
    assert (await client.api("POST", "/api/rounds", json={**ROUND, "weeks": ["W25"]})).status_code == 400
    assert await _count(db, Round) == 1

    listed = (await client.api("GET", "/api/rounds?limit=10")).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == round_id
    changed = await client.api("PATCH", f"/api/rounds/{round_id}", json={"name": "Summer 2031", "target": 40})
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Summer 2031" and changed.json()["weeks"] == ["2031-W25", "2031-W26"]
    assert (await client.api("GET", f"/api/rounds/{round_id}")).json()["target"] == 40

    skipped = await client.api("POST", f"/api/rounds/{round_id}/advance", json={"to": "preferences_open"})
    assert skipped.status_code == 409 and "cannot move to preferences open" in skipped.json()["detail"]
    opened = await client.api("POST", f"/api/rounds/{round_id}/advance", json={"to": "open_for_placements"})
    assert opened.status_code == 200 and opened.json()["stage"] == "open_for_placements"
    assert "open_for_placements" in opened.json()["stage_dates"]
    not_ready = await client.api("POST", f"/api/rounds/{round_id}/advance", json={"to": "preferences_open"})
    assert not_ready.status_code == 409
    assert not_ready.json()["detail"] == "No approved placement can take pupils yet"
    publish = await client.api("POST", f"/api/rounds/{round_id}/advance", json={"to": "published"})
    assert publish.status_code == 409

    missing = "00000000-0000-4000-8000-000000000000"
    assert (await client.api("GET", f"/api/rounds/{missing}")).status_code == 404


async def test_only_coordinators_change_rounds_but_everyone_reads_them(client, db):
    round_ = await make_round(db)
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    assert (await client.api("GET", f"/api/rounds/{round_.id}")).status_code == 200
    assert (await client.api("POST", "/api/rounds", json=ROUND)).status_code == 403
    assert (await client.api("PATCH", f"/api/rounds/{round_.id}", json={"name": "Mine"})).status_code == 403
    advance = await client.api("POST", f"/api/rounds/{round_.id}/advance", json={"to": "preferences_open"})
    assert advance.status_code == 403
    assert (await client.api("GET", f"/api/rounds/{round_.id}/runs")).status_code == 403
    assert (await client.api("GET", f"/api/rounds/{round_.id}/adjustments")).status_code == 403


async def test_school_staff_enter_their_pupils_choices(client, db, scenario):
    s = await scenario()
    first, second = s.placements
    pupil, other = s.pupils[0][0], s.pupils[0][1]
    base = f"/api/rounds/{s.round.id}/choices"
    await client.sign_in(s.school_staff[0])

    options = await client.api("GET", f"{base}/{pupil.id}/options")
    assert options.status_code == 200, options.text
    by_id = {o["id"]: o for o in options.json()}
    assert set(by_id) == {str(first.id), str(second.id)}
    assert by_id[str(first.id)]["code"] == preferences.placement_code(first.id)
    assert by_id[str(first.id)]["demand"] == 0 and by_id[str(first.id)]["capacity"] == 1

    saved = await client.api(
        "PUT",
        f"{base}/{pupil.id}",
        json={"placements": [str(second.id), str(first.id)], "open_to_other": True},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["placements"] == [str(second.id), str(first.id)] and saved.json()["open_to_other"]
    shown = (await client.api("GET", f"{base}/{pupil.id}")).json()
    assert shown["placements"] == [str(second.id), str(first.id)] and shown["closed_reason"] is None
    assert (await client.api("GET", f"{base}/{other.id}")).json()["open_to_other"] is None
    options = (await client.api("GET", f"{base}/{pupil.id}/options")).json()
    assert {o["id"]: o["demand"] for o in options} == {str(first.id): 1, str(second.id): 1}

    listed = (await client.api("GET", base)).json()
    assert listed["total"] == 3
    assert {row["pupil_id"]: row["choices"] for row in listed["items"]}[str(pupil.id)] == 2
    missing = (await client.api("GET", f"{base}?missing=true")).json()
    assert missing["total"] == 2 and str(pupil.id) not in {row["pupil_id"] for row in missing["items"]}

    twice = await client.api("PUT", f"{base}/{other.id}", json={"placements": [str(first.id)] * 2})
    assert_refused(twice, "The same placement is chosen twice", field="placements")
    await db.commit()  # end this session's read before it writes
    elsewhere = await make_placement(db, s.employers[0].id, (await make_round(db)).id)
    unknown = await client.api("PUT", f"{base}/{other.id}", json={"placements": [str(elsewhere.id)]})
    assert_refused(unknown, "not open to this pupil", field="placements")
    assert await _count(db, ChoiceEntry) == 1

    # Another school's pupil is not found, whatever the operation.
    theirs = s.pupils[1][0]
    assert (await client.api("GET", f"{base}/{theirs.id}")).status_code == 404
    assert (await client.api("GET", f"{base}/{theirs.id}/options")).status_code == 404
    put = await client.api("PUT", f"{base}/{theirs.id}", json={"placements": [str(first.id)]})
    assert put.status_code == 404
    other_school = await client.api("GET", f"{base}?school_id={s.schools[1].id}")
    assert other_school.status_code == 404


async def test_choices_cannot_change_once_preferences_close(client, db, scenario):
    s = await scenario(stage=Stage.PREFERENCES_CLOSED)
    await client.sign_in(s.school_staff[0])
    pupil = s.pupils[0][0]
    refused = await client.api(
        "PUT", f"/api/rounds/{s.round.id}/choices/{pupil.id}", json={"placements": [str(s.placements[0].id)]}
    )
    assert refused.status_code == 409 and "only while preferences are open" in refused.json()["detail"]
    shown = (await client.api("GET", f"/api/rounds/{s.round.id}/choices/{pupil.id}")).json()
    assert shown["closed_reason"].startswith("Choices can be changed only while preferences are open")


async def test_coordinators_read_choices_but_do_not_enter_them(client, db, scenario):
    s = await scenario()
    pupil = s.pupils[1][0]
    base = f"/api/rounds/{s.round.id}/choices"
    await client.sign_in(s.coordinator)
    unnamed = await client.api("GET", base)
    assert_refused(unnamed, "school_id", field="school_id")
    named = await client.api("GET", f"{base}?school_id={s.schools[1].id}")
    assert named.status_code == 200 and named.json()["total"] == 3
    assert (await client.api("GET", f"{base}/{pupil.id}/options")).status_code == 200
    put = await client.api("PUT", f"{base}/{pupil.id}", json={"placements": []})
    assert put.status_code == 403

    await client.sign_in(s.employer_users[0])
    assert (await client.api("GET", f"{base}/{pupil.id}")).status_code == 403


def _csv(*rows: str) -> bytes:
    return ("reference,choice 1,choice 2,open_to_other\n" + "\n".join(rows) + "\n").encode()


async def test_school_staff_upload_choices_all_or_nothing(client, db, scenario):
    s = await scenario()
    first, second = (preferences.placement_code(p.id) for p in s.placements)
    a, b, _ = s.pupils[0]
    theirs = s.pupils[1][0]
    path = f"/api/rounds/{s.round.id}/choices/upload"
    await client.sign_in(s.school_staff[0])

    bad = _csv(
        f"{a.reference},{first},{first},yes", f"{theirs.reference},{first},,no", f"{b.reference},,,maybe"
    )
    refused = await client.api("POST", path, files={"file": ("choices.csv", bad, "text/csv")})
    assert refused.status_code == 422, refused.text
    assert refused.json()["saved"] is False and refused.json()["rows"] == 3
    assert [(p["row"], p["column"]) for p in refused.json()["problems"]] == [
        (2, "choice 2"),
        (3, "reference"),
        (4, "open_to_other"),
    ]
    assert await _count(db, Preference) == 0

    not_csv = await client.api("POST", path, files={"file": ("choices.csv", b"\xff\xfe\x00", "text/csv")})
    assert not_csv.status_code == 409 and "not UTF-8" in not_csv.json()["detail"]

    good = _csv(f"{a.reference},{second},{first},no", f"{b.reference},,,yes")
    saved = await client.api("POST", path, files={"file": ("choices.csv", good, "text/csv")})
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"rows": 2, "saved": True, "problems": []}
    await db.commit()
    ranked = list(
        await db.scalars(
            select(Preference.placement_id).where(Preference.pupil_id == a.id).order_by(Preference.rank)
        )
    )
    assert ranked == [s.placements[1].id, s.placements[0].id]
    assert await _count(db, ChoiceEntry) == 2

    await client.sign_in(s.coordinator)
    assert (await client.api("POST", path, files={"file": ("c.csv", good, "text/csv")})).status_code == 403


async def _enter_choices(db, s) -> None:
    """Every pupil of the first school chooses the first placement, then the second."""
    for pupil in s.pupils[0]:
        await preferences.save_choices(
            db,
            round_=s.round,
            pupil=pupil,
            placement_ids=[p.id for p in s.placements],
            open_to_other=False,
            actor=s.school_staff[0],
            ip_address=None,
        )
    await db.commit()


async def test_runs_start_finish_and_give_back_their_exact_files(client, db, scenario):
    s = await scenario()
    await _enter_choices(db, s)
    await client.sign_in(s.coordinator)
    rounds_path = f"/api/rounds/{s.round.id}"

    too_early = await client.api("POST", f"{rounds_path}/runs", json={})
    assert too_early.status_code == 409 and "once preferences are closed" in too_early.json()["detail"]
    closed = await client.api("POST", f"{rounds_path}/advance", json={"to": "preferences_closed"})
    assert closed.status_code == 200, closed.text

    stable_cap = await client.api("POST", f"{rounds_path}/runs", json={"mode": "stable", "max_per_school": 1})
    assert_refused(stable_cap, "stable mode", field="max_per_school")
    started = await client.api("POST", f"{rounds_path}/runs", json={"seed": 7, "priority_weight": 2})
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["status"] == "queued" and run["number"] == 1 and run["policy"]["seed"] == 7
    no_file = await client.api("GET", f"/api/runs/{run['id']}/instance")
    assert no_file.status_code == 409 and no_file.json()["detail"] == "This run has no instance file yet"
    await run_queued_jobs()

    done = (await client.api("GET", f"/api/runs/{run['id']}")).json()
    assert done["status"] == "done" and done["progress"] == 100, done
    assert done["figures"]["pupils"] == 3 and done["figures"]["assigned"] == 3
    assert done["solver"] and done["published_at"] is None
    assert [r["id"] for r in (await client.api("GET", f"{rounds_path}/runs")).json()] == [run["id"]]

    instance = await client.api("GET", f"/api/runs/{run['id']}/instance")
    result = await client.api("GET", f"/api/runs/{run['id']}/result")
    assert instance.status_code == result.status_code == 200
    assert instance.headers["content-type"].startswith("application/json")
    rows = (await db.execute(select(MatchRun.instance, MatchRun.result).where(MatchRun.number == 1))).one()
    assert instance.content == rows.instance and result.content == rows.result
    assert hashlib.sha256(result.content).hexdigest() == done["result_sha256"]
    assert result_to_json(solve_bytes(instance.content)) == result.content
    downloads = list(
        await db.scalars(
            select(AuditEntry).where(AuditEntry.action == "run_file_downloaded").order_by(AuditEntry.at)
        )
    )
    assert [entry.detail["file"] for entry in downloads] == ["instance", "result"]

    pupils = (await client.api("GET", f"/api/runs/{run['id']}/pupils?limit=2")).json()
    assert pupils["total"] == 3 and len(pupils["items"]) == 2
    assert {p["placement_id"] for p in pupils["items"]} <= {str(p.id) for p in s.placements}


async def test_compare_adjust_and_publish(client, db, scenario):
    s = await scenario(stage=Stage.PREFERENCES_OPEN)
    await _enter_choices(db, s)
    await client.sign_in(s.coordinator)
    base = f"/api/rounds/{s.round.id}"
    await client.api("POST", f"{base}/advance", json={"to": "preferences_closed"})
    first, second = s.placements

    one = (await client.api("POST", f"{base}/runs", json={"seed": 1})).json()
    await run_queued_jobs()
    results = (await client.api("GET", f"/api/runs/{one['id']}/pupils")).json()["items"]
    # The pupil run 1 gives the first placement is pinned to the second, so run 2 differs for them.
    pinned = next(p for p in results if p["placement_id"] == str(first.id))
    pin = {
        "pupil": pinned["pupil_id"],
        "placement": str(second.id),
        "kind": "pin",
        "reason": "Sibling works there",
    }
    added = await client.api("POST", f"{base}/adjustments", json=pin)
    assert added.status_code == 201, added.text
    assert added.json()["kind"] == "pin" and added.json()["placement_title"] == second.title
    again = await client.api("POST", f"{base}/adjustments", json=pin)
    assert again.status_code == 409 and "already have a pin or a forbid" in again.json()["detail"]
    forbid = {**pin, "placement": str(first.id), "kind": "forbid", "reason": "Too far"}
    forbidden = await client.api("POST", f"{base}/adjustments", json=forbid)
    assert forbidden.status_code == 201
    not_in_round = await client.api(
        "POST", f"{base}/adjustments", json={**pin, "pupil": str(s.pupils[1][0].id)}
    )
    assert not_in_round.status_code == 404
    await db.commit()  # end this session's read before it writes
    elsewhere = await make_placement(db, s.employers[0].id, (await make_round(db)).id)
    other_placement = await client.api(
        "POST", f"{base}/adjustments", json={**pin, "placement": str(elsewhere.id)}
    )
    assert other_placement.status_code == 404
    listed = (await client.api("GET", f"{base}/adjustments")).json()
    assert [a["kind"] for a in listed] == ["pin", "forbid"]
    removed = await client.api("DELETE", f"{base}/adjustments/{forbidden.json()['id']}")
    assert removed.status_code == 204
    assert await _count(db, Adjustment) == 1

    two = (await client.api("POST", f"{base}/runs", json={"seed": 2})).json()
    await run_queued_jobs()
    compared = await client.api("GET", f"{base}/compare?run={one['id']}&run={two['id']}")
    assert compared.status_code == 200, compared.text
    body = compared.json()
    assert [r["number"] for r in body["runs"]] == [1, 2]
    assert all(r["figures"]["assigned"] == 3 for r in body["runs"])
    for line in body["differing_pupils"]:
        assert len(line["results"]) == 2
        assert line["results"][0]["placement_id"] != line["results"][1]["placement_id"]
    pinned_line = next(line for line in body["differing_pupils"] if line["pupil_id"] == pinned["pupil_id"])
    assert pinned_line["results"][1]["placement_id"] == str(second.id)

    # A run of another round is not found through this round.
    await db.commit()
    other_round = await make_round(db, stage=Stage.PREFERENCES_CLOSED)
    foreign = MatchRun(round_id=other_round.id, number=1, status=RunStatus.DONE, policy={}, summary={})
    db.add(foreign)
    await db.commit()
    assert (await client.api("GET", f"{base}/compare?run={one['id']}&run={foreign.id}")).status_code == 404

    early = await client.api("POST", f"/api/runs/{two['id']}/publish")
    assert early.status_code == 409 and "only while the round is matched" in early.json()["detail"]
    await client.api("POST", f"{base}/advance", json={"to": "matched"})
    published = await client.api("POST", f"/api/runs/{two['id']}/publish")
    assert published.status_code == 200, published.text
    assert published.json()["outcomes"] == 3 and published.json()["run"]["published_at"]
    await run_queued_jobs()
    assert (await client.api("GET", f"/api/rounds/{s.round.id}")).json()["stage"] == "published"
    twice = await client.api("POST", f"/api/runs/{two['id']}/publish")
    assert twice.status_code == 409 and twice.json()["detail"] == "This run is already published"
    assert (await client.api("POST", f"{base}/adjustments", json=pin)).status_code == 409


async def test_runs_are_for_coordinators_only(client, db, scenario):
    s = await scenario(stage=Stage.PREFERENCES_CLOSED)
    run = MatchRun(round_id=s.round.id, number=1, status=RunStatus.DONE, policy={}, summary={})
    db.add(run)
    await db.commit()
    for user in (s.school_staff[0], s.employer_users[0]):
        await client.sign_in(user)
        for path in ("", "/instance", "/result", "/pupils"):
            assert (await client.api("GET", f"/api/runs/{run.id}{path}")).status_code == 403
        assert (await client.api("POST", f"/api/runs/{run.id}/publish")).status_code == 403
        assert (await client.api("POST", f"/api/rounds/{s.round.id}/runs", json={})).status_code == 403
        compared = await client.api("GET", f"/api/rounds/{s.round.id}/compare?run={run.id}")
        assert compared.status_code == 403
    assert await _count(db, MatchRun) == 1
