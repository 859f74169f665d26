"""Every write to employers, their compliance records and their placements. Nothing here commits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from sqlalchemy import select

from employers.inputs import ComplianceData, EmployerDetails, Person, PlacementData, SignUp
from employers.models import Employer, EmployerCompliance, EmployerStatus, Placement, PlacementStatus
from placements.accounts.limits import Limit, enforce
from placements.accounts.models import Role, User
from placements.accounts.services import (
    AccountError,
    Invitation,
    find_user_by_email,
    invite_user,
    normalise_email,
    send_invitation,
    tell_existing_account,
)
from placements.audit.models import AuditEntry
from placements.audit.services import record
from placements.db import locked
from placements.notifications.services import addresses_of, public_url, queue_email
from placements.refusals import Refusal

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from programme.models import Round


T = TypeVar("T")


class EmployerError(Refusal):
    """A change that cannot be made as asked, with a message for the person (and its field, if one)."""


def employer_link(employer: Employer) -> str:
    return public_url(f"/employers/{employer.id}")


async def coordinator_addresses(db: AsyncSession) -> list[str]:
    return await addresses_of(db, User.role == Role.COORDINATOR)


async def employer_addresses(db: AsyncSession, employer_id: object) -> list[str]:
    return await addresses_of(db, User.employer_id == employer_id)


def _apply_details(employer: Employer, details: EmployerDetails) -> None:
    for name, value in asdict(details).items():
        setattr(employer, name, value)


SIGN_UPS_PER_CLIENT = Limit(
    ("employer_signed_up", "sign_up_for_existing_account"),
    most=5,
    window=timedelta(hours=1),
    message="Too many organisations have been signed up from your network in the last hour. Try again later.",
)


async def sign_up(db: AsyncSession, *, data: SignUp, ip_address: str | None) -> None:
    """A business registers itself and its first user, pending a coordinator's review, and the user
    is emailed a link to choose a password. For an address that already has an account nothing is
    created and the address is told instead: the answer is the same either way."""
    await enforce(db, SIGN_UPS_PER_CLIENT, AuditEntry.ip_address == ip_address)
    existing = await find_user_by_email(db, data.person.email)
    if existing is not None:
        await tell_existing_account(
            db,
            user=existing,
            action="sign_up_for_existing_account",
            what="tried to register a new organisation",
            actor=None,
            ip_address=ip_address,
        )
        return
    employer = Employer(status=EmployerStatus.PENDING, postcode=data.details.postcode, name=data.details.name)
    _apply_details(employer, data.details)
    db.add(employer)
    await db.flush()
    user = User(
        email=normalise_email(data.person.email),
        name=data.person.name,
        role=Role.EMPLOYER_USER,
        employer_id=employer.id,
        is_admin=True,
    )
    db.add(user)
    await db.flush()
    await send_invitation(db, user=user, finishing_sign_up=True)
    await record(
        db,
        actor=None,
        action="employer_signed_up",
        record_type="employer",
        record_id=employer.id,
        ip_address=ip_address,
        actor_label=user.email,
        user_id=str(user.id),
    )


async def invite_employer(
    db: AsyncSession, *, details: EmployerDetails, contact: Person, actor: User, ip_address: str | None
) -> Employer:
    """A coordinator adds an organisation directly (approved) and invites its first user."""
    if await find_user_by_email(db, contact.email) is not None:
        raise AccountError("There is already an account with this email address", field="user_email")
    employer = Employer(status=EmployerStatus.APPROVED, postcode=details.postcode, name=details.name)
    _apply_details(employer, details)
    db.add(employer)
    await db.flush()
    await record(
        db,
        actor=actor,
        action="employer_invited",
        record_type="employer",
        record_id=employer.id,
        ip_address=ip_address,
    )
    await invite_user(
        db,
        invitation=Invitation(
            email=contact.email, name=contact.name, role=Role.EMPLOYER_USER, employer_id=employer.id
        ),
        actor=actor,
        ip_address=ip_address,
    )
    return employer


async def update_details(
    db: AsyncSession, *, employer: Employer, details: EmployerDetails, actor: User, ip_address: str | None
) -> Employer:
    before = {name: getattr(employer, name) for name in asdict(details)}
    _apply_details(employer, details)
    changed = sorted(name for name, value in before.items() if value != getattr(employer, name))
    await record(
        db,
        actor=actor,
        action="employer_details_changed",
        record_type="employer",
        record_id=employer.id,
        ip_address=ip_address,
        fields=changed,
    )
    return employer


async def invite_colleague(
    db: AsyncSession, *, employer: Employer, person: Person, actor: User, ip_address: str | None
) -> User | None:
    """An employer user (or a coordinator) invites someone to the same organisation; None when the
    address has an account elsewhere (see `invite_user`). An organisation still waiting for review
    invites nobody: it could otherwise mail anyone through the council's service."""
    if employer.status is not EmployerStatus.APPROVED and actor.role is not Role.COORDINATOR:
        raise EmployerError("Your organisation can invite colleagues once a coordinator has approved it")
    return await invite_user(
        db,
        invitation=Invitation(
            email=person.email, name=person.name, role=Role.EMPLOYER_USER, employer_id=employer.id
        ),
        actor=actor,
        ip_address=ip_address,
    )


