"""Each way mode `optimal` can take gives the brute-force optimum: the sparse assignment
for small instances, the LP column generation for the others, and the fall-back from the
first to the second when its certificate refuses; and the certificate refuses what is
not optimal."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from benchmarks.families import family
from benchmarks.generate import generate, to_bytes
from matching.solver import (
    assign_pupils,
    assignment_ranks,
    load_instance,
    objective,
    result_to_json,
    solve_bytes,
)
from matching.solver import assignment as assignment_module
from matching.solver import optimal as optimal_module
from matching.solver.assignment import solve_small
from matching.solver.certificate import is_optimal
from matching.solver.eligibility import UnlistedEdges, build_graph
from matching.solver.instance import Instance
from matching.solver.repair import repair
from matching.solver.rooms import Rooms

from .reference import brute_force_optimum, check_result
from .strategies import instances

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def solve(inst: dict[str, Any]) -> dict[str, Any]:
    return json.loads(result_to_json(solve_bytes(json.dumps(inst).encode())))


def _every_edge(inst: Instance, rooms: Rooms) -> tuple[np.ndarray, ...]:
    """The pupils free to place, what staying unassigned costs each, and the edges (p, q, cost)
    the assignment path builds for them, listed and unlisted."""
    free = np.ones(inst.n_pupils, dtype=bool)
    free[inst.fixed_pupil] = False
    unassigned = inst.weights * inst.policy.unassigned_cost
    p, q, cost, _ = assignment_module._edges(
        inst, build_graph(inst), rooms, free, unassigned, UnlistedEdges(inst)
    )
    return free, unassigned, p, q, cost


def test_small_instances_take_the_assignment_path() -> None:
    inst = load_instance(to_bytes(generate(500, 200, seed=3)))
    small = solve_small(inst, build_graph(inst), Rooms(inst))
    assert small is not None
    _, assign, has_unlisted = assign_pupils(inst)
    assert np.array_equal(small[0], assign) and np.array_equal(small[1], has_unlisted)


def test_a_placement_split_by_school_caps_takes_the_assignment_path_to_the_optimum() -> None:
    """No travel limits and a cap of two a school: each placement's pupils fall into a group
    for every school, with many more slots than the placement has room, which gates close."""
    inst = load_instance(to_bytes(family("dense", 500, 100, seed=1)))
    graph, rooms = build_graph(inst), Rooms(inst)
    _, _, p, q, _ = _every_edge(inst, rooms)
    groups = np.unique(rooms.group_key(p, q))
    schools_per_placement = np.bincount(groups[groups >= 0] // rooms.n_schools, minlength=inst.n_placements)
    assert (schools_per_placement * inst.policy.max_per_school > 2 * rooms.placement).sum() > 50
    small = solve_small(inst, graph, rooms)
    assert small is not None
    with pytest.MonkeyPatch.context() as m:
        m.setattr(assignment_module, "MAX_PUPILS", -1)
        _, by_lp, _ = assign_pupils(inst)
    assert objective(inst, small[0], assignment_ranks(inst, small[0])) == objective(
        inst, by_lp, assignment_ranks(inst, by_lp)
    )


def test_big_instances_do_not() -> None:
    inst = load_instance(to_bytes(generate(assignment_module.MAX_PUPILS + 1, 100, seed=3)))
    assert solve_small(inst, build_graph(inst), Rooms(inst)) is None


@SETTINGS
@given(instances())
def test_lp_path_matches_brute_force(inst: dict[str, Any]) -> None:
    with pytest.MonkeyPatch.context() as m:
        m.setattr(assignment_module, "MAX_PUPILS", -1)
        result = solve(inst)
    check_result(inst, result)
    assert result["objective"] == brute_force_optimum(inst)


@SETTINGS
@given(instances())
def test_refused_certificate_falls_back_to_lp(inst: dict[str, Any]) -> None:
    with pytest.MonkeyPatch.context() as m:
        m.setattr(assignment_module, "is_optimal", lambda *args: False)
        loaded = load_instance(json.dumps(inst).encode())
        assert solve_small(loaded, build_graph(loaded), Rooms(loaded)) is None
        result = solve(inst)
    check_result(inst, result)
    assert result["objective"] == brute_force_optimum(inst)


@SETTINGS
@given(instances(max_pupils=6, max_placements=4))
def test_certificate_refuses_worse_or_infeasible_assignments(inst: dict[str, Any]) -> None:
    loaded = load_instance(json.dumps(inst).encode())
    rooms = Rooms(loaded)
    free, unassigned, p, q, cost = _every_edge(loaded, rooms)
    small = solve_small(loaded, build_graph(loaded), rooms)
    assert small is not None
    best = small[0].copy()
    best[loaded.fixed_pupil] = -1
    assert is_optimal(rooms, free, unassigned, p, q, cost, best)
    for pupil in np.flatnonzero(best >= 0).tolist():
        # Every edge is cheaper than staying unassigned, so this is strictly worse.
        worse = best.copy()
        worse[pupil] = -1
        assert not is_optimal(rooms, free, unassigned, p, q, cost, worse)
    for e in range(p.size):
        moved = best.copy()
        moved[p[e]] = q[e]
        load = np.bincount(moved[moved >= 0], minlength=loaded.n_placements)
        if (load > rooms.placement).any():
            assert not is_optimal(rooms, free, unassigned, p, q, cost, moved)


@SETTINGS
@given(instances())
def test_lp_path_without_repair_matches_brute_force(inst: dict[str, Any]) -> None:
    with pytest.MonkeyPatch.context() as m:
        m.setattr(assignment_module, "MAX_PUPILS", -1)
        m.setattr(optimal_module, "repair", lambda *args: False)
        result = solve(inst)
    check_result(inst, result)
    assert result["objective"] == brute_force_optimum(inst)


@SETTINGS
@given(instances(max_pupils=8, max_placements=4))
def test_lp_path_one_edge_a_round_matches_brute_force(inst: dict[str, Any]) -> None:
    """One unlisted edge per pupil and per placement a round: many rounds, in which most
    pupils are priced only among the placements whose price fell."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(assignment_module, "MAX_PUPILS", -1)
        m.setattr(optimal_module, "EDGES_PER_ROUND", 1)
        m.setattr(optimal_module, "PER_ROOM", 0)
        m.setattr(optimal_module, "PER_PLACEMENT_EXTRA", 1)
        result = solve(inst)
    check_result(inst, result)
    assert result["objective"] == brute_force_optimum(inst)


