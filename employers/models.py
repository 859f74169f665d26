"""Employer organisations and the placements they post."""

from __future__ import annotations

import enum
from uuid import UUID

from advanced_alchemy.base import UUIDAuditBase
from advanced_alchemy.types import JsonB
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from placements.types import enum_column


class EmployerStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Employer(UUIDAuditBase):
    __tablename__ = "employer"

    name: Mapped[str] = mapped_column(String(200), index=True)
    companies_house_number: Mapped[str | None] = mapped_column(String(8), default=None)
    address: Mapped[str | None] = mapped_column(String(300), default=None)
    postcode: Mapped[str] = mapped_column(String(10))
    town: Mapped[str | None] = mapped_column(String(100), default=None)
    lat: Mapped[float | None] = mapped_column(default=None)
    lon: Mapped[float | None] = mapped_column(default=None)
    sector: Mapped[str | None] = mapped_column(String(60), default=None)
    size: Mapped[str | None] = mapped_column(String(30), default=None)
    status: Mapped[EmployerStatus] = mapped_column(
        enum_column(EmployerStatus), default=EmployerStatus.PENDING, index=True
    )


class WorkMode(enum.StrEnum):
    ON_SITE = "on_site"
    HYBRID = "hybrid"
    REMOTE = "remote"


class PlacementStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Placement(UUIDAuditBase):
    __tablename__ = "placement"

    employer_id: Mapped[UUID] = mapped_column(ForeignKey("employer.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[UUID] = mapped_column(ForeignKey("matching_round.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    pathway: Mapped[str] = mapped_column(String(40), index=True)
    skills: Mapped[str | None] = mapped_column(Text, default=None)
    work_mode: Mapped[WorkMode] = mapped_column(enum_column(WorkMode), default=WorkMode.ON_SITE)
    address: Mapped[str | None] = mapped_column(String(300), default=None)
    postcode: Mapped[str | None] = mapped_column(String(10), default=None)
    town: Mapped[str | None] = mapped_column(String(100), default=None)
    lat: Mapped[float | None] = mapped_column(default=None)
    lon: Mapped[float | None] = mapped_column(default=None)
    weeks: Mapped[list[str]] = mapped_column(JsonB, default=list)
    capacity: Mapped[int] = mapped_column(default=1)
    year_groups: Mapped[list[int]] = mapped_column(JsonB, default=list)
    min_age: Mapped[int | None] = mapped_column(default=None)
    accessibility_notes: Mapped[str | None] = mapped_column(Text, default=None)
    supervisor_name: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[PlacementStatus] = mapped_column(
        enum_column(PlacementStatus), default=PlacementStatus.DRAFT, index=True
    )
