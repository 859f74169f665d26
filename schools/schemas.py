"""The JSON shapes of the schools API. Constraints here are the ones the server enforces."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from msgspec import Meta, Struct

from placements.geo import POSTCODE_PATTERN
from placements.web.forms import EMAIL
from schools.validation import PHONE_PATTERN, REFERENCE_PATTERN

_TEXT = r"[0-9A-Za-z\u00c0-\u1fff\u3040-\ufefe]"  # at least one letter or digit
Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=_TEXT)]
Phone = Annotated[str, Meta(min_length=7, max_length=30, pattern=PHONE_PATTERN)]
Email = Annotated[str, Meta(min_length=3, max_length=320, pattern=EMAIL.pattern)]
Postcode = Annotated[str, Meta(min_length=5, max_length=8, pattern=POSTCODE_PATTERN)]
Lat = Annotated[float, Meta(ge=49.8, le=60.9)]
Lon = Annotated[float, Meta(ge=-8.7, le=1.8)]


class SchoolIn(Struct, kw_only=True):
    urn: Annotated[str, Meta(pattern=r"^[0-9]{6,7}$")]
    name: Annotated[str, Meta(min_length=1, max_length=200, pattern=_TEXT)]
    postcode: Postcode
    town: Annotated[str, Meta(max_length=100)] | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    phase: Annotated[str, Meta(pattern=r"^(secondary|all-through|sixth form|special)$")] = "secondary"


class SchoolOut(Struct):
    id: UUID
    urn: str
    name: str
    postcode: str
    town: str | None
    lat: float | None
    lon: float | None
    phase: str
    pupils: int
    digital_advisors: list[str]
    has_digital_advisor: bool


class StaffInvitationIn(Struct, kw_only=True):
    email: Email
    name: Annotated[str, Meta(min_length=1, max_length=200, pattern=_TEXT)]
    is_digital_advisor: bool = False
    phone: Phone | None = None


class StaffIn(Struct, kw_only=True):
    is_digital_advisor: bool
    phone: Phone | None = None


class StaffOut(Struct):
    id: UUID
    name: str
    email: str
    is_digital_advisor: bool
    phone: str | None
    invited: bool


class PupilIn(Struct, kw_only=True):
    reference: Annotated[str, Meta(pattern=REFERENCE_PATTERN)] | None = None
    first_name: Name
    last_name: Name
    date_of_birth: date
    year_group: Annotated[int, Meta(ge=7, le=13)]
    home_postcode: Postcode | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    max_travel_km: Annotated[float, Meta(gt=0, le=100)] | None = None
    pupil_premium: bool = False
    looked_after: bool = False
    send: bool = False
    access_needs: Annotated[str, Meta(max_length=2000)] | None = None
    emergency_contact_name: Annotated[str, Meta(min_length=1, max_length=200, pattern=_TEXT)] | None = None
    emergency_contact_relationship: Annotated[str, Meta(max_length=60)] | None = None
    emergency_contact_phone: Phone | None = None
    parent_email: Email | None = None


class PupilSummaryOut(Struct):
    id: UUID
    school_id: UUID
    school_name: str
    reference: str
    first_name: str
    last_name: str
    year_group: int
    priority: bool
    has_current_consent: bool


class PupilOut(Struct):
    id: UUID
    school_id: UUID
    reference: str
    first_name: str
    last_name: str
    date_of_birth: date
    year_group: int
    home_postcode: str | None
    lat: float | None
    lon: float | None
    max_travel_km: float | None
    pupil_premium: bool
    looked_after: bool
    send: bool
    # Only for the pupil's own school's staff; null for everyone else.
    access_needs: str | None
    emergency_contact_name: str | None
    emergency_contact_relationship: str | None
    emergency_contact_phone: str | None
    parent_email: str | None
    has_current_consent: bool


class ConsentIn(Struct, kw_only=True):
    given_by: Annotated[str, Meta(min_length=1, max_length=200, pattern=_TEXT)]
    relationship: Annotated[str, Meta(min_length=1, max_length=60, pattern=_TEXT)]
    given_on: date
    text_version: Annotated[str, Meta(min_length=1, max_length=20, pattern=_TEXT)]


class WithdrawalIn(Struct, kw_only=True):
    withdrawn_on: date


class ConsentOut(Struct):
    id: UUID
    given_by: str
    relationship: str
    given_on: date
    text_version: str
    withdrawn_on: date | None
    recorded_at: datetime
    source: str  # "school" (a paper form the school recorded) or "parent" (the parent's own link)


class ImportProblemOut(Struct):
    row: int
    column: str
    message: str


class PupilImportOut(Struct):
    id: UUID
    filename: str
    new: int
    updated: int
    rows_with_problems: int
    problems: list[ImportProblemOut]
    expires_at: datetime


class ImportResultOut(Struct):
    created: int
    updated: int
