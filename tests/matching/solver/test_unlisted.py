"""The vectorised unlisted-edge builder against the pair-by-pair eligibility checker, and
the optimum on a larger generated instance (many pricing rounds) against a MILP."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from benchmarks.generate import generate, to_bytes
from matching.solver import (
    assignment,
    eligibility,
    load_instance,
    optimal,
    pricing,
    result_to_json,
    solve_bytes,
)
from matching.solver.eligibility import OK, Checker, UnlistedEdges
from matching.solver.repair import repair

from .reference import check_result, haversine
from .strategies import instances
from .test_generated import milp_optimum


def reference_unlisted(data: bytes) -> set[tuple[int, int]]:
    """Every (open pupil, unlisted placement) pair the checker finds eligible."""
    inst = load_instance(data)
    checker = Checker(inst)
    p = np.repeat(np.arange(inst.n_pupils), inst.n_placements)
    q = np.tile(np.arange(inst.n_placements), inst.n_pupils)
    ok = (checker.reasons(p, q) == OK) & inst.pupil_open[p]
    listed = {
        (i, int(x))
        for i in range(inst.n_pupils)
        for x in inst.pref_placement[inst.pref_ptr[i] : inst.pref_ptr[i + 1]].tolist()
    }
    return {(a, b) for a, b in zip(p[ok].tolist(), q[ok].tolist(), strict=True)} - listed


def built(data: bytes) -> list[tuple[int, int]]:
    inst = load_instance(data)
    up, uq = UnlistedEdges(inst).for_pupils(np.arange(inst.n_pupils))
    return list(zip(up.tolist(), uq.tolist(), strict=True))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_pupils=6, max_placements=5))
def test_unlisted_edges_match_checker(inst: dict[str, Any]) -> None:
    data = json.dumps(inst).encode()
    got = built(data)
    assert got == sorted(got)
    assert set(got) == reference_unlisted(data) and len(set(got)) == len(got)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_pupils=6, max_placements=5))
def test_unlisted_edges_fallback_paths(inst: dict[str, Any]) -> None:
    """Without the type table, the preference matrix, and with tiny k-d tree batches."""
    data = json.dumps(inst).encode()
    saved = eligibility.MAX_TYPE_PAIRS, eligibility.PREF_MATRIX_WIDTH, eligibility.BATCH_PUPILS
    try:
        eligibility.MAX_TYPE_PAIRS, eligibility.PREF_MATRIX_WIDTH, eligibility.BATCH_PUPILS = 0, 0, 1
        got = built(data)
    finally:
        eligibility.MAX_TYPE_PAIRS, eligibility.PREF_MATRIX_WIDTH, eligibility.BATCH_PUPILS = saved
    assert set(got) == reference_unlisted(data) and got == sorted(got)


@pytest.mark.parametrize("delta", [-1e-9, 0.0, 1e-9, 1e-6])
def test_travel_limit_at_the_boundary(delta: float) -> None:
    """A placement exactly at (or a hair either side of) the limit, as the spec's haversine says."""
    plat, plon, qlat, qlon = 53.75, -2.48, 53.7632, -2.7031
    limit = haversine(plat, plon, qlat, qlon) + delta
    inst = {
        "format": "placements-instance/1",
        "placements": [
            {"id": "P1", "capacity": 1, "lat": qlat, "lon": qlon},
            {"id": "P2", "capacity": 1, "remote": True},
        ],
        "pupils": [
            {
                "id": "S1",
                "school": "A",
                "lat": plat,
                "lon": plon,
                "max_travel_km": limit,
                "preferences": [],
                "open_to_other": True,
            },
        ],
    }
    data = json.dumps(inst).encode()
    assert set(built(data)) == reference_unlisted(data)
    expect_near = limit >= haversine(plat, plon, qlat, qlon)
    assert ((0, 0) in built(data)) == expect_near
    assert math.isfinite(limit)


