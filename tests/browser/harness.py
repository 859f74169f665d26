"""Serving the real app on a local port, and watching what a browser finds on every page it loads.

`LiveServer` runs the app under uvicorn in a thread with its own event loop, so a browser (or any HTTP
client) can reach it while the test's own loop arranges data in the same database.

`PageAudit` watches a Playwright page: every document the page loads is checked with axe-core
(serious and critical WCAG 2.2 AA violations fail the test), and console errors, uncaught exceptions,
failed requests, 4xx/5xx sub-resources and any 5xx at all are collected as problems. A document is
checked when the test asks (`visit`, `check`), or automatically just before the page navigates away
from it, or at the end of the test, so tests get the checks without writing them.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import uvicorn

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
# Chromium's own background traffic (updates, sync, QUIC probes) has nowhere to go on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_OPTIONS: dict[str, Any] = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
FAILING_IMPACTS = frozenset({"serious", "critical"})

# A phone's viewport, and what a page that does not scroll sideways gives: [375, 375].
PHONE = {"width": 375, "height": 812}
PAGE_WIDTH = "[document.documentElement.scrollWidth, window.innerWidth]"

T = TypeVar("T")


# --- The app on a real port ----------------------------------------------------------------------


@dataclass
class ServerError:
    method: str
    path: str
    status: int

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


class LiveServer:
    """The ASGI app served by uvicorn on 127.0.0.1 and a free port, in a background thread."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", startup_timeout: float = 20) -> None:
        self.app = app
        self.host = host
        self.startup_timeout = startup_timeout
        self.server_errors: list[ServerError] = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, 0))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server = uvicorn.Server(
            uvicorn.Config(
                self._recording(app),
                lifespan="on",
                log_level="warning",
                access_log=False,
                http="h11",
                ws="none",
                timeout_graceful_shutdown=5,
            )
        )
        self._thread = threading.Thread(target=self._run, name=f"live-server-{self.port}", daemon=True)
        self._crash: BaseException | None = None

    def _recording(self, app: Any) -> Any:
        """The app, noting every 5xx it answers so a test can fail on it even if nothing else looks."""
        errors = self.server_errors

        async def recording_app(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            async def noting_send(message: Any) -> None:
                if message["type"] == "http.response.start" and message["status"] >= 500:
                    errors.append(ServerError(scope["method"], scope["path"], message["status"]))
                await send(message)

            await app(scope, receive, noting_send)

        return recording_app

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._server.serve(sockets=[self._socket]))
        except BaseException as exc:  # startup failures end in SystemExit; keep it for start() to report
            self._crash = exc
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def start(self) -> LiveServer:
        self._thread.start()
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive() or waited > self.startup_timeout:
                self.stop()
                raise RuntimeError(f"the live server did not start (crash: {self._crash!r})")
            self._thread.join(0.02)
            waited += 0.02
        return self

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run a coroutine in the server's event loop (where its job queue lives) and wait for it."""
        assert self.loop is not None and self._thread.is_alive(), "the live server is not running"
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def acall(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """`call`, awaited from another event loop (the test's); bound it with `asyncio.timeout`."""
        assert self.loop is not None and self._thread.is_alive(), "the live server is not running"
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(30)
        self._socket.close()
        if self._thread.is_alive():
            raise RuntimeError("the live server did not stop within 30 s")

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[LiveServer]:
    """Serve `app` for the duration of the block; on the way out, run the jobs it queued (while the
    test's data is still there), stop it, and fail if it answered any request with a 5xx."""
    from tests.support import run_queued_jobs

    server = LiveServer(app)
    await asyncio.to_thread(server.start)
    try:
        yield server
        async with asyncio.timeout(60):
            await server.acall(run_queued_jobs())
    finally:
        await asyncio.to_thread(server.stop)
    assert not server.server_errors, "The live server answered with server errors:\n" + "\n".join(
        str(error) for error in server.server_errors
    )


# --- What the browser finds on each page -----------------------------------------------------------


@dataclass
class AxeViolation:
    url: str
    rule: str
    impact: str
    help: str
    help_url: str
    targets: list[str]

    def __str__(self) -> str:
        targets = "; ".join(self.targets)
        return f"{self.url}: [{self.impact}] {self.rule}: {self.help} ({self.help_url})\n      at {targets}"


@dataclass
class PageAudit:
    """Problems found on a page; see the module docstring."""

    page: Any
    base_url: str
    axe_source: str = field(repr=False, default="")
    checked: list[str] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    violations: list[AxeViolation] = field(default_factory=list)
    minor_violations: list[AxeViolation] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _pending: bool = False
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def attach(self) -> PageAudit:
        if not self.axe_source:
            self.axe_source = AXE_SCRIPT.read_text(encoding="utf-8")
        page = self.page
        # Added by the browser itself (not as an inline <script>), so the page keeps its real CSP and
        # any CSP violation of our own pages still shows up as a console error.
        await page.add_init_script(script=self.axe_source)
        page.on("load", self._on_load)
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)
        # Check the page being left before any navigation of the main frame goes ahead.
        await page.route("**/*", self._on_route)
        return self

    # Events

    def _on_load(self, page: Any) -> None:
        self.loaded.append(page.url)
        self._pending = True

    def _on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        text = message.text
        # The same failure is reported with its URL and status by _on_response.
        if text.startswith("Failed to load resource: the server responded with a status of"):
            return
        location = message.location.get("url", "") if message.location else ""
        self.problems.append(f"console error on {self.page.url}: {text} ({location})")

    def _on_page_error(self, error: Any) -> None:
        self.problems.append(f"uncaught exception on {self.page.url}: {error}")

    def _on_request_failed(self, request: Any) -> None:
        failure = request.failure or "failed"
        if request.is_navigation_request() and "ERR_ABORTED" in failure:
            return  # a navigation superseded by another one (e.g. a download or a quick second click)
        self.problems.append(f"request failed: {request.method} {request.url}: {failure}")

    def _on_response(self, response: Any) -> None:
        status = response.status
        request = response.request
        main_document = request.is_navigation_request() and request.frame == self.page.main_frame
        # A page may answer 4xx on purpose (a form with errors is a 400); the test asserts what it shows.
        # Anything the page itself needs must load, and nothing may be a server error.
        if status >= 500 or (status >= 400 and not main_document):
            self.problems.append(f"HTTP {status} for {request.method} {response.url}")

    async def _on_route(self, route: Any) -> None:
        request = route.request
        try:
            if request.is_navigation_request() and request.frame == self.page.main_frame and self._pending:
                await self.check()
        finally:
            await route.fallback()

    # Checks

    async def check(self) -> list[AxeViolation]:
        """Run axe-core on the document now shown, once per loaded document; record violations."""
        async with self._lock:
            if not self._pending:
                return []
            self._pending = False
            url = self.page.url
            try:
                result = await self.page.evaluate(
                    "async (options) => {"
                    "  if (typeof axe === 'undefined') { return null; }"
                    "  return await axe.run(document, options);"
                    "}",
                    AXE_OPTIONS,
                )
            except Exception as exc:
                self.problems.append(f"axe-core could not check {url}: {exc}")
                return []
            if result is None:
                self.problems.append(f"axe-core was not loaded on {url}")
                return []
            self.checked.append(url)
            found = []
            for violation in result["violations"]:
                item = AxeViolation(
                    url=self._short(url),
                    rule=violation["id"],
                    impact=violation.get("impact") or "unknown",
                    help=violation["help"],
                    help_url=violation.get("helpUrl", ""),
                    targets=[json.dumps(node["target"]) for node in violation["nodes"]],
                )
                if item.impact in FAILING_IMPACTS:
                    found.append(item)
                else:
                    self.minor_violations.append(item)
            self.violations.extend(found)
            return found

    async def visit(self, path: str, **goto_options: Any) -> Any:
        """Go to `path` (relative to the server) and check the page at once; returns the response."""
        # Check the page being left first: evaluating axe while `goto` is under way would wait forever.
        if self._pending:
            await self.check()
        response = await self.page.goto(path, **goto_options)
        await self.settled()
        self.assert_clean()
        return response

    async def settled(self) -> None:
        """Wait for the current document to finish loading, then check it."""
        await self.page.wait_for_load_state("load")
        await self.check()

    def report(self) -> list[str]:
        lines = [str(problem) for problem in self.problems]
        if self.violations:
            lines.append("axe-core found serious or critical accessibility violations:")
            lines.extend(f"  - {violation}" for violation in self.violations)
        return lines

    def assert_clean(self) -> None:
        lines = self.report()
        assert not lines, "The browser found problems:\n" + "\n".join(lines)

    async def finish(self) -> None:
        """At the end of a test: check the last page, if it is still to be checked."""
        if not self.page.is_closed():
            await self.check()

    def _short(self, url: str) -> str:
        return url[len(self.base_url) :] or "/" if url.startswith(self.base_url) else url


async def fill_date_of_birth(page: Any, born: Any) -> None:
    """The three boxes a pupil or a parent confirms the child's date of birth in."""
    await page.get_by_label("Day").fill(str(born.day))
    await page.get_by_label("Month").fill(str(born.month))
    await page.get_by_label("Year").fill(str(born.year))


async def sign_in_pupil(page: Any, audit: PageAudit, code: str, born: Any) -> None:
    """Sign in at /pupil/sign-in with the school's code and the date of birth, as a pupil does."""
    await audit.visit("/pupil/sign-in")
    await page.get_by_label("Your code").fill(code)
    await fill_date_of_birth(page, born)
    await page.get_by_role("button", name="Sign in").click()


@asynccontextmanager
async def on_a_phone(browser: Any, live_server: LiveServer) -> AsyncIterator[tuple[Any, PageAudit]]:
    """A browser of its own at phone width, and its page with every page it shows audited."""
    context = await browser.new_context(base_url=live_server.url, locale="en-GB", viewport=PHONE)
    try:
        page = await context.new_page()
        yield page, await PageAudit(page, live_server.url).attach()
    finally:
        await context.close()
