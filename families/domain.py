"""The families package as the app registers it: parents' and pupils' pages, and the school's
consent requests and pupils' sign-in codes."""

from __future__ import annotations

from families import models  # noqa: F401  (the parents' links' table)
from families.api import ConsentRequestsApi
from families.code_pages import PupilCodePages
from families.parent_pages import ParentPages
from families.pupil_pages import PupilPages
from families.request_pages import ConsentRequestPages
from placements.domains import Domain

DOMAIN = Domain(
    name="families",
    route_handlers=(ParentPages, PupilPages, ConsentRequestPages, PupilCodePages, ConsentRequestsApi),
)
