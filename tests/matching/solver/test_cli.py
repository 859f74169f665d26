"""`placements solve` end to end, in subprocesses where the environment matters."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from benchmarks.generate import generate, to_bytes
from matching.cli import solve

from .reference import check_result

EXAMPLE: dict[str, Any] = {
    "format": "placements-instance/1",
    "policy": {"seed": 3},
    "placements": [
        {"id": "P1", "capacity": 1, "lat": 53.7632, "lon": -2.7031, "year_groups": [10, 12]},
        {"id": "P2", "capacity": 1, "lat": 53.7632, "lon": -2.7031},
        {"id": "P3", "capacity": 1, "lat": 53.76, "lon": -2.70, "year_groups": [12]},
        {"id": "P7", "capacity": 1, "remote": True},
    ],
    "pupils": [
        {
            "id": "S1",
            "school": "SCH1",
            "year_group": 10,
            "lat": 53.75,
            "lon": -2.48,
            "max_travel_km": 20,
            "priority": 1,
            "preferences": ["P1", "P7", "P3"],
        },
        {"id": "S2", "school": "SCH1", "year_group": 10, "preferences": ["P1", "P2"]},
        {
            "id": "S3",
            "school": "SCH2",
            "year_group": 10,
            "lat": 54.5,
            "lon": -2.48,
            "max_travel_km": 10,
            "preferences": ["P1", "P3"],
        },
        {"id": "S4", "school": "SCH2", "preferences": ["P1"]},
    ],
    "forbidden": [{"pupil": "S4", "placement": "P2"}],
}


def write(tmp_path: Path, inst: Any, name: str = "instance.json") -> Path:
    path = tmp_path / name
    path.write_bytes(inst if isinstance(inst, bytes) else json.dumps(inst).encode())
    return path


def test_solve_to_stdout_and_file(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    runner = CliRunner()
    out = runner.invoke(solve, [str(path)])
    assert out.exit_code == 0
    result = json.loads(out.stdout)
    check_result(EXAMPLE, result)
    assert result["input_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result["solver"].startswith("placements ") and "highspy " in result["solver"]
    # S1 weighs double, yet S1 on choice 2 (cost 2 x 4) with S4 on P1 (1) beats S1 on P1 (2)
    # with S4 unplaced (10000).
    assert result["explanations"] == {
        "S1": "choice 2: choice 1 was full",
        "S2": "choice 2: choice 1 was full",
        "S3": "unplaced: no eligible choice (P1 too far, P3 wrong year group)",
        "S4": "choice 1",
    }
    target = tmp_path / "result.json"
    assert runner.invoke(solve, [str(path), "-o", str(target)]).exit_code == 0
    assert target.read_bytes() == out.stdout_bytes
    canonical = json.dumps(result, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    assert out.stdout_bytes == canonical


def test_stable_explanations(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    out = CliRunner().invoke(solve, [str(path), "--mode", "stable", "--seed", "1"])
    result = json.loads(out.stdout)
    assert result["mode"] == "stable" and result["seed"] == 1
    assert result["metrics"]["blocking_pairs"] == 0
    assert result["explanations"]["S2"] == "choice 2: choice 1 was full of pupils ranked ahead"


def test_explain_pupil(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    out = CliRunner().invoke(solve, [str(path), "--explain", "S3"])
    assert out.exit_code == 0
    assert out.stdout.splitlines() == [
        "S3: unassigned",
        "why: unplaced: no eligible choice (P1 too far, P3 wrong year group)",
        "dropped: P1 (too far)",
        "dropped: P3 (wrong year group)",
    ]
    out = CliRunner().invoke(solve, [str(path), "--explain", "S2"])
    assert out.stdout.splitlines()[0] == "S2: P2 (choice 2)"
    out = CliRunner().invoke(solve, [str(path), "--explain", "S99"])
    assert out.exit_code == 2 and "pupil S99 is not in the instance" in out.stderr


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", "from placements.cli import main; main()", "solve", *args],
        capture_output=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    "data",
    [
        b"{not json",
        b"[" * 50_000,
        json.dumps({**EXAMPLE, "pupils": [{"id": "S7", "school": "A", "preferences": ["P99"]}]}).encode(),
        json.dumps(
            {**EXAMPLE, "pupils": [{"id": "S7", "school": "A", "preferences": ["P1"] * 2_000_000}]}
        ).encode(),
        # Longer than Python reads as an integer by default (4,300 digits).
        json.dumps(EXAMPLE).replace('"capacity": 1', '"capacity": ' + "9" * 5000, 1).encode(),
        json.dumps(EXAMPLE).replace('"seed": 3', '"seed": ' + "1" * 4301, 1).encode(),
    ],
)
def test_invalid_file_exit_2_one_line(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, data)
    proc = run_cli(str(path))
    assert proc.returncode == 2
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1 and "Traceback" not in lines[0]
    assert lines[0].startswith(f"error: {path}: ")
    assert proc.stdout == b""


def test_number_too_long_names_where(tmp_path: Path) -> None:
    path = write(tmp_path, b'{"format": "placements-instance/1",\n "policy": {"seed": ' + b"7" * 4400 + b"}}")
    proc = run_cli(str(path))
    assert proc.returncode == 2
    assert (
        proc.stderr.decode()
        == f"error: {path}: invalid JSON: a number has more than 4300 digits at line 2 column 21\n"
    )


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        (str(2**63), "seed must be a whole number between 0 and 9223372036854775807"),
        ("9" * 5000, "seed must be a whole number between 0 and 9223372036854775807"),
        ("-1", "seed must be a whole number between 0 and 9223372036854775807"),
    ],
)
def test_seed_out_of_range_exit_2_one_line(tmp_path: Path, seed: str, message: str) -> None:
    path = write(tmp_path, EXAMPLE)
    proc = run_cli(str(path), f"--seed={seed}")
    assert proc.returncode == 2
    assert proc.stderr.decode() == f"error: {path}: {message}\n"
    assert proc.stdout == b""


def test_largest_seed_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    out = CliRunner().invoke(solve, [str(path), "--seed", str(2**63 - 1), "--mode", "stable"])
    assert out.exit_code == 0 and json.loads(out.stdout)["seed"] == 2**63 - 1


def test_missing_file_exit_2(tmp_path: Path) -> None:
    proc = run_cli(str(tmp_path / "nope.json"))
    assert proc.returncode == 2 and len(proc.stderr.decode().splitlines()) == 1


def test_stable_with_school_cap_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path, {**EXAMPLE, "policy": {"max_per_school": 1}})
    out = CliRunner().invoke(solve, [str(path), "--mode", "stable"])
    assert out.exit_code == 2
    assert out.stderr.strip().endswith(
        "mode stable does not support max_per_school; remove it or use mode optimal"
    )


def test_bytes_identical_across_hash_seeds(tmp_path: Path) -> None:
    inst = generate(300, 120, seed=5, rankings=True)
    path = write(tmp_path, to_bytes(inst))
    outputs = {run_cli(str(path), env={"PYTHONHASHSEED": seed}).stdout for seed in ("0", "1", "4242")}
    assert len(outputs) == 1
    stable = {
        run_cli(str(path), "--mode", "stable", env={"PYTHONHASHSEED": seed}).stdout for seed in ("0", "77")
    }
    assert len(stable) == 1
