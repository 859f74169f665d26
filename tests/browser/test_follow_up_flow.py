"""After the match in Chromium: during the placement the employer records attendance and gives
feedback, then the school records completion; the outcome page shows the history. axe-core checks
every page."""

from __future__ import annotations

import pytest
import time_machine
from playwright.async_api import expect

from matching.models import MatchRun, Outcome, Reply, RunStatus
from matching.offers.follow_up import placement_days
from placements.clock import now
from programme.models import Stage
from tests.browser.test_employer_flow import _sign_in, _sign_out
from tests.support import PASSWORD

pytestmark = pytest.mark.browser


async def _agreed(db, scenario):
    """A published round whose first pupil's placement both sides agreed. Written directly: the
    matching run and publication that lead here are tested elsewhere, and a run's job would start
    beside the live server's own jobs."""
    s = await scenario(stage=Stage.PUBLISHED)
    run = MatchRun(round_id=s.round.id, number=1, status=RunStatus.DONE, published_at=now())
    db.add(run)
    await db.flush()
    outcome = Outcome(
        round_id=s.round.id,
        run_id=run.id,
        pupil_id=s.pupils[0][0].id,
        placement_id=s.placements[1].id,
        rank=1,
        explanation="choice 1",
        employer_reply=Reply.YES,
        school_reply=Reply.YES,
    )
    db.add(outcome)
    await db.commit()
    return s, outcome, placement_days(s.placements[1])


async def test_a_placement_is_followed_up_by_both_sides(
    db,
    scenario,
    live_server,
    page,
    page_audit,
    artifacts,
):
    s, outcome, days = await _agreed(db, scenario)
    with time_machine.travel(days[1], tick=True):
        await _sign_in(page_audit, s.employer_users[1].email, PASSWORD)
        await page_audit.visit(f"/matches/{outcome.id}")
        await page.get_by_role("button", name="Record attendance").click()
        await page_audit.settled()
        first, second = (day.strftime("%A %-d %B %Y") for day in days[:2])
        await page.get_by_role("group", name=first).get_by_label("Attended").check()
        await page.get_by_role("group", name=second).get_by_label("Absent").check()
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_text("Attended 1 of 2 days recorded").first).to_be_visible()
        await page_audit.settled()

        await page.get_by_role("button", name="Give feedback").click()
        await page_audit.settled()
        await page.get_by_label("Your feedback on the pupil").fill(
            "Asked good questions and finished the tests."
        )
        await page.get_by_role("group", name="Would you host a pupil again?").get_by_label("Yes").check()
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_text("Asked good questions and finished the tests.")).to_be_visible()
        await page_audit.settled()
        await page.screenshot(path=artifacts / "follow-up-employer.png", full_page=True)
        await _sign_out(page_audit)

        await _sign_in(page_audit, s.school_staff[0].email, PASSWORD)
        await page_audit.visit(f"/outcomes/{outcome.id}")
        await page.get_by_role("button", name="Record completion").click()
        await page_audit.settled()
        await (
            page.get_by_role("group", name="Did the pupil complete the placement?")
            .get_by_label("Yes")
            .check()
        )
        await page.get_by_label("The pupil's reflection (optional)").fill(
            "I learned how a team tests its code."
        )
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_text("Completed the placement")).to_be_visible()
        await expect(page.get_by_text("I learned how a team tests its code.")).to_be_visible()
        await expect(page.get_by_text("The employer gave feedback (would host again)")).to_be_visible()
        await page_audit.settled()
        await page.screenshot(path=artifacts / "follow-up-school.png", full_page=True)
    page_audit.assert_clean()
