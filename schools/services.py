"""Every write about schools, their staff, pupils, consent and imports. Nothing here commits.

Audit entries name records by id only: a pupil's name is never written to the audit log, so
erasing the pupil leaves nothing that identifies them.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts.models import Role, User
from placements.accounts.services import Invitation, invite_user
from placements.audit.models import AuditEntry
from placements.audit.services import record
from placements.clock import now, today
from placements.db import locked
from placements.postcodes.lookup import locate_many
from placements.refusals import Refusal
from schools.csv_import import ParsedFile, Problem, pupil_of, read_pupil_file
from schools.models import CONSENT_FROM_SCHOOL, Consent, ErasedPupil, Pupil, PupilImport, School
from schools.validation import PupilData

IMPORT_LIFETIME = timedelta(hours=24)
# Pupils erased per statement: well within every database's limit on bound parameters.
ERASE_BATCH = 500
PUPIL_FIELDS = [f.name for f in fields(PupilData)]


class SchoolsError(Refusal):
    """A request that cannot be carried out; the message says why, `field` where it belongs."""


# --- Schools and their staff ---------------------------------------------------------------------


@dataclass
class SchoolData:
    urn: str
    name: str
    postcode: str
    town: str | None = None
    lat: float | None = None
    lon: float | None = None
    phase: str = "secondary"


async def _urn_taken(db: AsyncSession, urn: str, school_id: UUID | None = None) -> bool:
    query = select(School.id).where(School.urn == urn)
    if school_id is not None:
        query = query.where(School.id != school_id)
    return await db.scalar(query) is not None


async def create_school(db: AsyncSession, *, data: SchoolData, actor: User, ip_address: str | None) -> School:
    if await _urn_taken(db, data.urn):
        raise SchoolsError("There is already a school with this URN", field="urn")
    school = School(**vars(data))
    db.add(school)
    await db.flush()
    await record(
        db,
        actor=actor,
        action="school_created",
        record_type="school",
        record_id=school.id,
        ip_address=ip_address,
    )
    return school


async def update_school(
    db: AsyncSession, *, school: School, data: SchoolData, actor: User, ip_address: str | None
) -> School:
    if await _urn_taken(db, data.urn, school.id):
        raise SchoolsError("There is already a school with this URN", field="urn")
    changed = [name for name, value in vars(data).items() if getattr(school, name) != value]
    for name, value in vars(data).items():
        setattr(school, name, value)
    await record(
        db,
        actor=actor,
        action="school_updated",
        record_type="school",
        record_id=school.id,
        ip_address=ip_address,
        fields=changed,
    )
    return school


async def invite_school_staff(
    db: AsyncSession,
    *,
    school: School,
    name: str,
    email: str,
    is_digital_advisor: bool,
    phone: str | None,
    actor: User,
    ip_address: str | None,
) -> User | None:
    """Invite someone to the school's staff (by a coordinator, or by a colleague at the school); None
    when the address has an account elsewhere (see `invite_user`)."""
    if is_digital_advisor and not phone:
        raise SchoolsError("Enter a contact phone number for the digital advisor", field="phone")
    try:
        user = await invite_user(
            db,
            invitation=Invitation(email=email, name=name, role=Role.SCHOOL_STAFF, school_id=school.id),
            actor=actor,
            ip_address=ip_address,
        )
    except ValueError as exc:  # AccountError: the address already has an account
        raise SchoolsError(str(exc), field=getattr(exc, "field", None) or "email") from exc
    if user is not None:
        user.is_digital_advisor = is_digital_advisor
        user.phone = phone
    return user


async def update_school_staff(
    db: AsyncSession,
    *,
    staff: User,
    is_digital_advisor: bool,
    phone: str | None,
    actor: User,
    ip_address: str | None,
) -> User:
    if is_digital_advisor and not phone:
        raise SchoolsError("Enter a contact phone number for the digital advisor", field="phone")
    staff.is_digital_advisor = is_digital_advisor
    staff.phone = phone
    await record(
        db,
        actor=actor,
        action="school_staff_updated",
        record_type="user",
        record_id=staff.id,
        ip_address=ip_address,
        is_digital_advisor=is_digital_advisor,
    )
    return staff


# --- Pupils --------------------------------------------------------------------------------------


def new_reference() -> str:
    return "PL-" + secrets.token_hex(4).upper()


async def _reference_owner(db: AsyncSession, school_id: UUID, reference: str) -> UUID | None:
    return await db.scalar(
        select(Pupil.id).where(Pupil.school_id == school_id, func.upper(Pupil.reference) == reference.upper())
    )


async def _saved(db: AsyncSession, pupils: list[Pupil]) -> None:
    """Insert the pupils; a reference another request took a moment ago is refused, not a crash."""
    try:
        async with db.begin_nested():
            db.add_all(pupils)
    except IntegrityError as exc:
        raise SchoolsError(
            "Another pupil at this school was registered with the same reference just now: "
            "check the pupils list, then try again",
            field="reference",
        ) from exc


def _apply(pupil: Pupil, data: PupilData) -> list[str]:
    changed = []
    for name in PUPIL_FIELDS:
        value = getattr(data, name)
        if getattr(pupil, name) != value:
            changed.append(name)
            setattr(pupil, name, value)
    return changed


async def create_pupil(
    db: AsyncSession, *, school: School, data: PupilData, actor: User, ip_address: str | None
) -> Pupil:
    if not data.reference:
        data.reference = new_reference()
    if await _reference_owner(db, school.id, data.reference):
        raise SchoolsError("Another pupil at this school already has this reference", field="reference")
    pupil = Pupil(school_id=school.id, **{name: getattr(data, name) for name in PUPIL_FIELDS})
    await _saved(db, [pupil])
    await record(
        db,
        actor=actor,
        action="pupil_created",
        record_type="pupil",
        record_id=pupil.id,
        ip_address=ip_address,
        school_id=str(school.id),
    )
    return pupil


async def update_pupil(
    db: AsyncSession, *, pupil: Pupil, data: PupilData, actor: User, ip_address: str | None
) -> Pupil:
    if not data.reference:
        data.reference = pupil.reference
    owner = await _reference_owner(db, pupil.school_id, data.reference)
    if owner is not None and owner != pupil.id:
        raise SchoolsError("Another pupil at this school already has this reference", field="reference")
    changed = _apply(pupil, data)
    # The field names that changed, never their values: the audit log holds no pupil details.
    await record(
        db,
        actor=actor,
        action="pupil_updated",
        record_type="pupil",
        record_id=pupil.id,
        ip_address=ip_address,
        fields=changed,
    )
    return pupil


async def erase_pupil(db: AsyncSession, *, pupil: Pupil, actor: User, ip_address: str | None) -> ErasedPupil:
    """Erase one pupil on request, keeping only an anonymous tombstone.

    Pending imports of the school may hold the pupil's row, so they go too (the school uploads the
    file again).
    """
    pupil_id, school_id = pupil.id, pupil.school_id
    await db.execute(delete(PupilImport).where(PupilImport.school_id == school_id))
    [tombstone] = await erase_pupils(db, pupil_ids=[pupil_id])
    db.expunge(pupil)
    await record(
        db,
        actor=actor,
        action="pupil_erased",
        record_type="pupil",
        record_id=pupil_id,
        ip_address=ip_address,
        school_id=str(school_id),
    )
    await db.flush()
    return tombstone


async def erase_pupils(db: AsyncSession, *, pupil_ids: Sequence[UUID]) -> list[ErasedPupil]:
    """Delete the pupils and everything that refers to them, keeping an anonymous tombstone of each.

    The core of every erasure, one pupil on request or a round's pupils when their data is no longer
    kept; the caller audits it. Consent, preferences, results and the rest follow by ON DELETE CASCADE.
    """
    priority = Pupil.pupil_premium | Pupil.looked_after | Pupil.send
    at = now()
    tombstones: list[ErasedPupil] = []
    for start in range(0, len(pupil_ids), ERASE_BATCH):
        batch = pupil_ids[start : start + ERASE_BATCH]
        rows = await db.execute(
            select(Pupil.school_id, Pupil.year_group, priority).where(Pupil.id.in_(batch)).order_by(Pupil.id)
        )
        tombstones += [
            ErasedPupil(school_id=school_id, year_group=year_group, priority=bool(flag), erased_at=at)
            for school_id, year_group, flag in rows
        ]
        await db.execute(delete(Consent).where(Consent.pupil_id.in_(batch)))
        await db.execute(delete(Pupil).where(Pupil.id.in_(batch)))
    db.add_all(tombstones)
    await db.flush()
    return tombstones


# --- Consent -------------------------------------------------------------------------------------


@dataclass
class ConsentData:
    given_by: str
    relationship: str
    given_on: date
    text_version: str
    source: str = CONSENT_FROM_SCHOOL
    shared_medical: str | None = None
    shared_access: str | None = None
    shared_dietary: str | None = None


# Who acts for a parent answering through their link: nobody signed in, named so in the audit log.
PARENT = "parent or carer (consent link)"


async def record_consent(
    db: AsyncSession, *, pupil: Pupil, data: ConsentData, actor: User | None, ip_address: str | None
) -> Consent:
    """Record consent from the school (`actor`) or from the parent's own link (no actor)."""
    if data.given_on > today():
        raise SchoolsError("The date consent was given must be today or in the past", field="given_on")
    consent = Consent(pupil_id=pupil.id, recorded_by_id=actor.id if actor else None, **asdict(data))
    db.add(consent)
    await db.flush()
    await record(
        db,
        actor=actor,
        actor_label=None if actor else PARENT,
        action="consent_recorded",
        record_type="pupil",
        record_id=pupil.id,
        ip_address=ip_address,
        consent_id=str(consent.id),
        text_version=data.text_version,
        source=data.source,
    )
    return consent


