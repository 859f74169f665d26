"""`placements verify RUN`: a stored run re-checked from the command line, against the test database,
and the three verdicts on a stored result against a new solve."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from typing import Any

import pytest
from sqlalchemy import select, update

from matching.choices import services as preferences
from matching.models import MatchRun
from matching.policy import RunPolicy
from matching.runs import services as runs
from matching.runs.verify import BYTE_IDENTICAL, DOES_NOT_REPRODUCE, SAME_OPTIMUM, compare
from matching.solver import result_to_json, solve_bytes
from programme.models import Stage
from tests.support import run_queued_jobs


def verify(run_id: object, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", "from placements.cli import main; main()", "verify", str(run_id)],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": database_url},
        check=False,
        timeout=120,
    )


async def test_a_stored_run_reproduces_until_its_files_are_tampered_with(client, db, scenario, database_url):
    s = await scenario(stage=Stage.PREFERENCES_OPEN)
    for pupil in s.pupils[1]:
        await preferences.save_choices(
            db,
            round_=s.round,
            pupil=pupil,
            placement_ids=[q.id for q in s.placements],
            open_to_other=False,
            actor=s.school_staff[1],
            ip_address=None,
        )
    s.round.stage = Stage.PREFERENCES_CLOSED
    await db.commit()
    run = await runs.start_run(
        db, round_=s.round, policy=RunPolicy(mode="stable", seed=7), actor=s.coordinator, ip_address=None
    )
    await db.commit()
    await run_queued_jobs()
    run_id = run.id
    await db.rollback()

    good = verify(run_id, database_url)
    assert good.returncode == 0, good.stderr
    assert "byte-identical: result SHA-256" in good.stdout

    # A newer solver names itself differently: same outcome, different bytes.
    stored = await db.scalar(select(MatchRun.result).where(MatchRun.id == run_id))
    renamed = canonical({**json.loads(stored), "solver": "placements 0.0.1 (scipy 1.15.0)"})
    await db.execute(
        update(MatchRun)
        .where(MatchRun.id == run_id)
        .values(result=renamed, result_sha256=hashlib.sha256(renamed).hexdigest())
    )
    await db.commit()
    same = verify(run_id, database_url)
    assert same.returncode == 0, same.stderr
    assert "same optimum, different tie-break (solver version changed)" in same.stdout

    await db.execute(update(MatchRun).where(MatchRun.id == run_id).values(result=b"{}"))
    await db.commit()
    tampered = verify(run_id, database_url)
    assert tampered.returncode == 1
    assert "the stored result no longer matches its SHA-256" in tampered.stdout

    unknown = verify(uuid.uuid4(), database_url)
    assert unknown.returncode == 1 and "No run has this id" in unknown.stderr


def canonical(result: dict[str, Any]) -> bytes:
    return json.dumps(result, sort_keys=True, separators=(",", ":")).encode() + b"\n"


# Two pupils of equal weight want the one place: either may have it, at the same cost.
TIE: dict[str, Any] = {
    "format": "placements-instance/1",
    "placements": [{"id": "P1", "capacity": 1}, {"id": "P2", "capacity": 1, "year_groups": [12]}],
    "pupils": [
        {"id": "S1", "school": "A", "year_group": 10, "preferences": ["P1"]},
        {"id": "S2", "school": "A", "year_group": 10, "preferences": ["P1"], "open_to_other": True},
    ],
}


def solved(inst: dict[str, Any]) -> tuple[bytes, Any, dict[str, Any]]:
    data = json.dumps(inst).encode()
    again = solve_bytes(data)
    return data, again, json.loads(result_to_json(again))


def test_the_same_result_is_byte_identical() -> None:
    data, again, _ = solved(TIE)
    assert compare(data, result_to_json(again), again)[0] == BYTE_IDENTICAL


def test_an_equally_good_assignment_is_the_same_optimum() -> None:
    data, again, result = solved(TIE)
    winner = result["assignments"][0]["pupil"]
    other = "S2" if winner == "S1" else "S1"
    swapped = {
        **result,
        "assignments": [{"pupil": other, "placement": "P1", "rank": 1}],
        "unassigned": [winner],
        "solver": "placements 0.0.1 (scipy 1.15.0)",
    }
    kind, why = compare(data, canonical(swapped), again)
    assert kind == SAME_OPTIMUM and why.startswith(f"feasible, objective {result['objective']} equals")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        # Nobody placed: feasible, and its objective is stated truly, but worse than the optimum.
        (
            lambda r: {**r, "assignments": [], "unassigned": ["S1", "S2"], "objective": 20000},
            "stored objective 20000, certified optimum now 10001",
        ),
        # The objective claimed is not what the assignment costs.
        (lambda r: {**r, "objective": 7}, "the stored assignment costs 10001, not the stored objective 7"),
        (
            lambda r: {
                **r,
                "assignments": [
                    {"pupil": "S1", "placement": "P1", "rank": 1},
                    {"pupil": "S2", "placement": "P1", "rank": 1},
                ],
                "objective": 2,
            },
            "the stored assignment is no longer feasible: placement P1 is over capacity",
        ),
        (
            lambda r: {
                **r,
                "assignments": [{"pupil": "S1", "placement": "P2", "rank": None}],
                "objective": 10200,
            },
            "the stored assignment is no longer feasible: pupil S1 on P2: wrong year group",
        ),
        (
            lambda r: {**r, "assignments": [{"pupil": "S9", "placement": "P1", "rank": 1}]},
            "the stored assignment is no longer feasible: assignment S9 -> P1 names an unknown id",
        ),
        (lambda r: {**r, "mode": "stable"}, "stored mode stable, solved again as optimal"),
        (lambda r: b"{}", "the stored result is not a readable result file"),
    ],
)
def test_anything_else_does_not_reproduce(change: Any, reason: str) -> None:
    data, again, result = solved(TIE)
    stored = change(result)
    kind, why = compare(data, stored if isinstance(stored, bytes) else canonical(stored), again)
    assert (kind, why) == (DOES_NOT_REPRODUCE, reason)


def test_a_different_stable_matching_does_not_reproduce() -> None:
    data, again, result = solved({**TIE, "policy": {"mode": "stable"}})
    moved = {**result, "assignments": [], "unassigned": ["S1", "S2"], "objective": 20000}
    assert compare(data, canonical(moved), again) == (DOES_NOT_REPRODUCE, "the stable matching differs")
