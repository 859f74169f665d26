"""Checking what people enter, the same way for the pages and the API.

Each `check_*` function takes the raw values (strings from a form, or the API's typed values),
and returns the clean data and the messages per field. Nothing is saved unless there are none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from employers.models import JOINING, PlacementStatus, WorkMode
from placements.geo import POSTCODE_NOT_FOUND, normalise_postcode
from placements.notifications.headers import one_line
from placements.postcodes.lookup import Location
from placements.web.forms import EMAIL, FormErrors

PATHWAYS: list[tuple[str, str]] = [
    ("software", "Software development"),
    ("data", "Data"),
    ("cyber", "Cyber security"),
    ("design", "Design"),
    ("digital marketing", "Digital marketing"),
    ("IT support", "IT support"),
]
PATHWAY_VALUES = [value for value, _ in PATHWAYS]
SIZES: list[tuple[str, str]] = [
    ("1-9", "1 to 9 people"),
    ("10-49", "10 to 49 people"),
    ("50-249", "50 to 249 people"),
    ("250+", "250 people or more"),
]
SIZE_VALUES = [value for value, _ in SIZES]
YEAR_GROUPS = [9, 10, 11, 12, 13]

# Spelt out so JSON Schema reads it as Python does (no \d or \s).
COMPANY_NUMBER_PATTERN = r"^([0-9]{8}|[A-Za-z]{2}[0-9]{6})$"
COMPANY_NUMBER = re.compile(COMPANY_NUMBER_PATTERN)
WEEK_PATTERN = r"^[0-9]{4}-W[0-9]{2}$"


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    return "" if value is None else str(value).strip()


def _list(raw: Mapping[str, Any], name: str) -> list[str]:
    value = raw.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def _number(raw: Mapping[str, Any], name: str) -> float | str | None:
    """The number, None when blank, or "" when it is not a number."""
    value = raw.get(name)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return ""


def _whole(raw: Mapping[str, Any], name: str) -> int | str | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return ""


def _limit(errors: FormErrors, name: str, value: str, label: str, most: int) -> None:
    if len(value) > most:
        errors.add(name, f"{label} must be {most} characters or fewer")


def _coordinates(
    raw: Mapping[str, Any], errors: FormErrors, postcode: str, *, located: Location | None
) -> tuple[float | None, float | None]:
    lat, lon = _number(raw, "lat"), _number(raw, "lon")
    if lat == "" or (isinstance(lat, float) and not 49 <= lat <= 61):
        errors.add("lat", "Enter a latitude between 49 and 61, like 53.7632")
    if lon == "" or (isinstance(lon, float) and not -9 <= lon <= 2):
        errors.add("lon", "Enter a longitude between -9 and 2, like -2.7031")
    if "lat" in errors or "lon" in errors:
        return None, None
    if lat is None and lon is None:
        if postcode and located:
            return located.lat, located.lon
        if postcode:
            errors.add("postcode", POSTCODE_NOT_FOUND)
        return None, None
    if lat is None or lon is None:
        errors.add("lat" if lat is None else "lon", "Enter both the latitude and the longitude, or neither")
        return None, None
    return float(lat), float(lon)


@dataclass
class EmployerDetails:
    name: str
    companies_house_number: str | None
    address: str
    postcode: str
    town: str | None
    lat: float | None
    lon: float | None
    sector: str | None
    pathways: list[str]
    size: str | None


def check_employer_details(
    raw: Mapping[str, Any], errors: FormErrors, *, located: Location | None
) -> EmployerDetails | None:
    """`located` is where the postcode is (placements.postcodes.locate): the coordinates when none
    are given."""
    # Kept on one line: the name goes into email subjects, and only the line breaks change.
    name = one_line(_text(raw, "name"))
    if not name:
        errors.add("name", "Enter the name of the organisation")
    _limit(errors, "name", name, "The name", 200)
    number = _text(raw, "companies_house_number").replace(" ", "").upper()
    if number and not COMPANY_NUMBER.match(number):
        errors.add(
            "companies_house_number",
            "Enter a Companies House number of 8 characters, like 01234567 or SC123456",
        )
    address = _text(raw, "address")
    if not address:
        errors.add("address", "Enter the address")
    _limit(errors, "address", address, "The address", 300)
    postcode = _text(raw, "postcode")
    if not postcode:
        errors.add("postcode", "Enter the postcode")
    elif normalise_postcode(postcode) is None:
        errors.add("postcode", "Enter a real postcode, like PR1 2HE")
    else:
        postcode = normalise_postcode(postcode) or postcode
    town = _text(raw, "town")
    _limit(errors, "town", town, "The town", 100)
    lat, lon = _coordinates(raw, errors, postcode if "postcode" not in errors else "", located=located)
    pathways = _list(raw, "pathways")
    if not pathways:
        errors.add("pathways", "Select the pathways you could offer placements in")
    elif any(p not in PATHWAY_VALUES for p in pathways):
        errors.add("pathways", "Select pathways from the list")
    size = _text(raw, "size")
    if not size:
        errors.add("size", "Select the size of the organisation")
    elif size not in SIZE_VALUES:
        errors.add("size", "Select a size from the list")
    sector = _text(raw, "sector")
    _limit(errors, "sector", sector, "The sector", 60)
    if errors:
        return None
    return EmployerDetails(
        name=name,
        companies_house_number=number or None,
        address=address,
        postcode=postcode,
        town=town or None,
        lat=lat,
        lon=lon,
        sector=sector or None,
        pathways=[p for p in PATHWAY_VALUES if p in pathways],
        size=size,
    )


@dataclass
class Person:
    name: str
    email: str


def check_person(raw: Mapping[str, Any], errors: FormErrors, prefix: str = "user_") -> Person | None:
    name = _text(raw, f"{prefix}name")
    if not name:
        errors.add(
            f"{prefix}name", "Enter your full name" if prefix == "user_" else "Enter the person's name"
        )
    _limit(errors, f"{prefix}name", name, "The name", 200)
    errors.email({f"{prefix}email": _text(raw, f"{prefix}email")}, f"{prefix}email")
    if errors:
        return None
    return Person(name=name, email=_text(raw, f"{prefix}email"))


@dataclass
class SignUp:
    """The organisation and its first user, who chooses a password from the link emailed to them."""

    details: EmployerDetails
    person: Person


def check_sign_up(raw: Mapping[str, Any], errors: FormErrors, *, located: Location | None) -> SignUp | None:
    details = check_employer_details(raw, errors, located=located)
    person = check_person(raw, errors)
    if errors or details is None or person is None:
        return None
    return SignUp(details=details, person=person)


@dataclass
class ComplianceData:
    insurer: str | None
    policy_number: str | None
    insurance_expires_on: date | None
    risk_assessment_on: date | None
    safeguarding_lead_name: str | None
    safeguarding_lead_email: str | None
    safeguarding_lead_phone: str | None
    supervisor_checks_done: bool | None


def check_compliance(raw: Mapping[str, Any], errors: FormErrors) -> ComplianceData | None:
    """Every field may be left blank (the record is then incomplete, and says so), but what is
    entered must be right. Dates arrive as dates, or as "" when a form's date was not a real one."""
    values = {}
    for name, label, most in (
        ("insurer", "The insurer", 200),
        ("policy_number", "The policy number", 60),
        ("safeguarding_lead_name", "The name", 200),
        ("safeguarding_lead_phone", "The phone number", 30),
    ):
        values[name] = _text(raw, name)
        _limit(errors, name, values[name], label, most)
    email = _text(raw, "safeguarding_lead_email")
    if email and (len(email) > 320 or not EMAIL.match(email)):
        errors.add(
            "safeguarding_lead_email", "Enter an email address in the correct format, like name@example.com"
        )
    for name in ("insurance_expires_on", "risk_assessment_on"):
        if raw.get(name) == "":
            errors.add(name, "Enter a real date, like 27 3 2027")
    checks = raw.get("supervisor_checks_done")
    if isinstance(checks, str):
        checks = {"yes": True, "no": False, "": None}.get(checks, "?")
        if checks == "?":
            errors.add("supervisor_checks_done", "Select yes or no")
    if errors:
        return None
    return ComplianceData(
        insurer=values["insurer"] or None,
        policy_number=values["policy_number"] or None,
        insurance_expires_on=raw.get("insurance_expires_on"),
        risk_assessment_on=raw.get("risk_assessment_on"),
        safeguarding_lead_name=values["safeguarding_lead_name"] or None,
        safeguarding_lead_email=email or None,
        safeguarding_lead_phone=values["safeguarding_lead_phone"] or None,
        supervisor_checks_done=checks,  # type: ignore[arg-type]
    )


