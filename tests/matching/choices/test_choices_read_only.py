"""The choices pages say what is true: no place is taken before matching, and once preferences close the
choices are shown, not offered for change, with the day they closed."""

from __future__ import annotations

from matching.rounds import services as rounds
from placements.clock import today
from programme.models import Stage
from tests.matching.published import enter


async def test_places_are_not_shown_as_taken_while_preferences_are_open(client, db, scenario):
    s = await scenario(pupils_per_school=2, capacities=(1, 2))
    first = s.placements[0]
    await enter(db, s, {s.pupils[0][0]: [first], s.pupils[0][1]: [first]})
    await db.commit()
    await client.sign_in(s.school_staff[0])

    page = (await client.page(f"/choices/{s.pupils[0][0].id}")).text
    table = page.split("can choose</caption>")[1].split("</table>")[0]
    assert "Places left" not in table and " of 1" not in table
    row = table.split(f"/placements/{first.id}")[1].split("</tr>")[0]
    assert ">1</td>" in row and '2<br><span class="govuk-body-s">more than its places</span>' in row
    assert "No place is taken until matching" in page


async def test_choices_are_read_only_once_preferences_close(client, db, scenario):
    s = await scenario(pupils_per_school=1)
    pupil, first = s.pupils[0][0], s.placements[0]
    await enter(db, s, {pupil: [first]}, open_to_other=True)
    await rounds.advance(
        db, round_=s.round, to=Stage.PREFERENCES_CLOSED, actor=s.coordinator, ip_address=None
    )
    await db.commit()
    closed = f"preferences closed on {today():%-d %B %Y}"
    await client.sign_in(s.school_staff[0])

    form = (await client.page(f"/choices/{pupil.id}")).text
    assert closed in form
    assert "<select" not in form and 'type="checkbox"' not in form and "Save choices" not in form
    assert f"{first.title}, " in form.split("Ranked choices")[1].split("</ol>")[0]
    assert "Open to any other suitable placement: Yes." in form

    assert closed in (await client.page("/choices")).text
    upload = (await client.page("/choices/upload")).text
    assert closed in upload and 'type="file"' not in upload
