"""Reading a school's pupil export (CSV): the accepted columns, and every problem by row and column.

Pure functions, no database: `read_pupil_file` turns the uploaded bytes into parsed rows and
problems; the service compares them with the school's pupils and keeps the pending import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from placements.exports import csv_text
from placements.web.csv_files import MAX_BYTES, MAX_ROWS, read_csv
from placements.web.csv_files import CsvRefused as FileRefused
from schools.validation import PupilData, parse_pupil

# (field, header in the template, what a person should put there)
COLUMNS: list[tuple[str, str, str]] = [
    ("reference", "reference", "Required. The school's own identifier (admission number or UPN)"),
    ("first_name", "first_name", "Required"),
    ("last_name", "last_name", "Required"),
    ("date_of_birth", "date_of_birth", "Required. 27/03/2011 or 2011-03-27"),
    ("year_group", "year_group", "Required. 7 to 13 (10, Year 10, Y10)"),
    ("home_postcode", "home_postcode", "Optional"),
    ("lat", "latitude", "Optional. Filled from the home postcode when blank"),
    ("lon", "longitude", "Optional"),
    ("max_travel_km", "max_travel_km", "Optional. Kilometres, 1 to 100"),
    ("pupil_premium", "pupil_premium", "yes or no (free school meals counts as yes)"),
    ("looked_after", "looked_after", "yes or no"),
    ("send", "send", "yes or no"),
    ("access_needs", "access_needs", "Optional. Free text"),
    ("emergency_contact_name", "emergency_contact_name", "Optional"),
    ("emergency_contact_relationship", "emergency_contact_relationship", "Optional"),
    ("emergency_contact_phone", "emergency_contact_phone", "Required when a contact name is given"),
    ("parent_email", "parent_email", "Optional. Where the parent's consent link is sent"),
]
REQUIRED = ("reference", "first_name", "last_name", "date_of_birth", "year_group")
HEADER_OF = {name: header for name, header, _ in COLUMNS}

# Other names schools' management systems give the same columns (compared lower-case, no spaces/_).
ALIASES: dict[str, str] = {
    "reference": "reference",
    "ref": "reference",
    "pupilreference": "reference",
    "admissionnumber": "reference",
    "admissionno": "reference",
    "adno": "reference",
    "upn": "reference",
    "firstname": "first_name",
    "forename": "first_name",
    "legalforename": "first_name",
    "givenname": "first_name",
    "lastname": "last_name",
    "surname": "last_name",
    "legalsurname": "last_name",
    "familyname": "last_name",
    "dateofbirth": "date_of_birth",
    "dob": "date_of_birth",
    "birthdate": "date_of_birth",
    "yeargroup": "year_group",
    "year": "year_group",
    "ncyear": "year_group",
    "homepostcode": "home_postcode",
    "postcode": "home_postcode",
    "latitude": "lat",
    "lat": "lat",
    "longitude": "lon",
    "lon": "lon",
    "lng": "lon",
    "maxtravelkm": "max_travel_km",
    "travellimitkm": "max_travel_km",
    "pupilpremium": "pupil_premium",
    "pp": "pupil_premium",
    "fsm": "pupil_premium",
    "freeschoolmeals": "pupil_premium",
    "lookedafter": "looked_after",
    "cla": "looked_after",
    "lac": "looked_after",
    "send": "send",
    "sen": "send",
    "accessneeds": "access_needs",
    "emergencycontactname": "emergency_contact_name",
    "emergencycontactrelationship": "emergency_contact_relationship",
    "emergencycontactphone": "emergency_contact_phone",
    "parentemail": "parent_email",
    "parentcarersemail": "parent_email",
    "contactemail": "parent_email",
    "primarycontactemail": "parent_email",
}


@dataclass(frozen=True)
class Problem:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ParsedFile:
    rows: list[dict[str, Any]] = field(default_factory=list)  # {"row": n, "pupil": PupilData json}
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    row_count: int = 0


def template_csv() -> str:
    return csv_text([header for _, header, _ in COLUMNS], [])


def _key(header: str) -> str:
    return "".join(ch for ch in header.strip().lower() if ch.isalnum())


def read_pupil_file(filename: str, content: bytes, *, on: date) -> ParsedFile:
    """Parse and check every row. Raises FileRefused when the file cannot be read at all."""
    if not filename.lower().endswith(".csv"):
        raise FileRefused("The selected file must be a CSV file (ending .csv)")
    # Excel's plain "CSV (comma delimited)" on Windows writes Windows-1252.
    file = read_csv(
        content, max_bytes=MAX_BYTES, max_rows=MAX_ROWS, rows_are="pupils", encodings=("utf-8-sig", "cp1252")
    )
    parsed = ParsedFile()

    columns: dict[int, str] = {}
    for index, raw in enumerate(file.header):
        name = ALIASES.get(_key(raw))
        if name and name not in columns.values():
            columns[index] = name
        elif raw.strip():
            parsed.ignored_columns.append(raw.strip())
    missing = [name for name in REQUIRED if name not in columns.values()]
    if missing:
        for name in missing:
            parsed.problems.append(Problem(1, HEADER_OF[name], f"The file has no {HEADER_OF[name]} column"))
        return parsed

    seen_references: dict[str, int] = {}
    seen_people: dict[tuple[str, str, date], int] = {}
    for number, cells in file.rows:
        parsed.row_count += 1
        values = {name: cells[index] if index < len(cells) else "" for index, name in columns.items()}
        # Homes are placed on the map afterwards, all the file's at once (schools.services).
        data, errors = parse_pupil(values, on=on, home=None)
        for name, message in errors.items():
            parsed.problems.append(Problem(number, HEADER_OF[name], message))
        if data is None:
            continue
        reference = data.reference.upper()
        if reference in seen_references:
            parsed.problems.append(
                Problem(
                    number,
                    "reference",
                    f"Duplicate pupil: reference {data.reference} is also on row "
                    f"{seen_references[reference]}",
                )
            )
            continue
        person = (data.first_name.lower(), data.last_name.lower(), data.date_of_birth)
        if person in seen_people:
            parsed.problems.append(
                Problem(
                    number,
                    "first_name",
                    "Duplicate pupil: the same name and date of birth are on row "
                    f"{seen_people[person]} with another reference",
                )
            )
            continue
        seen_references[reference] = number
        seen_people[person] = number
        parsed.rows.append({"row": number, "pupil": data.to_json()})
    if parsed.row_count == 0:
        raise FileRefused("The file has a header row but no pupils")
    return parsed


def pupil_of(row: dict[str, Any]) -> PupilData:
    return PupilData.from_json(row["pupil"])
