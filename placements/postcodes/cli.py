"""`placements postcodes load FILE`: replace the postcode table with the ONS Postcode Directory's
(or Code-Point Open's) postcodes, all or nothing."""

from __future__ import annotations

import time
from pathlib import Path

import click


@click.group()
def postcodes() -> None:
    """Postcodes anywhere in the UK, for placing schools, homes and placements on the map."""


@postcodes.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(file: Path) -> None:
    """Load FILE, the ONS Postcode Directory CSV (or a Code-Point Open CSV), replacing the last load.

    Terminated postcodes and those without coordinates are left out. Until the load is complete
    (minutes for the whole of ONSPD), lookups see the previous one.
    """
    from sqlalchemy.exc import IntegrityError

    from placements.commands import in_transaction
    from placements.db import LONG_STATEMENTS
    from placements.postcodes.files import PostcodeFileRefused
    from placements.postcodes.services import load_postcode_file

    started = time.perf_counter()
    try:
        # Deleting the last load and averaging millions of rows may take longer than a page may.
        done = in_transaction(lambda db: load_postcode_file(db, file), statement_timeout=LONG_STATEMENTS)
    except PostcodeFileRefused as exc:
        raise click.ClickException(f"{file}: {exc}. Nothing was changed.") from exc
    except UnicodeDecodeError as exc:
        raise click.ClickException(
            f"{file} is not a text CSV file (unzip it first). Nothing was changed."
        ) from exc
    except IntegrityError as exc:
        raise click.ClickException(f"{file} lists a postcode more than once. Nothing was changed.") from exc
    loaded, skipped = done.loaded, done.skipped
    click.echo(
        f"Loaded {loaded.postcodes:,} postcodes, {loaded.sectors:,} sectors and {loaded.districts:,} "
        f"districts from {file} ({done.format}) in {time.perf_counter() - started:.1f}s."
    )
    click.echo(
        f"Left out {skipped.terminated:,} terminated postcodes, {skipped.no_coordinates:,} without "
        f"coordinates and {skipped.not_postcodes:,} rows that are not postcodes."
    )