_ALLOWED = {
    "approve": {EmployerStatus.PENDING, EmployerStatus.REJECTED, EmployerStatus.SUSPENDED},
    "reject": {EmployerStatus.PENDING},
    "suspend": {EmployerStatus.APPROVED},
}


async def _decide(
    db: AsyncSession,
    *,
    employer: Employer,
    decision: str,
    status: EmployerStatus,
    reason: str | None,
    actor: User,
    ip_address: str | None,
) -> Employer:
    employer = await _locked(db, Employer, employer.id)
    if employer.status not in _ALLOWED[decision]:
        raise EmployerError(f"You cannot {decision} an organisation that is {employer.status.value}")
    if decision != "approve" and not (reason or "").strip():
        raise EmployerError("Enter the reason")
    previous = employer.status
    employer.status = status
    employer.status_reason = reason.strip() if reason else None
    await record(
        db,
        actor=actor,
        action=f"employer_{status.value}",
        record_type="employer",
        record_id=employer.id,
        ip_address=ip_address,
        previous=previous.value,
        reason=employer.status_reason,
    )
    link = employer_link(employer)
    subject, body = {
        "approve": (
            f"{employer.name} is approved on Placements",
            "Your organisation is approved. Placements you publish can now be seen by schools, "
            "once your compliance record is complete.",
        ),
        "reject": (
            f"{employer.name} was not approved on Placements",
            f"Your organisation was not approved, for this reason:\n\n{employer.status_reason}\n\n"
            "Reply to the programme team if you think this is wrong.",
        ),
        "suspend": (
            f"{employer.name} is suspended on Placements",
            f"Your organisation is suspended, for this reason:\n\n{employer.status_reason}\n\n"
            "Schools cannot see your placements and they are not matched until it is lifted.",
        ),
    }[decision]
    for address in await employer_addresses(db, employer.id):
        await queue_email(db, to=address, subject=subject, body=f"Hello,\n\n{body}\n\n{link}\n")
    return employer


async def approve_employer(
    db: AsyncSession, *, employer: Employer, actor: User, ip_address: str | None
) -> Employer:
    return await _decide(
        db,
        employer=employer,
        decision="approve",
        status=EmployerStatus.APPROVED,
        reason=None,
        actor=actor,
        ip_address=ip_address,
    )


async def reject_employer(
    db: AsyncSession, *, employer: Employer, reason: str, actor: User, ip_address: str | None
) -> Employer:
    return await _decide(
        db,
        employer=employer,
        decision="reject",
        status=EmployerStatus.REJECTED,
        reason=reason,
        actor=actor,
        ip_address=ip_address,
    )


async def suspend_employer(
    db: AsyncSession, *, employer: Employer, reason: str, actor: User, ip_address: str | None
) -> Employer:
    return await _decide(
        db,
        employer=employer,
        decision="suspend",
        status=EmployerStatus.SUSPENDED,
        reason=reason,
        actor=actor,
        ip_address=ip_address,
    )


async def save_compliance(
    db: AsyncSession, *, employer: Employer, data: ComplianceData, actor: User, ip_address: str | None
) -> EmployerCompliance:
    compliance = await db.scalar(
        select(EmployerCompliance).where(EmployerCompliance.employer_id == employer.id)
    )
    if compliance is None:
        compliance = EmployerCompliance(employer_id=employer.id)
        db.add(compliance)
    before = {name: getattr(compliance, name, None) for name in asdict(data)}
    for name, value in asdict(data).items():
        setattr(compliance, name, value)
    if before["insurance_expires_on"] != data.insurance_expires_on:
        compliance.insurance_reminder_for = None  # a renewed policy gets its own reminder
    await db.flush()
    await record(
        db,
        actor=actor,
        action="compliance_record_saved",
        record_type="employer",
        record_id=employer.id,
        ip_address=ip_address,
        fields=sorted(name for name, value in before.items() if value != getattr(compliance, name)),
    )
    return compliance


