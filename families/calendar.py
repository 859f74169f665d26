"""An agreed placement as a calendar file (RFC 5545): one all-day event per placement week, Monday to
Friday, so a pupil's phone reminds them where to be."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from employers.models import Placement


def _text(value: str) -> str:
    """A TEXT value with the characters RFC 5545 reserves escaped."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _monday(iso_week: str) -> date | None:
    try:
        return date.fromisocalendar(int(iso_week[:4]), int(iso_week[6:]), 1)
    except ValueError:
        return None


def placement_calendar(placement: Placement, employer_name: str, *, made_at: datetime) -> str:
    where = placement.address or placement.town or ""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Placements//Work placement//EN",
        "CALSCALE:GREGORIAN",
    ]
    for week in placement.weeks:
        monday = _monday(week)
        if monday is None:
            continue
        lines += [
            "BEGIN:VEVENT",
            f"UID:{placement.id}-{week}@placements",
            f"DTSTAMP:{made_at:%Y%m%dT%H%M%SZ}",
            f"DTSTART;VALUE=DATE:{monday:%Y%m%d}",
            f"DTEND;VALUE=DATE:{monday + timedelta(days=5):%Y%m%d}",
            f"SUMMARY:{_text(f'Work placement: {placement.title} ({employer_name})')}",
            *([f"LOCATION:{_text(where)}"] if where else []),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
