"""After the match in Chromium: during the placement the employer records attendance and gives
feedback, then the school records completion; the outcome page shows the history. axe-core checks
every page."""

from __future__ import annotations

import pytest
import time_machine
from playwright.async_api import expect

from tests.browser.test_employer_flow import _sign_in, _sign_out
from tests.matching.agreed import agreed
from tests.support import PASSWORD

pytestmark = pytest.mark.browser


async def test_a_placement_is_followed_up_by_both_sides(
    db,
    scenario,
    live_server,
    page,
    page_audit,
    artifacts,
):
    a = await agreed(db, scenario)
    with time_machine.travel(a.days[1], tick=True):
        await _sign_in(page_audit, a.employer.email, PASSWORD)
        await page_audit.visit(f"/matches/{a.outcome.id}")
        await page.get_by_role("button", name="Record attendance").click()
        await page_audit.settled()
        first, second = (day.strftime("%A %-d %B %Y") for day in a.days[:2])
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

        await _sign_in(page_audit, a.staff.email, PASSWORD)
        await page_audit.visit(f"/outcomes/{a.outcome.id}")
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
