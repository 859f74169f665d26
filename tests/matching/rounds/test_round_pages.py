"""The coordinator's round pages: creating and changing a round, its calendar step by step, and the
pins and forbids that runs keep."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select

from matching.models import Adjustment, AdjustmentKind
from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from programme.models import Round, Stage
from tests.matching.pages_support import close_preferences, enter_choices
from tests.support import make_round, make_user

GOOD_ROUND = {
    "name": "Work placements, summer 2031",
    "programme_year": "2031",
    "weeks": "2031-W25, 2031-w26\n2031-W27",
    "target": "500",
    "max_choices": "5",
    "respond_within_days": "14",
    "preferences_open_on-day": "12",
    "preferences_open_on-month": "1",
    "preferences_open_on-year": "2031",
    "preferences_close_on-day": "28",
    "preferences_close_on-month": "2",
    "preferences_close_on-year": "2031",
}


async def _audit(db, action):
    await db.commit()
    return list(
        await db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.at))
    )


async def _rounds(db):
    await db.commit()
    return await db.scalar(select(func.count()).select_from(Round))


async def test_a_coordinator_creates_a_round_from_the_form(client, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    await client.sign_in(coordinator)
    listed = await client.page("/rounds")
    assert listed.status_code == 200 and 'href="/rounds/new"' in listed.text

    form = await client.page("/rounds/new")
    assert form.status_code == 200
    assert 'value="500"' in form.text and 'value="14"' in form.text

    response = await client.submit("/rounds/new", GOOD_ROUND)
    assert response.status_code == 303
    round_ = await db.scalar(select(Round))
    assert round_.name == GOOD_ROUND["name"] and round_.stage is Stage.DRAFT
    assert round_.weeks == ["2031-W25", "2031-W26", "2031-W27"]
    assert round_.preferences_open_on == date(2031, 1, 12) and round_.publish_on is None
    [entry] = await _audit(db, "round_created")
    assert entry.actor_id == coordinator.id

    overview = await client.page(response.headers["location"])
    assert overview.status_code == 200
    assert GOOD_ROUND["name"] in overview.text and "Draft" in overview.text
    assert "12 January 2031" in overview.text
    assert "Employers can post placements for this round." in overview.text
    assert GOOD_ROUND["name"] in (await client.page("/rounds")).text


async def test_a_round_with_bad_details_is_not_created(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    bad = {
        **GOOD_ROUND,
        "name": "",
        "programme_year": "next year",
        "weeks": "2031-W25, 2031-W54, week 3",
        "target": "-1",
        "max_choices": "11",
        "preferences_open_on-day": "31",
        "preferences_open_on-month": "2",
    }
    response = await client.submit("/rounds/new", bad)
    assert response.status_code == 400
    for message in (
        "Enter the round&#39;s name",
        "The programme year must be a whole number from 2020 to 2100",
        "Not recognised: 2031-W54, week, 3",
        "The yearly target must be a whole number from 1 to 100000",
        "The most choices per pupil must be a whole number from 1 to 10",
        "Enter a real date, like 27 3 2027",
    ):
        assert message in response.text
    assert 'value="next year"' in response.text  # what was typed is shown again

    backwards = {**GOOD_ROUND, "preferences_close_on-year": "2030"}
    response = await client.submit("/rounds/new", backwards)
    assert response.status_code == 400
    assert "Preferences must close on or after the day they open" in response.text
    assert await _rounds(db) == 0


async def test_a_round_is_changed_and_its_year_stays_unique(client, db):
    await make_round(db, programme_year=2032)
    round_ = await make_round(db, programme_year=2031, stage=Stage.DRAFT)
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    form = await client.page(f"/rounds/{round_.id}/edit")
    assert form.status_code == 200 and "2031-W25\n2031-W26" in form.text

    taken = await client.submit(f"/rounds/{round_.id}/edit", {**GOOD_ROUND, "programme_year": "2032"})
    assert taken.status_code == 400 and "There is already a round for 2032" in taken.text
    await db.refresh(round_)
    assert round_.programme_year == 2031 and round_.name != GOOD_ROUND["name"]

    saved = await client.submit(f"/rounds/{round_.id}/edit", {**GOOD_ROUND, "target": "620"})
    assert saved.status_code == 303
    await db.commit()
    await db.refresh(round_)
    assert round_.target == 620 and round_.name == GOOD_ROUND["name"]
    [entry] = await _audit(db, "round_updated")
    assert "target" in entry.detail["fields"]


async def test_each_step_asks_first_and_checks_its_preconditions(client, db, scenario):
    coordinator = await make_user(db, Role.COORDINATOR)
    empty = await make_round(db, stage=Stage.DRAFT, weeks=[], stage_dates={"draft": "2026-09-01"})
    await client.sign_in(coordinator)
    page = await client.page(f"/rounds/{empty.id}/advance")
    assert page.status_code == 200 and "Set the placement weeks first" in page.text
    refused = await client.submit(f"/rounds/{empty.id}/advance", {"to": "open_for_placements"})
    assert refused.status_code == 400 and "Set the placement weeks first" in refused.text

    no_placements = await make_round(db, stage=Stage.OPEN_FOR_PLACEMENTS)
    refused = await client.submit(f"/rounds/{no_placements.id}/advance", {"to": "preferences_open"})
    assert refused.status_code == 400 and "No approved placement can take pupils yet" in refused.text

    s = await scenario(stage=Stage.OPEN_FOR_PLACEMENTS)
    advance = f"/rounds/{s.round.id}/advance"
    confirm = await client.page(advance)
    assert "Move the round to preferences open?" in confirm.text
    assert "Schools can see the approved placements" in confirm.text
    assert 'name="to" id="to" value="preferences_open"' in confirm.text
    assert (await client.submit(advance, {"to": "preferences_open"})).status_code == 303
    # The same confirmation sent twice does not skip a stage.
    again = await client.submit(advance, {"to": "preferences_open"})
    assert again.status_code == 400 and "it cannot move to preferences open" in again.text
    await db.refresh(s.round)
    assert s.round.stage is Stage.PREFERENCES_OPEN and "preferences_open" in s.round.stage_dates
    overview = await client.page(f"/rounds/{s.round.id}")
    assert "Pupils with choices entered" in overview.text
    await db.commit()

    refused = await client.submit(advance, {"to": "preferences_closed"})
    assert refused.status_code == 400 and "No school has entered any pupil&#39;s choices yet" in refused.text
    await enter_choices(db, s)
    assert (await client.submit(advance, {"to": "preferences_closed"})).status_code == 303
    refused = await client.submit(advance, {"to": "matched"})
    assert (
        refused.status_code == 400 and "Start a matching run and wait for it to finish first" in refused.text
    )
    nonsense = await client.submit(advance, {"to": "finished"})
    assert nonsense.status_code == 400 and "Choose the stage to move the round to" in nonsense.text
    entries = await _audit(db, "round_stage_changed")
    assert [(e.detail["stage_from"], e.detail["stage_to"]) for e in entries] == [
        ("open_for_placements", "preferences_open"),
        ("preferences_open", "preferences_closed"),
    ]


async def test_publishing_is_not_a_plain_step(client, db, scenario):
    s = await scenario(stage=Stage.MATCHED)
    await client.sign_in(s.coordinator)
    page = await client.page(f"/rounds/{s.round.id}/advance")
    assert page.status_code == 200 and "Choose a run to publish" in page.text
    assert f'href="/rounds/{s.round.id}/runs"' in page.text and 'name="to"' not in page.text
    refused = await client.submit(f"/rounds/{s.round.id}/advance", {"to": "published"})
    assert refused.status_code == 400 and "Choose a run and publish it" in refused.text


async def test_pins_and_forbids_need_a_reason_and_a_pupil_of_the_round(client, db, scenario):
    s = await scenario()
    await close_preferences(db, s)
    pupil, placement = s.pupils[0][0], s.placements[0]
    await client.sign_in(s.coordinator)
    new = f"/rounds/{s.round.id}/adjustments/new?pupil={pupil.id}"
    form = await client.page(new)
    assert form.status_code == 200 and pupil.first_name in form.text and placement.title in form.text

    missing = await client.submit(new, {"kind": "pin", "placement_id": str(placement.id), "reason": " "})
    assert missing.status_code == 400 and "Say why: the reason is kept in the audit log" in missing.text
    unchosen = await client.submit(new, {"kind": "sideways", "placement_id": "", "reason": "Why not"})
    assert unchosen.status_code == 400
    assert "Choose whether to pin" in unchosen.text and "Choose a placement of this round" in unchosen.text
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(Adjustment)) == 0

    pinned = await client.submit(
        new, {"kind": "pin", "placement_id": str(placement.id), "reason": "Interviewed and offered"}
    )
    assert pinned.status_code == 303
    forbid = {"kind": "forbid", "placement_id": str(s.placements[1].id), "reason": "Too far to travel"}
    assert (await client.submit(new, forbid)).status_code == 303
    listed = await client.page(f"/rounds/{s.round.id}/adjustments")
    assert "Interviewed and offered" in listed.text and "Too far to travel" in listed.text
    assert "Pinned" in listed.text and "Forbidden" in listed.text
    [entry] = await _audit(db, "pair_pinned")
    assert entry.record_id == str(pupil.id) and entry.detail["reason"] == "Interviewed and offered"

    twice = await client.submit(new, {**forbid, "reason": "Again"})
    assert twice.status_code == 400 and "already have a pin or a forbid" in twice.text

    pin = await db.scalar(select(Adjustment).where(Adjustment.kind == AdjustmentKind.PIN))
    remove = f"/rounds/{s.round.id}/adjustments/{pin.id}/remove"
    confirm = await client.page(remove)
    assert confirm.status_code == 200 and "Remove the pin of" in confirm.text
    assert (await client.submit(remove, {})).status_code == 303
    await db.commit()
    assert [a.kind for a in await db.scalars(select(Adjustment))] == [AdjustmentKind.FORBID]
    assert len(await _audit(db, "adjustment_removed")) == 1


async def test_ids_of_another_round_or_none_are_not_found(client, db, scenario):
    s = await scenario()
    await close_preferences(db, s)
    other = await make_round(db, stage=Stage.PREFERENCES_CLOSED)
    adjustment = Adjustment(
        round_id=s.round.id,
        pupil_id=s.pupils[0][0].id,
        placement_id=s.placements[0].id,
        kind=AdjustmentKind.FORBID,
        reason="Test",
    )
    db.add(adjustment)
    await db.commit()
    outsider = s.pupils[1][0]
    await client.sign_in(s.coordinator)
    unknown = uuid.uuid4()
    for path in (
        f"/rounds/{unknown}",
        f"/rounds/{unknown}/edit",
        f"/rounds/{unknown}/advance",
        f"/rounds/{unknown}/runs",
        f"/rounds/{other.id}/adjustments/{adjustment.id}/remove",
        f"/rounds/{other.id}/adjustments/new?pupil={outsider.id}",
        f"/rounds/{s.round.id}/adjustments/new?pupil={unknown}",
    ):
        assert (await client.page(path)).status_code == 404, path
    removed = await client.submit(f"/rounds/{other.id}/adjustments/{adjustment.id}/remove", {})
    assert removed.status_code == 404
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(Adjustment)) == 1


async def test_only_coordinators_use_the_round_pages(client, db, scenario):
    s = await scenario()
    pupil = s.pupils[0][0]
    for user in (s.school_staff[0], s.employer_users[0]):
        await client.sign_in(user)
        for path in (
            "/rounds",
            "/rounds/new",
            f"/rounds/{s.round.id}",
            f"/rounds/{s.round.id}/edit",
            f"/rounds/{s.round.id}/advance",
            f"/rounds/{s.round.id}/adjustments",
            f"/rounds/{s.round.id}/adjustments/new?pupil={pupil.id}",
        ):
            assert (await client.page(path)).status_code == 403, path
        assert (await client.submit("/rounds/new", GOOD_ROUND)).status_code == 403
        refused = await client.submit(f"/rounds/{s.round.id}/advance", {"to": "preferences_closed"})
        assert refused.status_code == 403
        await client.post("/sign-out", data={"_csrf_token": await client.csrf_token()})
    assert await _rounds(db) == 1
