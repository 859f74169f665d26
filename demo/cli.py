"""`placements demo`: load the demo data into an empty database."""

from __future__ import annotations

import click
from sqlalchemy.ext.asyncio import AsyncSession

from placements.commands import in_transaction, settings_or_fail


@click.command()
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has accounts.")
def demo(if_empty: bool) -> None:
    """Load demo data: schools, employers, pupils, placements, an open round and sample postcodes."""
    from demo.data import COORDINATOR_EMAIL, DEMO_PASSWORD, DemoRefused, load_demo
    from demo.families import DemoKey, parent_links, pupil_codes
    from demo.postcodes import DEMO_POSTCODES
    from placements.accounts.services import count_users
    from placements.postcodes.services import load_postcode_file

    settings = settings_or_fail()

    async def work(
        session: AsyncSession,
    ) -> tuple[list[tuple[str, str]], list[DemoKey], list[DemoKey]] | None:
        if await count_users(session):
            if if_empty:
                return None
            raise click.ClickException("the database already has accounts; demo data goes into an empty one")
        accounts = await load_demo(session, settings)
        await load_postcode_file(session, DEMO_POSTCODES)
        return accounts, await parent_links(session), await pupil_codes(session)

    try:
        loaded = in_transaction(work)
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    if loaded is not None:
        accounts, links, codes = loaded
        click.echo(f"Loaded demo data: {len(accounts)} accounts.")
        click.echo("Parents' consent links (shown once; the parent confirms the child's date of birth):")
        for link in links:
            click.echo(f"  {link.pupil}, born {link.date_of_birth:%-d %B %Y}: {link.key}")
        click.echo(f"Pupils' sign-in codes for {settings.base_url}/pupil/sign-in (with the date of birth):")
        for code in codes:
            click.echo(f"  {code.pupil}, born {code.date_of_birth:%-d %B %Y}: {code.key}")
    click.echo(f"Demo accounts (password for each: {DEMO_PASSWORD}):")
    click.echo(f"  coordinator     {COORDINATOR_EMAIL}")
    click.echo("  school staff    advisor@preston-riverside-academy.demo.placements.test")
    click.echo("  employer        team@ribble-data-ltd.demo.placements.test")
