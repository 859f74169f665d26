"""Server CPU per page of this tree and of another revision, measured side by side.

Both are served at once, one process each on the same database, and wrk drives each role's page
mix at them in short turns, alternating which goes first, so that a machine whose speed drifts
slows both alike; each server's CPU time, read from /proc, is divided by the pages it served. Two
copies of one revision come out about 4% apart this way, where single runs of
`benchmarks.web_load` minutes apart differed by a third on the same code.

The other revision is checked out with `git worktree` and served by this tree's environment and
built assets; the database gets demo data through this tree's migrations, so both revisions must
share them. PostgreSQL (DATABASE_URL, emptied and filled first; with Redis if REDIS_URL is set)
is best: on SQLite the two servers take turns at one file's write lock.
    .venv/bin/python -m benchmarks.web_ab REV [--turns 20] [--seconds 2] [--connections 4]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from benchmarks import web_load

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class _Server:
    base: str
    pid: int
    cpu: float = 0.0
    pages: int = 0


def _worktree(rev: str, where: Path) -> None:
    subprocess.run(["git", "worktree", "add", "--detach", str(where), rev], cwd=ROOT, check=True)  # noqa: S603,S607
    (where / "static").mkdir(exist_ok=True)
    (where / "static" / "dist").symlink_to(ROOT / "static" / "dist")


def _turns(servers: list[_Server], paths: list[str], cookies: list[str], args: argparse.Namespace) -> None:
    for turn in range(args.turns):
        order = range(len(servers)) if turn % 2 == 0 else reversed(range(len(servers)))
        for i in order:
            server = servers[i]
            cpu = web_load._cpu_seconds(server.pid)
            figures = web_load._drive(
                server.base, paths, cookies[i], args.connections, args.seconds, server.pid
            )
            server.cpu += web_load._cpu_seconds(server.pid) - cpu
            server.pages += figures["requests"] - figures["busy"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rev", help="the revision to set beside this tree, e.g. HEAD~3")
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=2, help="length of a turn")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--mixes", default=",".join(web_load.SIGNED_IN))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install wrk")

    from placements.settings import settings_from_env

    with tempfile.TemporaryDirectory() as tmp:
        other = Path(tmp) / "other"
        _worktree(args.rev, other)
        try:
            env = web_load._environment(Path(tmp))
            emails = web_load._prepare(settings_from_env(env))
            print(
                f"server CPU ms per page: {args.turns} turns of {args.seconds} s, "
                f"{args.connections} connections"
            )
            print(f"{'mix':<13} {'this tree':>10} {args.rev:>10} {'change':>8}")
            with ExitStack() as stack:
                servers = []
                for tree in (ROOT, other):
                    port = web_load._free_port()
                    command = [sys.executable, "-m", "placements.cli", "serve", "--port", str(port)]
                    pid = stack.enter_context(web_load._serving(command, env, port, cwd=tree))
                    servers.append(_Server(f"http://127.0.0.1:{port}", pid))
                for mix in args.mixes.split(","):
                    paths = web_load.MIXES[mix]
                    cookies = [web_load._sign_in(server.base, emails[mix]) for server in servers]
                    for server, cookie in zip(servers, cookies, strict=True):
                        web_load._check_pages(server.base, paths, cookie)
                        web_load._drive(server.base, paths, cookie, args.connections, 1, server.pid)  # warm
                        server.cpu, server.pages = 0.0, 0
                    _turns(servers, paths, cookies, args)
                    ours, theirs = (1000 * server.cpu / max(server.pages, 1) for server in servers)
                    print(
                        f"{mix:<13} {ours:>10.2f} {theirs:>10.2f} {100 * (ours / theirs - 1):>+7.0f}%",
                        flush=True,
                    )
        finally:
            (other / "static" / "dist").unlink(missing_ok=True)  # the link, never the assets it names
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, check=False)  # noqa: S603,S607


if __name__ == "__main__":
    main()
