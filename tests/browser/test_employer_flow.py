"""A new business signs up and chooses its password from the emailed link, a coordinator approves it
from the review queue, the business posts a placement, and a school user finds it by filtering: in
Chromium, with axe-core on every page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.async_api import expect

from placements.accounts.models import Role
from placements.clock import today
from placements.web.templating import week_commencing
from tests.support import PASSWORD, emailed_link, make_round, make_school, make_user

pytestmark = pytest.mark.browser

BUSINESS_EMAIL = "bea@bowland-bytes.example"
BUSINESS_PASSWORD = "ribble valley cider"


async def _sign_in(page_audit, email: str, password: str) -> None:
    page = page_audit.page
    await page_audit.visit("/sign-in")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/$"))
    await page_audit.settled()


async def _sign_out(page_audit) -> None:
    # Every page is checked (settled) before leaving it: the audit then has nothing to do mid-navigation.
    await page_audit.page.get_by_role("button", name="Sign out").click()
    await page_audit.page.wait_for_url(re.compile(r"/sign-in"))
    await page_audit.settled()


async def test_sign_up_approve_post_and_find(db, live_server, page, page_audit, artifacts):
    year = today().year + 1
    await make_round(db, programme_year=year)
    coordinator = await make_user(db, Role.COORDINATOR, name="Dana Coordinator")
    school = await make_school(db, name="Preston Riverside Academy", lat=53.7632, lon=-2.7031)
    school_user = await make_user(db, Role.SCHOOL_STAFF, school_id=school.id)

    # 1. The business signs up.
    await page_audit.visit("/employers/sign-up")
    await page.get_by_label("Organisation name").fill("Bowland Bytes Ltd")
    await page.get_by_label("Address", exact=True).fill("12 Fishergate")
    await page.get_by_label("Town or city").fill("Preston")
    await page.get_by_label("Postcode").fill("PR1 2HE")
    await page.get_by_label("Software development").check()
    await page.get_by_label("10 to 49 people").check()
    await page.get_by_label("Your full name").fill("Bea Bowland")
    await page.get_by_label("Your email address").fill(BUSINESS_EMAIL)
    await page.get_by_role("button", name="Register").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    await page_audit.settled()

    # 2. The business chooses its password from the emailed link, and sees what is missing.
    await page_audit.visit(await emailed_link(db, BUSINESS_EMAIL, "invitation"))
    await page.get_by_label("New password").fill(BUSINESS_PASSWORD)
    await page.get_by_label("Type the password again").fill(BUSINESS_PASSWORD)
    await page.get_by_role("button", name="Set password").click()
    await page.wait_for_url(re.compile(r"/sign-in"))
    await page_audit.settled()
    await _sign_in(page_audit, BUSINESS_EMAIL, BUSINESS_PASSWORD)
    await page_audit.visit("/employers/mine")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Bowland Bytes Ltd")
    await expect(page.locator("#matching-problems")).to_contain_text("has not approved the organisation yet")
    await page_audit.settled()
    await _sign_out(page_audit)

    # 3. The coordinator finds it in the review queue and approves.
    await _sign_in(page_audit, coordinator.email, PASSWORD)
    await page_audit.visit("/employers")
    await page.get_by_role("link", name="Bowland Bytes Ltd").click()
    await page_audit.settled()
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Approve this organisation?")
    await page_audit.settled()
    await page.get_by_role("button", name="Approve Bowland Bytes Ltd").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Bowland Bytes Ltd is approved"
    )
    await page_audit.settled()
    await _sign_out(page_audit)

    # 4. The business completes its compliance record and posts a placement.
    await _sign_in(page_audit, BUSINESS_EMAIL, BUSINESS_PASSWORD)
    await page_audit.visit("/employers/mine")
    await page.get_by_role("link", name="Add the compliance record").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Compliance record")
    await page_audit.settled()
    await page.get_by_label("Insurer").fill("Lancashire Mutual")
    await page.get_by_label("Policy number").fill("ELI-2048")
    expires = today() + timedelta(days=300)
    await page.locator("#insurance_expires_on-day").fill(str(expires.day))
    await page.locator("#insurance_expires_on-month").fill(str(expires.month))
    await page.locator("#insurance_expires_on-year").fill(str(expires.year))
    assessed = today() - timedelta(days=20)
    await page.locator("#risk_assessment_on-day").fill(str(assessed.day))
    await page.locator("#risk_assessment_on-month").fill(str(assessed.month))
    await page.locator("#risk_assessment_on-year").fill(str(assessed.year))
    await page.get_by_label("Safeguarding lead's name").fill("Sam Safe")
    await page.get_by_label("Yes").check()
    await page.get_by_role("button", name="Save compliance record").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Compliance record saved"
    )
    await expect(page.locator("#matching-problems")).to_have_count(0)
    await page_audit.settled()

    await page.get_by_role("button", name="Post a placement").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Post a placement")
    await page_audit.settled()
    await page.get_by_role("button", name="Save placement").click()  # nothing filled in: the error summary
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Enter a title for the placement")
    await expect(page).to_have_title(re.compile(r"^Error: Post a placement"))
    await page_audit.settled()
    await page.get_by_label("Title").fill("Junior web developer")
    await page.get_by_label("What will the pupil do?").fill("Build and test a page of a client's website.")
    await page.get_by_label("Software development").check()
    await page.get_by_label("On site").check()
    await page.get_by_label(week_commencing(f"{year}-W26")).check()
    await page.get_by_label("How many pupils can you take?").fill("2")
    await page.get_by_label("Year 10").check()
    await page.get_by_label("Supervisor").fill("Sue Pervisor")
    await page.get_by_label("Yes, publish it").check()
    await page.get_by_role("button", name="Save placement").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Junior web developer")
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text("is published")
    await page_audit.settled()
    await _sign_out(page_audit)

    # 5. A school user finds it by filtering.
    await _sign_in(page_audit, school_user.email, PASSWORD)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Placements").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Placements")
    await page_audit.settled()
    await page.get_by_label("Pathway").select_option("software")
    await page.get_by_label("Distance from your school").select_option("5")
    await page.get_by_label("Week").select_option(f"{year}-W26")
    await page.get_by_label("Year group").select_option("10")
    await page.get_by_role("button", name="Show placements").click()
    result = page.get_by_role("link", name="Junior web developer")
    await expect(result).to_be_visible()
    await expect(page.locator(".govuk-summary-card")).to_have_count(1)
    await page_audit.settled()
    await page.screenshot(path=artifacts / "employer-flow-school-finds-placement.png", full_page=True)
    await result.click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Junior web developer")
    await expect(page.get_by_text("Bowland Bytes Ltd")).to_be_visible()
    await page_audit.settled()
    page_audit.assert_clean()
