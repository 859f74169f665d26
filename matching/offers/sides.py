"""Each side's view of an offer: where its pages are, and how it names the pupil."""

from __future__ import annotations

from matching.offers import queries
from matching.offers.services import Side

BASE = {Side.SCHOOL: "/outcomes", Side.EMPLOYER: "/matches"}


def pupil_name(row: queries.OutcomeRow, side: Side) -> str:
    # An employer knows the pupil by first name and school only, here as everywhere.
    return f"{row.pupil.first_name} {row.pupil.last_name}" if side is Side.SCHOOL else row.pupil.first_name
