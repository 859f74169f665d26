"""Property tests on small random instances against independent reference answers."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings

from matching.solver import result_to_json, solve_bytes

from .reference import brute_force_optimum, check_result, gale_shapley
from .strategies import instances

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def solve(inst: dict[str, Any]) -> dict[str, Any]:
    return json.loads(result_to_json(solve_bytes(json.dumps(inst).encode())))


@SETTINGS
@given(instances())
def test_optimal_matches_brute_force(inst: dict[str, Any]) -> None:
    result = solve(inst)
    check_result(inst, result)
    assert result["objective"] == brute_force_optimum(inst)


@SETTINGS
@given(instances(mode="stable", school_caps=False, rankings=True))
def test_stable_is_pupil_optimal_stable_matching(inst: dict[str, Any]) -> None:
    result = solve(inst)
    check_result(inst, result)
    got = {a["pupil"]: a["placement"] for a in result["assignments"]}
    expected = {p: q for p, q in gale_shapley(inst).items() if q is not None}
    assert got == expected
    assert result["metrics"]["blocking_pairs"] == 0


@settings(max_examples=60, deadline=None)
@given(instances(max_pupils=6, max_placements=4, rankings=True))
def test_optimal_reports_blocking_pairs_when_ranked(inst: dict[str, Any]) -> None:
    result = solve(inst)
    assert ("blocking_pairs" in result["metrics"]) == bool(inst.get("placement_rankings"))


@settings(max_examples=40, deadline=None)
@given(instances(max_pupils=6, max_placements=4))
def test_same_bytes_every_time(inst: dict[str, Any]) -> None:
    data = json.dumps(inst).encode()
    assert result_to_json(solve_bytes(data)) == result_to_json(solve_bytes(data))