async def withdraw_consent(
    db: AsyncSession, *, pupil: Pupil, withdrawn_on: date, actor: User | None, ip_address: str | None
) -> list[Consent]:
    """Close every open consent record of the pupil: they stop being eligible for matching."""
    await locked(db, Pupil, pupil.id)  # two withdrawals at once: the second finds nothing open
    open_records = list(
        await db.scalars(select(Consent).where(Consent.pupil_id == pupil.id, Consent.withdrawn_on.is_(None)))
    )
    if not open_records:
        raise SchoolsError("This pupil has no current consent to withdraw", field="withdrawn_on")
    if withdrawn_on > today():
        raise SchoolsError("The date of withdrawal must be today or in the past", field="withdrawn_on")
    if any(withdrawn_on < consent.given_on for consent in open_records):
        raise SchoolsError("Consent cannot be withdrawn before the date it was given", field="withdrawn_on")
    for consent in open_records:
        consent.withdrawn_on = withdrawn_on
        consent.withdrawn_by_id = actor.id if actor else None
    await record(
        db,
        actor=actor,
        actor_label=None if actor else PARENT,
        action="consent_withdrawn",
        record_type="pupil",
        record_id=pupil.id,
        ip_address=ip_address,
    )
    return open_records


# --- CSV import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    new: int
    updated: int
    with_problems: int
    problems: list[dict[str, Any]]
    ignored_columns: list[str]
    rows: int


