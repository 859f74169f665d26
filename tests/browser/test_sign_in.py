"""Signing in through the real form in Chromium, with axe-core checking every page on the way."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from placements.accounts.models import Role
from tests.support import PASSWORD, make_user

pytestmark = pytest.mark.browser


async def test_coordinator_signs_in_and_sees_the_home_page(db, live_server, page, page_audit, artifacts):
    user = await make_user(db, Role.COORDINATOR, name="Dana Example")

    await page_audit.visit("/sign-in")
    await expect(page).to_have_title(re.compile(r"^Sign in"))
    await page.get_by_label("Email address").fill(user.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()

    await page.wait_for_url(f"{live_server.url}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Dana Example")
    await page_audit.settled()
    await page.screenshot(path=artifacts / "home-coordinator.png", full_page=True)

    assert page_audit.checked == [f"{live_server.url}/sign-in", f"{live_server.url}/"]
    page_audit.assert_clean()


async def test_wrong_password_shows_the_error_summary(db, live_server, page, page_audit):
    user = await make_user(db, Role.COORDINATOR)

    await page_audit.visit("/sign-in")
    await page.get_by_label("Email address").fill(user.email)
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()

    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_be_visible()
    await expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    await expect(summary).to_contain_text("Enter a correct email address and password")
    await expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    await page_audit.settled()

    assert page_audit.checked == [f"{live_server.url}/sign-in", f"{live_server.url}/sign-in"]
    page_audit.assert_clean()


async def test_demo_coordinator_signs_in(db, settings, live_server, page, page_audit):
    from demo.data import COORDINATOR_EMAIL, DEMO_PASSWORD, load_demo

    await load_demo(db, settings)
    await db.commit()

    await page_audit.visit("/")  # signed out: sent to sign in first
    await expect(page).to_have_title(re.compile(r"^Sign in"))
    await page.get_by_label("Email address").fill(COORDINATOR_EMAIL)
    await page.get_by_label("Password").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()

    await page.wait_for_url(f"{live_server.url}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Dana Coordinator")
    await expect(page.get_by_role("definition").filter(has_text="Preferences open")).to_be_visible()
    await page_audit.visit("/users")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    await page_audit.visit("/audit")
    await expect(page.get_by_role("cell", name="signed in")).to_be_visible()
