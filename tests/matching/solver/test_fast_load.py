"""The column-by-column pupil validation accepts exactly what the record-by-record one
does, and gives the same instance; whatever it refuses goes to the record-by-record path,
which names the problem."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from benchmarks.generate import generate, to_bytes
from matching.solver import InstanceError, load_instance
from matching.solver import instance as instance_module

from .strategies import instances


def slow_load(data: bytes, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as m:
        m.setattr(instance_module, "_fast_pupils", lambda raw, index: None)
        try:
            return load_instance(data)
        except InstanceError as exc:
            return str(exc)


def fast_load(data: bytes) -> Any:
    try:
        return load_instance(data)
    except InstanceError as exc:
        return str(exc)


def assert_same(a: Any, b: Any) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), f.name
        else:
            assert x == y, f.name


def test_generated_instance_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    data = to_bytes(generate(300, 100, seed=4))
    raw = json.loads(data)
    index = {q["id"]: i for i, q in enumerate(sorted(raw["placements"], key=lambda q: q["id"]))}
    assert instance_module._fast_pupils(raw["pupils"], index) is not None
    assert_same(fast_load(data), slow_load(data, monkeypatch))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(instances(max_pupils=5, max_placements=3))
def test_fast_and_slow_agree(monkeypatch: pytest.MonkeyPatch, inst: dict[str, Any]) -> None:
    data = json.dumps(inst).encode()
    assert_same(fast_load(data), slow_load(data, monkeypatch))


BAD_VALUES = [
    ("year_group", 10**400),
    ("year_group", True),
    ("year_group", 2 * 10**9),
    ("lat", 91),
    ("lat", "53"),
    ("max_travel_km", -1),
    ("max_travel_km", "<1e400>"),
    ("priority", -1),
    ("priority", 10**6),
    ("priority", 1.0),
    ("weeks", ["W1", ""]),
    ("weeks", "W1"),
    ("open_to_other", 1),
    ("school", ""),
    ("id", 7),
    ("preferences", ["P1", "P1"]),
    ("preferences", ["P9"]),
    ("preferences", [1]),
    ("preferences", "P1"),
    ("extra", 1),
]


@pytest.mark.parametrize(("key", "value"), BAD_VALUES)
def test_bad_values_same_message(monkeypatch: pytest.MonkeyPatch, key: str, value: Any) -> None:
    inst = {
        "format": "placements-instance/1",
        "placements": [{"id": "P1", "capacity": 1}, {"id": "P2", "capacity": 1}],
        "pupils": [
            {"id": "S1", "school": "A", "preferences": ["P1"], "lat": 53.0, "lon": -2.0},
            {"id": "S2", "school": "A", "preferences": ["P2", "P1"], "lat": 53.1, "lon": -2.1},
        ],
    }
    inst["pupils"][1][key] = value
    # 1e400 is valid JSON that Python reads as inf.
    data = json.dumps(inst).replace('"<1e400>"', "1e400").encode()
    slow = slow_load(data, monkeypatch)
    assert isinstance(slow, str) and slow.startswith("pupil ")
    assert fast_load(data) == slow