@dataclass
class PlacementData:
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
    supervisor_name: str
    joining: dict[str, str] = field(default_factory=dict)
    status: PlacementStatus = PlacementStatus.DRAFT
    extra: dict[str, Any] = field(default_factory=dict)


def check_placement(
    raw: Mapping[str, Any], errors: FormErrors, *, round_weeks: list[str], located: Location | None
) -> PlacementData | None:
    title = _text(raw, "title")
    if not title:
        errors.add("title", "Enter a title for the placement")
    _limit(errors, "title", title, "The title", 200)
    description = _text(raw, "description")
    if not description:
        errors.add("description", "Describe what the pupil will do")
    _limit(errors, "description", description, "The description", 5000)
    pathway = _text(raw, "pathway")
    if pathway not in PATHWAY_VALUES:
        errors.add("pathway", "Select the pathway")
    skills = _text(raw, "skills")
    _limit(errors, "skills", skills, "The skills", 2000)
    mode = _text(raw, "work_mode")
    if mode not in WorkMode.__members__.values():
        errors.add("work_mode", "Select where the pupil will work")
    address, postcode, town = _text(raw, "address"), _text(raw, "postcode"), _text(raw, "town")
    lat = lon = None
    if mode in (WorkMode.ON_SITE, WorkMode.HYBRID):
        if not address:
            errors.add("address", "Enter the address where the pupil will work")
        _limit(errors, "address", address, "The address", 300)
        if not postcode:
            errors.add("postcode", "Enter the postcode where the pupil will work")
        elif normalise_postcode(postcode) is None:
            errors.add("postcode", "Enter a real postcode, like PR1 2HE")
        else:
            postcode = normalise_postcode(postcode) or postcode
        _limit(errors, "town", town, "The town", 100)
        lat, lon = _coordinates(raw, errors, postcode if "postcode" not in errors else "", located=located)
    else:
        address = postcode = town = ""
    weeks = _list(raw, "weeks")
    if not round_weeks:
        errors.add("weeks", "The round has no placement weeks yet: ask the programme coordinator")
    elif not weeks:
        errors.add("weeks", "Select the weeks you can offer")
    elif any(week not in round_weeks for week in weeks):
        errors.add("weeks", "Select weeks from the round's placement weeks")
    capacity = _whole(raw, "capacity")
    if capacity is None:
        errors.add("capacity", "Enter how many pupils you can take")
    elif capacity == "" or not 1 <= int(capacity) <= 50:
        errors.add("capacity", "Enter a number of places from 1 to 50")
    year_groups_raw = _list(raw, "year_groups")
    year_groups = []
    for item in year_groups_raw:
        try:
            year_groups.append(int(item))
        except ValueError:
            errors.add("year_groups", "Select year groups from the list")
    if not year_groups_raw:
        errors.add("year_groups", "Select the year groups the placement suits")
    elif any(group not in YEAR_GROUPS for group in year_groups):
        errors.add("year_groups", "Select year groups from the list")
    min_age = _whole(raw, "min_age")
    if min_age == "" or (isinstance(min_age, int) and not 13 <= min_age <= 19):
        errors.add("min_age", "Enter a minimum age from 13 to 19, or leave it blank")
    notes = _text(raw, "accessibility_notes")
    _limit(errors, "accessibility_notes", notes, "The accessibility notes", 2000)
    supervisor = _text(raw, "supervisor_name")
    if not supervisor:
        errors.add("supervisor_name", "Enter the name of the person who will supervise the pupil")
    _limit(errors, "supervisor_name", supervisor, "The supervisor's name", 200)
    joining = {key: _text(raw, f"joining_{key}") for key, _, _ in JOINING}
    for key, asked, _ in JOINING:
        _limit(errors, f"joining_{key}", joining[key], asked, 500)
    status = _text(raw, "status") or PlacementStatus.DRAFT.value
    if status not in (PlacementStatus.DRAFT, PlacementStatus.PUBLISHED):
        errors.add("status", "Select whether to publish the placement now or keep it as a draft")
    if errors:
        return None
    return PlacementData(
        title=title,
        description=description,
        pathway=pathway,
        skills=skills or None,
        work_mode=WorkMode(mode),
        address=address or None,
        postcode=postcode or None,
        town=town or None,
        lat=lat,
        lon=lon,
        weeks=[week for week in round_weeks if week in weeks],
        capacity=int(capacity),  # type: ignore[arg-type]
        year_groups=sorted(set(year_groups)),
        min_age=min_age if isinstance(min_age, int) else None,
        accessibility_notes=notes or None,
        supervisor_name=supervisor,
        joining={key: text for key, text in joining.items() if text},
        status=PlacementStatus(status),
    )
