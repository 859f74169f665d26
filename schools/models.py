"""Schools and their pupils."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDAuditBase, UUIDBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from placements.audit.trail import audit_reads_of


class School(UUIDAuditBase):
    __tablename__ = "school"

    urn: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    postcode: Mapped[str] = mapped_column(String(10))
    town: Mapped[str | None] = mapped_column(String(100), default=None)
    lat: Mapped[float | None] = mapped_column(default=None)
    lon: Mapped[float | None] = mapped_column(default=None)
    phase: Mapped[str] = mapped_column(String(30), default="secondary")


class Pupil(UUIDAuditBase):
    __tablename__ = "pupil"

    school_id: Mapped[UUID] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    # The school's own identifier for the pupil, so a re-import updates instead of duplicating.
    reference: Mapped[str] = mapped_column(String(40))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date]
    year_group: Mapped[int]
    home_postcode: Mapped[str | None] = mapped_column(String(10), default=None)
    lat: Mapped[float | None] = mapped_column(default=None)
    lon: Mapped[float | None] = mapped_column(default=None)
    max_travel_km: Mapped[float | None] = mapped_column(default=None)
    pupil_premium: Mapped[bool] = mapped_column(default=False)
    looked_after: Mapped[bool] = mapped_column(default=False)
    send: Mapped[bool] = mapped_column(default=False)
    access_needs: Mapped[str | None] = mapped_column(Text, default=None)
    emergency_contact_name: Mapped[str | None] = mapped_column(String(200), default=None)
    emergency_contact_relationship: Mapped[str | None] = mapped_column(String(60), default=None)
    emergency_contact_phone: Mapped[str | None] = mapped_column(String(30), default=None)
    # Where the school sends the parent's consent link; no link is emailed without it.
    parent_email: Mapped[str | None] = mapped_column(String(320), default=None)

    @property
    def priority(self) -> int:
        return int(self.pupil_premium or self.looked_after or self.send)


# A school's references are compared without regard to case (b4b04da-1 is B4B04DA-1), so the
# database refuses a second pupil under the same reference in another case too.
Index("ux_pupil_school_reference", Pupil.school_id, func.upper(Pupil.reference), unique=True)

# Every pupil a request loads is in that request's audit entry (see placements.audit.trail).
audit_reads_of(Pupil, "pupil")

# The order pupils are listed in everywhere: by name, then by id so that equal names keep a place.
PUPILS_BY_NAME = (Pupil.last_name, Pupil.first_name, Pupil.id)


CONSENT_FROM_SCHOOL, CONSENT_FROM_PARENT = "school", "parent"


class Consent(UUIDAuditBase):
    """A parent's or carer's consent for one pupil, on one version of the consent text.

    A pupil has current consent while a record of theirs is not withdrawn; withdrawing closes
    every open record, so "the latest record, not withdrawn" and "any open record" agree.
    Recorded by the school from a paper form, or given by the parent through their link (then
    with what they agreed the host may know).
    """

    __tablename__ = "consent"

    pupil_id: Mapped[UUID] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    given_by: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[str] = mapped_column(String(60))
    given_on: Mapped[date]
    text_version: Mapped[str] = mapped_column(String(20))
    recorded_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    withdrawn_on: Mapped[date | None] = mapped_column(default=None)
    withdrawn_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    source: Mapped[str] = mapped_column(String(10), default=CONSENT_FROM_SCHOOL)
    shared_medical: Mapped[str | None] = mapped_column(Text, default=None)
    shared_access: Mapped[str | None] = mapped_column(Text, default=None)
    shared_dietary: Mapped[str | None] = mapped_column(Text, default=None)


class PupilImport(UUIDBase):
    """A parsed CSV waiting for the school to confirm it: nothing about pupils is written before then.

    Owned by one school, deleted when imported, and purged once expired.
    """

    __tablename__ = "pupil_import"

    school_id: Mapped[UUID] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    filename: Mapped[str] = mapped_column(String(200))
    # The rows as parsed ({field: value}, JSON-friendly) and every problem found (row, column, message).
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)


class ErasedPupil(UUIDBase):
    """What is left of an erased pupil for the programme's counts: no name, no date, no identifier."""

    __tablename__ = "erased_pupil"

    school_id: Mapped[UUID | None] = mapped_column(ForeignKey("school.id", ondelete="SET NULL"), index=True)
    year_group: Mapped[int]
    priority: Mapped[bool] = mapped_column(default=False)
    erased_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
