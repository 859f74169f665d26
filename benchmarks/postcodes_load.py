"""Time `placements postcodes load` on a synthetic ONSPD-shaped file (the real one has 2.7 million
rows, about 1.8 million live and placed):
    .venv/bin/python -m benchmarks.postcodes_load [ROWS]

Runs against a fresh SQLite database (and PostgreSQL too when DATABASE_URL names one).
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker

ROWS = 200_000
PER_SECTOR, SECTORS = 100, 10


def districts(rows: int) -> list[tuple[str, float, float]]:
    """Enough made-up districts ("AB1" to "ZZ99") for `rows` postcodes, scattered over England."""
    rng = random.Random(1)
    letters = "ABCDEFGHJKLMNOPRSTUWYZ"
    codes = (f"{a}{b}{n}" for a in letters for b in letters for n in range(1, 100))
    count = -(-rows // (PER_SECTOR * SECTORS))
    return [(next(codes), rng.uniform(50.5, 55.0), rng.uniform(-3.5, 1.5)) for _ in range(count)]


def write_file(path: Path, rows: int) -> None:
    from demo.postcodes import synthetic_rows, write_csv

    with path.open("w", newline="") as out:
        made = synthetic_rows(districts(rows), per_sector=PER_SECTOR, sectors=SECTORS, seed=2)
        write_csv(out, islice(made, rows))


async def run(url: str, path: Path, rows: int) -> None:
    from placements import migrate
    from placements.db import create_engine
    from placements.postcodes.services import load_postcode_file
    from placements.settings import settings_from_env

    settings = settings_from_env({"DATABASE_URL": url})
    await asyncio.to_thread(migrate.upgrade, settings)
    engine = create_engine(settings)
    try:
        for label in ("first load", "reload (replaces)"):
            started = time.perf_counter()
            async with async_sessionmaker(engine)() as db, db.begin():
                done = await load_postcode_file(db, path)
            took = time.perf_counter() - started
            print(
                f"{url.split(':')[0]:<20} {label:<18} rows={rows:,} loaded={done.loaded.postcodes:,} "
                f"sectors={done.loaded.sectors:,} districts={done.loaded.districts:,} "
                f"{took:.1f}s ({rows / took:,.0f} rows/s)"
            )
    finally:
        await engine.dispose()


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "onspd.csv"
        write_file(path, rows)
        asyncio.run(run(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}", path, rows))
        url = os.environ.get("DATABASE_URL", "")
        if url.startswith("postgresql"):
            print("(PostgreSQL: DATABASE_URL must name a database the benchmark may fill)")
            asyncio.run(run(url, path, rows))


if __name__ == "__main__":
    main()