async def purge_expired_imports(db: AsyncSession) -> int:
    result = await db.execute(delete(PupilImport).where(PupilImport.expires_at <= now()))
    return int(getattr(result, "rowcount", 0) or 0)


async def _existing_references(db: AsyncSession, school_id: UUID) -> dict[str, UUID]:
    rows = await db.execute(select(Pupil.reference, Pupil.id).where(Pupil.school_id == school_id))
    return {reference.upper(): pupil_id for reference, pupil_id in rows.all()}


async def _check_against_school(db: AsyncSession, school_id: UUID, parsed: ParsedFile) -> None:
    """Add the problems only the school's existing pupils reveal: the same child under another reference."""
    by_reference = await _existing_references(db, school_id)
    people = {
        (first.lower(), last.lower(), born): reference
        for first, last, born, reference in (
            await db.execute(
                select(Pupil.first_name, Pupil.last_name, Pupil.date_of_birth, Pupil.reference).where(
                    Pupil.school_id == school_id
                )
            )
        ).all()
    }
    kept = []
    for row in parsed.rows:
        data = pupil_of(row)
        existing = people.get((data.first_name.lower(), data.last_name.lower(), data.date_of_birth))
        if existing is not None and existing.upper() != data.reference.upper():
            parsed.problems.append(
                Problem(
                    row["row"],
                    "reference",
                    f"Duplicate pupil: this pupil is already registered with reference {existing}",
                )
            )
            continue
        row["existing"] = data.reference.upper() in by_reference
        kept.append(row)
    parsed.rows = kept


