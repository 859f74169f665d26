"""Weeks are shown to people by the Monday they start on, on every page that shows one; the forms
still store the round's ISO weeks."""

from __future__ import annotations

from placements.web.templating import week_commencing, weeks_commencing
from tests.matching.pages_support import enter_choices
from tests.matching.published import publish_choices

# 2027-W25 starts on Monday 21 June 2027.
FIRST_WEEK = "w/c 21 June 2027"


def test_an_iso_week_is_named_by_its_monday():
    assert week_commencing("2027-W25") == FIRST_WEEK
    assert week_commencing("2026-W53") == "w/c 28 December 2026"
    assert week_commencing("2027-W53") == "2027-W53"  # 2027 has 52 weeks
    assert week_commencing("next week") == "next week"


def test_several_weeks_are_named_one_after_another():
    assert weeks_commencing(["2027-W25", "2027-W26"]) == f"{FIRST_WEEK}, w/c 28 June 2027"
    assert weeks_commencing([]) == weeks_commencing(None) == ""


async def test_every_role_sees_weeks_as_dates(client, db, scenario):
    s = await scenario(programme_year=2027)
    await enter_choices(db, s)
    placement = s.placements[0]
    pages = {
        s.coordinator: ["/", "/rounds", f"/rounds/{s.round.id}", f"/placements/{placement.id}"],
        s.school_staff[0]: ["/placements", f"/choices/{s.pupils[0][0].id}"],
        s.employer_users[0]: ["/placements", f"/placements/{placement.id}", "/placements/new"],
    }
    for person, paths in pages.items():
        await client.sign_in(person)
        for path in paths:
            page = await client.page(path)
            assert page.status_code == 200, path
            assert FIRST_WEEK in page.text, path
            shown = page.text.replace('value="2027-W25"', "")
            assert "2027-W25" not in shown, path
        await client.submit("/sign-out", {})


async def test_the_round_form_names_the_weeks_entered(client, db, scenario):
    s = await scenario(programme_year=2027)
    await client.sign_in(s.coordinator)
    form = await client.page(f"/rounds/{s.round.id}/edit")
    assert "2027-W25 is w/c 21 June 2027" in form.text
    assert "2027-W28 is w/c 12 July 2027" in form.text


async def test_an_offer_shows_its_weeks_as_dates(client, db, scenario):
    s = await scenario(programme_year=2027)
    pupil, placement = s.pupils[0][0], s.placements[0]
    outcomes = await publish_choices(db, s, {pupil: [placement]})
    offer = outcomes[pupil.id]
    for person, path in (
        (s.school_staff[0], f"/outcomes/{offer.id}"),
        (s.employer_users[0], f"/matches/{offer.id}"),
    ):
        await client.sign_in(person)
        page = await client.page(path)
        assert page.status_code == 200, path
        assert "w/c 21 June 2027, w/c 28 June 2027" in page.text, path
        await client.submit("/sign-out", {})
