"""Schools and their pupils."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from advanced_alchemy.base import UUIDAuditBase
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


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
    __table_args__ = (UniqueConstraint("school_id", "reference", name="uq_pupil_school_reference"),)

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

    @property
    def priority(self) -> int:
        return int(self.pupil_premium or self.looked_after or self.send)
