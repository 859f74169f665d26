"""Pupils choose for themselves: the school gives codes, a pupil signs in with a code and their date
of birth, finds, shortlists and ranks placements, and the advisor locks them; every refusal."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from employers.models import WorkMode
from families import pupil_services
from matching.models import ChoiceEntry, Preference
from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.clock import today
from placements.notifications.models import OutboxMessage
from programme.models import Stage
from tests.support import (
    born,
    make_compliance,
    make_consent,
    make_employer,
    make_placement,
    make_pupil,
    make_round,
    make_user,
    second_browser,
)

CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}")


@pytest.fixture
async def school_round(db):
    """An open round with three placements (one remote, one far away), a school, its staff and two
    consenting pupils."""
    round_ = await make_round(
        db, stage=Stage.PREFERENCES_OPEN, max_choices=2, preferences_close_on=today() + timedelta(days=10)
    )
    employer = await make_employer(db)
    await make_compliance(db, employer.id)
    near = await make_placement(db, employer.id, round_.id, title="Web team helper")
    remote = await make_placement(
        db, employer.id, round_.id, title="Data detective", work_mode=WorkMode.REMOTE
    )
    far = await make_placement(
        db, employer.id, round_.id, title="Cyber lab", lat=54.9, lon=-1.6, pathway="cyber"
    )
    staff = await make_user(db, Role.SCHOOL_STAFF)
    pupils = [await make_pupil(db, staff.school_id) for _ in range(2)]
    for pupil in pupils:
        await make_consent(db, pupil.id)
    return round_, (near, remote, far), staff, pupils


async def _codes(client, staff) -> list[str]:
    await client.sign_in(staff)
    assert "Give codes to pupils without one (2)" in (await client.page("/pupil-codes")).text
    listed = await client.submit("/pupil-codes/issue", {})
    assert listed.status_code == 200
    return CODE.findall(listed.text)


async def test_a_pupil_signs_in_finds_shortlists_and_ranks_placements(client, app, db, school_round):
    _, (near, remote, far), staff, pupils = school_round
    codes = await _codes(client, staff)
    assert len(codes) == 2
    pupil = pupils[0]
    async with second_browser(app) as phone:
        assert (await phone.page("/pupil")).headers["location"] == "/pupil/sign-in"
        signed_in = await phone.submit("/pupil/sign-in", {"code": codes[0].lower(), **born(pupil)})
        assert signed_in.status_code == 303, signed_in.text
        home = await phone.page("/pupil")
        assert pupil.first_name in home.text and "You have not chosen any placements yet" in home.text

        browse = await phone.page("/pupil/placements")
        assert all(title in browse.text for title in ("Web team helper", "Data detective", "Cyber lab"))
        nearby = await phone.page("/pupil/placements?within=10")
        assert "Web team helper" in nearby.text and "Data detective" in nearby.text
        assert "Cyber lab" not in nearby.text
        remote_only = await phone.page("/pupil/placements?where=remote")
        assert "Data detective" in remote_only.text and "Web team helper" not in remote_only.text
        detail = await phone.page(f"/pupil/placements/{near.id}")
        assert "Help the team build and test a website." in detail.text

        for placement in (near, remote):
            added = await phone.submit("/pupil/choices", {"action": "add", "placement_id": str(placement.id)})
            assert added.status_code == 303
        too_many = await phone.submit("/pupil/choices", {"action": "add", "placement_id": str(far.id)})
        assert too_many.status_code == 303
        assert "at most 2 placements" in (await phone.page("/pupil")).text
        await phone.submit("/pupil/choices", {"action": "up", "placement_id": str(remote.id)})
        await phone.submit("/pupil/choices", {"action": "open_to_other", "open": "yes"})

    await db.commit()
    ranked = list(
        await db.scalars(
            select(Preference.placement_id).where(Preference.pupil_id == pupil.id).order_by(Preference.rank)
        )
    )
    assert ranked == [remote.id, near.id]
    entry = await db.scalar(select(ChoiceEntry).where(ChoiceEntry.pupil_id == pupil.id))
    assert entry.open_to_other is True and entry.entered_by_id is None
    labels = set(await db.scalars(select(AuditEntry.actor_label).where(AuditEntry.action == "choices_saved")))
    assert labels == {"pupil (sign-in code)"}
    viewed = list(await db.scalars(select(AuditEntry.detail).where(AuditEntry.action == "pupil_page_viewed")))
    assert {"/pupil", "/pupil/placements", f"/pupil/placements/{near.id}"} <= {d["path"] for d in viewed}
    # The school sees (and may change) what the pupil chose.
    assert "Data detective" in (await client.page(f"/choices/{pupil.id}")).text


async def test_a_locked_pupil_cannot_change_choices_and_closed_rounds_refuse(client, app, db, school_round):
    round_, (near, *_), staff, pupils = school_round
    codes = await _codes(client, staff)
    pupil = pupils[0]
    locked = await client.submit(f"/pupil-codes/{pupil.id}/lock", {})
    assert locked.status_code == 303
    async with second_browser(app) as phone:
        await phone.submit("/pupil/sign-in", {"code": codes[0], **born(pupil)})
        assert "locked your choices" in (await phone.page("/pupil")).text
        await phone.submit("/pupil/choices", {"action": "add", "placement_id": str(near.id)})
        await client.submit(f"/pupil-codes/{pupil.id}/unlock", {})
        round_.preferences_close_on = today() - timedelta(days=1)
        await db.commit()
        home = await phone.page("/pupil")
        assert "Preferences closed on" in home.text and "Find placements" not in home.text
    await db.commit()
    assert await db.scalar(select(Preference).where(Preference.pupil_id == pupil.id)) is None


async def test_wrong_dates_of_birth_lock_a_code_and_other_pupils_codes_do_not_work(
    client, app, db, school_round
):
    _, _, staff, pupils = school_round
    codes = await _codes(client, staff)
    async with second_browser(app) as phone:
        wrong = await phone.submit(
            "/pupil/sign-in", {"code": codes[0], **born(pupils[1]) | {"born-year": "2000"}}
        )
        assert wrong.status_code == 400 and "You can try 4 more times" in wrong.text
        for _ in range(4):
            last = await phone.submit(
                "/pupil/sign-in", {"code": codes[0], "born-day": "1", "born-month": "1", "born-year": "2001"}
            )
        assert "locked" in last.text
        refused = await phone.submit("/pupil/sign-in", {"code": codes[0], **born(pupils[0])})
        assert refused.status_code == 400
        unknown = await phone.submit("/pupil/sign-in", {"code": "AAAA-BBBB-CC", **born(pupils[0])})
        assert "We do not recognise this code" in unknown.text
        assert (await phone.page("/pupil")).status_code == 303
    assert "Locked after wrong dates of birth" in (await client.page("/pupil-codes")).text


async def test_a_new_or_stopped_code_ends_the_pupils_session(client, app, db, school_round):
    _, _, staff, pupils = school_round
    codes = await _codes(client, staff)
    async with second_browser(app) as phone:
        await phone.submit("/pupil/sign-in", {"code": codes[0], **born(pupils[0])})
        assert (await phone.page("/pupil")).status_code == 200
        renewed = await client.submit(f"/pupil-codes/{pupils[0].id}/new", {})
        assert len(CODE.findall(renewed.text)) == 1
        assert (await phone.page("/pupil")).status_code == 303
        old = await phone.submit("/pupil/sign-in", {"code": codes[0], **born(pupils[0])})
        assert "replaced by a newer one" in old.text
        assert (await client.submit(f"/pupil-codes/{pupils[0].id}/revoke", {})).status_code == 303


async def test_a_pupil_sees_only_placements_open_to_them_and_only_their_own_choices(
    client, app, db, school_round
):
    _, _, staff, pupils = school_round
    other_round_placement = await make_placement(
        db, (await make_employer(db)).id, (await make_round(db, stage=Stage.CLOSED)).id
    )
    codes = await _codes(client, staff)
    async with second_browser(app) as phone:
        await phone.submit("/pupil/sign-in", {"code": codes[1], **born(pupils[1])})
        assert (await phone.page(f"/pupil/placements/{other_round_placement.id}")).status_code == 404
        sneaky = await phone.submit(
            "/pupil/choices", {"action": "add", "placement_id": str(other_round_placement.id)}
        )
        assert sneaky.status_code == 303
        assert "not open to this pupil" in (await phone.page("/pupil")).text
        assert pupils[0].first_name not in (await phone.page("/pupil")).text


async def test_codes_need_consent_and_another_schools_pupils_are_not_found(client, db, school_round):
    _, _, staff, pupils = school_round
    without_consent = await make_pupil(db, staff.school_id)
    await client.sign_in(staff)
    refused = await client.submit(f"/pupil-codes/{without_consent.id}/new", {})
    assert refused.status_code == 303
    assert "once a parent has given consent" in (await client.page("/pupil-codes")).text
    stranger = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(stranger)
    for action in ("new", "revoke", "lock"):
        assert (await client.submit(f"/pupil-codes/{pupils[0].id}/{action}", {})).status_code == 404
    assert (await client.submit(f"/pupil-codes/{pupils[0].id}/explode", {})).status_code == 404
    assert pupils[0].reference not in (await client.page("/pupil-codes")).text


async def test_locking_choices_tells_the_pupil_on_their_page_and_the_parent_by_email(
    client, app, db, school_round
):
    round_, (near, remote, _), staff, pupils = school_round
    first, second = pupils
    first.parent_email, second.parent_email = "ash.parent@example.com", "bo.parent@example.com"
    for pupil in pupils:
        await pupil_services.save_own_choices(
            db,
            round_=round_,
            pupil=pupil,
            placement_ids=[remote.id, near.id],
            open_to_other=False,
            ip_address=None,
        )
    await db.commit()
    codes = await _codes(client, staff)
    assert (await client.submit(f"/pupil-codes/{first.id}/lock", {})).status_code == 303
    assert "Lock everyone&#39;s choices" in (await client.page("/pupil-codes/lock-all")).text
    assert (await client.submit("/pupil-codes/lock-all", {})).status_code == 303
    assert (await client.submit(f"/pupil-codes/{first.id}/lock", {})).status_code == 303  # already locked
    await db.commit()
    told = list(
        await db.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("%choices are locked")))
    )
    assert sorted(message.to_address for message in told) == [
        "ash.parent@example.com",
        "bo.parent@example.com",
    ]
    body = next(m.body for m in told if m.to_address == "ash.parent@example.com")
    assert "1. Data detective\n2. Web team helper" in body and "not open to another placement" in body
    assert second.first_name not in body
    async with second_browser(app) as phone:
        await phone.submit("/pupil/sign-in", {"code": codes[0], **born(first)})
        home = await phone.page("/pupil")
    assert f"locked your choices on {today():%-d %B}" in home.text and "Move up" not in home.text
