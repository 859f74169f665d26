"""Rounds shaped like the ones a national programme meets (`placements-instance/1`).

- ``national``: 40 regions of county geography, each a county town and smaller towns with
  pupils around them and most placements in the bigger towns; pupils travel 5-20 km, 8% of
  placements are remote, half the pupils are open to other placements.
- ``dense``: the same round with no travel limit anywhere (no postcodes, or a coordinator
  who sets none), so an open pupil may go to any placement of their year group and weeks.
- ``handful``: the national round where every pupil ranks the same dozen remote
  placements, so one crowd contests them and the rest is unlisted.
- ``towns``: `generate.generate`, the round the solver benchmark started with.

Everything derives from the seed.

    python -m benchmarks.families national 100000 20000 -o instance.json
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from benchmarks.generate import WEEKS, generate, to_bytes

FAMILIES = ("national", "dense", "handful", "towns")
REGIONS = 40
REGION_KM = 30.0
PUPILS_PER_TOWN = 1500
PUPILS_PER_SCHOOL = 180
REMOTE_SHARE = 0.08
RURAL_SHARE = 0.15
CHOICES = 5
HANDFUL = 12
KM_PER_DEG = 111.2
YEAR_OPTIONS = ([10, 12], [10], [12])


def _offset(
    rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, km: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Points scattered normally, `km` apart on average, around (lat, lon)."""
    dlat = rng.normal(0, 1, lat.size) * km / KM_PER_DEG
    dlon = rng.normal(0, 1, lat.size) * km / (KM_PER_DEG * np.cos(np.radians(lat)))
    return np.round(lat + dlat, 5), np.round(np.clip(lon + dlon, -180, 180), 5)


