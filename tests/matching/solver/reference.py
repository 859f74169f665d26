"""Independent, deliberately plain implementations of the format's rules, for checking.

Nothing here imports the solver's internals: eligibility, costs, brute-force optimum and
textbook Gale-Shapley are written again from the spec, in plain Python.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

DEFAULTS: dict[str, Any] = {
    "mode": "optimal",
    "rank_costs": [1, 4, 9, 16, 25, 36, 49, 64, 81, 100],
    "unlisted_cost": 200,
    "unassigned_cost": 10000,
    "priority_weight": 1,
    "max_travel_km": None,
    "max_per_school": None,
    "seed": 0,
}


def policy(inst: dict[str, Any]) -> dict[str, Any]:
    return {**DEFAULTS, **inst.get("policy", {})}


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))


def reason(inst: dict[str, Any], pupil: dict[str, Any], place: dict[str, Any]) -> str | None:
    """Why `pupil` may not go to `place` (rules 2-5), or None when eligible."""
    if (
        place.get("year_groups") is not None
        and pupil.get("year_group") is not None
        and pupil["year_group"] not in place["year_groups"]
    ):
        return "wrong year group"
    if (
        place.get("weeks") is not None
        and pupil.get("weeks") is not None
        and not set(place["weeks"]) & set(pupil["weeks"])
    ):
        return "no shared week"
    limits = [x for x in (pupil.get("max_travel_km"), policy(inst)["max_travel_km"]) if x is not None]
    if (
        not place.get("remote")
        and limits
        and pupil.get("lat") is not None
        and place.get("lat") is not None
        and haversine(pupil["lat"], pupil["lon"], place["lat"], place["lon"]) > min(limits)
    ):
        return "too far"
    if {"pupil": pupil["id"], "placement": place["id"]} in inst.get("forbidden", []):
        return "forbidden"
    return None


def school_cap(inst: dict[str, Any], place: dict[str, Any]) -> int | None:
    if place.get("max_per_school") is not None:
        return place["max_per_school"]
    return policy(inst)["max_per_school"]


def cost(inst: dict[str, Any], pupil: dict[str, Any], place_id: str | None) -> int:
    pol = policy(inst)
    w = 1 + pol["priority_weight"] * (pupil.get("priority") or 0)
    if place_id is None:
        return w * pol["unassigned_cost"]
    if place_id in pupil["preferences"]:
        r = pupil["preferences"].index(place_id) + 1
        return w * pol["rank_costs"][min(r, len(pol["rank_costs"])) - 1]
    return w * pol["unlisted_cost"]


def fixed_map(inst: dict[str, Any]) -> dict[str, str]:
    return {f["pupil"]: f["placement"] for f in inst.get("fixed", [])}


def options(inst: dict[str, Any], pupil: dict[str, Any], mode: str) -> list[str]:
    fixed = fixed_map(inst)
    if pupil["id"] in fixed:
        return [fixed[pupil["id"]]]
    out = []
    for place in inst["placements"]:
        listed = place["id"] in pupil["preferences"]
        if not listed and not (mode == "optimal" and pupil.get("open_to_other")):
            continue
        if reason(inst, pupil, place) is None:
            out.append(place["id"])
    return out


def feasible(inst: dict[str, Any], assignment: dict[str, str | None]) -> bool:
    places = {q["id"]: q for q in inst["placements"]}
    schools = {p["id"]: p["school"] for p in inst["pupils"]}
    load: dict[str, int] = {}
    per_school: dict[tuple[str, str], int] = {}
    for pid, qid in assignment.items():
        if qid is None:
            continue
        load[qid] = load.get(qid, 0) + 1
        key = (schools[pid], qid)
        per_school[key] = per_school.get(key, 0) + 1
    if any(n > places[q]["capacity"] for q, n in load.items()):
        return False
    return all(
        school_cap(inst, places[q]) is None or n <= school_cap(inst, places[q])
        for (_, q), n in per_school.items()
    )


def brute_force_optimum(inst: dict[str, Any]) -> int:
    pupils = inst["pupils"]
    fixed = fixed_map(inst)
    choices = [
        options(inst, p, "optimal") if p["id"] in fixed else [None, *options(inst, p, "optimal")]
        for p in pupils
    ]
    best = None
    for combo in itertools.product(*choices):
        assignment = {p["id"]: q for p, q in zip(pupils, combo, strict=True)}
        if feasible(inst, assignment):
            total = sum(cost(inst, p, q) for p, q in zip(pupils, combo, strict=True))
            best = total if best is None else min(best, total)
    assert best is not None
    return best


def gale_shapley(inst: dict[str, Any]) -> dict[str, str | None]:
    """Textbook pupil-proposing deferred acceptance, one proposal at a time."""
    pol = policy(inst)
    ids = sorted(p["id"] for p in inst["pupils"])
    pupils = {p["id"]: p for p in inst["pupils"]}
    places = {q["id"]: q for q in inst["placements"]}
    lottery = np.random.default_rng(pol["seed"]).permutation(len(ids))
    default_order = sorted(
        range(len(ids)), key=lambda i: (-(pupils[ids[i]].get("priority") or 0), lottery[i])
    )
    default_rank = {ids[i]: pos for pos, i in enumerate(default_order)}
    rankings = inst.get("placement_rankings", {})

    def rank_of(qid: str, pid: str) -> int | None:
        if qid in rankings:
            return rankings[qid].index(pid) if pid in rankings[qid] else None
        return default_rank[pid]

    fixed = fixed_map(inst)
    held: dict[str, list[str]] = {q: [] for q in places}
    room = {q: places[q]["capacity"] - sum(1 for f in fixed.values() if f == q) for q in places}
    lists = {
        pid: [q for q in pupils[pid]["preferences"] if reason(inst, pupils[pid], places[q]) is None]
        for pid in ids
    }
    nxt = dict.fromkeys(ids, 0)
    free = [pid for pid in ids if pid not in fixed]
    while free:
        pid = free.pop()
        while nxt[pid] < len(lists[pid]):
            qid = lists[pid][nxt[pid]]
            nxt[pid] += 1
            if rank_of(qid, pid) is None or room[qid] <= 0:
                continue
            held[qid].append(pid)
            held[qid].sort(key=lambda x, q=qid: rank_of(q, x))
            if len(held[qid]) > room[qid]:
                loser = held[qid].pop()
                if loser != pid:
                    free.append(loser)
                    break
                continue
            break
    result: dict[str, str | None] = dict.fromkeys(ids)
    result.update(fixed)
    for qid, pids in held.items():
        for pid in pids:
            result[pid] = qid
    return result


def check_result(inst: dict[str, Any], result: dict[str, Any]) -> None:
    """Every rule of the format that a result must meet, checked from the spec alone."""
    pol = policy(inst)
    mode = result["mode"]
    pupils = {p["id"]: p for p in inst["pupils"]}
    places = {q["id"]: q for q in inst["placements"]}
    fixed = fixed_map(inst)
    assert result["format"] == "placements-result/1"
    assert result["seed"] == pol["seed"] or "seed" in result
    pids = [a["pupil"] for a in result["assignments"]]
    assert pids == sorted(pids) and len(set(pids)) == len(pids)
    assert result["unassigned"] == sorted(set(pupils) - set(pids))
    assignment: dict[str, str | None] = dict.fromkeys(pupils)
    for a in result["assignments"]:
        pupil, qid = pupils[a["pupil"]], a["placement"]
        assignment[pupil["id"]] = qid
        expected_rank = pupil["preferences"].index(qid) + 1 if qid in pupil["preferences"] else None
        assert a["rank"] == expected_rank
        if pupil["id"] in fixed:
            assert fixed[pupil["id"]] == qid
        else:
            assert qid in options(inst, pupil, mode), (pupil["id"], qid)
    assert all(assignment[p] == q for p, q in fixed.items())
    assert feasible(inst, assignment)
    assert result["objective"] == sum(cost(inst, pupils[p], q) for p, q in assignment.items())
    dropped = [
        {"pupil": p["id"], "placement": q, "reason": reason(inst, p, places[q])}
        for p in sorted(inst["pupils"], key=lambda p: p["id"])
        for q in p["preferences"]
        if reason(inst, p, places[q]) is not None and fixed.get(p["id"]) != q
    ]
    assert result["dropped_preferences"] == dropped
    assert sorted(result["explanations"]) == sorted(pupils)
    metrics = result["metrics"]
    assert metrics["pupils"] == len(pupils)
    assert metrics["assigned"] == len(pids)
    assert metrics["capacity"] == sum(q["capacity"] for q in inst["placements"])
    assert metrics["placements_filled"] == len({a["placement"] for a in result["assignments"]})
    ranks: dict[str, int] = {"unlisted": 0}
    for a in result["assignments"]:
        key = "unlisted" if a["rank"] is None else str(a["rank"])
        ranks[key] = ranks.get(key, 0) + 1
    assert metrics["rank_counts"] == ranks
