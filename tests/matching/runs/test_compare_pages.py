"""Runs are named by the policy they used, and comparing them guides the coordinator to choose two."""

from __future__ import annotations

from tests.matching.pages_support import close_preferences, finished_run


async def _two_runs(client, db, scenario):
    s = await scenario()
    await close_preferences(db, s)
    await client.sign_in(s.coordinator)
    first = await finished_run(client, s, preset="most_first")
    second = await finished_run(client, s, mode="stable")
    return s, first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]


async def test_runs_are_labelled_by_their_policy(client, db, scenario):
    s, first, second = await _two_runs(client, db, scenario)
    listed = await client.page(f"/rounds/{s.round.id}/runs")
    assert "Run 1 — most first choices" in listed.text and "Run 2 — stable" in listed.text
    assert "Run 2 — stable" in (await client.page(f"/runs/{second}")).text

    chooser = await client.page(f"/rounds/{s.round.id}/compare")
    assert "Run 1 — most first choices: " in chooser.text and "Run 2 — stable: " in chooser.text
    compared = await client.page(f"/rounds/{s.round.id}/compare?run={first}&run={second}&compare=yes")
    headings = compared.text.split("Figures side by side")[1].split("</thead>")[0]
    assert "Run 1 — most first choices" in headings and "Run 2 — stable" in headings


async def test_comparing_fewer_than_two_runs_says_to_tick_two(client, db, scenario):
    s, first, _second = await _two_runs(client, db, scenario)
    listed = await client.page(f"/rounds/{s.round.id}/runs")
    assert f'href="/rounds/{s.round.id}/compare"' in listed.text and "Compare runs</a>" in listed.text

    chooser = await client.page(f"/rounds/{s.round.id}/compare")
    assert "Tick 2 to 4 finished runs, then select Compare" in chooser.text
    assert "govuk-error-summary" not in chooser.text
    assert 'value="yes" name="compare"' in chooser.text

    one = await client.page(f"/rounds/{s.round.id}/compare?run={first}&compare=yes")
    assert one.status_code == 400
    assert "govuk-error-summary" in one.text
    assert "Tick at least 2 runs to compare: you ticked 1" in one.text
    assert f'value="{first}" checked' in one.text

    none = await client.page(f"/rounds/{s.round.id}/compare?compare=yes")
    assert "Tick at least 2 runs to compare: you ticked 0" in none.text
