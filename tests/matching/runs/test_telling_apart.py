"""Pupils with the same name, and placements with the same title, can be told apart where the
coordinator reads or picks them."""

from __future__ import annotations

from matching.choices.services import placement_code
from tests.matching.pages_support import close_preferences, finished_run
from tests.support import make_placement


async def _alike(db, s):
    """Both schools' first pupils called Sam Smith."""
    for pupil in (s.pupils[0][0], s.pupils[1][0]):
        pupil.first_name, pupil.last_name = "Sam", "Smith"
    await db.commit()
    return s.pupils[0][0], s.pupils[1][0]


async def test_same_named_pupils_show_their_reference_and_school(client, db, scenario):
    s = await scenario(pupils_per_school=1)
    here, there = await _alike(db, s)
    await close_preferences(db, s)
    await client.sign_in(s.coordinator)
    path = await finished_run(client, s)

    pupils = (await client.page(f"{path}/pupils")).text
    for pupil, school in ((here, s.schools[0]), (there, s.schools[1])):
        assert f"Sam Smith ({pupil.reference}, {school.name})" in pupils
        assert f'Sam Smith<br><span class="govuk-body-s">{pupil.reference}</span>' in pupils

    form = await client.page(f"/rounds/{s.round.id}/adjustments/new?pupil={there.id}")
    assert f"Sam Smith ({there.reference}), {s.schools[1].name}" in form.text
    added = await client.submit(
        f"/rounds/{s.round.id}/adjustments/new?pupil={there.id}",
        {"kind": "forbid", "placement_id": str(s.placements[0].id), "reason": "Exams"},
    )
    assert added.status_code == 303
    listed = (await client.page(f"/rounds/{s.round.id}/adjustments")).text
    assert f"{there.reference}, {s.schools[1].name}" in listed


async def test_each_placement_in_the_pin_list_has_a_label_of_its_own(client, db, scenario):
    s = await scenario(pupils_per_school=1)
    employer = s.employers[0]
    weeks = list(s.round.weeks)
    # The same title from one employer: in another week, in another town, and once exactly alike.
    other_week = await make_placement(db, employer.id, s.round.id, title="Office helper", weeks=[weeks[2]])
    other_town = await make_placement(db, employer.id, s.round.id, title="Office helper", town="Chorley")
    twin = await make_placement(db, employer.id, s.round.id, title="Office helper", town="Chorley")
    await close_preferences(db, s)
    await client.sign_in(s.coordinator)

    form = await client.page(f"/rounds/{s.round.id}/adjustments/new?pupil={s.pupils[0][0].id}")
    options = [line for line in form.text.splitlines() if "<option" in line and "Office helper" in line]
    texts = [line.split(">", 1)[1].split("<", 1)[0] for line in options]
    assert len(texts) == 3 and len(set(texts)) == 3
    assert any(str(other_week.id) in line and "Preston" in line for line in options)
    for alike in (other_town, twin):
        assert any(str(alike.id) in line and f"(code {placement_code(alike.id)})" in line for line in options)
    assert all(text.startswith(f"{employer.name} — Office helper, w/c ") for text in texts)
