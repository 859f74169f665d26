"""Pupils' ranked choices: what a pupil may choose, and saving choices one pupil at a time or by CSV.

Choices change only while the round's preferences are open and its closing date has not passed.
A school reaches only its own pupils: callers load the pupil through `schools.queries.get_pupil`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from employers.models import Employer, EmployerCompliance, Placement
from employers.queries import visible_to_schools
from matching.errors import MatchingError
from matching.models import ChoiceEntry, Preference
from placements.accounts.models import User
from placements.audit.services import record
from placements.clock import today
from placements.geo import haversine_km
from placements.web.csv_files import MAX_BYTES, MAX_ROWS, CsvRefused, read_csv
from programme.models import Round, Stage
from schools.models import Pupil, School
from schools.queries import has_current_consent

MAX_CSV_BYTES = MAX_BYTES
MAX_CSV_ROWS = MAX_ROWS
CODE_LENGTH = 8


def placement_code(placement_id: UUID) -> str:
    """The short code schools type in a CSV: the first characters of the placement's id."""
    return placement_id.hex[:CODE_LENGTH].upper()


def closed_reason(round_: Round | None) -> str | None:
    """Why choices cannot be changed now, or None while they can."""
    if round_ is None:
        return "There is no matching round"
    if round_.stage is not Stage.PREFERENCES_OPEN:
        closed_on = (round_.stage_dates or {}).get(Stage.PREFERENCES_CLOSED)
        if closed_on:
            return (
                "Choices can be changed only while preferences are open: preferences closed on "
                f"{date.fromisoformat(closed_on):%-d %B %Y}"
            )
        stage = round_.stage.label.lower()
        return f"Choices can be changed only while preferences are open (the round is {stage})"
    if round_.preferences_close_on is not None and today() > round_.preferences_close_on:
        return f"Preferences closed on {round_.preferences_close_on.strftime('%-d %B %Y')}"
    return None


@dataclass(frozen=True)
class Choice:
    placement: Placement
    employer_name: str
    code: str
    distance_km: float | None
    demand: int


async def choices_for(db: AsyncSession, *, round_: Round, pupil: Pupil) -> list[Choice]:
    """The approved placements the pupil may choose (right year group), nearest first, with demand so far."""
    demand = dict(
        (
            await db.execute(
                select(Preference.placement_id, func.count())
                .where(Preference.round_id == round_.id)
                .group_by(Preference.placement_id)
            )
        ).all()
    )
    origin = (pupil.lat, pupil.lon)
    if origin[0] is None:
        school = await db.get_one(School, pupil.school_id)
        origin = (school.lat, school.lon)
    rows = await db.execute(
        select(Placement, Employer.name)
        .join(Employer, Employer.id == Placement.employer_id)
        .outerjoin(EmployerCompliance, EmployerCompliance.employer_id == Employer.id)
        .where(Placement.round_id == round_.id, *visible_to_schools(today()))
        .order_by(Placement.title, Placement.id)
    )
    choices = []
    for placement, employer_name in rows:
        if placement.year_groups and pupil.year_group not in placement.year_groups:
            continue
        km = None
        if (
            origin[0] is not None
            and origin[1] is not None
            and placement.lat is not None
            and placement.lon is not None
        ):
            km = haversine_km(origin[0], origin[1], placement.lat, placement.lon)
        choices.append(
            Choice(
                placement, employer_name, placement_code(placement.id), km, int(demand.get(placement.id, 0))
            )
        )
    choices.sort(key=lambda c: (c.distance_km is None, c.distance_km or 0.0))
    return choices


async def current_choices(db: AsyncSession, *, round_: Round, pupil: Pupil) -> tuple[list[UUID], bool | None]:
    """The pupil's choices in rank order, and open_to_other (None when nothing is entered)."""
    entry = await db.scalar(
        select(ChoiceEntry).where(ChoiceEntry.round_id == round_.id, ChoiceEntry.pupil_id == pupil.id)
    )
    ranked = list(
        await db.scalars(
            select(Preference.placement_id)
            .where(Preference.round_id == round_.id, Preference.pupil_id == pupil.id)
            .order_by(Preference.rank)
        )
    )
    return ranked, entry.open_to_other if entry else None


def _check_list(round_: Round, placement_ids: list[UUID], allowed: set[UUID]) -> None:
    if len(placement_ids) > round_.max_choices:
        raise MatchingError(f"A pupil can rank at most {round_.max_choices} placements", field="choices")
    if len(set(placement_ids)) != len(placement_ids):
        raise MatchingError("The same placement is chosen twice", field="choices")
    if any(q not in allowed for q in placement_ids):
        raise MatchingError("A chosen placement is not open to this pupil", field="choices")


async def _replace(
    db: AsyncSession,
    *,
    round_: Round,
    pupil: Pupil,
    placement_ids: list[UUID],
    open_to_other: bool,
    actor: User | None,
) -> None:
    await db.execute(
        delete(Preference).where(Preference.round_id == round_.id, Preference.pupil_id == pupil.id)
    )
    entry = await db.scalar(
        select(ChoiceEntry).where(ChoiceEntry.round_id == round_.id, ChoiceEntry.pupil_id == pupil.id)
    )
    if not placement_ids and not open_to_other:
        # Nothing chosen: the pupil takes no part in matching.
        if entry is not None:
            await db.delete(entry)
        return
    if entry is None:
        entry = ChoiceEntry(round_id=round_.id, pupil_id=pupil.id)
        db.add(entry)
    entry.open_to_other = open_to_other
    entry.entered_by_id = actor.id if actor else None
    db.add_all(
        Preference(round_id=round_.id, pupil_id=pupil.id, placement_id=q, rank=rank)
        for rank, q in enumerate(placement_ids, start=1)
    )


