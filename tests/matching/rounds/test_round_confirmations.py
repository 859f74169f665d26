"""Moving the round on is confirmed on a page that says how many people the step affects."""

from __future__ import annotations

from datetime import timedelta

from matching.models import Reply
from matching.rounds import services as rounds
from placements.clock import today
from programme.models import Stage
from tests.matching.published import enter, publish_choices


async def _confirmation(client, s) -> str:
    await client.sign_in(s.coordinator)
    page = await client.page(f"/rounds/{s.round.id}/advance")
    assert page.status_code == 200
    return page.text


async def test_closing_preferences_early_says_who_has_not_chosen(client, db, scenario):
    s = await scenario(pupils_per_school=3)
    s.round.preferences_close_on = today() + timedelta(days=10)
    await enter(db, s, {s.pupils[0][0]: [s.placements[0]], s.pupils[1][0]: [s.placements[1]]})
    await db.commit()

    text = await _confirmation(client, s)
    assert "Move the round to preferences closed?" in text
    assert "this closes them 10 days early" in text
    assert "2 pupils have choices entered, which can no longer be changed." in text
    assert "4 pupils have not chosen yet and will take no part in matching." in text


async def test_closing_preferences_on_time_does_not_call_it_early(client, db, scenario):
    s = await scenario(pupils_per_school=1)
    await enter(db, s, {s.pupils[0][0]: [s.placements[0]]})
    s.round.preferences_close_on = today() - timedelta(days=1)
    await db.commit()

    text = await _confirmation(client, s)
    assert "early" not in text
    assert "1 pupil has not chosen yet" in text


async def test_closing_the_round_says_how_many_offers_lapse(client, db, scenario):
    s = await scenario(pupils_per_school=2)
    first, second = s.pupils[0]
    outcomes = await publish_choices(db, s, {first: [s.placements[0]], second: [s.placements[1]]})
    text = await _confirmation(client, s)
    assert "2 offers are still waiting for an answer and can still be answered." in text
    assert "0 unplaced pupils can be matched again" in text

    await db.commit()  # a fresh transaction, after the page's
    outcomes[second.id].school_reply = Reply.NO
    await rounds.advance(db, round_=s.round, to=Stage.REALLOCATION, actor=s.coordinator, ip_address=None)
    await db.commit()
    text = await _confirmation(client, s)
    assert "1 offer is unanswered and will lapse" in text


async def test_opening_preferences_says_what_schools_see(client, db, scenario):
    s = await scenario(stage=Stage.OPEN_FOR_PLACEMENTS, pupils_per_school=2)
    text = await _confirmation(client, s)
    assert "2 placements are shown to schools." in text
    assert "4 pupils with a parent&#39;s consent can be given choices." in text
