"""The round's services end to end, without the web: choices, a run, publication, offers, reallocation."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from matching.choices import services as preferences
from matching.errors import MatchingError
from matching.models import MatchRun, Outcome, RunKind, RunStatus
from matching.offers import services as offers
from matching.policy import RunPolicy
from matching.rounds import services as rounds
from matching.runs import publication
from matching.runs import services as runs
from matching.runs.verify import verify_run
from matching.solver import load_instance
from placements.clock import today
from placements.jobs.schedule import start_daily_job
from placements.notifications.models import OutboxMessage
from programme.models import Stage
from schools.services import withdraw_consent
from schools.subject_access import subject_access_export
from tests.matching.published import matched_run
from tests.support import run_queued_jobs


async def _run(db, round_, actor, policy=RunPolicy()):
    run = await runs.start_run(db, round_=round_, policy=policy, actor=actor, ip_address=None)
    await db.commit()
    await run_queued_jobs()
    await db.refresh(run)
    return run


async def test_a_round_from_choices_to_reallocation(client, db, scenario):
    s = await scenario(capacities=(1, 2, 2))
    first, second, third = s.placements
    coordinator = s.coordinator
    staff = s.school_staff[0]
    a, b, c = s.pupils[0]
    await preferences.save_choices(
        db,
        round_=s.round,
        pupil=a,
        placement_ids=[first.id, second.id],
        open_to_other=True,
        actor=staff,
        ip_address=None,
    )
    await preferences.save_choices(
        db,
        round_=s.round,
        pupil=b,
        placement_ids=[first.id],
        open_to_other=True,
        actor=staff,
        ip_address=None,
    )
    await preferences.save_choices(
        db,
        round_=s.round,
        pupil=c,
        placement_ids=[first.id],
        open_to_other=False,
        actor=staff,
        ip_address=None,
    )
    await rounds.advance(db, round_=s.round, to=Stage.PREFERENCES_CLOSED, actor=coordinator, ip_address=None)
    await db.commit()

    run = await _run(db, s.round, coordinator)
    assert run.status is RunStatus.DONE, run.error
    assert run.in_progress_key is None
    loaded = await runs.run_files(db, run.id)
    instance = load_instance(loaded.instance)
    assert instance.n_pupils == 3 and instance.n_placements == 3
    assert json.loads(loaded.result)["metrics"]["assigned"] == 3
    assert run.summary["assigned"] == 3
    assert (await verify_run(db, run.id)).reproduces

    with pytest.raises(MatchingError, match="only while the round is matched"):
        await publication.publish_run(db, run=run, actor=coordinator, ip_address=None)
    await rounds.advance(db, round_=s.round, to=Stage.MATCHED, actor=coordinator, ip_address=None)
    assert await publication.publish_run(db, run=run, actor=coordinator, ip_address=None) == 3
    await db.commit()
    await run_queued_jobs()  # the emails, before this session writes again
    assert s.round.stage is Stage.PUBLISHED
    placed = {o.pupil_id: o for o in await db.scalars(select(Outcome).where(Outcome.current.is_(True)))}
    # c can only go to the first placement, so a takes its second choice.
    assert placed[a.id].placement_id == second.id and placed[c.id].placement_id == first.id

    # The employer of a's placement declines: the place is freed and a is forbidden there.
    a_offer = placed[a.id]
    employer_user = s.employer_users[s.placements.index(second)]
    await offers.answer(
        db, outcome=a_offer, yes=False, reason="Supervisor away", actor=employer_user, ip_address=None
    )
    assert not a_offer.holds_place
    await db.commit()
    await run_queued_jobs()
    await rounds.advance(db, round_=s.round, to=Stage.REALLOCATION, actor=coordinator, ip_address=None)
    await db.commit()
    again = await _run(db, s.round, coordinator)
    assert again.kind is RunKind.REALLOCATION and again.status is RunStatus.DONE, again.error
    inst = json.loads((await runs.run_files(db, again.id)).instance)
    assert {"pupil": str(a.id), "placement": str(second.id)} in inst["forbidden"]
    assert len(inst["fixed"]) == 2
    changed = await publication.publish_run(db, run=again, actor=coordinator, ip_address=None)
    await db.commit()
    assert changed == 1
    history = list(
        await db.scalars(select(Outcome).where(Outcome.pupil_id == a.id).order_by(Outcome.created_at))
    )
    assert [(o.current, o.placement_id) for o in history] == [(False, second.id), (True, third.id)]


async def test_two_starts_at_once_give_one_run(client, db, scenario):
    s = await scenario(stage=Stage.PREFERENCES_CLOSED)
    first = await runs.start_run(db, round_=s.round, policy=RunPolicy(), actor=s.coordinator, ip_address=None)
    second = await runs.start_run(
        db, round_=s.round, policy=RunPolicy(seed=3), actor=s.coordinator, ip_address=None
    )
    await db.commit()
    assert first.id == second.id
    assert len(list(await db.scalars(select(MatchRun)))) == 1


async def _matched(db, s):
    """Every pupil of the first school chose the first placement; one run finished; the round matched."""
    return await matched_run(db, s, {pupil: [s.placements[0]] for pupil in s.pupils[0]}, open_to_other=True)


async def test_publication_is_all_or_nothing(client, db, scenario, monkeypatch):
    s = await scenario()
    run = await _matched(db, s)

    async def mail_down(*_args, **_kwargs):
        raise ConnectionError("outbox unavailable")

    monkeypatch.setattr(publication, "_tell_schools_and_employers", mail_down)
    with pytest.raises(ConnectionError):
        await publication.publish_run(db, run=run, actor=s.coordinator, ip_address=None)
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(Outcome)) == 0
    await db.refresh(s.round)
    await db.refresh(run)
    assert s.round.stage is Stage.MATCHED and run.published_at is None


async def test_a_run_is_not_published_once_a_pupil_in_it_lost_consent(client, db, scenario):
    s = await scenario()
    run = await _matched(db, s)
    await withdraw_consent(
        db, pupil=s.pupils[0][0], withdrawn_on=today(), actor=s.school_staff[0], ip_address=None
    )
    await db.commit()
    with pytest.raises(MatchingError, match="1 pupil of this run no longer has a parent's consent"):
        await publication.publish_run(db, run=run, actor=s.coordinator, ip_address=None)


async def test_offers_are_answered_once_before_the_deadline_and_reminded_once(client, db, scenario):
    s = await scenario(capacities=(3, 1))
    run = await _matched(db, s)
    await publication.publish_run(db, run=run, actor=s.coordinator, ip_address=None)
    await db.commit()
    await run_queued_jobs()
    offer = await db.scalar(select(Outcome).where(Outcome.pupil_id == s.pupils[0][0].id))
    school, employer = s.school_staff[0], s.employer_users[0]
    assert offer.placement_id == s.placements[0].id
    assert offer.respond_by == today() + timedelta(days=s.round.respond_within_days)

    with pytest.raises(MatchingError, match="Say why"):
        await offers.answer(db, outcome=offer, yes=False, reason=" ", actor=school, ip_address=None)
    await offers.answer(db, outcome=offer, yes=True, reason=None, actor=school, ip_address=None)
    with pytest.raises(MatchingError, match="already answered"):
        await offers.answer(
            db, outcome=offer, yes=False, reason="Changed mind", actor=school, ip_address=None
        )
    with pytest.raises(MatchingError, match="Only the school or the employer"):
        await offers.answer(db, outcome=offer, yes=True, reason=None, actor=s.coordinator, ip_address=None)
    await db.commit()
    before = await db.scalar(select(func.count()).select_from(OutboxMessage))

    async def remind() -> None:
        await start_daily_job(db, "offer_reminders")
        await db.commit()
        await run_queued_jobs()

    with time_machine.travel(offer.respond_by - timedelta(days=5), tick=False):
        await remind()  # too early
    with time_machine.travel(offer.respond_by - timedelta(days=2), tick=False):
        await remind()
        await remind()  # the same day again: nothing more
    await db.commit()
    reminders = list(
        await db.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("Please answer%")))
    )
    # The school answered for this pupil; its other two pupils' offers wait on both sides.
    waiting_on = {m.to_address for m in reminders}
    assert waiting_on == {employer.email, school.email}
    assert await db.scalar(select(func.count()).select_from(OutboxMessage)) == before + len(reminders)
    await db.refresh(offer)
    late = time_machine.travel(offer.respond_by + timedelta(days=1), tick=False)
    with late, pytest.raises(MatchingError, match="The deadline to answer was"):
        await offers.answer(db, outcome=offer, yes=True, reason=None, actor=employer, ip_address=None)


async def test_a_pupils_subject_access_export_holds_their_choices_and_outcomes(client, db, scenario):
    s = await scenario()
    run = await _matched(db, s)
    await publication.publish_run(db, run=run, actor=s.coordinator, ip_address=None)
    await db.commit()
    await run_queued_jobs()
    pupil = s.pupils[0][0]
    export = await subject_access_export(db, pupil=pupil, actor=s.coordinator, ip_address=None)
    assert export["choices"] == [{"round": s.round.name, "rank": 1, "placement": s.placements[0].title}]
    [outcome] = export["outcomes"]
    assert outcome["round"] == s.round.name and outcome["current"] is True
    assert outcome["explanation"] and outcome["status"] in ("Waiting for answers", "Unplaced")
