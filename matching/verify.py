"""Re-checking a stored run: do its instance and result still match their hashes, and does solving
the instance again give the same result, byte for byte?"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from matching.models import RunStatus
from matching.runs import run_files
from matching.solver import InstanceError, SolverError, result_to_json, solve_bytes


@dataclass(frozen=True)
class Verdict:
    reproduces: bool
    message: str


async def verify_run(db: AsyncSession, run_id: UUID) -> Verdict:
    run = await run_files(db, run_id)
    name = f"run {run.number} ({run.id})"
    if run.status is not RunStatus.DONE or run.instance is None or run.result is None:
        return Verdict(False, f"{name} has no result to check (it is {run.status.value})")
    if hashlib.sha256(run.instance).hexdigest() != run.instance_sha256:
        return Verdict(False, f"{name}: the stored instance no longer matches its SHA-256")
    if hashlib.sha256(run.result).hexdigest() != run.result_sha256:
        return Verdict(False, f"{name}: the stored result no longer matches its SHA-256")
    try:
        again = result_to_json(solve_bytes(run.instance))
    except (InstanceError, SolverError) as exc:
        return Verdict(False, f"{name}: the instance no longer solves: {exc}")
    if again != run.result:
        return Verdict(
            False,
            f"{name} does not reproduce: solving again gives SHA-256 {hashlib.sha256(again).hexdigest()}, "
            f"stored {run.result_sha256} (solver then: {run.solver})",
        )
    return Verdict(True, f"{name} reproduces: result SHA-256 {run.result_sha256}")
