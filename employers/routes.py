"""The employers package's pages and API, as the app registers them."""

from __future__ import annotations

from typing import Any

from employers import audit_names  # noqa: F401  (the audit log names employers' records from here on)
from employers.api import EmployersApi, PlacementsApi
from employers.pages import EmployerPages, EmployerSignUpPage, PlacementPages

ROUTES: list[Any] = [EmployerSignUpPage, EmployerPages, PlacementPages, EmployersApi, PlacementsApi]
