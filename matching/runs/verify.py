"""Re-checking a stored run: do its instance and result still match their hashes, and does solving
the instance again give the same result?

Three verdicts. *Byte-identical*: the result comes out again, byte for byte. *Same optimum, different
tie-break*: the bytes differ (a newer solver names itself differently, or breaks a tie among equally
good assignments another way), but the stored assignment is still feasible for the instance, its
objective is the stored one, and it equals the optimum the new solver certifies, so the published
outcome is still an optimal one. Anything else *does not reproduce*.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from matching.models import RunStatus
from matching.runs.services import run_files
from matching.solver import InstanceError, Result, SolverError, load_instance, result_to_json, solve_bytes
from matching.solver.check import assignment_cost

BYTE_IDENTICAL = "byte-identical"
SAME_OPTIMUM = "same optimum, different tie-break (solver version changed)"
DOES_NOT_REPRODUCE = "does not reproduce"


@dataclass(frozen=True)
class Verdict:
    kind: str
    message: str

    @property
    def reproduces(self) -> bool:
        """Whether the stored outcome stands: byte-identical or the same optimum."""
        return self.kind != DOES_NOT_REPRODUCE


def compare(instance: bytes, stored: bytes, again: Result) -> tuple[str, str]:
    """The verdict on a stored result against a new solve of its instance, and why."""
    again_bytes = result_to_json(again)
    if again_bytes == stored:
        return BYTE_IDENTICAL, f"result SHA-256 {hashlib.sha256(stored).hexdigest()}"
    try:
        old: dict[str, Any] = json.loads(stored)
        assignments, old_objective, old_mode = old["assignments"], old["objective"], old["mode"]
    except (ValueError, TypeError, KeyError):
        return DOES_NOT_REPRODUCE, "the stored result is not a readable result file"
    new = again.to_dict()
    if old_mode != again.mode:
        return DOES_NOT_REPRODUCE, f"stored mode {old_mode}, solved again as {again.mode}"
    same_outcome = {k: v for k, v in old.items() if k != "solver"} == {
        k: v for k, v in new.items() if k != "solver"
    }
    if again.mode == "stable" and not same_outcome:
        # The pupil-optimal stable matching is unique: any other one is a different outcome.
        return DOES_NOT_REPRODUCE, "the stable matching differs"
    cost, broken = assignment_cost(load_instance(instance), assignments)
    if cost is None:
        return DOES_NOT_REPRODUCE, f"the stored assignment is no longer feasible: {broken}"
    if cost != old_objective:
        return (
            DOES_NOT_REPRODUCE,
            f"the stored assignment costs {cost}, not the stored objective {old_objective}",
        )
    if cost != again.objective:
        return DOES_NOT_REPRODUCE, f"stored objective {cost}, certified optimum now {again.objective}"
    return (
        SAME_OPTIMUM,
        f"feasible, objective {cost} equals the certified optimum; solver now: {again.solver}",
    )


async def verify_run(db: AsyncSession, run_id: UUID) -> Verdict:
    run = await run_files(db, run_id)
    name = f"run {run.number} ({run.id})"
    if run.status is not RunStatus.DONE or run.instance is None or run.result is None:
        return Verdict(DOES_NOT_REPRODUCE, f"{name} has no result to check (it is {run.status.value})")
    if hashlib.sha256(run.instance).hexdigest() != run.instance_sha256:
        return Verdict(DOES_NOT_REPRODUCE, f"{name}: the stored instance no longer matches its SHA-256")
    if hashlib.sha256(run.result).hexdigest() != run.result_sha256:
        return Verdict(DOES_NOT_REPRODUCE, f"{name}: the stored result no longer matches its SHA-256")
    try:
        again = solve_bytes(run.instance)
    except (InstanceError, SolverError) as exc:
        return Verdict(DOES_NOT_REPRODUCE, f"{name}: the instance no longer solves: {exc}")
    kind, why = compare(run.instance, run.result, again)
    detail = f"{why} (solver then: {run.solver})" if kind == DOES_NOT_REPRODUCE else why
    return Verdict(kind, f"{name}: {kind}: {detail}")
