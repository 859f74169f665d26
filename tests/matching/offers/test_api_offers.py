"""Offers through the JSON API: each side answers once before the deadline, either may withdraw from an
agreed placement, and employers see only what hosting a pupil needs."""

from __future__ import annotations

from datetime import date, timedelta

import time_machine
from sqlalchemy import select, update

from matching.choices import services as preferences
from matching.models import Outcome
from matching.policy import RunPolicy
from matching.rounds import services as rounds
from matching.runs import publication
from matching.runs import services as runs
from placements.audit.models import AuditEntry
from programme.models import Stage
from schools.models import Consent
from tests.support import assert_refused, run_queued_jobs


async def _published(db, s) -> list[Outcome]:
    """Every pupil of both schools chooses both placements; run 1 is published. Returns the offers."""
    for school, pupils in enumerate(s.pupils):
        for pupil in pupils:
            await preferences.save_choices(
                db,
                round_=s.round,
                pupil=pupil,
                placement_ids=[p.id for p in s.placements],
                open_to_other=False,
                actor=s.school_staff[school],
                ip_address=None,
            )
    first = s.pupils[0][0]
    first.access_needs = "Uses a wheelchair"
    first.emergency_contact_name, first.emergency_contact_phone = "Sara Khan", "07700 900123"
    coordinator = s.coordinator
    await rounds.advance(db, round_=s.round, to=Stage.PREFERENCES_CLOSED, actor=coordinator, ip_address=None)
    run = await runs.start_run(db, round_=s.round, policy=RunPolicy(), actor=coordinator, ip_address=None)
    await db.commit()
    await run_queued_jobs()
    await db.commit()  # see what the requests wrote
    await db.refresh(run)
    await rounds.advance(db, round_=s.round, to=Stage.MATCHED, actor=coordinator, ip_address=None)
    await publication.publish_run(db, run=run, actor=coordinator, ip_address=None)
    await db.commit()
    await run_queued_jobs()
    return list(await db.scalars(select(Outcome).where(Outcome.current.is_(True))))


def _offer_of(offers: list[Outcome], pupil) -> Outcome:
    return next(o for o in offers if o.pupil_id == pupil.id)


def _employer_user(s, offer: Outcome):
    return s.employer_users[[p.id for p in s.placements].index(offer.placement_id)]


async def _answer(client, offer, **body):
    return await client.api("POST", f"/api/outcomes/{offer.id}/answer", json=body)


async def test_each_side_answers_once(client, db, scenario):
    s = await scenario(capacities=(3, 3))
    offers = await _published(db, s)
    offer = _offer_of(offers, s.pupils[0][0])

    await client.sign_in(s.school_staff[0])
    listed = (await client.api("GET", f"/api/outcomes?round={s.round.id}")).json()
    assert listed["total"] == 3
    assert {o["pupil_id"] for o in listed["items"]} == {str(p.id) for p in s.pupils[0]}
    assert all(o["last_name"] and o["rank"] for o in listed["items"])
    accepted = await _answer(client, offer, accept=True)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["school_reply"] == "yes" and accepted.json()["status"] == "Waiting for answers"
    again = await _answer(client, offer, accept=False, reason="Changed our mind")
    assert again.status_code == 409 and again.json()["detail"] == "Your side has already answered this offer"

    await client.sign_in(_employer_user(s, offer))
    no_reason = await _answer(client, offer, accept=False)
    assert_refused(no_reason, "Say why the offer is declined", field="reason")
    declined = await _answer(client, offer, accept=False, reason="Supervisor away")
    assert declined.status_code == 200 and declined.json()["status"] == "Declined by the employer"
    await run_queued_jobs()  # the emails to the school and coordinators

    await client.sign_in(s.school_staff[0])
    ended = await client.api("POST", f"/api/outcomes/{offer.id}/withdraw", json={"reason": "Moving away"})
    assert ended.status_code == 409 and ended.json()["detail"].startswith("This offer has ended")
    await db.commit()  # see what the requests wrote
    await db.refresh(offer)
    assert offer.school_reply.value == "yes" and offer.employer_reply.value == "no"


