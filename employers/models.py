"""Employer organisations and the placements they post."""

from __future__ import annotations

import enum
from datetime import date
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

    @property
    def label(self) -> str:
        return self.value.capitalize()


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
    # The pathways the organisation can offer (software, data, ...), chosen at sign-up.
    pathways: Mapped[list[str]] = mapped_column(JsonB, default=list)
    # Why a coordinator rejected or suspended the organisation, shown to its users.
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)


class EmployerCompliance(UUIDAuditBase):
    """What the programme must know before a pupil goes to an employer: one record per organisation."""

    __tablename__ = "employer_compliance"

    employer_id: Mapped[UUID] = mapped_column(
        ForeignKey("employer.id", ondelete="CASCADE"), unique=True, index=True
    )
    insurer: Mapped[str | None] = mapped_column(String(200), default=None)
    policy_number: Mapped[str | None] = mapped_column(String(60), default=None)
    insurance_expires_on: Mapped[date | None] = mapped_column(default=None, index=True)
    risk_assessment_on: Mapped[date | None] = mapped_column(default=None)
    safeguarding_lead_name: Mapped[str | None] = mapped_column(String(200), default=None)
    safeguarding_lead_email: Mapped[str | None] = mapped_column(String(320), default=None)
    safeguarding_lead_phone: Mapped[str | None] = mapped_column(String(30), default=None)
    # Whether supervisors of under-16s have had the checks the organisation's policy requires.
    supervisor_checks_done: Mapped[bool | None] = mapped_column(default=None)
    # The expiry date the last insurance reminder was sent for, so the daily job sends one per date.
    insurance_reminder_for: Mapped[date | None] = mapped_column(default=None)


class WorkMode(enum.StrEnum):
    ON_SITE = "on_site"
    HYBRID = "hybrid"
    REMOTE = "remote"

    @property
    def label(self) -> str:
        return {"on_site": "On site", "hybrid": "Hybrid", "remote": "Remote"}[self.value]


class PlacementStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return self.value.capitalize()


# Joining instructions: (key, what the employer is asked, what the family reads it as).
JOINING = (
    ("arrival", "Arrival time and where to go on the first day", "Arrival"),
    ("ask_for", "Who the pupil asks for", "Ask for"),
    ("dress_code", "What to wear", "What to wear"),
    ("lunch", "Lunch", "Lunch"),
    ("bring", "What to bring", "What to bring"),
)


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
    # What the pupil and their parent read once the placement is agreed ({key of JOINING: text}).
    joining: Mapped[dict[str, str]] = mapped_column(JsonB, default=dict)
    status: Mapped[PlacementStatus] = mapped_column(
        enum_column(PlacementStatus), default=PlacementStatus.DRAFT, index=True
    )
    # The placement of an earlier round this one was copied from, if any.
    copied_from_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("placement.id", ondelete="SET NULL"), default=None
    )
