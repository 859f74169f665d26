"""Every mapped table, imported in one place so migrations and tests see the whole schema."""

from advanced_alchemy.base import orm_registry

from employers.models import Employer, EmployerCompliance, Placement
from matching.models import (
    Adjustment,
    Attendance,
    ChoiceEntry,
    FollowUp,
    MatchRun,
    Outcome,
    Preference,
    Round,
)
from placements.accounts.models import AccountToken, User
from placements.audit.models import AuditEntry
from placements.jobs.models import JobRecord
from placements.notifications.models import OutboxMessage
from placements.store import StoreEntry
from schools.models import Consent, ErasedPupil, Pupil, PupilImport, School

metadata = orm_registry.metadata

__all__ = [
    "AccountToken",
    "Adjustment",
    "Attendance",
    "AuditEntry",
    "ChoiceEntry",
    "Consent",
    "Employer",
    "EmployerCompliance",
    "ErasedPupil",
    "FollowUp",
    "JobRecord",
    "MatchRun",
    "OutboxMessage",
    "Outcome",
    "Placement",
    "Preference",
    "Pupil",
    "PupilImport",
    "Round",
    "School",
    "StoreEntry",
    "User",
    "metadata",
]
