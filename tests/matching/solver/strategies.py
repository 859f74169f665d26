"""Hypothesis strategies for small, valid matching instances."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

WEEKS = ["W1", "W2", "W3"]


@st.composite
def instances(
    draw: st.DrawFn,
    *,
    mode: str = "optimal",
    max_pupils: int = 5,
    max_placements: int = 3,
    school_caps: bool = True,
    rankings: bool = False,
) -> dict[str, Any]:
    n_places = draw(st.integers(1, max_placements))
    n_pupils = draw(st.integers(1, max_pupils))
    coords = st.one_of(st.none(), st.tuples(st.floats(53.0, 53.3), st.floats(-2.8, -2.4)))
    placements = []
    for i in range(n_places):
        q: dict[str, Any] = {"id": f"P{i + 1}", "capacity": draw(st.integers(0, 2))}
        c = draw(coords)
        if c is not None:
            q["lat"], q["lon"] = c
        if draw(st.booleans()):
            q["remote"] = draw(st.booleans())
        if draw(st.integers(0, 3)) == 0:
            q["year_groups"] = draw(st.lists(st.sampled_from([10, 11, 12]), max_size=2, unique=True))
        if draw(st.integers(0, 3)) == 0:
            q["weeks"] = draw(st.lists(st.sampled_from(WEEKS), max_size=2, unique=True))
        if school_caps and draw(st.integers(0, 3)) == 0:
            q["max_per_school"] = draw(st.integers(0, 2))
        placements.append(q)
    ids = [q["id"] for q in placements]
    pupils = []
    for i in range(n_pupils):
        p: dict[str, Any] = {
            "id": f"S{i + 1}",
            "school": draw(st.sampled_from(["A", "B"])),
            "preferences": draw(
                st.permutations(ids).flatmap(
                    lambda perm: st.integers(0, len(perm)).map(lambda k, perm=perm: list(perm[:k]))
                )
            ),
        }
        c = draw(coords)
        if c is not None:
            p["lat"], p["lon"] = c
        if draw(st.booleans()):
            p["max_travel_km"] = draw(st.sampled_from([5, 12.5, 20, None]))
        if draw(st.booleans()):
            p["priority"] = draw(st.integers(0, 2))
        if draw(st.integers(0, 2)) == 0:
            p["year_group"] = draw(st.sampled_from([10, 11, 12]))
        if draw(st.integers(0, 3)) == 0:
            p["weeks"] = draw(st.lists(st.sampled_from(WEEKS), max_size=2, unique=True))
        if mode == "optimal":
            p["open_to_other"] = draw(st.booleans())
        pupils.append(p)
    policy: dict[str, Any] = {"mode": mode, "seed": draw(st.integers(0, 5))}
    if draw(st.booleans()):
        policy["rank_costs"] = draw(st.lists(st.integers(0, 30), min_size=1, max_size=4))
        policy["unlisted_cost"] = draw(st.integers(0, 60))
        policy["unassigned_cost"] = draw(st.integers(0, 80))
        policy["priority_weight"] = draw(st.integers(0, 2))
    if draw(st.booleans()):
        policy["max_travel_km"] = draw(st.sampled_from([8, 15, 30]))
    if school_caps and draw(st.integers(0, 2)) == 0:
        policy["max_per_school"] = draw(st.integers(0, 2))
    inst: dict[str, Any] = {
        "format": "placements-instance/1",
        "policy": policy,
        "placements": placements,
        "pupils": pupils,
    }
    pairs = st.tuples(st.sampled_from([p["id"] for p in pupils]), st.sampled_from(ids))
    inst["forbidden"] = [
        {"pupil": p, "placement": q} for p, q in draw(st.lists(pairs, max_size=3, unique=True))
    ]
    fixed, load, seen = [], {}, set()
    school = {p["id"]: p["school"] for p in pupils}
    for p, q in draw(st.lists(pairs, max_size=2)):
        place = next(x for x in placements if x["id"] == q)
        cap = place.get("max_per_school", policy.get("max_per_school"))
        if (
            p in seen
            or load.get(q, 0) >= place["capacity"]
            or (cap is not None and load.get((school[p], q), 0) >= cap)
        ):
            continue
        seen.add(p)
        load[q] = load.get(q, 0) + 1
        load[(school[p], q)] = load.get((school[p], q), 0) + 1
        fixed.append({"pupil": p, "placement": q})
    inst["fixed"] = fixed
    if rankings:
        inst["placement_rankings"] = {
            q: draw(
                st.permutations([p["id"] for p in pupils]).flatmap(
                    lambda perm: st.integers(0, len(perm)).map(lambda k, perm=perm: list(perm[:k]))
                )
            )
            for q in ids
            if draw(st.booleans())
        }
    return inst
