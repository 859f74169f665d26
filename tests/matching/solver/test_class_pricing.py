"""Unlisted placements priced by compatibility class against the same prices pair by pair:
on random instances mixing every attribute (year groups, weeks, coordinates, travel limits,
remote placements, school caps, fixed and forbidden pairs), each pupil's k cheapest come
out at the prices a plain scan of every pair, written from the spec, finds; also when only
some placements are asked about."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.solver import eligibility, load_instance, pricing
from matching.solver.pricing import UnlistedPricing
from matching.solver.rooms import Rooms

from .reference import fixed_map, reason, school_cap
from .strategies import instances

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pair_by_pair(
    inst: dict[str, Any], z: dict[str, int], group: dict[tuple[str, str], int], among: Any
) -> dict[str, list[int]]:
    """Every open, free pupil's prices of eligible unlisted placements with room (among
    those given, if any), sorted."""
    fixed = fixed_map(inst)
    school = {p["id"]: p["school"] for p in inst["pupils"]}
    load: dict[str, int] = {}
    for pid, qid in fixed.items():
        load[qid] = load.get(qid, 0) + 1
        load[(school[pid], qid)] = load.get((school[pid], qid), 0) + 1
    out: dict[str, list[int]] = {}
    for p in inst["pupils"]:
        if not p.get("open_to_other") or p["id"] in fixed:
            continue
        prices = []
        for q in inst["placements"]:
            if q["id"] in p["preferences"] or reason(inst, p, q) is not None:
                continue
            if among is not None and q["id"] not in among:
                continue
            cap = school_cap(inst, q)
            if q["capacity"] - load.get(q["id"], 0) <= 0:
                continue
            if cap is not None and cap - load.get((p["school"], q["id"]), 0) <= 0:
                continue
            extra = group.get((p["school"], q["id"]), 0) if cap is not None else 0
            prices.append(z[q["id"]] + extra)
        out[p["id"]] = sorted(prices)
    return out


@st.composite
def priced(
    draw: st.DrawFn,
) -> tuple[dict[str, Any], dict[str, int], dict[tuple[str, str], int], int, Any, Any]:
    inst = draw(instances(max_pupils=7, max_placements=6))
    # Few distinct prices, so that ties (as among free places) are common.
    z = {q["id"]: draw(st.sampled_from([0, 0, 1, 3, 5])) for q in inst["placements"]}
    schools = sorted({p["school"] for p in inst["pupils"]})
    group = {(s, q["id"]): draw(st.sampled_from([0, 0, 2, 4])) for s in schools for q in inst["placements"]}
    # Only pairs priced below a pupil's bound wanted, or all.
    below = draw(st.none() | st.fixed_dictionaries({p["id"]: st.integers(0, 8) for p in inst["pupils"]}))
    # Only some placements asked about, or all.
    among = draw(st.none() | st.sets(st.sampled_from([q["id"] for q in inst["placements"]])))
    return inst, z, group, draw(st.integers(1, 4)), below, among


def class_priced(
    inst: dict[str, Any], z: dict[str, int], group: dict[tuple[str, str], int], k: int, below: Any, among: Any
) -> dict[str, list[int]]:
    loaded = load_instance(json.dumps(inst).encode())
    rooms = Rooms(loaded)
    zq = np.array([z[q] for q in loaded.placement_ids], dtype=np.int64)
    n_schools = rooms.n_schools

    def group_price(keys: np.ndarray) -> np.ndarray:
        return np.array(
            [
                group[(loaded.school_ids[k % n_schools], loaded.placement_ids[k // n_schools])]
                for k in keys.tolist()
            ],
            dtype=np.int64,
        )

    free = np.ones(loaded.n_pupils, dtype=bool)
    free[loaded.fixed_pupil] = False
    bound = None if below is None else np.array([below[pid] for pid in loaded.pupil_ids], dtype=np.int64)
    asked = None if among is None else np.array([qid in among for qid in loaded.placement_ids])
    p, q, price = UnlistedPricing(loaded, rooms).cheapest(
        np.flatnonzero(free), zq, k, group_price, bound, among=asked
    )
    assert np.array_equal(
        price,
        zq[q]
        + np.array(
            [group_price(np.array([key]))[0] if key >= 0 else 0 for key in rooms.group_key(p, q).tolist()],
            dtype=np.int64,
        ),
    )
    assert list(zip(p.tolist(), price.tolist(), strict=True)) == sorted(
        zip(p.tolist(), price.tolist(), strict=True)
    )
    assert len(set(zip(p.tolist(), q.tolist(), strict=True))) == p.size
    out: dict[str, list[int]] = {}
    for pupil, placement, value in zip(p.tolist(), q.tolist(), price.tolist(), strict=True):
        pid, qid = loaded.pupil_ids[pupil], loaded.placement_ids[placement]
        record = next(x for x in inst["pupils"] if x["id"] == pid)
        assert qid not in record["preferences"]
        assert reason(inst, record, next(x for x in inst["placements"] if x["id"] == qid)) is None
        out.setdefault(pid, []).append(value)
    return out


def check(case: tuple[dict[str, Any], dict[str, int], dict[tuple[str, str], int], int, Any, Any]) -> None:
    inst, z, group, k, below, among = case
    expected = {}
    for pid, prices in pair_by_pair(inst, z, group, among).items():
        wanted = [x for x in prices if below is None or x < below[pid]][:k]
        if wanted:
            expected[pid] = wanted
    assert class_priced(inst, z, group, k, below, among) == expected


@SETTINGS
@given(priced())
def test_class_pricing_matches_pair_by_pair(case: Any) -> None:
    check(case)


@pytest.mark.parametrize(
    ("band", "type_pairs"),
    [(1, eligibility.MAX_TYPE_PAIRS), (1, 0)],
    ids=["small-bands", "pair-by-pair-types"],
)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=priced())
def test_class_pricing_paths(case: Any, band: int, type_pairs: int) -> None:
    """The k-d tree asked one placement at a time, and pupil types too many for a table."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(pricing, "BAND_FIRST", band)
        m.setattr(eligibility, "MAX_TYPE_PAIRS", type_pairs)
        check(case)
