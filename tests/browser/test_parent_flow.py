"""A parent consents on a phone from the link the school emailed: in Chromium at 375 px, with
axe-core on every page, without the page scrolling sideways."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from placements.accounts.models import Role
from placements.notifications.models import OutboxMessage
from schools.models import Consent
from tests.browser.harness import PAGE_WIDTH, PHONE, fill_date_of_birth, on_a_phone
from tests.support import PASSWORD, make_pupil, make_user

pytestmark = pytest.mark.browser


async def test_a_parent_consents_on_a_phone_from_the_emailed_link(db, live_server, browser, page, page_audit):
    staff = await make_user(db, Role.SCHOOL_STAFF, name="Sam Staff")
    pupil = await make_pupil(db, staff.school_id, first_name="Ada", parent_email="ada.parent@example.com")
    born, pupil_id = pupil.date_of_birth, pupil.id

    # The school emails the link from its consent page.
    await page_audit.visit("/sign-in")
    await page.get_by_label("Email address").fill(staff.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{live_server.url}/")
    await page_audit.settled()  # the home page loads whole before the next one is asked for
    await page_audit.visit("/consent-requests")
    await page.get_by_role("button", name="Email consent links (1)").click()
    await page_audit.settled()
    await page.get_by_role("button", name="Email consent links").click()
    await expect(page.get_by_text("Consent links emailed to 1 parents")).to_be_visible()
    await page_audit.settled()

    await db.commit()
    body = await db.scalar(
        select(OutboxMessage.body).where(OutboxMessage.to_address == "ada.parent@example.com")
    )
    path = re.search(r"(/parents/[\w-]+)", body).group(1)

    # The parent, on a phone.
    async with on_a_phone(browser, live_server) as (phone, audit):
        await audit.visit(path)
        await expect(phone.get_by_role("heading", level=1)).to_have_text("Confirm your child's date of birth")
        await fill_date_of_birth(phone, born)
        await phone.get_by_role("button", name="Continue").click()
        await expect(phone.get_by_role("heading", level=1)).to_have_text("Work placement consent for Ada")
        await audit.settled()
        assert await phone.evaluate(PAGE_WIDTH) == [PHONE["width"], PHONE["width"]]

        await phone.get_by_label("Yes, I give consent").check()
        await phone.get_by_label("Your full name").fill("Grace Parent")
        await phone.get_by_label("Your relationship to Ada").select_option("Mother")
        await phone.get_by_label("Dietary needs (optional)").fill("Vegetarian")
        await phone.get_by_label("Name", exact=True).fill("Alan Parent")
        await phone.get_by_label("Phone number").fill("07700 900123")
        await phone.get_by_role("button", name="Send my answer").click()
        await expect(phone.get_by_role("heading", name="Consent given")).to_be_visible()
        await audit.settled()
        assert await phone.evaluate(PAGE_WIDTH) == [PHONE["width"], PHONE["width"]]
        audit.assert_clean()

    await db.commit()
    consent = await db.scalar(select(Consent).where(Consent.pupil_id == pupil_id))
    assert (consent.source, consent.shared_dietary) == ("parent", "Vegetarian")
