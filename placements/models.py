"""The core's mapped tables; each domain's come with its `domain` module (see placements.app)."""

from advanced_alchemy.base import orm_registry

from placements.accounts.models import AccountToken, User
from placements.audit.models import AuditEntry
from placements.jobs.models import JobRecord
from placements.notifications.models import OutboxMessage
from placements.postcodes.models import Postcode, PostcodeArea
from placements.store import StoreEntry

metadata = orm_registry.metadata

__all__ = [
    "AccountToken",
    "AuditEntry",
    "JobRecord",
    "OutboxMessage",
    "Postcode",
    "PostcodeArea",
    "StoreEntry",
    "User",
    "metadata",
]
