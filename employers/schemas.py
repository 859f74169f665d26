"""The JSON API's shapes. Constraints here are what the server accepts, so the schema says so."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from msgspec import Meta, Struct

from employers.compliance import insurance_warning, matching_problems
from employers.inputs import COMPANY_NUMBER_PATTERN, WEEK_PATTERN
from employers.models import (
    JOINING,
    Employer,
    EmployerCompliance,
    EmployerStatus,
    Placement,
    PlacementStatus,
    WorkMode,
)
from placements.geo import POSTCODE_PATTERN
from placements.web.forms import EMAIL
from placements.web.schemas import from_model

# At least one letter or digit, in a range Python and JSON Schema read alike (as in accounts.api).
HAS_A_LETTER = r"[0-9A-Za-z\u00c0-\u1fff\u3040-\ufefe]"

Pathway = Literal["software", "data", "cyber", "design", "digital marketing", "IT support"]
Size = Literal["1-9", "10-49", "50-249", "250+"]
YearGroup = Literal[9, 10, 11, 12, 13]


def _text(most: int) -> Any:
    return Annotated[str, Meta(min_length=1, max_length=most, pattern=HAS_A_LETTER)]


Name = _text(200)
Address = _text(300)
Reason = _text(2000)
Description = _text(5000)
JoiningText = Annotated[str, Meta(max_length=500)]
Email = Annotated[str, Meta(min_length=3, max_length=320, pattern=EMAIL.pattern)]
Postcode = Annotated[str, Meta(min_length=5, max_length=8, pattern=POSTCODE_PATTERN)]
Latitude = Annotated[float, Meta(ge=49, le=61)]
Longitude = Annotated[float, Meta(ge=-9, le=2)]
Week = Annotated[str, Meta(pattern=WEEK_PATTERN)]


class EmployerDetailsIn(Struct, kw_only=True):
    name: Name
    companies_house_number: Annotated[str, Meta(pattern=COMPANY_NUMBER_PATTERN)] | None = None
    address: Address
    postcode: Postcode
    town: Annotated[str, Meta(max_length=100)] | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    sector: Annotated[str, Meta(max_length=60)] | None = None
    pathways: Annotated[list[Pathway], Meta(min_length=1, max_length=6)]
    size: Size

    def raw(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__struct_fields__}


class SignUpIn(EmployerDetailsIn, kw_only=True):
    """A business and its first user, who chooses a password from the link emailed to them."""

    user_name: Name
    user_email: Email


class SignUpOut(Struct):
    """The same answer whether or not the address already has an account: what happens next is in
    the email sent to it."""

    email: str
    message: str


class EmployerInvitationIn(EmployerDetailsIn, kw_only=True):
    """An organisation a coordinator adds directly (approved), and the person to invite."""

    user_name: Name
    user_email: Email


class DecisionIn(Struct):
    reason: Reason


class ColleagueIn(Struct):
    name: Name
    email: Email


class EmployerOut(Struct):
    id: UUID
    name: str
    companies_house_number: str | None
    address: str | None
    postcode: str
    town: str | None
    lat: float | None
    lon: float | None
    sector: str | None
    pathways: list[str]
    size: str | None
    status: EmployerStatus
    status_reason: str | None
    eligible_for_matching: bool
    problems: list[str]
    insurance_warning: str | None

    @classmethod
    def of(cls, employer: Employer, compliance: EmployerCompliance | None, today: date) -> EmployerOut:
        problems = matching_problems(employer, compliance, today)
        return from_model(
            cls,
            employer,
            pathways=list(employer.pathways or []),
            eligible_for_matching=not problems,
            problems=problems,
            insurance_warning=insurance_warning(compliance, today),
        )


class ComplianceIn(Struct, kw_only=True):
    """Any field may be null: the record is then incomplete, and `problems` says what is missing."""

    insurer: Annotated[str, Meta(max_length=200)] | None = None
    policy_number: Annotated[str, Meta(max_length=60)] | None = None
    insurance_expires_on: date | None = None
    risk_assessment_on: date | None = None
    safeguarding_lead_name: Annotated[str, Meta(max_length=200)] | None = None
    safeguarding_lead_email: Email | None = None
    safeguarding_lead_phone: Annotated[str, Meta(max_length=30)] | None = None
    supervisor_checks_done: bool | None = None

    def raw(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__struct_fields__}


class ComplianceOut(Struct):
    employer_id: UUID
    insurer: str | None
    policy_number: str | None
    insurance_expires_on: date | None
    risk_assessment_on: date | None
    safeguarding_lead_name: str | None
    safeguarding_lead_email: str | None
    safeguarding_lead_phone: str | None
    supervisor_checks_done: bool | None
    eligible_for_matching: bool
    problems: list[str]
    insurance_warning: str | None

    @classmethod
    def of(cls, employer: Employer, compliance: EmployerCompliance | None, today: date) -> ComplianceOut:
        problems = matching_problems(employer, compliance, today)
        return from_model(
            cls,
            compliance,
            employer_id=employer.id,
            eligible_for_matching=not problems,
            problems=problems,
            insurance_warning=insurance_warning(compliance, today),
        )


class JoiningIn(Struct, kw_only=True):
    """Joining instructions (employers.models.JOINING), shown to the pupil and parent once agreed."""

    arrival: JoiningText | None = None
    ask_for: JoiningText | None = None
    dress_code: JoiningText | None = None
    lunch: JoiningText | None = None
    bring: JoiningText | None = None


class PlacementIn(Struct, kw_only=True):
    """On-site and hybrid placements need an address and postcode; coordinates come from the
    postcode district when left out. Weeks must be weeks of the round (see GET /api/placements)."""

    title: Name
    description: Description
    pathway: Pathway
    skills: Annotated[str, Meta(max_length=2000)] | None = None
    work_mode: WorkMode
    address: Annotated[str, Meta(max_length=300)] | None = None
    postcode: Postcode | None = None
    town: Annotated[str, Meta(max_length=100)] | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    weeks: Annotated[list[Week], Meta(min_length=1, max_length=60)]
    capacity: Annotated[int, Meta(ge=1, le=50)]
    year_groups: Annotated[list[YearGroup], Meta(min_length=1, max_length=5)]
    min_age: Annotated[int, Meta(ge=13, le=19)] | None = None
    accessibility_notes: Annotated[str, Meta(max_length=2000)] | None = None
    supervisor_name: Name
    joining: JoiningIn | None = None
    status: Literal["draft", "published"] = "draft"

    def raw(self) -> dict[str, Any]:
        raw = {name: getattr(self, name) for name in self.__struct_fields__ if name != "joining"}
        raw["work_mode"] = self.work_mode.value
        for key, _, _ in JOINING:
            raw[f"joining_{key}"] = getattr(self.joining, key, None) or ""
        return raw


class PlacementOut(Struct):
    id: UUID
    employer_id: UUID
    employer_name: str
    round_id: UUID
    title: str
    description: str
    pathway: str
    skills: str | None
    work_mode: WorkMode
    address: str | None
    postcode: str | None
    town: str | None
    lat: float | None
    lon: float | None
    weeks: list[str]
    capacity: int
    year_groups: list[int]
    min_age: int | None
    accessibility_notes: str | None
    supervisor_name: str | None
    joining: dict[str, str]
    status: PlacementStatus
    distance_km: float | None = None
    copied_from_id: UUID | None = None

    @classmethod
    def of(cls, placement: Placement, employer_name: str, distance_km: float | None = None) -> PlacementOut:
        return from_model(
            cls,
            placement,
            employer_name=employer_name,
            distance_km=round(distance_km, 1) if distance_km is not None else None,
        )