def test_repair_takes_over_the_last_round(monkeypatch: pytest.MonkeyPatch) -> None:
    """S2 loses P1 to S1 (who is worth more) in the listed round, then gets P2 unlisted:
    the repair, not a second LP, moves it there."""
    inst = {
        "format": "placements-instance/1",
        "placements": [{"id": "P1", "capacity": 1}, {"id": "P2", "capacity": 1}],
        "pupils": [
            {"id": "S1", "school": "A", "preferences": ["P1"], "priority": 1},
            {"id": "S2", "school": "A", "preferences": ["P1"], "open_to_other": True},
        ],
    }
    outcomes: list[bool] = []

    def spy(*args: Any) -> bool:
        outcomes.append(repair(*args))
        return outcomes[-1]

    lps: list[int] = []
    start_lp = optimal_module._Restricted._start_lp

    def count_lp(self: Any, idx: np.ndarray, pool: Any) -> Any:
        lps.append(idx.size)
        return start_lp(self, idx, pool)

    monkeypatch.setattr(assignment_module, "MAX_PUPILS", -1)
    monkeypatch.setattr(optimal_module, "repair", spy)
    monkeypatch.setattr(optimal_module._Restricted, "_start_lp", count_lp)
    result = solve(inst)
    assert outcomes == [True]
    assert len(lps) == 1
    assert {a["pupil"]: a["placement"] for a in result["assignments"]} == {"S1": "P1", "S2": "P2"}
    assert result["objective"] == 2 * 1 + 200


@SETTINGS
@given(instances())
def test_repair_refused_by_the_certificate_is_solved_again(inst: dict[str, Any]) -> None:
    """A repair whose answer fails the certificate (here spoilt on purpose) leaves every
    component to the LP, since its paths may have crossed them all."""

    def spoilt(restricted: Any, free: np.ndarray, pupils: np.ndarray) -> bool:
        assert repair(restricted, free, pupils)
        restricted.y[:] = -1
        return True

    with pytest.MonkeyPatch.context() as m:
        m.setattr(assignment_module, "MAX_PUPILS", -1)
        m.setattr(optimal_module, "repair", spoilt)
        result = solve(inst)
    check_result(inst, result)
    assert result["objective"] == brute_force_optimum(inst)
