"""`placements solve`: run the matching solver on an instance file."""

from __future__ import annotations

import hashlib
import os
import sys
from typing import NoReturn

import click

from matching.solver import (
    InstanceError,
    Result,
    SolverError,
    load_instance,
    result_to_json,
    solve_instance,
    with_overrides,
)
from matching.solver.instance import MAX_BYTES, MODES


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _read(path: str) -> bytes:
    try:
        if os.path.getsize(path) > MAX_BYTES:
            _fail(f"{path}: instance is larger than {MAX_BYTES // (1024 * 1024)} MB")
        with open(path, "rb") as f:
            return f.read(MAX_BYTES + 1)
    except OSError as exc:
        _fail(f"{path}: {exc.strerror or exc}")


@click.command()
@click.argument("instance", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the result here, not stdout.")
@click.option("--mode", type=click.Choice(MODES), help="Override the instance's policy mode.")
@click.option("--seed", type=click.IntRange(min=0), help="Override the instance's policy seed.")
@click.option("--explain", "pupil", metavar="PUPIL", help="Print one pupil's outcome and why.")
def solve(instance: str, output: str | None, mode: str | None, seed: int | None, pupil: str | None) -> None:
    """Solve a matching INSTANCE file (see the matching format)."""
    data = _read(instance)
    try:
        inst = with_overrides(load_instance(data), mode=mode, seed=seed)
        if pupil is not None and pupil not in inst.pupil_ids:
            _fail(f"pupil {pupil} is not in the instance")
        result = solve_instance(inst, input_sha256=hashlib.sha256(data).hexdigest())
    except InstanceError as exc:
        _fail(f"{instance}: {exc}")
    except SolverError as exc:
        _fail(f"{instance}: solver failed: {exc}")
    if pupil is not None:
        _explain(result, pupil)
        return
    payload = result_to_json(result)
    if output is None:
        sys.stdout.buffer.write(payload)
        sys.stdout.flush()
        return
    try:
        with open(output, "wb") as f:
            f.write(payload)
    except OSError as exc:
        _fail(f"{output}: {exc.strerror or exc}")


def _explain(result: Result, pupil: str) -> None:
    placed = next((a for a in result.assignments if a["pupil"] == pupil), None)
    if placed is None:
        click.echo(f"{pupil}: unassigned")
    else:
        rank = "unlisted" if placed["rank"] is None else f"choice {placed['rank']}"
        click.echo(f"{pupil}: {placed['placement']} ({rank})")
    click.echo(f"why: {result.explanations[pupil]}")
    for d in result.dropped_preferences:
        if d["pupil"] == pupil:
            click.echo(f"dropped: {d['placement']} ({d['reason']})")
