"""`placements solve`: run the matching solver on an instance file."""

from __future__ import annotations

import hashlib
import os
import re
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
from matching.solver.fields import MAX_BYTES
from matching.solver.instance import MAX_SEED, MODES


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _whole(text: str | None) -> int | None:
    """The option's integer, read here rather than by click, which fails with a usage text
    (and Python with a traceback past 4,300 digits); one too long to be a seed reads as
    MAX_SEED + 1, so that the seed's own range check names the problem."""
    if text is None:
        return None
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        _fail(f"--seed must be a whole number, not {text[:40]!r}")
    if len(text.lstrip("+-").lstrip("0")) > len(str(MAX_SEED)):
        return MAX_SEED + 1
    return int(text)


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
@click.option("--seed", help="Override the instance's policy seed (0 to 2^63 - 1).")
@click.option("--explain", "pupil", metavar="PUPIL", help="Print one pupil's outcome and why.")
def solve(instance: str, output: str | None, mode: str | None, seed: str | None, pupil: str | None) -> None:
    """Solve a matching INSTANCE file (see the matching format)."""
    data = _read(instance)
    try:
        inst = with_overrides(load_instance(data), mode=mode, seed=_whole(seed))
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
