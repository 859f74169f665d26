"""Doing to real processes what an outage does: start the service's own processes, kill them, and put
a link between the service and a dependency that can be frozen or cut.

The times the fault tests wait are settings of the service (its heartbeat, sweep and timeouts, set
small here), not sleeps of the tests: a test waits for a state, up to a bound.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from placements.settings import get_settings

T = TypeVar("T")
REDIS_URL = os.environ.get("REDIS_URL")
# Jobs watched closely, so a stopped worker is noticed in seconds rather than a minute.
QUICK_JOBS = {
    "JOB_HEARTBEAT_SECONDS": "0.2",
    "JOB_STALE_SECONDS": "1.5",
    "JOB_SWEEP_SECONDS": "0.3",
    "JOB_REQUEUE_SECONDS": "2",
}
# A process of the service, with `matching.runs.services.solve_bytes` waiting until the file named by
# PLACEMENTS_TEST_GATE exists: a run started there is in the middle of solving for as long as the
# test needs, so killing the process stops it mid-run, every time.
_GATED = """
import os, pathlib, sys, time
import matching.runs.services
solve = matching.runs.services.solve_bytes
def gated(data):
    while not pathlib.Path(os.environ["PLACEMENTS_TEST_GATE"]).exists():
        time.sleep(0.05)
    return solve(data)
matching.runs.services.solve_bytes = gated
from placements.cli import main
sys.exit(main(sys.argv[1:]))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServiceProcess:
    """`placements ARGS…` in a process of its own, its output kept in a file for the test's report."""

    def __init__(self, *args: str, env: dict[str, str], log: Path, gate: Path | None = None) -> None:
        code = ["-c", _GATED] if gate is not None else ["-m", "placements.cli"]
        extra = {"PLACEMENTS_TEST_GATE": str(gate)} if gate is not None else {}
        self.log = log
        self._out = log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, *code, *args],
            env={**os.environ, **env, **extra},
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to tidy up, as when a machine dies."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._out.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self._out.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def service_env(**overrides: str) -> dict[str, str]:
    settings = get_settings()
    return {
        "DATABASE_URL": settings.database_url,
        "QUEUE_NAME": settings.queue_name,
        "PLACEMENTS_ENV": "development",
        **QUICK_JOBS,
        **overrides,
    }


async def eventually(check: Callable[[], Awaitable[T | None]], *, within: float, what: str) -> T:
    """Ask `check` until it answers something true; after `within` seconds, fail saying what was awaited."""
    deadline = time.monotonic() + within
    while True:
        answer = await check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.05)


class Link:
    """A TCP link on 127.0.0.1 to `port` that can be frozen (bytes stop flowing, nothing is closed,
    as when a network or a server hangs) and thawed again. Runs in a thread of its own, so it works
    whichever event loop or process uses it."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._flowing = asyncio.Event()  # belongs to the link's own loop, set and cleared there
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self._ready.wait(5)

    def freeze(self) -> None:
        self._loop.call_soon_threadsafe(self._flowing.clear)

    def thaw(self) -> None:
        self._loop.call_soon_threadsafe(self._flowing.set)

    def cut(self) -> None:
        """End every connection through the link, as a server restarting does; new ones still work."""
        asyncio.run_coroutine_threadsafe(self._end_connections(), self._loop).result(5)

    def close(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _end_connections(self) -> None:
        current = asyncio.current_task()
        pipes = [task for task in asyncio.all_tasks() if task is not current]
        for task in pipes:
            task.cancel()
        await asyncio.gather(*pipes, return_exceptions=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._flowing.set()
        server = self._loop.run_until_complete(asyncio.start_server(self._connect, "127.0.0.1", self.port))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            self._loop.close()

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()


def with_port(url: str, port: int) -> str:
    from sqlalchemy import make_url

    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


def redis_port() -> int:
    from urllib.parse import urlparse

    return urlparse(REDIS_URL or "redis://127.0.0.1:6379").port or 6379
