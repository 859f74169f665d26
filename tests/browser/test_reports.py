"""The programme at a glance in Chromium, on the demo data: charts with their numbers, year on year."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

pytestmark = pytest.mark.browser


async def test_the_coordinator_sees_the_demo_programme_as_charts(
    db, settings, live_server, page, page_audit, artifacts
):
    from demo.data import COORDINATOR_EMAIL, DEMO_PASSWORD, load_demo

    await load_demo(db, settings)
    await db.commit()

    await page_audit.visit("/sign-in")
    await page.get_by_label("Email address").fill(COORDINATOR_EMAIL)
    await page.get_by_label("Password").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{live_server.url}/")
    await page_audit.settled()

    await page.get_by_role("link", name="Reports").click()
    await page.wait_for_url(f"{live_server.url}/reports")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Programme at a glance")
    await expect(page.get_by_role("table", name="Fill rate per pathway")).to_be_visible()
    await expect(page.get_by_role("rowheader", name="Software development", exact=True)).to_be_visible()
    # Each chart's bars are drawn inside the table of its numbers.
    assert await page.locator("table.app-chart svg rect").count() >= 20
    await expect(page.get_by_role("heading", name="Year on year")).to_be_visible()
    await page_audit.settled()
    await page.screenshot(path=artifacts / "reports-demo-current.png", full_page=True)

    # Last year's round: pupil data erased, its anonymous figures kept.
    await page.get_by_role("navigation", name="Rounds").get_by_role("link").first.click()
    await expect(page.get_by_text("pupil data was erased on")).to_be_visible()
    await expect(page.get_by_role("table", name="Choice each placed pupil got")).to_be_visible()
    assert await page.locator("svg.app-chart__target").count() == 1
    await page_audit.settled()
    await page.screenshot(path=artifacts / "reports-demo-last-year.png", full_page=True)
    page_audit.assert_clean()
