"""Downloading a run's stored instance or result file, for the pages and the API alike."""

from __future__ import annotations

from uuid import UUID

from litestar import Response
from sqlalchemy.ext.asyncio import AsyncSession

from matching.rounds import queries as round_queries
from matching.runs import queries
from matching.runs import services as runs
from placements.web.acting import Acting
from placements.web.downloads import attachment


async def run_file(
    acting: Acting, db: AsyncSession, run_id: UUID, which: str, missing: type[Exception]
) -> Response[bytes]:
    """The exact bytes stored for the run, so anyone can solve or check it again; audited.

    `missing` is raised when the run has no such file yet (the pages say 404, the API 409)."""
    run = await queries.get_run(db, run_id)
    content = getattr(await runs.run_files(db, run.id), which)
    round_ = await round_queries.get_round(db, run.round_id)
    if content is None and round_.pupil_data_erased_on is not None:
        raise missing(
            f"This run's files were erased with the round's pupil data on {round_.pupil_data_erased_on}"
        )
    if content is None:
        raise missing(f"This run has no {which} file yet")
    await acting.audit(
        db,
        "run_file_downloaded",
        record_type="round",
        record_id=round_.id,
        run=run.number,
        file=which,
    )
    name = f"round-{round_.programme_year}-run-{run.number}-{which}.json"
    return attachment(content, name)
