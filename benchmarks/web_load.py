"""Pages under load: each role's common pages beside a bare Litestar app, served the same way.

A database gets the demo data (500 pupils); `placements serve` serves it (one process on SQLite; on
PostgreSQL, `--workers` processes, with Redis when REDIS_URL is set) and uvicorn serves the bare app
of `benchmarks/hello.py` with as many processes. Each role signs in once, then wrk (Debian's `wrk`)
rotates through the role's pages and their API equivalents for `--seconds` at each connection count.
Prints requests/s, latency percentiles, the share of the bare app's requests/s, the server's CPU
time per request and how many requests were refused as busy (503);
where connections outnumber what a process admits (`CONCURRENT_REQUESTS`), a probe beside wrk
reports how long a refusal took. Requests per second count pages served, not refusals. Loopback only.

With DATABASE_URL naming PostgreSQL, that database is emptied and filled first.
    .venv/bin/python -m benchmarks.web_load [--seconds 10] [--connections 32,200] [--workers 2] [--pages]

`--pages` then requests each page of a mix alone over one connection: its server CPU and latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
MIXES = {
    "health": ["/health"],
    "school staff": [
        "/",
        "/pupils",
        "/choices",
        "/placements",
        "/consent-requests",
        "/api/pupils",
        "/api/placements",
    ],
    "coordinator": [
        "/",
        "/placements",
        "/placements?q=data",
        "/schools",
        "/employers",
        "/rounds",
        "/reports",
        "/api/placements",
        "/api/schools",
        "/api/rounds",
    ],
}
# The mixes that sign in, named as the demo data names its accounts' kinds ("school staff, …").
SIGNED_IN = ("school staff", "coordinator")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _prepare(settings) -> dict[str, str]:
    """Demo data in an emptied database; the email of one account per role."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from demo.data import load_demo
    from placements import migrate
    from placements.db import create_engine

    if not settings.database_url.startswith("sqlite"):
        migrate.downgrade(settings, "base")
    migrate.upgrade(settings)

    async def fill() -> list[tuple[str, str]]:
        engine = create_engine(settings)
        async with async_sessionmaker(engine, expire_on_commit=False)() as db:
            accounts = await load_demo(db, settings)
            await db.commit()
        await engine.dispose()
        return accounts

    accounts = asyncio.run(fill())
    return {role: next(email for email, kind in accounts if kind.startswith(role)) for role in SIGNED_IN}


