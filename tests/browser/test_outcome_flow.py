"""After publication, on phones: a pupil reads their outcome letter and keeps the PDF; a parent
opens the emailed link and asks for a review, which a coordinator decides at a desk; the parent
reads the decision. Chromium, axe-core on every page, nothing scrolling sideways on the phones."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from families import pupil_services, services
from families.models import EMAILED
from tests.browser.crawl import sign_in
from tests.browser.harness import PAGE_WIDTH, PHONE, fill_date_of_birth, on_a_phone, sign_in_pupil
from tests.support import PASSWORD

pytestmark = pytest.mark.browser


async def test_a_pupil_reads_the_letter_and_a_parent_asks_for_a_review_a_coordinator_decides(
    db, live_server, browser, page, page_audit, published
):
    round_, staff, coordinator, placed, _ = published
    code = await pupil_services.issue_code(db, pupil=placed, round_=round_, actor=staff, ip_address=None)
    _, secret = await services.issue_link(db, pupil=placed, kind=EMAILED, actor=None, ip_address=None)
    await db.commit()
    born, name = placed.date_of_birth, placed.first_name

    async with on_a_phone(browser, live_server) as (phone, audit):
        # The pupil signs in and reads the letter.
        await sign_in_pupil(phone, audit, code, born)
        await expect(phone.get_by_role("heading", level=1)).to_have_text("Your placement")
        await audit.settled()
        await phone.get_by_role("link", name="Read the outcome letter").click()
        await expect(phone.get_by_role("heading", level=1)).to_have_text("Your placement outcome")
        await expect(phone.get_by_text("You got your second choice")).to_be_visible()
        await audit.settled()
        assert await phone.evaluate(PAGE_WIDTH) == [PHONE["width"], PHONE["width"]]
        pdf = await phone.context.request.get("/pupil/letter.pdf")
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        assert (await pdf.body()).startswith(b"%PDF-")
        audit.assert_clean()

    async with on_a_phone(browser, live_server) as (phone, audit):
        # The parent opens the link, reads the outcome and asks for a review.
        await audit.visit(f"/parents/{secret}")
        await fill_date_of_birth(phone, born)
        await phone.get_by_role("button", name="Continue").click()
        await expect(phone.get_by_text("You got your second choice")).to_be_visible()
        await audit.settled()
        await phone.get_by_role("link", name="Ask for a review").click()
        await audit.settled()
        await phone.get_by_label("Why should the outcome be looked at again?").fill("Two buses each way.")
        await phone.get_by_role("button", name="Ask for a review").click()
        await expect(phone.get_by_text("A review was asked for on")).to_be_visible()
        await audit.settled()
        assert await phone.evaluate(PAGE_WIDTH) == [PHONE["width"], PHONE["width"]]

        # A coordinator decides it.
        await sign_in(page, coordinator.email, PASSWORD, page_audit)
        await page_audit.visit("/reviews")
        await page.get_by_role("link", name=f"{name} {placed.last_name}").click()
        await expect(page.get_by_text("Two buses each way.")).to_be_visible()
        await page_audit.settled()
        await page.get_by_label("Keep the outcome").check()
        await page.get_by_label("Reason, for the family").fill("A free bus pass comes with the placement.")
        await page.get_by_role("button", name="Record the decision").click()
        await page_audit.settled()

        # The parent reads the decision and its reason.
        await phone.reload()
        await expect(phone.get_by_text("A free bus pass comes with the placement.")).to_be_visible()
        await audit.settled()
        audit.assert_clean()
