"""The families package as the app registers it: parents' pages and the school's consent requests."""

from __future__ import annotations

from families import models  # noqa: F401  (the parents' links' table)
from families.api import ConsentRequestsApi
from families.parent_pages import ParentPages
from families.request_pages import ConsentRequestPages
from placements.domains import Domain

DOMAIN = Domain(name="families", route_handlers=(ParentPages, ConsentRequestPages, ConsentRequestsApi))
