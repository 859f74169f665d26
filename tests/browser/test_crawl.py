"""Every page each kind of user can reach by links from home, on the demo data, at desktop and phone
width: no server error, no broken link, no console error or CSP violation, no serious or critical
axe-core violation, and no page wider than a phone's screen. Every failing page is listed at once."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from demo.data import COORDINATOR_EMAIL, DEMO_PASSWORD, load_demo
from placements.accounts.models import Role
from tests.browser.crawl import Crawl, shape, sign_in
from tests.browser.harness import PHONE, PageAudit, on_a_phone
from tests.support import PASSWORD, make_user

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
MAX_PAGES = 80  # a bound, not the usual end: the coordinator has about 70 pages of their own
PEOPLE = {
    "coordinator": COORDINATOR_EMAIL,
    "school staff": "advisor@preston-riverside-academy.demo.placements.test",
    "employer user": "team@ribble-data-ltd.demo.placements.test",
}


@asynccontextmanager
async def signed_in(browser: Any, server: Any, person: str, viewport: dict[str, int]) -> AsyncIterator[Crawl]:
    context = await browser.new_context(base_url=server.url, locale="en-GB", viewport=viewport)
    try:
        audit = await PageAudit(await context.new_page(), server.url).attach()
        crawl = Crawl(audit, f"{person} at {viewport['width']} px:", MAX_PAGES)
        await sign_in(audit.page, PEOPLE[person], DEMO_PASSWORD, audit)
        yield crawl
    finally:
        await context.close()


@pytest.mark.slow
@pytest.mark.parametrize("person", PEOPLE, ids=lambda person: person.replace(" ", "-"))
async def test_every_linked_page_works_at_desktop_and_phone_width(db, settings, live_server, browser, person):
    # The demo with fewer placements: a pupil's choices page lists every placement in each of its
    # drop-downs, and axe-core takes seconds over the demo's 200.
    await load_demo(db, settings, placement_count=80)
    await db.commit()
    started = time.monotonic()

    async with signed_in(browser, live_server, person, DESKTOP) as desktop:
        await desktop.follow_links()
    # The same pages again on a phone: what fits a desktop may not fit a 375 px screen.
    async with signed_in(browser, live_server, person, PHONE) as phone:
        for path in desktop.pages:
            await phone.visit(path)

    print(
        f"{person}: {len(desktop.pages)} pages, {len(desktop.downloads)} downloads, "
        f"{time.monotonic() - started:.0f} s"
    )
    assert len(desktop.pages) > 5, f"the crawl found almost nothing to visit: {desktop.pages}"
    problems = desktop.report() + phone.report()
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def test_pages_that_differ_only_by_ids_or_query_values_have_one_shape():
    assert shape("/pupils/2de49a5d-fa93-4b26-a076-9b2c3634ae58/edit") == "/pupils/{id}/edit"
    assert shape("/reports/5cdcc1bf-2434-474a-928a-5cf34e9bfd01/employers?page=2") == (
        "/reports/{id}/employers?page"
    )
    assert shape("/placements?status=draft&page=3") == shape("/placements?page=1&status=published")
    assert shape("/placements") != shape("/placements?page=1")


async def test_a_crawl_lists_every_problem_of_every_page(db, live_server, browser):
    coordinator = await make_user(db, Role.COORDINATOR)
    async with on_a_phone(browser, live_server) as (page, audit):
        await sign_in(page, coordinator.email, PASSWORD, audit)
        # A page the app does not have, served to the browser alone: too wide (900 px and the 8 px margins),
        # an error in its console, and links to a page that is missing, one that is fine, and another site.
        broken = (
            '<!DOCTYPE html><html lang="en"><head><title>Broken</title></head><body><main>'
            '<h1>Broken</h1><div style="width: 900px">Wide</div><script>console.error("boom")</script>'
            '<a href="/nowhere">Missing</a> <a href="/">Home</a> <a href="https://example.org/">Away</a>'
            "</main></body></html>"
        )
        await page.route("**/broken", lambda route: route.fulfill(body=broken, content_type="text/html"))
        crawl = Crawl(audit, "tester:", max_pages=3)

        await crawl.follow_links("/broken")

        assert crawl.pages == ["/broken", "/nowhere", "/"]
        problems = "\n".join(crawl.report())
        assert "tester: /broken is 908 px wide in a 375 px window" in problems
        assert "tester: /nowhere answered 404 (linked from /broken)" in problems
        assert "tester: console error on " in problems and "boom" in problems
        assert "example.org" not in problems
