"""`placements round transparency ROUND`: the round's algorithmic transparency record."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from placements.commands import in_transaction, settings_or_fail
from programme.models import Round


@click.group("round")
def round_commands() -> None:
    """What a matching round publishes about itself."""


async def _round(db: AsyncSession, which: str) -> Round:
    """The round with this id, or of this programme year."""
    if which.isdigit():
        round_ = await db.scalar(select(Round).where(Round.programme_year == int(which)))
    else:
        try:
            round_ = await db.get(Round, UUID(which))
        except ValueError:
            round_ = None
    if round_ is None:
        raise click.ClickException(f"no round has the id or programme year {which[:40]!r}")
    return round_


@round_commands.command("transparency")
@click.argument("which", metavar="ROUND")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write it here.")
def transparency(which: str, output: Path | None) -> None:
    """Write ROUND's (its id or programme year) Algorithmic Transparency Recording Standard record
    and the facts a DPIA needs, as Markdown, from its stored runs and report."""
    from matching.reports.transparency import transparency_record

    settings = settings_or_fail()

    async def work(db: AsyncSession) -> str:
        return await transparency_record(db, await _round(db, which), settings)

    record = in_transaction(work)
    if output is None:
        click.echo(record, nl=False)
    else:
        output.write_text(record, encoding="utf-8")
        click.echo(f"Wrote {output}")
