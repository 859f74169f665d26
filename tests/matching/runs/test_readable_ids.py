"""People read names, not database ids: the solver's explanations name placements by id, the pages by
label."""

from __future__ import annotations

from sqlalchemy import select

from matching.models import Outcome
from matching.rounds import services as rounds
from programme.models import Stage
from tests.matching.pages_support import finished_run
from tests.matching.published import enter


async def _forbidden_run(client, db, s):
    """A run in which the only pupil with choices is forbidden their only choice: the solver says why
    they are unplaced, naming the placement by its id."""
    pupil, placement = s.pupils[0][0], s.placements[0]
    await enter(db, s, {pupil: [placement]})
    await rounds.advance(
        db, round_=s.round, to=Stage.PREFERENCES_CLOSED, actor=s.coordinator, ip_address=None
    )
    await db.commit()
    await client.sign_in(s.coordinator)
    forbid = {"kind": "forbid", "placement_id": str(placement.id), "reason": "Exams that week"}
    await client.submit(f"/rounds/{s.round.id}/adjustments/new?pupil={pupil.id}", forbid)
    return pupil, placement, await finished_run(client, s)


async def test_explanations_name_placements_not_ids(client, db, scenario):
    s = await scenario(pupils_per_school=1)
    pupil, placement, path = await _forbidden_run(client, db, s)

    page = (await client.page(f"{path}/pupils")).text
    result = page.split(pupil.reference)[1].split("</tr>")[0].split("</td>")[2]
    assert f"{s.employers[0].name} — {placement.title}" in result and "forbidden" in result
    assert str(placement.id) not in result


async def test_published_explanations_name_placements_not_ids(client, db, scenario):
    s = await scenario(pupils_per_school=1)
    pupil, placement, path = await _forbidden_run(client, db, s)
    await rounds.advance(db, round_=s.round, to=Stage.MATCHED, actor=s.coordinator, ip_address=None)
    await db.commit()
    assert (await client.submit(f"{path}/publish", {})).status_code == 303
    outcome = await db.scalar(select(Outcome).where(Outcome.pupil_id == pupil.id))
    assert str(placement.id) in outcome.explanation  # as the solver wrote it

    for page in ("/outcomes", f"/outcomes/{outcome.id}"):
        text = (await client.page(page)).text
        assert f"{s.employers[0].name} — {placement.title}" in text, page
        assert str(placement.id) not in text, page
