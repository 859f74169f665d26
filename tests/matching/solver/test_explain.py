"""Explanations, dropped preferences and metrics on hand-made instances."""

from __future__ import annotations

import json
from typing import Any

from matching.solver import result_to_json, solve_bytes


def solve(inst: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return json.loads(result_to_json(solve_bytes(json.dumps(inst).encode(), **kwargs)))


def instance(**extra: Any) -> dict[str, Any]:
    return {
        "format": "placements-instance/1",
        "placements": [
            {
                "id": "P1",
                "capacity": 2,
                "lat": 53.76,
                "lon": -2.70,
                "max_per_school": 1,
                "year_groups": [10, 12],
            },
            {"id": "P2", "capacity": 1, "lat": 53.76, "lon": -2.70, "weeks": ["W1"]},
            {"id": "P3", "capacity": 1, "remote": True},
        ],
        "pupils": [
            {"id": "S1", "school": "A", "lat": 53.76, "lon": -2.71, "preferences": ["P1"]},
            {
                "id": "S2",
                "school": "A",
                "lat": 53.76,
                "lon": -2.71,
                "preferences": ["P1", "P3"],
                "priority": 1,
            },
            {
                "id": "S3",
                "school": "B",
                "lat": 54.9,
                "lon": -2.71,
                "max_travel_km": 30,
                "preferences": ["P1", "P2", "P3"],
                "weeks": ["W2"],
            },
            {"id": "S4", "school": "B", "year_group": 11, "preferences": [], "open_to_other": True},
        ],
        **extra,
    }


def test_optimal_explanations_and_drops() -> None:
    result = solve(instance())
    # S2 weighs double, but S1 on P1 (1) and S2 on P3 (2 x 4) beat S2 on P1 and S1 unplaced.
    assert result["explanations"] == {
        "S1": "choice 1",
        "S2": "choice 2: choice 1 had its limit of pupils from this school",
        "S3": "unplaced: every eligible choice was full (P1 too far, P2 no shared week)",
        "S4": "unlisted placement: no choices listed",
    }
    assert result["dropped_preferences"] == [
        {"pupil": "S3", "placement": "P1", "reason": "too far"},
        {"pupil": "S3", "placement": "P2", "reason": "no shared week"},
    ]
    m = result["metrics"]
    assert m["rank_counts"] == {"1": 1, "2": 1, "unlisted": 1}
    assert m["priority_pupils"] == {"pupils": 1, "assigned": 1, "rate": 1.0}
    assert m["per_school"]["A"] == {"pupils": 2, "assigned": 2, "rate": 1.0}
    assert m["placements_filled"] == 3 and m["capacity"] == 4


def test_fixed_and_forbidden() -> None:
    inst = instance(
        fixed=[{"pupil": "S3", "placement": "P1"}], forbidden=[{"pupil": "S1", "placement": "P1"}]
    )
    result = solve(inst)
    assert result["explanations"]["S3"] == "fixed by the coordinator (choice 1)"
    assert result["explanations"]["S1"] == "unplaced: no eligible choice (P1 forbidden)"
    # A fixed pair is assigned whatever the rules say, so it is not reported as dropped.
    assert {"pupil": "S3", "placement": "P1", "reason": "too far"} not in result["dropped_preferences"]
    assert {"pupil": "S1", "placement": "P1", "reason": "forbidden"} in result["dropped_preferences"]


def test_stable_explanations() -> None:
    inst = instance()
    inst["placements"][0].pop("max_per_school")
    inst["placements"][0]["capacity"] = 1
    inst["placement_rankings"] = {"P1": ["S1"], "P3": ["S3", "S2"]}
    result = solve(inst, mode="stable")
    assert result["explanations"] == {
        "S1": "choice 1",
        "S2": "unplaced: every eligible choice was full (P1 does not rank this pupil)",
        "S3": "choice 3: choice 1 (P1) too far, choice 2 (P2) no shared week",
        "S4": "unplaced: no choices listed",
    }
    assert result["metrics"]["blocking_pairs"] == 0
    assert result["unassigned"] == ["S2", "S4"]
