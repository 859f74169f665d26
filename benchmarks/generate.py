"""Random but realistic matching instances (`placements-instance/1`).

Pupils and placements cluster around towns spread over an England-sized box; town sizes
are skewed, as is the popularity of placements within a town. Each pupil ranks five
placements of their own town, so some choices fall foul of year group, week or distance
and are dropped. Everything derives from `seed`.

    python -m benchmarks.generate 5000 1500 -o instance.json
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

WEEKS = ["2027-W25", "2027-W26", "2027-W27", "2027-W28"]
KM_PER_DEG_LAT = 111.2


def _positions(
    rng: np.random.Generator, town: np.ndarray, centres: np.ndarray, spread_km: float
) -> tuple[np.ndarray, np.ndarray]:
    lat = centres[town, 0] + rng.normal(0, spread_km, town.size) / KM_PER_DEG_LAT
    lon = centres[town, 1] + rng.normal(0, spread_km, town.size) / (
        KM_PER_DEG_LAT * np.cos(np.radians(centres[town, 0]))
    )
    return np.round(lat, 5), np.round(lon, 5)


def _choices(
    rng: np.random.Generator, pupil_town: np.ndarray, place_town: np.ndarray, popularity: np.ndarray, k: int
) -> list[list[int]]:
    """k distinct placements of the pupil's town, drawn by popularity (Gumbel top-k)."""
    prefs: list[list[int]] = [[] for _ in range(pupil_town.size)]
    for t in np.unique(pupil_town).tolist():
        pupils = np.flatnonzero(pupil_town == t)
        places = np.flatnonzero(place_town == t)
        if places.size == 0:
            continue
        take = min(k, places.size)
        for lo in range(0, pupils.size, 2048):
            block = pupils[lo : lo + 2048]
            keys = np.log(popularity[places]) + rng.gumbel(size=(block.size, places.size))
            top = np.argpartition(-keys, take - 1, axis=1)[:, :take]
            order = np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1)
            chosen = places[np.take_along_axis(top, order, axis=1)]
            for i, row in zip(block.tolist(), chosen.tolist(), strict=True):
                prefs[i] = row
    return prefs


def generate(
    n_pupils: int,
    n_placements: int,
    seed: int = 0,
    *,
    open_share: float = 0.5,
    max_per_school: int | None = 2,
    choices: int = 5,
    mode: str = "optimal",
    rankings: bool = False,
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    n_towns = max(2, n_pupils // 400)
    centres = np.column_stack([rng.uniform(50.8, 54.8, n_towns), rng.uniform(-4.0, 0.5, n_towns)])
    size = rng.lognormal(0, 0.8, n_towns)
    size /= size.sum()
    pupil_town = rng.choice(n_towns, n_pupils, p=size)
    place_town = rng.choice(n_towns, n_placements, p=size)
    plat, plon = _positions(rng, pupil_town, centres, 4.0)
    qlat, qlon = _positions(rng, place_town, centres, 3.0)
    popularity = rng.pareto(1.5, n_placements) + 1
    remote = np.zeros(n_placements, dtype=bool)
    remote[rng.choice(n_placements, min(20, n_placements // 100), replace=False)] = True
    year_options = [[10, 12], [10], [12]]
    year_pick = rng.choice(3, n_placements, p=[0.5, 0.3, 0.2])
    capacity = rng.integers(1, 5, n_placements)
    placements = []
    for i in range(n_placements):
        rec: dict[str, Any] = {
            "id": f"P{i + 1:06d}",
            "capacity": int(capacity[i]),
            "employer": f"E{i // 3 + 1:06d}",
            "year_groups": year_options[year_pick[i]],
            "weeks": sorted(rng.choice(WEEKS, int(rng.integers(2, 5)), replace=False).tolist()),
        }
        if remote[i]:
            rec["remote"] = True
        else:
            rec["lat"], rec["lon"] = float(qlat[i]), float(qlon[i])
        placements.append(rec)
    prefs = _choices(rng, pupil_town, place_town, popularity, choices)
    school = [
        f"SCH{t:04d}-{k}"
        for t, k in zip(pupil_town.tolist(), rng.integers(0, 3, n_pupils).tolist(), strict=True)
    ]
    year = rng.choice([10, 12], n_pupils, p=[0.6, 0.4])
    priority = (rng.random(n_pupils) < 0.25).astype(int)
    open_to_other = rng.random(n_pupils) < open_share
    max_km = np.round(rng.uniform(15, 25, n_pupils), 1)
    pupils = []
    for i in range(n_pupils):
        pupils.append(
            {
                "id": f"S{i + 1:06d}",
                "school": school[i],
                "year_group": int(year[i]),
                "lat": float(plat[i]),
                "lon": float(plon[i]),
                "max_travel_km": float(max_km[i]),
                "priority": int(priority[i]),
                "weeks": sorted(rng.choice(WEEKS, int(rng.integers(1, 4)), replace=False).tolist()),
                "preferences": [placements[q]["id"] for q in prefs[i]],
                "open_to_other": bool(open_to_other[i]),
            }
        )
    instance: dict[str, Any] = {
        "format": "placements-instance/1",
        "policy": {"mode": mode, "max_per_school": max_per_school, "seed": seed, "max_travel_km": 25},
        "placements": placements,
        "pupils": pupils,
    }
    if rankings:
        ranked = rng.choice(n_placements, max(1, n_placements // 10), replace=False)
        applicants: dict[int, list[str]] = {int(q): [] for q in ranked}
        for p in pupils:
            for q in p["preferences"]:
                qi = int(q[1:]) - 1
                if qi in applicants:
                    applicants[qi].append(p["id"])
        instance["placement_rankings"] = {
            placements[q]["id"]: rng.permutation(ids).tolist() for q, ids in applicants.items() if ids
        }
    return instance


def to_bytes(instance: dict[str, Any]) -> bytes:
    return json.dumps(instance, separators=(",", ":")).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pupils", type=int)
    parser.add_argument("placements", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mode", choices=["optimal", "stable"], default="optimal")
    parser.add_argument("-o", "--output", default="-")
    args = parser.parse_args()
    cap = None if args.mode == "stable" else 2
    data = to_bytes(generate(args.pupils, args.placements, args.seed, mode=args.mode, max_per_school=cap))
    if args.output == "-":
        print(data.decode())
    else:
        with open(args.output, "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
