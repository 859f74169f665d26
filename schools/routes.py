"""The schools package's pages and API, as the app registers them."""

from __future__ import annotations

from typing import Any

from schools import audit_names  # noqa: F401  (the audit log names schools' records from here on)
from schools.api import PupilImportsApi, PupilsApi, SchoolsApi
from schools.pages import OwnSchoolPage, PupilPages, SchoolPages

ROUTES: list[Any] = [SchoolPages, OwnSchoolPage, PupilPages, SchoolsApi, PupilsApi, PupilImportsApi]
