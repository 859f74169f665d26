"""The rules a pupil's details must meet, shared by the form, the CSV import and the API.

Values arrive as text (a form or a CSV cell); `parse_pupil` turns them into `PupilData` or says,
field by field, what is wrong in words a school administrator can act on.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from placements.geo import normalise_postcode
from placements.postcodes.lookup import Location
from placements.web.forms import EMAIL

YEAR_GROUPS = range(7, 14)
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,39}$")
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,39}$"
PHONE = re.compile(r"^[0-9+() -]{7,30}$")
PHONE_PATTERN = r"^[0-9+() -]{7,30}$"
# UK mainland and islands, roughly: a coordinate outside this box is a typing mistake.
LAT_RANGE = (49.8, 60.9)
LON_RANGE = (-8.7, 1.8)
MAX_TRAVEL_KM = 100.0
HOME_POSTCODE_NOT_FOUND = (
    "We cannot find this postcode. Check it, leave it blank for the pupil to travel from school, "
    "or set the home location by coordinates instead"
)

TRUE_WORDS = {"y", "yes", "true", "1", "x", "on"}
FALSE_WORDS = {"", "n", "no", "false", "0", "off"}
_YEAR_TEXT = re.compile(r"^(?:year|yr|y)? ?([0-9]{1,2})$")
_UK_DATE = re.compile(r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$")


# A parent's or carer's relationship to the pupil, as the consent forms offer it.
RELATIONSHIPS = ["Mother", "Father", "Parent", "Carer", "Guardian", "Grandparent", "Social worker", "Other"]


@dataclass
class PupilData:
    reference: str
    first_name: str
    last_name: str
    date_of_birth: date
    year_group: int
    home_postcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    max_travel_km: float | None = None
    pupil_premium: bool = False
    looked_after: bool = False
    send: bool = False
    access_needs: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_relationship: str | None = None
    emergency_contact_phone: str | None = None
    parent_email: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["date_of_birth"] = self.date_of_birth.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PupilData:
        return cls(**{**data, "date_of_birth": date.fromisoformat(data["date_of_birth"])})

    def fill_coordinates(self, home: Location | None) -> None:
        """The coordinates of the home postcode (`home`, as placements.postcodes placed it) when none
        were given."""
        if self.lat is None and self.lon is None and self.home_postcode and home:
            self.lat, self.lon = home.lat, home.lon


def academic_year_start(on: date) -> int:
    """The calendar year in which the school year containing `on` began (1 September)."""
    return on.year if on.month >= 9 else on.year - 1


def birth_window(year_group: int, on: date, leeway: int = 0) -> tuple[date, date]:
    """Who is in `year_group` in the school year of `on`: born 1 September to 31 August.

    In England a pupil in year N is N+4 on 31 August before the school year starts, so year 10
    in 2026/27 were born between 1 September 2011 and 31 August 2012.
    """
    start = academic_year_start(on)
    born_from = date(start - year_group - 5 - leeway, 9, 1)
    born_to = date(start - year_group - 4 + leeway, 8, 31)
    return born_from, born_to


def _long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def date_of_birth_problem(born: date, year_group: int, on: date) -> str | None:
    """Whether a date of birth fits the year group, a year either side allowed (held back, moved up)."""
    if born > on:
        return "Date of birth must be in the past"
    low, high = birth_window(year_group, on, leeway=1)
    if low <= born <= high:
        return None
    usual_from, usual_to = birth_window(year_group, on)
    start = academic_year_start(on)
    return (
        f"Date of birth does not fit year {year_group}: pupils in year {year_group} in "
        f"{start}/{str(start + 1)[2:]} were born between {_long_date(usual_from)} and "
        f"{_long_date(usual_to)} (we accept a year either side)"
    )


def parse_date(raw: str) -> date | None:
    """2011-10-04, 04/10/2011 or 4.10.2011 (day first, as UK spreadsheets write it)."""
    raw = raw.strip()
    try:
        if re.match(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$", raw):
            year, month, day = (int(part) for part in raw.split("-"))
            return date(year, month, day)
        match = _UK_DATE.match(raw)
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None
    return None


def parse_year_group(raw: str) -> int | None:
    match = _YEAR_TEXT.match(raw.strip().lower())
    if match is None:
        return None
    value = int(match.group(1))
    return value if value in YEAR_GROUPS else None


def parse_flag(raw: str) -> bool | None:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _float(raw: str) -> float | None:
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if value == value else None  # not NaN


def parse_pupil(
    values: dict[str, str],
    *,
    on: date,
    home: Location | None,
    reference_required: bool = True,
    home_must_be_found: bool = False,
) -> tuple[PupilData | None, dict[str, str]]:
    """The pupil described by `values` (text per field), or the problems, one message per field.

    `home` is where the home postcode is (placements.postcodes.locate), for the coordinates when
    none are given. With `home_must_be_found` (the form, where the person can correct it), a home
    postcode we cannot place on the map is refused; an import keeps the pupil, who then travels
    from school."""
    errors: dict[str, str] = {}

    def text(field: str, limit: int, *, required: str | None = None) -> str | None:
        value = (values.get(field) or "").strip()
        if not value:
            if required:
                errors[field] = required
            return None
        if len(value) > limit:
            errors[field] = f"Must be {limit} characters or fewer"
            return None
        return value

    reference = text(
        "reference", 40, required="Enter the school's reference for the pupil" if reference_required else None
    )
    if reference and not REFERENCE.match(reference):
        errors["reference"] = "Reference must be letters, numbers, / . _ or - (no spaces)"
    first_name = text("first_name", 100, required="Enter the first name")
    last_name = text("last_name", 100, required="Enter the last name")

    born = None
    raw_born = (values.get("date_of_birth") or "").strip()
    if not raw_born:
        errors["date_of_birth"] = "Enter the date of birth"
    else:
        born = parse_date(raw_born)
        if born is None:
            errors["date_of_birth"] = "Date of birth must be a real date, like 27/3/2011 or 2011-03-27"

    year_group = None
    raw_year = (values.get("year_group") or "").strip()
    if not raw_year:
        errors["year_group"] = "Enter the year group"
    else:
        year_group = parse_year_group(raw_year)
        if year_group is None:
            errors["year_group"] = "Year group must be a number from 7 to 13, like 10 or Year 10"
    if born and year_group and "date_of_birth" not in errors:
        problem = date_of_birth_problem(born, year_group, on)
        if problem:
            errors["date_of_birth"] = problem

    postcode = None
    raw_postcode = (values.get("home_postcode") or "").strip()
    if raw_postcode:
        postcode = normalise_postcode(raw_postcode)
        if postcode is None:
            errors["home_postcode"] = "Enter a real postcode, like PR1 2HE, or leave it blank"

    lat = lon = None
    raw_lat, raw_lon = (values.get("lat") or "").strip(), (values.get("lon") or "").strip()
    if raw_lat or raw_lon:
        lat, lon = _float(raw_lat), _float(raw_lon)
        if lat is None or not LAT_RANGE[0] <= lat <= LAT_RANGE[1]:
            errors["lat"] = "Latitude must be a number between 49.8 and 60.9 (the UK), like 53.76"
        if lon is None or not LON_RANGE[0] <= lon <= LON_RANGE[1]:
            errors["lon"] = "Longitude must be a number between -8.7 and 1.8 (the UK), like -2.70"

    travel = None
    raw_travel = (values.get("max_travel_km") or "").strip()
    if raw_travel:
        travel = _float(raw_travel)
        if travel is None or not 0 < travel <= MAX_TRAVEL_KM:
            errors["max_travel_km"] = "Travel limit must be a number of kilometres from 1 to 100"

    flags: dict[str, bool] = {}
    for field, label in (
        ("pupil_premium", "Pupil premium"),
        ("looked_after", "Looked after"),
        ("send", "SEND"),
    ):
        flag = parse_flag(values.get(field) or "")
        if flag is None:
            errors[field] = f"{label} must be yes or no"
        flags[field] = bool(flag)

    access_needs = text("access_needs", 2000)
    contact_name = text("emergency_contact_name", 200)
    contact_relationship = text("emergency_contact_relationship", 60)
    contact_phone = text("emergency_contact_phone", 30)
    if contact_phone and not PHONE.match(contact_phone):
        errors["emergency_contact_phone"] = "Enter a phone number, like 01772 123456 or +44 7700 900123"
    if contact_name and not contact_phone and "emergency_contact_phone" not in errors:
        errors["emergency_contact_phone"] = "Enter the emergency contact's phone number"
    if contact_phone and not contact_name and "emergency_contact_name" not in errors:
        errors["emergency_contact_name"] = "Enter the emergency contact's name"
    parent_email = text("parent_email", 320)
    if parent_email and not EMAIL.match(parent_email):
        errors["parent_email"] = (
            "Enter the parent's email address in the correct format, like name@example.com"
        )

    if errors:
        return None, errors
    assert first_name and last_name and born and year_group
    data = PupilData(
        reference=reference or "",
        first_name=first_name,
        last_name=last_name,
        date_of_birth=born,
        year_group=year_group,
        home_postcode=postcode,
        lat=lat,
        lon=lon,
        max_travel_km=travel,
        access_needs=access_needs,
        emergency_contact_name=contact_name,
        emergency_contact_relationship=contact_relationship,
        emergency_contact_phone=contact_phone,
        parent_email=parent_email,
        **flags,
    )
    data.fill_coordinates(home)
    if home_must_be_found and postcode and data.lat is None:
        return None, {"home_postcode": HOME_POSTCODE_NOT_FOUND}
    return data, {}