async def test_either_side_withdraws_from_an_agreed_placement(client, db, scenario):
    s = await scenario(capacities=(3, 3))
    offer = _offer_of(await _published(db, s), s.pupils[0][1])
    employer = _employer_user(s, offer)

    await client.sign_in(s.school_staff[0])
    early = await client.api("POST", f"/api/outcomes/{offer.id}/withdraw", json={"reason": "Moving away"})
    assert early.status_code == 409 and early.json()["detail"].startswith(
        "Only an offer your side has accepted"
    )
    assert (await _answer(client, offer, accept=True)).status_code == 200
    await client.sign_in(employer)
    agreed = await _answer(client, offer, accept=True)
    assert agreed.json()["status"] == "Agreed"

    withdrawn = await client.api(
        "POST", f"/api/outcomes/{offer.id}/withdraw", json={"reason": "Office closed"}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "Withdrawn by the employer"
    assert withdrawn.json()["reason"] == "Office closed"
    await run_queued_jobs()
    blank = await client.api("POST", f"/api/outcomes/{offer.id}/withdraw", json={"reason": ""})
    assert blank.status_code == 400


async def test_answers_are_refused_after_the_deadline(client, db, scenario):
    s = await scenario(capacities=(3, 3))
    offer = _offer_of(await _published(db, s), s.pupils[0][0])
    with time_machine.travel(offer.respond_by + timedelta(days=1), tick=False):
        await client.sign_in(s.school_staff[0])
        late = await _answer(client, offer, accept=True)
    assert late.status_code == 409 and late.json()["detail"].startswith("The deadline to answer was")
    await db.commit()  # see what the requests wrote
    await db.refresh(offer)
    assert offer.school_reply.value == "pending"


async def test_employers_see_only_what_hosting_needs(client, db, scenario):
    s = await scenario(capacities=(3, 3))
    offers = await _published(db, s)
    pupil = s.pupils[0][0]
    await db.execute(update(Consent).where(Consent.pupil_id == pupil.id).values(shared_dietary="Vegetarian"))
    await db.commit()
    offer = _offer_of(offers, pupil)
    employer = _employer_user(s, offer)
    placement = next(p for p in s.placements if p.id == offer.placement_id)

    await client.sign_in(employer)
    listed = (await client.api("GET", f"/api/outcomes?round={s.round.id}")).json()
    mine = [o for o in offers if o.placement_id == offer.placement_id]
    assert listed["total"] == len(mine)
    for item in listed["items"]:
        assert item["pupil_id"] is None and item["last_name"] is None
        assert item["rank"] is None and item["explanation"] is None
        assert item["access_needs"] is None and item["emergency_contact"] is None
    shown = (await client.api("GET", f"/api/outcomes/{offer.id}")).json()
    assert (shown["first_name"], shown["year_group"]) == (pupil.first_name, pupil.year_group)
    assert shown["school_name"] == s.schools[0].name
    assert (
        shown["access_needs"] is None and shown["shared_by_parent"] is None
    )  # not before the school accepts

    await client.sign_in(s.school_staff[0])
    assert (await _answer(client, offer, accept=True)).status_code == 200
    await client.sign_in(employer)
    agreed = (await client.api("GET", f"/api/outcomes/{offer.id}")).json()
    assert agreed["access_needs"] == "Uses a wheelchair" and agreed["emergency_contact"] is None
    assert agreed["shared_by_parent"] == "Dietary: Vegetarian"
    year, week = placement.weeks[0].split("-W")
    with time_machine.travel(date.fromisocalendar(int(year), int(week), 2), tick=False):
        await client.sign_in(employer)
        during = (await client.api("GET", f"/api/outcomes/{offer.id}")).json()
    assert during["emergency_contact"] == "Sara Khan, 07700 900123"
    await db.commit()
    viewed = list(
        await db.scalars(
            select(AuditEntry).where(AuditEntry.action == "match_viewed").order_by(AuditEntry.at)
        )
    )
    assert [entry.detail["emergency_contact"] for entry in viewed] == [False, True]


async def test_outcomes_of_others_are_not_found(client, db, scenario):
    s = await scenario(capacities=(3, 3))
    offers = await _published(db, s)
    theirs = _offer_of(offers, s.pupils[1][0])
    ours = _offer_of(offers, s.pupils[0][0])

    await client.sign_in(s.school_staff[0])
    assert (await client.api("GET", f"/api/outcomes/{theirs.id}")).status_code == 404
    assert (await _answer(client, theirs, accept=True)).status_code == 404
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await client.api("GET", f"/api/outcomes?round={missing}")).status_code == 404

    other_employer = next(u for u in s.employer_users if u is not _employer_user(s, ours))
    await client.sign_in(other_employer)
    assert (await client.api("GET", f"/api/outcomes/{ours.id}")).status_code == 404
    assert (await _answer(client, ours, accept=True)).status_code == 404

    await client.sign_in(s.coordinator)
    assert (await client.api("GET", f"/api/outcomes/{theirs.id}")).status_code == 200
    assert (await client.api("GET", f"/api/outcomes?round={s.round.id}")).json()["total"] == 6
    unplaced = await client.api("GET", f"/api/outcomes?round={s.round.id}&status=unplaced")
    assert unplaced.json()["total"] == 0
    assert (await _answer(client, ours, accept=True)).status_code == 403
    await db.commit()  # see what the requests wrote
    await db.refresh(ours)
    assert ours.school_reply.value == "pending"
