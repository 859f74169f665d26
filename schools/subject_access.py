"""A pupil's subject access export: everything held about one pupil, as one document.

The schools package writes the pupil, their school, consent and audit log; a package that keeps
more about pupils (matching: choices and outcomes) adds its part with `subject_access_section`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts.models import User
from placements.audit.models import AuditEntry
from placements.audit.services import record
from placements.clock import now
from schools.models import Consent, Pupil, School
from schools.services import PUPIL_FIELDS

Section = Callable[[AsyncSession, Pupil], Awaitable[dict[str, Any]]]
_sections: dict[str, Section] = {}


def subject_access_section(name: str) -> Callable[[Section], Section]:
    """Register a part of every pupil's export (its keys follow the consent records)."""

    def register(section: Section) -> Section:
        _sections[name] = section
        return section

    return register


async def subject_access_export(
    db: AsyncSession, *, pupil: Pupil, actor: User, ip_address: str | None
) -> dict[str, Any]:
    """Everything held about one pupil, as one JSON-friendly document. Audited as an export."""
    school = await db.get_one(School, pupil.school_id)
    consents = list(
        await db.scalars(select(Consent).where(Consent.pupil_id == pupil.id).order_by(Consent.created_at))
    )
    entries = list(
        await db.scalars(
            select(AuditEntry)
            .where(AuditEntry.record_type == "pupil", AuditEntry.record_id == str(pupil.id))
            .order_by(AuditEntry.at)
        )
    )
    sections = {name: await section(db, pupil) for name, section in _sections.items()}
    await record(
        db,
        actor=actor,
        action="pupil_subject_access_exported",
        record_type="pupil",
        record_id=pupil.id,
        ip_address=ip_address,
    )
    return {
        "exported_at": now().isoformat(),
        "exported_by": actor.email,
        "pupil": {
            "id": str(pupil.id),
            "school": {"id": str(school.id), "urn": school.urn, "name": school.name},
            **{name: plain(getattr(pupil, name)) for name in PUPIL_FIELDS},
            "created_at": pupil.created_at.isoformat(),
            "updated_at": pupil.updated_at.isoformat(),
        },
        "consent": [
            {
                "given_by": consent.given_by,
                "relationship": consent.relationship,
                "given_on": consent.given_on.isoformat(),
                "text_version": consent.text_version,
                "withdrawn_on": consent.withdrawn_on.isoformat() if consent.withdrawn_on else None,
                "source": consent.source,
                "shared_with_host": {
                    "medical": consent.shared_medical,
                    "access": consent.shared_access,
                    "dietary": consent.shared_dietary,
                },
                "recorded_at": consent.created_at.isoformat(),
            }
            for consent in consents
        ],
        **{key: value for section in sections.values() for key, value in section.items()},
        "audit_log": [
            {
                "at": entry.at.isoformat(),
                "by": entry.actor_label,
                "action": entry.action,
                "detail": entry.detail,
            }
            for entry in entries
        ],
    }


def plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
