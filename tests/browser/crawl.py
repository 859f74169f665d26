"""Following every link a signed-in person can see, in Chromium, and noting what is wrong on each page.

A crawl starts at home and follows same-origin links (never /sign-out), breadth first. Pages of the same
shape (the same path once ids are collapsed, the same query keys) are visited a couple of times, not once
per row, and a crawl stops after a fixed number of pages, so it stays quick on demo data. Each page is
checked by `PageAudit` (axe-core, console errors including CSP violations, failed requests, 5xx) and here
for what a crawl adds: a link the app rendered that leads nowhere (4xx), and, on a phone, a page wider
than the screen. Nothing stops at the first problem: the caller gets them all.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.browser.harness import PageAudit

ID_SEGMENT = re.compile(
    r"^(?:[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|\d+)$", re.IGNORECASE
)
NEVER_FOLLOWED = ("/sign-out", "/static/")
SAMPLES_PER_SHAPE = 2
LINKS = "links => links.map(link => ({href: link.href, download: link.hasAttribute('download')}))"


def shape(path_and_query: str) -> str:
    """What pages that differ only by ids or query values have in common: `/pupils/{id}?page`."""
    parts = urlsplit(path_and_query)
    path = "/".join("{id}" if ID_SEGMENT.match(segment) else segment for segment in parts.path.split("/"))
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return path + ("?" + "&".join(keys) if keys else "")


@dataclass
class Crawl:
    """One person's crawl at one width; `pages` are the documents visited, `problems` what was wrong."""

    audit: PageAudit
    label: str
    max_pages: int
    pages: list[str] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def page(self) -> Any:
        return self.audit.page

    async def follow_links(self, start: str = "/") -> None:
        """Visit `start` and every page reachable from it by links, within the bounds above."""
        queue: deque[tuple[str, str, bool]] = deque([(start, "the start", False)])
        queued = {start}
        shapes: Counter[str] = Counter()
        while queue and len(self.pages) < self.max_pages:
            target, source, download = queue.popleft()
            if download:
                await self._fetch(target, source)
                continue
            if not await self.visit(target, source):
                continue
            for link in await self.page.eval_on_selector_all("a[href]", LINKS):
                found = self._same_origin(link["href"])
                if found is None or found in queued or found.startswith(NEVER_FOLLOWED):
                    continue
                queued.add(found)
                if shapes[shape(found)] < SAMPLES_PER_SHAPE:
                    shapes[shape(found)] += 1
                    queue.append((found, target, link["download"]))

    async def visit(self, target: str, source: str = "the list of pages") -> bool:
        """Load one page and check it; False when it is not a page of ours to look into."""
        try:
            response = await self.page.goto(target)
        except Exception as exc:
            if "Download is starting" in str(exc):
                await self._fetch(target, source)
            else:
                self._note(target, f"could not be loaded (linked from {source}): {exc}")
            return False
        status = response.status if response else 0
        if status >= 400:
            self._note(target, f"answered {status} (linked from {source})")
        await self.audit.settled()
        if not (response and "text/html" in (response.headers.get("content-type") or "")):
            return False
        self.pages.append(target)
        width = await self.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            self._note(target, f"is {width[0]} px wide in a {width[1]} px window (the page scrolls sideways)")
        return status < 400

    async def _fetch(self, target: str, source: str) -> None:
        """A download is checked for its answer only: the browser would save it rather than show it."""
        response = await self.page.request.get(target)
        self.downloads.append(target)
        if response.status >= 400:
            self._note(target, f"answered {response.status} (a download linked from {source})")

    def _same_origin(self, href: str) -> str | None:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != self.audit.base_url:
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _note(self, target: str, problem: str) -> None:
        self.problems.append(f"{self.label} {target} {problem}")

    def report(self) -> list[str]:
        """Every problem found, the crawl's own and the audit's, each naming the person and the width."""
        return self.problems + [f"{self.label} {line}" for line in self.audit.report()]


async def sign_in(page: Any, email: str, password: str, audit: PageAudit | None = None) -> None:
    """Sign in through the form, as a person does; with an audit, both pages on the way are checked (and
    each before it is left: axe-core cannot check a page that is navigating away)."""
    if audit:
        await audit.visit("/sign-in")
    else:
        await page.goto("/sign-in")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/$"))
    if audit:
        await audit.settled()
