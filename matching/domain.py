"""The matching package as the app registers it: pages, API and jobs."""

from __future__ import annotations

from matching import (
    audit_names,  # noqa: F401  (the audit log names the round's records from here on)
    subject_access,  # noqa: F401  (a pupil's choices and outcomes in their subject access export)
)
from matching.choices.api import ChoicesApi
from matching.choices.pages import ChoicePages
from matching.offers import services as offers  # noqa: F401  (registers the offer reminders)
from matching.offers.api import OutcomesApi
from matching.offers.follow_up_api import FollowUpApi
from matching.offers.follow_up_pages import EmployerFollowUpPages, SchoolFollowUpPages
from matching.offers.pages import MatchPages, OutcomePages
from matching.reports.api import ReportsApi
from matching.reports.pages import ReportPages
from matching.retention import services as retention  # noqa: F401  (registers the retention job)
from matching.rounds.api import RoundsApi
from matching.rounds.pages import RoundPages
from matching.runs import metrics  # noqa: F401  (its runs by status in /metrics)
from matching.runs import services as runs  # noqa: F401  (registers the matching run job)
from matching.runs.api import RoundRunsApi, RunsApi
from matching.runs.pages import RoundRunPages, RunPages
from placements.domains import Domain

DOMAIN = Domain(
    name="matching",
    route_handlers=(
        RoundPages,
        RoundRunPages,
        RunPages,
        ChoicePages,
        OutcomePages,
        SchoolFollowUpPages,
        MatchPages,
        EmployerFollowUpPages,
        ReportPages,
        RoundsApi,
        ChoicesApi,
        RoundRunsApi,
        RunsApi,
        OutcomesApi,
        FollowUpApi,
        ReportsApi,
    ),
)
