"""Files the browser saves rather than shows: the one shape every download of the service takes."""

from __future__ import annotations

from typing import Any

from litestar import Response

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "ics": "text/calendar; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def attachment(content: Any, filename: str) -> Response[Any]:
    """`content` as a download named `filename`; the media type follows the name's extension."""
    return Response(
        content=content,
        media_type=MEDIA_TYPES[filename.rpartition(".")[2]],
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
