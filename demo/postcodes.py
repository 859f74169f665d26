"""The demo's postcode extract, `demo/postcodes.csv`, and how it was made.

It is a synthetic sample in the ONS Postcode Directory's format, not ONS data: postcodes in the
districts of the demo's towns, scattered a kilometre or two around each district's middle, with
each town's own postcode where the town is, and a few terminated and unplaced rows as ONSPD has.
`placements demo` loads it, so the demo places postcodes as a council's real load would.
Rewrite it with `python -m demo.postcodes`; the benchmarks use the same generator for size.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from demo.data import TOWNS
from placements.geo import DISTRICT_CENTROIDS

DEMO_POSTCODES = Path(__file__).with_name("postcodes.csv")
HEADER = ["pcd", "pcds", "dointr", "doterm", "lat", "long"]
# The letter pairs that end an inward code ("2HE"): never C, I, K, M, O or V.
UNITS = sorted(a + b for a in "ABDEFGHJLNPQRSTUWXYZ" for b in "ABDEFGHJLNPQRSTUWXYZ")
NO_GRID_REFERENCE = ("99.999999", "0.000000")


def _pcd(outward: str, inward: str) -> str:
    """ONSPD's fixed-width `pcd`: the outward code padded to four characters."""
    return f"{outward:<4}{inward}" if len(outward) < 4 else f"{outward}{inward}"


def synthetic_rows(
    districts: Sequence[tuple[str, float, float]], per_sector: int, sectors: int, seed: int
) -> Iterator[list[str]]:
    """ONSPD-shaped rows: `sectors` sectors of `per_sector` postcodes in each district (outward
    code, latitude, longitude of its middle); one row in fifty terminated, another one in a
    hundred without a grid reference."""
    rng = random.Random(seed)
    count = 0
    for outward, lat, lon in districts:
        for sector in range(1, sectors + 1):
            sector_lat, sector_lon = lat + rng.uniform(-0.01, 0.01), lon + rng.uniform(-0.015, 0.015)
            for unit in rng.sample(UNITS, min(per_sector, len(UNITS))):
                count += 1
                inward = f"{sector % 10}{unit}"
                point = (f"{sector_lat + rng.gauss(0, 0.004):.6f}", f"{sector_lon + rng.gauss(0, 0.006):.6f}")
                if count % 100 == 25:
                    point = NO_GRID_REFERENCE
                ended = "202001" if count % 50 == 0 else ""
                yield [_pcd(outward, inward), f"{outward} {inward}", "198001", ended, *point]


def write_csv(text: TextIO, rows: Iterator[list[str]]) -> None:
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)


def _demo_rows() -> Iterator[list[str]]:
    towns = {town.postcode: town for town in TOWNS}
    districts = sorted({town.postcode.split(" ")[0] for town in TOWNS})
    centres = [(district, *DISTRICT_CENTROIDS[district]) for district in districts]
    for town in TOWNS:
        outward, inward = town.postcode.split(" ")
        yield [_pcd(outward, inward), town.postcode, "198001", "", f"{town.lat:.6f}", f"{town.lon:.6f}"]
    for row in synthetic_rows(centres, per_sector=8, sectors=3, seed=2027):
        if row[1] not in towns:
            yield row


if __name__ == "__main__":
    with DEMO_POSTCODES.open("w", newline="") as out:
        write_csv(out, _demo_rows())