async def _has_consent(db: AsyncSession, pupil: Pupil) -> bool:
    return bool(
        await db.scalar(
            select(func.count()).select_from(Pupil).where(Pupil.id == pupil.id, has_current_consent())
        )
    )


async def save_choices(
    db: AsyncSession,
    *,
    round_: Round,
    pupil: Pupil,
    placement_ids: list[UUID],
    open_to_other: bool,
    actor: User | None,
    ip_address: str | None,
    actor_label: str | None = None,
) -> None:
    """Save the pupil's choices, entered by the school's `actor`, or by the pupil (no actor, named by
    `actor_label` in the audit log)."""
    reason = closed_reason(round_)
    if reason:
        raise MatchingError(reason)
    if not await _has_consent(db, pupil):
        raise MatchingError("Record a parent's consent before entering this pupil's choices")
    allowed = {c.placement.id for c in await choices_for(db, round_=round_, pupil=pupil)}
    _check_list(round_, placement_ids, allowed)
    await _replace(
        db, round_=round_, pupil=pupil, placement_ids=placement_ids, open_to_other=open_to_other, actor=actor
    )
    await db.flush()
    await record(
        db,
        actor=actor,
        actor_label=actor_label,
        action="choices_saved",
        record_type="pupil",
        record_id=pupil.id,
        ip_address=ip_address,
        round_id=str(round_.id),
        choices=len(placement_ids),
        open_to_other=open_to_other,
    )


@dataclass
class ChoiceUpload:
    rows: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, message)


YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


def _read_csv(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The column names, and each row with cells by column name and its row number in the spreadsheet."""
    try:
        file = read_csv(data, max_bytes=MAX_CSV_BYTES, max_rows=MAX_CSV_ROWS, rows_are="pupils")
    except CsvRefused as exc:
        raise MatchingError(str(exc)) from exc
    headers = [h.strip().lower() for h in file.header]
    if "reference" not in headers:
        raise MatchingError("The first row must name the columns, including 'reference'")
    rows = [
        (number, {h: (cells[i] if i < len(cells) else "").strip() for i, h in enumerate(headers)})
        for number, cells in file.rows
    ]
    return headers, rows


async def upload_choices(
    db: AsyncSession, *, round_: Round, school: School, data: bytes, actor: User, ip_address: str | None
) -> ChoiceUpload:
    """Save every row of a CSV (reference, choice 1 … choice N, open_to_other), or none if a row is wrong."""
    reason = closed_reason(round_)
    if reason:
        raise MatchingError(reason)
    headers, rows = _read_csv(data)
    outcome = ChoiceUpload(rows=len(rows))
    pupils = {
        p.reference.lower(): p
        for p in await db.scalars(select(Pupil).where(Pupil.school_id == school.id, has_current_consent()))
    }
    choice_columns = [f"choice {n}" for n in range(1, round_.max_choices + 1)]
    extra = [h for h in headers if h.startswith("choice ") and h not in choice_columns]
    if extra:
        raise MatchingError(f"This round allows {round_.max_choices} choices: remove the column '{extra[0]}'")
    codes: dict[UUID, dict[str, UUID]] = {}
    plans: list[tuple[Pupil, list[UUID], bool]] = []
    seen: set[str] = set()
    for number, row in rows:
        ref = row.get("reference", "").lower()
        pupil = pupils.get(ref)
        if not ref:
            outcome.problems.append((number, "reference", "Enter the pupil's reference"))
            continue
        if pupil is None:
            outcome.problems.append(
                (number, "reference", "No pupil of your school with a parent's consent has this reference")
            )
            continue
        if ref in seen:
            outcome.problems.append((number, "reference", "This pupil is on an earlier row too"))
            continue
        seen.add(ref)
        if pupil.id not in codes:
            codes[pupil.id] = {
                c.code: c.placement.id for c in await choices_for(db, round_=round_, pupil=pupil)
            }
        chosen: list[UUID] = []
        for column in choice_columns:
            code = row.get(column, "").upper()
            if not code:
                continue
            placement_id = codes[pupil.id].get(code)
            if placement_id is None:
                outcome.problems.append((number, column, f"{code} is not a placement open to this pupil"))
            elif placement_id in chosen:
                outcome.problems.append((number, column, f"{code} is chosen twice"))
            else:
                chosen.append(placement_id)
        flag = row.get("open_to_other", "").lower()
        if flag not in YES | NO:
            outcome.problems.append((number, "open_to_other", "Enter yes or no"))
        plans.append((pupil, chosen, flag in YES))
    if outcome.problems:
        return outcome
    by_pupil: dict[UUID, int] = defaultdict(int)
    for pupil, chosen, open_to_other in plans:
        await _replace(
            db, round_=round_, pupil=pupil, placement_ids=chosen, open_to_other=open_to_other, actor=actor
        )
        by_pupil[pupil.id] = len(chosen)
    await db.flush()
    await record(
        db,
        actor=actor,
        action="choices_uploaded",
        record_type="school",
        record_id=school.id,
        ip_address=ip_address,
        round_id=str(round_.id),
        pupils=len(by_pupil),
    )
    return outcome
