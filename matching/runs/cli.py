"""`placements verify`: re-solve a stored matching run and say whether it reproduces."""

from __future__ import annotations

import sys

import click
from sqlalchemy.ext.asyncio import AsyncSession

from matching.errors import MatchingError
from matching.runs.verify import Verdict, verify_run
from placements.commands import in_transaction


@click.command("verify")
@click.argument("run_id", metavar="RUN", type=click.UUID)
def verify(run_id: object) -> None:
    """Re-solve a stored matching RUN (its id): byte-identical, or the same optimum with another
    tie-break (a newer solver), exit 0; exit 1 if it does not reproduce."""

    async def work(session: AsyncSession) -> Verdict:
        return await verify_run(session, run_id)  # type: ignore[arg-type]

    try:
        verdict = in_transaction(work)
    except MatchingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(verdict.message)
    sys.exit(0 if verdict.reproduces else 1)