def _apply_placement(placement: Placement, data: PlacementData) -> None:
    for name, value in asdict(data).items():
        if name != "extra":
            setattr(placement, name, value)


async def create_placement(
    db: AsyncSession,
    *,
    employer: Employer,
    round: Round,
    data: PlacementData,
    actor: User,
    ip_address: str | None,
) -> Placement:
    placement = Placement(
        employer_id=employer.id,
        round_id=round.id,
        title=data.title,
        description=data.description,
        pathway=data.pathway,
    )
    _apply_placement(placement, data)
    db.add(placement)
    await db.flush()
    await record(
        db,
        actor=actor,
        action="placement_created",
        record_type="placement",
        record_id=placement.id,
        ip_address=ip_address,
        status=placement.status.value,
    )
    return placement


async def _locked(db: AsyncSession, model: type[T], row_id: UUID) -> T:
    """The record as it is now, locked for this transaction (see placements.db.locked)."""
    row = await locked(db, model, row_id)
    if row is None:
        raise EmployerError("This record no longer exists")
    return row


# How many of a placement's places are held by offers: the matching package, which makes offers,
# registers the count (employers cannot import matching, which imports employers).
PlacesHeld = Callable[["AsyncSession", UUID], Awaitable[int]]
_places_held: list[PlacesHeld] = []


def places_held_by(counter: PlacesHeld) -> PlacesHeld:
    _places_held.append(counter)
    return counter


async def _offers_held(db: AsyncSession, placement_id: UUID) -> int:
    """How many current offers hold a place on the placement (a place offered is a place taken)."""
    return sum([await counter(db, placement_id) for counter in _places_held])


async def update_placement(
    db: AsyncSession, *, placement: Placement, data: PlacementData, actor: User, ip_address: str | None
) -> Placement:
    placement = await _locked(db, Placement, placement.id)
    if placement.status is PlacementStatus.WITHDRAWN:
        raise EmployerError("This placement is withdrawn: copy it to offer it again")
    held = await _offers_held(db, placement.id)
    if data.capacity < held:
        raise EmployerError(
            f"This placement holds {held} offer{'s' if held != 1 else ''}: it needs at least {held} "
            f"place{'s' if held != 1 else ''}. Ask the programme coordinator to move a pupil first.",
            field="capacity",
        )
    _apply_placement(placement, data)
    await record(
        db,
        actor=actor,
        action="placement_changed",
        record_type="placement",
        record_id=placement.id,
        ip_address=ip_address,
        status=placement.status.value,
    )
    return placement


async def withdraw_placement(
    db: AsyncSession, *, placement: Placement, actor: User, ip_address: str | None
) -> Placement:
    placement = await _locked(db, Placement, placement.id)
    if placement.status is PlacementStatus.WITHDRAWN:
        raise EmployerError("This placement is already withdrawn")
    previous = placement.status
    placement.status = PlacementStatus.WITHDRAWN
    await record(
        db,
        actor=actor,
        action="placement_withdrawn",
        record_type="placement",
        record_id=placement.id,
        ip_address=ip_address,
        previous=previous.value,
    )
    return placement


def carried_weeks(weeks: list[str], round_weeks: list[str]) -> list[str]:
    """The same ISO week numbers in the new round, where the round has them."""
    numbers = {week.split("-")[-1] for week in weeks}
    return [week for week in round_weeks if week.split("-")[-1] in numbers]


async def copy_placement(
    db: AsyncSession, *, placement: Placement, round: Round, actor: User, ip_address: str | None
) -> Placement:
    """A new draft in `round` with the old placement's details, for the employer to check and publish."""
    if placement.round_id == round.id:
        raise EmployerError("This placement is already in the current round")
    copy = Placement(
        employer_id=placement.employer_id,
        round_id=round.id,
        title=placement.title,
        description=placement.description,
        pathway=placement.pathway,
        skills=placement.skills,
        work_mode=placement.work_mode,
        address=placement.address,
        postcode=placement.postcode,
        town=placement.town,
        lat=placement.lat,
        lon=placement.lon,
        weeks=carried_weeks(placement.weeks, list(round.weeks)),
        capacity=placement.capacity,
        year_groups=list(placement.year_groups),
        min_age=placement.min_age,
        accessibility_notes=placement.accessibility_notes,
        supervisor_name=placement.supervisor_name,
        joining=dict(placement.joining),
        status=PlacementStatus.DRAFT,
        copied_from_id=placement.id,
    )
    db.add(copy)
    await db.flush()
    await record(
        db,
        actor=actor,
        action="placement_copied",
        record_type="placement",
        record_id=copy.id,
        ip_address=ip_address,
        copied_from=str(placement.id),
    )
    return copy
