"""Pages on a 375 px phone: the header holds the signed-in person's name and "Sign out" (legible, not over
the navigation), with or without JavaScript, and a wide table scrolls in a box of its own rather than
making the whole page scroll sideways."""

from __future__ import annotations

from typing import Any

import pytest

from placements.accounts.models import Role
from tests.browser.crawl import sign_in
from tests.browser.harness import PAGE_WIDTH, PHONE, PageAudit
from tests.support import PASSWORD, make_school, make_user

pytestmark = pytest.mark.browser


async def _phone(browser: Any, live_server: Any, *, javascript: bool) -> Any:
    context = await browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport=PHONE, java_script_enabled=javascript
    )
    return await context.new_page()


async def _box(page: Any, selector: str) -> dict[str, float]:
    box = await page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
async def test_the_header_holds_the_name_and_sign_out_above_the_menu(db, live_server, browser, javascript):
    user = await make_user(db, Role.COORDINATOR, name="Alexandra Montgomery-Fairweather")
    page = await _phone(browser, live_server, javascript=javascript)
    audit = await PageAudit(page, live_server.url).attach() if javascript else None
    try:
        await sign_in(page, user.email, PASSWORD, audit)

        header = await _box(page, ".govuk-header")
        for part in (".app-header__service", ".app-header__user", ".app-link-button"):
            box = await _box(page, part)
            assert header["y"] <= box["y"] and box["y"] + box["height"] <= header["y"] + header["height"], (
                part
            )
            assert box["x"] + box["width"] <= PHONE["width"], part
        navigation = await _box(page, ".govuk-service-navigation")
        assert navigation["y"] >= header["y"] + header["height"]
        if javascript:
            menu = page.get_by_role("button", name="Menu")
            line = await menu.evaluate("button => parseFloat(getComputedStyle(button).lineHeight)")
            assert (await menu.bounding_box())["height"] < 2 * line, "Menu wraps onto several lines"
            await audit.settled()  # axe-core: the name and "Sign out" have enough contrast where they are
            audit.assert_clean()
        assert await page.evaluate(PAGE_WIDTH) == [PHONE["width"], PHONE["width"]]
    finally:
        await page.context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
async def test_a_wide_table_scrolls_in_its_own_box(db, live_server, browser, javascript):
    coordinator = await make_user(db, Role.COORDINATOR)
    school = await make_school(db, name="Lytham St Annes Moorland Community College")
    await make_user(
        db,
        Role.SCHOOL_STAFF,
        school_id=school.id,
        name="Bartholomew Featherstonehaugh",
        email="bartholomew.featherstonehaugh@lytham-st-annes-moorland.example.org",
        phone="01632 960000",
        is_digital_advisor=True,
    )
    page = await _phone(browser, live_server, javascript=javascript)
    audit = await PageAudit(page, live_server.url).attach() if javascript else None
    try:
        await sign_in(page, coordinator.email, PASSWORD, audit)
        await page.goto(f"/schools/{school.id}")

        assert await page.evaluate(PAGE_WIDTH) == [PHONE["width"], PHONE["width"]]
        scroller = page.locator(".app-table-container" if javascript else ".govuk-table")
        assert await scroller.evaluate("box => box.scrollWidth > box.clientWidth"), (
            "the table fits: test nothing"
        )
        if javascript:
            # Keyboard users can reach the box to scroll it, and hear what it holds.
            assert await scroller.get_attribute("tabindex") == "0"
            assert await scroller.get_attribute("role") == "region"
            assert await scroller.get_attribute("aria-label") == f"Staff of {school.name} (scrolls sideways)"
            await audit.settled()
            audit.assert_clean()
    finally:
        await page.context.close()