async def _place_homes(db: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Coordinates from the home postcode for each row that gave none, looked up in one go."""
    pupils = [pupil_of(row) for row in rows]
    homes = await locate_many(db, [pupil.home_postcode for pupil in pupils if pupil.lat is None])
    for row, pupil in zip(rows, pupils, strict=True):
        if pupil.lat is None and pupil.home_postcode in homes:
            pupil.fill_coordinates(homes[pupil.home_postcode])
            row["pupil"] = pupil.to_json()


def summarise(pending: PupilImport) -> ImportSummary:
    problem_rows = {problem["row"] for problem in pending.problems}
    new = sum(1 for row in pending.rows if not row.get("existing"))
    return ImportSummary(
        new=new,
        updated=len(pending.rows) - new,
        with_problems=len(problem_rows),
        problems=sorted(pending.problems, key=lambda p: (p["row"], p["column"])),
        ignored_columns=list(pending.rows[0].get("ignored", [])) if pending.rows else [],
        rows=len(pending.rows) + len(problem_rows),
    )


async def start_import(
    db: AsyncSession,
    *,
    school: School,
    filename: str,
    content: bytes,
    actor: User,
    ip_address: str | None,
) -> PupilImport:
    """Parse and check the file and keep it as a pending import. Writes nothing about pupils.

    Raises csv_import.FileRefused when the file is not a CSV we can read.
    """
    await purge_expired_imports(db)
    parsed = read_pupil_file(filename, content, on=today())
    await _place_homes(db, parsed.rows)
    if not parsed.problems or parsed.rows:
        await _check_against_school(db, school.id, parsed)
    if parsed.rows and parsed.ignored_columns:
        parsed.rows[0]["ignored"] = parsed.ignored_columns
    pending = PupilImport(
        school_id=school.id,
        created_by_id=actor.id,
        filename=filename[-200:],
        rows=parsed.rows,
        problems=[problem.to_json() for problem in parsed.problems],
        created_at=now(),
        expires_at=now() + IMPORT_LIFETIME,
    )
    db.add(pending)
    await db.flush()
    await record(
        db,
        actor=actor,
        action="pupil_import_uploaded",
        record_type="pupil_import",
        record_id=pending.id,
        ip_address=ip_address,
        school_id=str(school.id),
        rows=parsed.row_count,
        problems=len(parsed.problems),
    )
    return pending


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


async def confirm_import(
    db: AsyncSession, *, pending: PupilImport, actor: User, ip_address: str | None
) -> ImportResult:
    """Write every row or none: refused while any row has a problem. The pending import is deleted.

    One import into a school at a time: the school is locked, then the file is checked again
    against the pupils the school has now (another file confirmed since this one was checked may
    have registered the same children).
    """
    if pending.problems:
        raise SchoolsError("Fix the problems in the file and upload it again: nothing was imported")
    if not pending.rows:
        raise SchoolsError("The file has no pupils to import")
    school_id = pending.school_id
    await locked(db, School, school_id)
    if await locked(db, PupilImport, pending.id) is None:
        raise SchoolsError("This file has already been imported or discarded: nothing more was imported")
    recheck = ParsedFile(rows=[dict(row) for row in pending.rows])
    await _check_against_school(db, school_id, recheck)
    if recheck.problems:
        raise SchoolsError(
            f"Since this file was checked, {len(recheck.problems)} of its pupils were registered at the "
            "school under other references. Upload the file again to see which: nothing was imported"
        )
    existing_ids = await _existing_references(db, school_id)
    by_id: dict[UUID, Pupil] = {}
    if existing_ids:
        matched = [
            existing_ids[row["pupil"]["reference"].upper()]
            for row in pending.rows
            if row["pupil"]["reference"].upper() in existing_ids
        ]
        for start in range(0, len(matched), 500):
            for pupil in await db.scalars(select(Pupil).where(Pupil.id.in_(matched[start : start + 500]))):
                by_id[pupil.id] = pupil
    created: list[Pupil] = []
    audit: list[tuple[str, UUID, list[str] | None]] = []
    for row in pending.rows:
        data = pupil_of(row)
        pupil_id = existing_ids.get(data.reference.upper())
        if pupil_id is not None and pupil_id in by_id:
            data.reference = by_id[pupil_id].reference
            changed = _apply(by_id[pupil_id], data)
            audit.append(("pupil_updated", pupil_id, changed))
        else:
            pupil = Pupil(school_id=school_id, **{name: getattr(data, name) for name in PUPIL_FIELDS})
            created.append(pupil)
    await _saved(db, created)
    audit.extend(("pupil_created", pupil.id, None) for pupil in created)
    at = now()
    db.add_all(
        [
            AuditEntry(
                at=at,
                actor_id=actor.id,
                actor_label=actor.email,
                action=action,
                record_type="pupil",
                record_id=str(pupil_id),
                ip_address=ip_address,
                detail={"import_id": str(pending.id), **({"fields": changed} if changed is not None else {})},
            )
            for action, pupil_id, changed in audit
        ]
    )
    result = ImportResult(created=len(created), updated=len(audit) - len(created))
    await record(
        db,
        actor=actor,
        action="pupils_imported",
        record_type="pupil_import",
        record_id=pending.id,
        ip_address=ip_address,
        school_id=str(school_id),
        created=result.created,
        updated=result.updated,
    )
    await db.delete(pending)
    await db.flush()
    return result


async def discard_import(
    db: AsyncSession, *, pending: PupilImport, actor: User, ip_address: str | None
) -> None:
    await db.delete(pending)
    await record(
        db,
        actor=actor,
        action="pupil_import_discarded",
        record_type="pupil_import",
        record_id=pending.id,
        ip_address=ip_address,
    )