def _environment(tmp: Path) -> dict[str, str]:
    """The servers' environment: DATABASE_URL's database, or an SQLite file in `tmp`; REDIS_URL
    only beside PostgreSQL (on SQLite, jobs run in the web process)."""
    url = os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{tmp / 'load.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "PLACEMENTS_ENV": "development"}
    if url.startswith("sqlite"):
        env.pop("REDIS_URL", None)
    return env


@contextmanager
def _serving(command: list[str], env: dict[str, str], port: int, cwd: Path | None = None) -> Iterator[int]:
    """Run a server (from `cwd`'s code, if given) until the block ends; yields its process id once
    it answers."""
    process = subprocess.Popen(  # noqa: S603
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{' '.join(command)} did not start") from None
                time.sleep(0.2)
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _cpu_seconds(root: int) -> float:
    """User and system CPU of a process and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    tree, grew = {root}, True
    while grew:
        grown = tree | {pid for pid, parent in parents.items() if parent in tree}
        grew, tree = grown != tree, grown
    return sum(times.get(pid, 0.0) for pid in tree)


def _sign_in(base: str, email: str) -> str:
    """The Cookie header of a signed-in browser."""
    from demo.data import DEMO_PASSWORD

    with httpx.Client(base_url=base, follow_redirects=False) as browser:
        browser.get("/health")
        answer = browser.post(
            "/sign-in",
            data={"_csrf_token": browser.cookies["csrftoken"], "email": email, "password": DEMO_PASSWORD},
            headers={"accept": "text/html"},
        )
        if answer.status_code != 303:
            raise SystemExit(f"signing in as {email} failed: {answer.status_code}")
        return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def _check_pages(base: str, paths: list[str], cookie: str) -> None:
    for path in paths:
        answer = httpx.get(base + path, headers={"cookie": cookie, "accept": "text/html"})
        if answer.status_code != 200:
            raise SystemExit(f"{path} answered {answer.status_code}: fix the page mix")


class _RefusalProbe(threading.Thread):
    """Requests one page after another beside wrk, timing the answers refused as busy."""

    def __init__(self, url: str, cookie: str) -> None:
        super().__init__(daemon=True)
        self.url, self.cookie = url, cookie
        self.refused: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    answer = client.get(self.url, headers={"cookie": self.cookie, "accept": "text/html"})
                except httpx.TransportError:
                    continue
                if answer.status_code == 503:
                    self.refused.append(time.perf_counter() - started)
                time.sleep(0.05)


def _drive(base: str, paths: list[str], cookie: str, connections: int, seconds: int, server: int) -> dict:
    env = {**os.environ, "WRK_PATHS": "|".join(paths), "WRK_COOKIE": cookie}
    threads = min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    command += ["-s", str(HERE / "web_load.lua"), base]
    cpu = _cpu_seconds(server)
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=True)  # noqa: S603
    figures = json.loads(finished.stdout.strip().splitlines()[-1])
    figures["cpu_ms"] = 1000 * (_cpu_seconds(server) - cpu) / max(figures["requests"], 1)
    # Pages served: answers refused as busy are counted apart.
    figures["rps"] = (figures["requests"] - figures["busy"]) / figures["seconds"]
    return figures


def _row(name: str, connections: int, figures: dict, bare_rps: float) -> str:
    share = 100 * figures["rps"] / bare_rps if bare_rps else float("nan")
    return (
        f"{name:<13} {connections:>5} {figures['rps']:>8.0f} {figures['p50'] / 1000:>7.1f} "
        f"{figures['p95'] / 1000:>7.1f} {figures['p99'] / 1000:>7.1f} {figures['max'] / 1000:>8.1f} "
        f"{share:>7.2f}% {figures['cpu_ms']:>7.2f} {figures['busy']:>6} "
        f"{figures['failed'] + figures['socket_errors']:>6}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", default="32,200")
    parser.add_argument("--workers", type=int, default=2, help="web processes on PostgreSQL with Redis")
    parser.add_argument("--mixes", default=",".join(MIXES))
    parser.add_argument("--pages", action="store_true", help="also each page alone, one connection")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install wrk")
    connections = [int(count) for count in args.connections.split(",")]
    mixes = args.mixes.split(",")

    from placements.settings import settings_from_env

    with tempfile.TemporaryDirectory() as tmp:
        env = _environment(Path(tmp))
        url, redis = env["DATABASE_URL"], env.get("REDIS_URL")
        workers = args.workers if redis else 1
        settings = settings_from_env(env)
        limit = settings.concurrent_requests
        emails = _prepare(settings)
        database = "SQLite" if url.startswith("sqlite") else "PostgreSQL" + (" and Redis" if redis else "")
        print(
            f"{database}, {workers} web process(es) each; {args.seconds} s per line; "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        print(
            f"{'mix':<13} {'conns':>5} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>8} "
            f"{'of bare':>8} {'CPU ms':>7} {'503s':>6} {'failed':>6}"
        )
        bare_port, port = _free_port(), _free_port()
        bare = [sys.executable, "-m", "uvicorn", "benchmarks.hello:app", "--port", str(bare_port)]
        bare += ["--workers", str(workers), "--proxy-headers", "--log-level", "info"]
        bare_rps: dict[int, float] = {}
        with _serving(bare, env, bare_port) as server:
            for count in connections:
                figures = _drive(f"http://127.0.0.1:{bare_port}", ["/"], "", count, args.seconds, server)
                bare_rps[count] = figures["rps"]
                print(_row("bare app", count, figures, figures["rps"]), flush=True)
        serve = [
            sys.executable,
            "-m",
            "placements.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
        base = f"http://127.0.0.1:{port}"
        with _serving(serve, env, port) as server:
            for name in mixes:
                paths = MIXES[name]
                cookie = _sign_in(base, emails[name]) if name in emails else ""
                _check_pages(base, paths, cookie)
                for count in connections:
                    probe = _RefusalProbe(base + paths[0], cookie) if count > limit else None
                    if probe:
                        probe.start()
                    figures = _drive(base, paths, cookie, count, args.seconds, server)
                    print(_row(name, count, figures, bare_rps[count]), flush=True)
                    if probe:
                        probe.stop.set()
                        probe.join()
                        if probe.refused:
                            median = 1000 * statistics.median(probe.refused)
                            slowest = 1000 * max(probe.refused)
                            print(
                                f"{'':<19} refused as busy in {median:.1f} ms "
                                f"(median of {len(probe.refused)}), slowest {slowest:.1f} ms"
                            )
                if args.pages:
                    for path in paths:
                        figures = _drive(base, [path], cookie, 1, args.seconds, server)
                        cpu, p50 = figures["cpu_ms"], figures["p50"] / 1000
                        print(f"{'':<4}{path:<28} CPU {cpu:.2f} ms, p50 {p50:.1f} ms")


if __name__ == "__main__":
    main()
