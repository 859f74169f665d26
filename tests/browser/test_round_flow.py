"""A whole matching round in Chromium: the coordinator opens preferences, a school enters choices,
two runs with different policies are compared and one is published, the employer confirms a match,
the school declines an offer, and a reallocation run fills the freed place. axe-core checks every page."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from matching.models import ChoiceEntry, Outcome, Preference
from placements.accounts.models import Role
from programme.models import Stage
from tests.browser.test_employer_flow import _sign_in, _sign_out
from tests.support import (
    PASSWORD,
    make_compliance,
    make_consent,
    make_employer,
    make_placement,
    make_pupil,
    make_round,
    make_school,
    make_user,
)

pytestmark = pytest.mark.browser
RUN_TIMEOUT_MS = 30_000


async def _arrange(db):
    """Three one-place placements and four pupils: Amara (entered in the browser) wants A then B and
    is open to others; Ben (a priority pupil, so A is his) wants only A, Cara only B, Dev only C.
    Amara is left unplaced until Dev's offer is declined."""
    round_ = await make_round(db, stage=Stage.OPEN_FOR_PLACEMENTS)
    employer = await make_employer(db, name="Ribble Data Ltd")
    await make_compliance(db, employer.id)
    places = [
        await make_placement(db, employer.id, round_.id, title=title, capacity=1)
        for title in ("Data analyst", "Web developer", "Cyber security")
    ]
    school = await make_school(db, name="Preston Riverside Academy")
    staff = await make_user(db, Role.SCHOOL_STAFF, school_id=school.id)
    pupils = {}
    for first in ("Amara", "Ben", "Cara", "Dev"):
        pupils[first] = await make_pupil(
            db, school.id, first_name=first, last_name="Example", pupil_premium=first == "Ben"
        )
        await make_consent(db, pupils[first].id)
    # The others' choices came earlier (by CSV, say): written before the browser starts.
    for first, place in (("Ben", places[0]), ("Cara", places[1]), ("Dev", places[2])):
        db.add(ChoiceEntry(round_id=round_.id, pupil_id=pupils[first].id, open_to_other=False))
        db.add(Preference(round_id=round_.id, pupil_id=pupils[first].id, placement_id=place.id, rank=1))
    await db.commit()
    return round_, places, staff, pupils, employer


async def _move_round(page_audit, round_id, to: str) -> None:
    page = page_audit.page
    await page_audit.visit(f"/rounds/{round_id}")
    await page.get_by_role("button", name=f"Move to {to}").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Move the round to {to}?")
    await page_audit.settled()
    await page.get_by_role("button", name=f"Move to {to}").click()
    await expect(page.get_by_role("heading", name=f"Stage: {to}")).to_be_visible()
    await page_audit.settled()


async def _start_run(page_audit, round_id, mode_label: str) -> str:
    page = page_audit.page
    await page_audit.visit(f"/rounds/{round_id}/runs")
    await page.get_by_label(mode_label).check()
    await page.get_by_role("button", name="Start the run").click()
    await page.wait_for_url(re.compile(r"/runs/[0-9a-f-]+$"))
    await page_audit.settled()
    # The page reloads itself once the run ends.
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Done", timeout=RUN_TIMEOUT_MS)
    await page_audit.settled()
    return page.url.rsplit("/", 1)[-1]


async def test_a_round_from_preferences_to_reallocation(db, live_server, page, page_audit, artifacts):
    round_, (a, b, c), staff, pupils, employer = await _arrange(db)
    coordinator = await make_user(db, Role.COORDINATOR)
    employer_user = await make_user(db, Role.EMPLOYER_USER, employer_id=employer.id)

    # 1. The coordinator opens preferences.
    await _sign_in(page_audit, coordinator.email, PASSWORD)
    await _move_round(page_audit, round_.id, "preferences open")
    await _sign_out(page_audit)

    # 2. The school enters Amara's choices.
    await _sign_in(page_audit, staff.email, PASSWORD)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Choices").click()
    await expect(page.get_by_role("link", name="Ben Example")).to_be_visible()
    await page_audit.settled()
    await page.get_by_label("Only pupils with no choices yet").check()
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_role("link", name="Ben Example")).to_have_count(0)
    await page_audit.settled()
    await page.get_by_role("link", name="Amara Example").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Choices for Amara Example")
    await page_audit.settled()
    await page.locator("#choice-1").select_option(str(a.id))
    await page.locator("#choice-2").select_option(str(b.id))
    await page.get_by_label("Open to any other suitable placement").check()
    await page.get_by_role("button", name="Save choices").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    await page_audit.settled()
    await _sign_out(page_audit)

    # 3. The coordinator closes preferences, runs two policies, compares them and publishes the first.
    await _sign_in(page_audit, coordinator.email, PASSWORD)
    await _move_round(page_audit, round_.id, "preferences closed")
    first_run = await _start_run(page_audit, round_.id, "Optimal: the best total for the chosen rank costs")
    await _start_run(page_audit, round_.id, "Stable")
    await page_audit.visit(f"/rounds/{round_.id}/compare")
    await page.get_by_label("Run 1 — fewest poor outcomes").check()
    await page.get_by_label("Run 2 — stable").check()
    await page.get_by_role("button", name="Compare").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Compare runs (1, 2|2, 1)"))
    await page_audit.settled()
    await page.screenshot(path=artifacts / "round-flow-compare.png", full_page=True)
    await _move_round(page_audit, round_.id, "matched")
    await page_audit.visit(f"/runs/{first_run}/publish")
    await page.get_by_role("button", name="Publish run 1").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    await page_audit.settled()
    await _sign_out(page_audit)

    # 4. The employer confirms Ben's match.
    await _sign_in(page_audit, employer_user.email, PASSWORD)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Matches").click()
    await expect(page.get_by_role("link", name="Ben")).to_be_visible()
    await expect(page.get_by_text("Example")).to_have_count(0)  # no surnames for employers
    await page_audit.settled()
    await page.get_by_role("link", name="Ben").click()
    await page_audit.settled()
    await page.get_by_role("button", name="Confirm match").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Confirm this match?")
    await page_audit.settled()
    await page.get_by_role("button", name="Confirm match").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text("confirmed")
    await page_audit.settled()
    await _sign_out(page_audit)

    # 5. The school declines Dev's offer.
    await _sign_in(page_audit, staff.email, PASSWORD)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Outcomes").click()
    await page_audit.settled()
    await page.get_by_role("link", name="Dev Example").click()
    await page_audit.settled()
    await page.get_by_role("button", name="Decline").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Decline this offer?")
    await page_audit.settled()
    await page.get_by_label("Reason").fill("Dev has moved school")
    await page.get_by_role("button", name="Decline").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text("declined")
    await page_audit.settled()
    await _sign_out(page_audit)

    # 6. Reallocation fills the freed place with Amara, who was unplaced and open to others.
    await _sign_in(page_audit, coordinator.email, PASSWORD)
    await _move_round(page_audit, round_.id, "reallocation")
    third_run = await _start_run(page_audit, round_.id, "Optimal: the best total for the chosen rank costs")
    await page_audit.visit(f"/runs/{third_run}/publish")
    await page.get_by_role("button", name="Publish run 3").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    await page_audit.settled()
    await page.screenshot(path=artifacts / "round-flow-reallocation-published.png", full_page=True)

    await db.commit()
    current = {
        o.pupil_id: o.placement_id for o in await db.scalars(select(Outcome).where(Outcome.current.is_(True)))
    }
    assert current[pupils["Amara"].id] == c.id
    assert current[pupils["Ben"].id] == a.id
    page_audit.assert_clean()
