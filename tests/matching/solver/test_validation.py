"""Every breach of the format gets one clear line naming the record."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from matching.solver import InstanceError, load_instance, solve_bytes
from matching.solver.fields import MAX_BYTES


def base() -> dict[str, Any]:
    return {
        "format": "placements-instance/1",
        "policy": {"mode": "optimal"},
        "placements": [
            {"id": "P1", "capacity": 1, "lat": 53.76, "lon": -2.70},
            {"id": "P2", "capacity": 1, "max_per_school": 1},
            {"id": "P3", "capacity": 2},
        ],
        "pupils": [
            {"id": "S1", "school": "A", "preferences": ["P1", "P2"]},
            {"id": "S2", "school": "A", "preferences": ["P2"]},
            {"id": "S7", "school": "B", "preferences": []},
        ],
    }


def mutate(change: Any) -> bytes:
    inst = base()
    change(inst)
    return json.dumps(inst).encode()


def setitem(path: list[Any], value: Any) -> Any:
    def change(inst: dict[str, Any]) -> None:
        target = inst
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def delitem(path: list[Any]) -> Any:
    def change(inst: dict[str, Any]) -> None:
        target = inst
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


CASES = [
    (setitem(["pupils", 2, "preferences"], ["P99"]), "pupil S7: preference P99 is not a known placement"),
    (setitem(["pupils", 2, "preferences"], ["P1", "P1"]), "pupil S7: preference P1 is listed twice"),
    (setitem(["placements", 2, "capacity"], -1), "placement P3: capacity must be a whole number >= 0"),
    (setitem(["placements", 2, "capacity"], True), "placement P3: capacity must be a whole number >= 0"),
    (setitem(["placements", 2, "capacity"], 1.5), "placement P3: capacity must be a whole number >= 0"),
    (setitem(["placements", 2, "capacity"], "2"), "placement P3: capacity must be a whole number >= 0"),
    (delitem(["placements", 2, "capacity"]), "placement P3: capacity is missing"),
    (setitem(["placements", 1, "id"], "P1"), "placement P1: id is used twice"),
    (setitem(["placements", 1, "id"], ""), "placement #2: id must be a non-empty string"),
    (setitem(["placements", 0, "lat"], 91), "placement P1: lat must be a number between -90 and 90"),
    (delitem(["placements", 0, "lon"]), "placement P1: lat and lon must be given together"),
    (setitem(["placements", 0, "remote"], 1), "placement P1: remote must be true or false"),
    (
        setitem(["placements", 0, "year_groups"], [10, "11"]),
        "placement P1: year_groups must be a list of whole numbers",
    ),
    (
        setitem(["placements", 0, "weeks"], "2027-W25"),
        "placement P1: weeks must be a list of non-empty strings",
    ),
    (
        setitem(["placements", 0, "max_per_school"], -2),
        "placement P1: max_per_school must be a whole number >= 0",
    ),
    (setitem(["placements", 0, "colour"], "red"), "placement P1: unknown key 'colour'"),
    (setitem(["placements", 0], 7), "placement #1: must be an object"),
    (setitem(["pupils", 1, "id"], "S1"), "pupil S1: id is used twice"),
    (delitem(["pupils", 1, "school"]), "pupil S2: school is missing"),
    (delitem(["pupils", 1, "preferences"]), "pupil S2: preferences is missing"),
    (
        setitem(["pupils", 1, "priority"], -1),
        "pupil S2: priority must be a whole number between 0 and 100000",
    ),
    (
        setitem(["pupils", 1, "priority"], False),
        "pupil S2: priority must be a whole number between 0 and 100000",
    ),
    (setitem(["pupils", 1, "max_travel_km"], -3), "pupil S2: max_travel_km must be a number >= 0 or null"),
    (setitem(["pupils", 1, "year_group"], 10.5), "pupil S2: year_group must be a whole number"),
    (setitem(["pupils", 1, "open_to_other"], "yes"), "pupil S2: open_to_other must be true or false"),
    (setitem(["pupils", 1, "preferences"], "P1"), "pupil S2: preferences must be a list of placement ids"),
    (setitem(["policy", "mode"], "fair"), 'policy: mode must be "optimal" or "stable"'),
    (
        setitem(["policy", "rank_costs"], []),
        "policy: rank_costs must be a non-empty list of whole numbers between 0 and 1000000000",
    ),
    (
        setitem(["policy", "rank_costs"], [1, -4]),
        "policy: rank_costs must be a non-empty list of whole numbers between 0 and 1000000000",
    ),
    (
        setitem(["policy", "unassigned_cost"], 1.0),
        "policy: unassigned_cost must be a whole number between -1000000000 and 1000000000",
    ),
    (setitem(["policy", "seed"], -1), "policy: seed must be a whole number >= 0"),
    (setitem(["policy", "max_travel_km"], "far"), "policy: max_travel_km must be a number >= 0 or null"),
    (setitem(["policy", "max_per_school"], True), "policy: max_per_school must be a whole number >= 0"),
    (setitem(["policy", "speed"], 1), "policy: unknown key 'speed'"),
    (setitem(["format"], "placements-instance/2"), 'instance: format must be "placements-instance/1"'),
    (delitem(["pupils"]), "instance: pupils is missing"),
    (setitem(["extra"], 1), "instance: unknown key 'extra'"),
    (setitem(["pupils"], {}), "pupils: must be a list"),
    (
        setitem(["fixed"], [{"pupil": "S1", "placement": "P1"}, {"pupil": "S1", "placement": "P3"}]),
        "fixed: pupil S1 is fixed twice",
    ),
    (
        setitem(["fixed"], [{"pupil": "S1", "placement": "P1"}, {"pupil": "S2", "placement": "P1"}]),
        "fixed: placement P1 is over capacity",
    ),
    (setitem(["fixed"], [{"pupil": "S1", "placement": "P3"}, {"pupil": "S2", "placement": "P3"}]), None),
    (setitem(["fixed"], [{"pupil": "S9", "placement": "P1"}]), "fixed: pupil S9 is not a known pupil"),
    (
        setitem(["fixed"], [{"pupil": "S1", "placement": "P9"}]),
        "fixed: placement P9 is not a known placement",
    ),
    (setitem(["fixed"], [{"pupil": "S1"}]), "fixed #1: placement is missing"),
    (
        setitem(["forbidden"], [{"pupil": "S1", "placement": "P9"}]),
        "forbidden: placement P9 is not a known placement",
    ),
    (setitem(["placement_rankings"], {"P9": ["S1"]}), "placement_rankings: P9 is not a known placement"),
    (
        setitem(["placement_rankings"], {"P1": ["S1", "S1"]}),
        "placement_rankings: placement P1: pupil S1 is ranked twice",
    ),
    (
        setitem(["placement_rankings"], {"P1": ["S8"]}),
        "placement_rankings: placement P1: pupil S8 is not a known pupil",
    ),
]


@pytest.mark.parametrize(("change", "message"), CASES)
def test_invalid_instance_message(change: Any, message: str | None) -> None:
    data = mutate(change)
    if message is None:
        load_instance(data)
        return
    with pytest.raises(InstanceError) as info:
        load_instance(data)
    assert str(info.value) == message


def test_fixed_over_school_cap() -> None:
    inst = base()
    inst["placements"][2]["max_per_school"] = 1
    inst["fixed"] = [{"pupil": "S1", "placement": "P3"}, {"pupil": "S2", "placement": "P3"}]
    with pytest.raises(InstanceError, match=r"^fixed: placement P3 is over its limit of 1 pupil"):
        load_instance(json.dumps(inst).encode())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{", "invalid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        (b"[]", "instance: must be a JSON object"),
        (b'{"format": NaN}', "invalid JSON: NaN is not a number"),
        (b'{"a": 1, "a": 2}', "invalid JSON: duplicate key 'a'"),
        (b"\xff\xfe", "invalid JSON: not UTF-8 (byte 0)"),
        (b"[" * 100_000 + b"]" * 100_000, "invalid JSON: nested too deeply"),
    ],
)
def test_invalid_json(data: bytes, message: str) -> None:
    with pytest.raises(InstanceError) as info:
        load_instance(data)
    assert str(info.value) == message


def test_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("matching.solver.fields.MAX_BYTES", 10)
    with pytest.raises(InstanceError, match="larger than"):
        load_instance(b"{" + b" " * 20 + b"}")
    assert MAX_BYTES == 512 * 1024 * 1024


def test_stable_refuses_school_caps() -> None:
    data = json.dumps(base()).encode()
    with pytest.raises(InstanceError, match=r"^mode stable does not support max_per_school"):
        solve_bytes(data, mode="stable")
    inst = base()
    del inst["placements"][1]["max_per_school"]
    inst["policy"]["max_per_school"] = 3
    with pytest.raises(InstanceError, match="max_per_school"):
        solve_bytes(json.dumps(inst).encode(), mode="stable")


def test_defaults_apply() -> None:
    inst = base()
    del inst["policy"]
    loaded = load_instance(json.dumps(inst).encode())
    assert loaded.policy.rank_costs[:3] == (1, 4, 9)
    assert (loaded.policy.unlisted_cost, loaded.policy.unassigned_cost) == (200, 10000)
    assert loaded.policy.mode == "optimal" and loaded.policy.seed == 0


def test_base_is_valid() -> None:
    assert copy.deepcopy(base()) == base()
    load_instance(json.dumps(base()).encode())