def test_long_preference_lists() -> None:
    """Lists longer than the padded matrix take the sorted-key path."""
    n_places = eligibility.PREF_MATRIX_WIDTH + 8
    inst = {
        "format": "placements-instance/1",
        "placements": [{"id": f"P{i}", "capacity": 1} for i in range(n_places)],
        "pupils": [
            {
                "id": "S1",
                "school": "A",
                "preferences": [f"P{i}" for i in range(n_places - 3)],
                "open_to_other": True,
            },
            {"id": "S2", "school": "A", "preferences": ["P1"], "open_to_other": True},
        ],
        "forbidden": [{"pupil": "S2", "placement": "P5"}],
    }
    data = json.dumps(inst).encode()
    assert set(built(data)) == reference_unlisted(data)


@pytest.fixture(scope="module")
def instance_2000() -> tuple[dict[str, Any], int]:
    inst = generate(2000, 600, seed=5)
    return inst, milp_optimum(inst)


def _assert_reaches(inst: dict[str, Any], optimum: int) -> None:
    """The round solved through its file is a valid result with the given objective."""
    result = json.loads(result_to_json(solve_bytes(to_bytes(inst))))
    check_result(inst, result)
    assert result["objective"] == optimum


@pytest.mark.parametrize(
    ("max_pupils", "repairs"),
    [(assignment.MAX_PUPILS, True), (-1, True), (-1, False)],
    ids=["assignment", "lp-and-repair", "lp-only"],
)
def test_optimal_2000_against_milp(
    instance_2000: tuple[dict[str, Any], int],
    max_pupils: int,
    repairs: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Small enough for the sparse assignment path; and again through the LP path, once
    with every round after the first repaired by shortest paths, once with none."""
    inst, optimum = instance_2000
    monkeypatch.setattr(assignment, "MAX_PUPILS", max_pupils)
    outcomes: list[bool] = []

    def spy(*args: Any) -> bool:
        outcomes.append(repairs and repair(*args))
        return outcomes[-1]

    monkeypatch.setattr(optimal, "REPAIR_PUPILS", len(inst["pupils"]))
    monkeypatch.setattr(optimal, "repair", spy)
    _assert_reaches(inst, optimum)
    if max_pupils < 0:
        assert outcomes and all(outcomes) == repairs


def test_optimal_2000_one_edge_a_round_against_milp(
    instance_2000: tuple[dict[str, Any], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One unlisted edge per pupil and per placement a round: many rounds, in which most
    pupils are priced only among the placements whose price fell, and some gain there."""
    inst, optimum = instance_2000
    found_among: list[int] = []
    cheapest = pricing.UnlistedPricing.cheapest

    def spy(self: pricing.UnlistedPricing, *args: Any, **kwargs: Any) -> Any:
        got = cheapest(self, *args, **kwargs)
        if kwargs.get("among") is not None:
            found_among.append(got[0].size)
        return got

    monkeypatch.setattr(assignment, "MAX_PUPILS", -1)
    monkeypatch.setattr(optimal, "EDGES_PER_ROUND", 1)
    monkeypatch.setattr(optimal, "PER_ROOM", 0)
    monkeypatch.setattr(optimal, "PER_PLACEMENT_EXTRA", 1)
    monkeypatch.setattr(pricing.UnlistedPricing, "cheapest", spy)
    _assert_reaches(inst, optimum)
    assert sum(found_among) > 0


def test_optimal_2000_primal_from_greedy_starts_against_milp(
    instance_2000: tuple[dict[str, Any], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every LP whose new columns are mostly unlisted run the primal way, from a basis
    into which unplaced pupils took columns with room, and every band of the k-d tree
    shared out over starts in the cheapest block: the optimum all the same."""
    inst, optimum = instance_2000
    taken: list[int] = []
    columns = optimal._GreedyStart.columns

    def spy(self: optimal._GreedyStart, *args: Any) -> Any:
        got = columns(self, *args)
        taken.append(got.size)
        return got

    monkeypatch.setattr(assignment, "MAX_PUPILS", -1)
    monkeypatch.setattr(optimal, "PRIMAL_FRESH_TIED_EDGES", 0)
    monkeypatch.setattr(pricing, "BAND_FIRST", 8)
    monkeypatch.setattr(optimal._GreedyStart, "columns", spy)
    _assert_reaches(inst, optimum)
    assert sum(taken) > 0
