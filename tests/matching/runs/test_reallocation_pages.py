"""A reallocation run that would change no published offer says so, and offers nothing to publish."""

from __future__ import annotations

from matching.rounds import services as rounds
from programme.models import Stage
from tests.matching.pages_support import finished_run
from tests.matching.published import publish_choices

NOTHING = "This run changes nothing that is published"


async def test_a_reallocation_run_that_changes_nothing_is_not_offered_for_publishing(client, db, scenario):
    s = await scenario(pupils_per_school=1)
    first, second = s.pupils[0][0], s.pupils[1][0]
    await publish_choices(db, s, {first: [s.placements[0]], second: [s.placements[1]]})
    await rounds.advance(db, round_=s.round, to=Stage.REALLOCATION, actor=s.coordinator, ip_address=None)
    await db.commit()
    await client.sign_in(s.coordinator)

    path = await finished_run(client, s)
    run_page = await client.page(path)
    assert "Run 2 — fewest poor outcomes, reallocation" in run_page.text
    assert NOTHING in run_page.text
    assert "Publish this run" not in run_page.text

    runs_page = await client.page(f"/rounds/{s.round.id}/runs")
    assert "Nothing to publish: it changes no offer" in runs_page.text
    assert f'href="{path}/publish"' not in runs_page.text

    confirm = await client.page(f"{path}/publish")
    assert NOTHING in confirm.text and 'id="publish"' not in confirm.text


async def test_a_reallocation_run_that_places_someone_new_can_be_published(client, db, scenario):
    s = await scenario(pupils_per_school=1)
    first, second = s.pupils[0][0], s.pupils[1][0]
    # Both want the one place of the first placement: one of them is left unplaced.
    await publish_choices(db, s, {first: [s.placements[0]], second: [s.placements[0]]})
    await db.commit()  # a fresh transaction, after the publication's jobs
    await rounds.advance(db, round_=s.round, to=Stage.REALLOCATION, actor=s.coordinator, ip_address=None)
    s.placements[0].capacity = 2
    await db.commit()
    await client.sign_in(s.coordinator)
    await db.commit()

    path = await finished_run(client, s)
    run_page = await client.page(path)
    assert NOTHING not in run_page.text and "Publish this run" in run_page.text
    confirm = await client.page(f"{path}/publish")
    assert "This sets the outcome of 1 pupil" in confirm.text
