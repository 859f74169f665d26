"""Browser tests: the real app on a local port, driven by Debian's Chromium through Playwright.

Fixtures:
- `live_server` (tests/conftest.py): the app served by uvicorn on 127.0.0.1, against the test database.
- `browser`: Chromium, launched once per run. Missing Chromium skips the tests, or fails them in CI.
- `page_audit`: a `PageAudit` watching a new page in a fresh context whose base URL is the live server:
  axe-core checks every document the page loads, and console errors, failed requests and 4xx/5xx
  sub-resources fail the test. Use `await page_audit.visit("/path")` to go somewhere and check at once.
- `page`: that Playwright page (`page_audit.page`), for tests that only drive the browser.
- `scenario` (tests/matching/conftest.py): the matching tests' small round, for flows that start from one.
On failure a screenshot of the page is saved in test-artifacts/.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.browser.harness import AXE_SCRIPT, CHROMIUM, CHROMIUM_ARGS, LiveServer, PageAudit
from tests.families.conftest import published  # noqa: F401 - a fixture, re-exported for the flows here
from tests.matching.conftest import scenario  # noqa: F401 - a fixture, re-exported for the flows here

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
FAILED = pytest.StashKey[bool]()


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI must run the browser tests, not skip them", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    if report.failed:
        item.stash[FAILED] = True
    return report


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    if not AXE_SCRIPT.exists():
        _unavailable(f"{AXE_SCRIPT} is missing (npm ci)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def page_audit(
    browser: Any, live_server: LiveServer, request: pytest.FixtureRequest, artifacts: Any
) -> AsyncIterator[PageAudit]:
    context = await browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        page = await context.new_page()
        audit = await PageAudit(page, live_server.url).attach()
        yield audit
        await audit.finish()
        failed = request.node.stash.get(FAILED, False)
        if failed and not page.is_closed():
            name = re.sub(r"[^\w.-]+", "_", request.node.name)
            await page.screenshot(path=artifacts / f"failed-{name}.png", full_page=True)
    finally:
        await context.close()
    if failed:
        # Already failed: show what the browser found next to that failure rather than as a second error.
        request.node.add_report_section("teardown", "browser problems", "\n".join(audit.report()))
    else:
        audit.assert_clean()


@pytest.fixture
def page(page_audit: PageAudit) -> Any:
    return page_audit.page