def _towns(rng: np.random.Generator, n_towns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres and relative sizes of towns, grouped into REGIONS counties over England."""
    grid = np.array([(a, b) for a in range(5) for b in range(8)], dtype=np.float64)
    centre = np.column_stack([50.9 + grid[:, 0] * 0.85, -3.8 + grid[:, 1] * 0.62])
    centre += rng.uniform(-0.15, 0.15, centre.shape)
    region = np.arange(n_towns) % REGIONS
    # The first town of each region is its county town, several times the others' size.
    size = rng.lognormal(0, 0.7, n_towns) * np.where(np.arange(n_towns) < REGIONS, 6.0, 1.0)
    lat, lon = _offset(rng, centre[region, 0], centre[region, 1], REGION_KM / 2)
    first = np.arange(n_towns) < REGIONS
    lat[first], lon[first] = centre[region[first], 0], centre[region[first], 1]
    return np.column_stack([lat, lon]), size / size.sum(), region


def _weeks(rng: np.random.Generator, n: int, low: int, high: int) -> list[list[str]]:
    counts = rng.integers(low, high + 1, n)
    keys = rng.random((n, len(WEEKS)))
    order = np.argsort(keys, axis=1)
    return [sorted(WEEKS[i] for i in row[:k]) for row, k in zip(order.tolist(), counts.tolist(), strict=True)]


def _draw(
    rng: np.random.Generator, pool: np.ndarray, weight: np.ndarray, segment: np.ndarray, starts: np.ndarray
) -> np.ndarray:
    """One placement of `pool` per draw, by weight, from the draw's segment
    pool[starts[s]:starts[s + 1]] (which must not be empty)."""
    cum = np.cumsum(weight[pool])
    before = np.r_[0.0, cum][starts[segment]]
    total = cum[starts[segment + 1] - 1] - before
    at = np.searchsorted(cum, before + rng.random(segment.size) * total, side="right")
    return pool[np.minimum(at, starts[segment + 1] - 1)]


def _first_distinct(draws: np.ndarray, k: int) -> list[list[int]]:
    """Each row's first k distinct values, in the order drawn."""
    repeat = np.zeros(draws.shape, dtype=bool)
    for j in range(1, draws.shape[1]):
        repeat[:, j] = (draws[:, :j] == draws[:, j : j + 1]).any(axis=1)
    keep = ~repeat & (np.cumsum(~repeat, axis=1) <= k)
    return [row[ok].tolist() for row, ok in zip(draws, keep, strict=True)]


def national(
    n_pupils: int, n_placements: int, seed: int = 0, *, travel: bool = True, handful: bool = False
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    n_towns = max(REGIONS, n_pupils // PUPILS_PER_TOWN)
    centres, size, _ = _towns(rng, n_towns)
    pupil_town = rng.choice(n_towns, n_pupils, p=size)
    rural = rng.random(n_pupils) < RURAL_SHARE
    plat, plon = _offset(rng, centres[pupil_town, 0], centres[pupil_town, 1], np.where(rural, 12.0, 3.5))
    remote = rng.random(n_placements) < REMOTE_SHARE
    # Work concentrates in the bigger towns.
    job_weight = size**1.3 / (size**1.3).sum()
    place_town = rng.choice(n_towns, n_placements, p=job_weight)
    qlat, qlon = _offset(rng, centres[place_town, 0], centres[place_town, 1], 2.5)
    popularity = rng.pareto(1.5, n_placements) + 1
    capacity = rng.integers(1, 5, n_placements)
    year_pick = rng.choice(3, n_placements, p=[0.5, 0.3, 0.2])
    place_weeks = _weeks(rng, n_placements, 2, 4)
    handful_ids = np.flatnonzero(remote)[:HANDFUL] if handful else np.zeros(0, dtype=np.int64)
    capacity[handful_ids] = 10
    placements = []
    for i in range(n_placements):
        rec: dict[str, Any] = {
            "id": f"P{i + 1:07d}",
            "capacity": int(capacity[i]),
            "employer": f"E{i // 3 + 1:07d}",
            "year_groups": YEAR_OPTIONS[year_pick[i]],
            "weeks": place_weeks[i],
        }
        if remote[i]:
            rec["remote"] = True
        else:
            rec["lat"], rec["lon"] = float(qlat[i]), float(qlon[i])
        placements.append(rec)
    remote_ids = np.flatnonzero(remote)
    draws = (n_pupils, 3 * CHOICES)
    if handful:
        one = np.zeros(n_pupils * draws[1], dtype=np.int64)
        chosen = _draw(rng, handful_ids, np.ones(n_placements), one, np.array([0, handful_ids.size]))
    else:
        # Most choices are placements of the pupil's own town, some are remote.
        by_town = np.argsort(place_town, kind="stable")
        starts = np.searchsorted(place_town[by_town], np.arange(n_towns + 1))
        town = np.repeat(pupil_town, draws[1])
        local = (rng.random(town.size) >= 0.15) & (starts[town + 1] > starts[town])
        chosen = _draw(
            rng, remote_ids, popularity, np.zeros(town.size, dtype=np.int64), np.array([0, remote_ids.size])
        )
        chosen[local] = _draw(rng, by_town, popularity, town[local], starts)
    prefs = _first_distinct(chosen.reshape(draws), CHOICES)
    schools_in_town = np.maximum(1, np.bincount(pupil_town, minlength=n_towns) // PUPILS_PER_SCHOOL)
    school = rng.integers(0, 1 << 30, n_pupils) % schools_in_town[pupil_town]
    year = rng.choice([10, 12], n_pupils, p=[0.6, 0.4])
    priority = (rng.random(n_pupils) < 0.25).astype(int)
    open_to_other = rng.random(n_pupils) < 0.5
    max_km = np.round(rng.uniform(5, 20, n_pupils) * 2) / 2
    pupil_weeks = _weeks(rng, n_pupils, 1, 3)
    pupils = []
    for i in range(n_pupils):
        rec = {
            "id": f"S{i + 1:07d}",
            "school": f"SCH{pupil_town[i]:04d}-{school[i]:02d}",
            "year_group": int(year[i]),
            "lat": float(plat[i]),
            "lon": float(plon[i]),
            "priority": int(priority[i]),
            "weeks": pupil_weeks[i],
            "preferences": [placements[q]["id"] for q in prefs[i]],
            "open_to_other": bool(open_to_other[i]),
        }
        if travel:
            rec["max_travel_km"] = float(max_km[i])
        pupils.append(rec)
    return {
        "format": "placements-instance/1",
        "policy": {"mode": "optimal", "max_per_school": 2, "seed": seed},
        "placements": placements,
        "pupils": pupils,
    }


def family(
    name: str, n_pupils: int, n_placements: int, seed: int = 0, *, mode: str = "optimal"
) -> dict[str, Any]:
    """An instance of the named family; mode `stable` drops the school caps it does not support."""
    if name == "towns":
        cap = None if mode == "stable" else 2
        return generate(n_pupils, n_placements, seed, mode=mode, max_per_school=cap)
    inst = national(n_pupils, n_placements, seed, travel=name != "dense", handful=name == "handful")
    inst["policy"]["mode"] = mode
    if mode == "stable":
        inst["policy"]["max_per_school"] = None
    return inst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", choices=FAMILIES)
    parser.add_argument("pupils", type=int)
    parser.add_argument("placements", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mode", choices=["optimal", "stable"], default="optimal")
    parser.add_argument("-o", "--output", default="-")
    args = parser.parse_args()
    data = to_bytes(family(args.family, args.pupils, args.placements, args.seed, mode=args.mode))
    if args.output == "-":
        print(data.decode())
    else:
        with open(args.output, "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
