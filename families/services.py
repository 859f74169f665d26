"""Every write about parents' links and their answers. Nothing here commits.

A link's secret is shown once (in the email or on the letter) and only its hash is kept. Each
step tells the next person: the school's request reaches the parent, the parent's answer reaches
the school's staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from families import keys, queries
from families.consent_text import VERSION
from families.keys import FamiliesError, KeyUnusable
from families.models import EMAILED, GIVEN, PRINTED, REFUSED, ParentLink
from placements.accounts.models import Role, User
from placements.audit.services import record
from placements.clock import now, today
from placements.db import locked
from placements.notifications.services import addresses_of, public_url, queue_email
from schools import services as schools
from schools.models import CONSENT_FROM_PARENT, Pupil, School
from schools.queries import has_current_consent

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

LIFETIME = timedelta(days=28)


async def _refuse_if_consented(db: AsyncSession, pupil: Pupil) -> None:
    if await db.scalar(select(has_current_consent()).where(Pupil.id == pupil.id)):
        raise FamiliesError("This pupil's parent has already given consent")


async def issue_link(
    db: AsyncSession, *, pupil: Pupil, kind: str, actor: User | None, ip_address: str | None
) -> tuple[ParentLink, str]:
    """A new link for the pupil's parent, replacing any earlier one; the secret is returned once."""
    await locked(db, Pupil, pupil.id)  # two requests at once: one live link, not two
    secret = keys.new_code() if kind == PRINTED else keys.new_token()
    link = await keys.replace_key(
        db,
        ParentLink,
        pupil=pupil,
        secret=secret,
        lifetime=LIFETIME,
        actor=actor,
        kind=kind,
        sent_to=pupil.parent_email if kind == EMAILED else None,
    )
    await record(
        db,
        actor=actor,
        action="parent_link_issued",
        record_type="pupil",
        record_id=pupil.id,
        ip_address=ip_address,
        kind=kind,
    )
    return link, secret


def _request_email(pupil: Pupil, school: School, secret: str, expires_at: datetime, *, reminder: bool) -> str:
    opening = "A reminder: " if reminder else ""
    return (
        f"Dear parent or carer,\n\n{opening}{school.name} asks for your consent for {pupil.first_name} "
        "to take part in the council's work-placement programme.\n\n"
        f"Read about the programme and give or refuse consent here:\n{public_url(f'/parents/{secret}')}\n\n"
        f"You will be asked for {pupil.first_name}'s date of birth first. The link works until "
        f"{expires_at:%-d %B %Y}. You can withdraw consent later through the same link.\n\n"
        f"If you did not expect this email, please contact {school.name}."
    )


async def email_link(
    db: AsyncSession, *, pupil: Pupil, actor: User | None, ip_address: str | None, reminder: bool = False
) -> ParentLink:
    if not pupil.parent_email:
        raise FamiliesError(
            "Add the parent's email address to the pupil's details first", field="parent_email"
        )
    link, secret = await issue_link(db, pupil=pupil, kind=EMAILED, actor=actor, ip_address=ip_address)
    school = await db.get_one(School, pupil.school_id)
    await queue_email(
        db,
        to=pupil.parent_email,
        subject=f"{'Reminder: ' if reminder else ''}Consent for {pupil.first_name}'s work placement",
        body=_request_email(pupil, school, secret, link.expires_at, reminder=reminder),
    )
    return link


async def email_links(db: AsyncSession, *, school_id: UUID, actor: User, ip_address: str | None) -> int:
    """Email a link to the parent of every pupil of the school with an email address who has not
    been asked (or whose last link ended) and has no consent; how many were sent."""
    return await _email_each(
        db, school_id, queries.TO_EMAIL, actor=actor, ip_address=ip_address, reminder=False
    )


async def send_reminders(
    db: AsyncSession,
    *,
    school_id: UUID,
    actor: User | None,
    ip_address: str | None,
    sent_before: datetime | None = None,
) -> int:
    """A fresh link to every parent whose emailed link is still unanswered (and was sent before
    `sent_before`, when given); how many were sent."""
    sent_earlier = () if sent_before is None else (queries.LIVE.created_at < sent_before,)
    reached = (*queries.TO_REMIND, *sent_earlier)
    return await _email_each(db, school_id, reached, actor=actor, ip_address=ip_address, reminder=True)


async def _email_each(
    db: AsyncSession,
    school_id: UUID,
    reached: tuple[object, ...],
    *,
    actor: User | None,
    ip_address: str | None,
    reminder: bool,
) -> int:
    pupils = list(await db.scalars(queries.waiting(school_id, reached)))
    for pupil in pupils:
        await email_link(db, pupil=pupil, actor=actor, ip_address=ip_address, reminder=reminder)
    return len(pupils)


async def print_letter(
    db: AsyncSession, *, pupil: Pupil, actor: User, ip_address: str | None
) -> tuple[Pupil, ParentLink, str]:
    """A letter with a code for the pupil's parent, replacing the pupil's earlier link."""
    link, code = await issue_link(db, pupil=pupil, kind=PRINTED, actor=actor, ip_address=ip_address)
    return pupil, link, keys.printed_code(code)


async def print_letters(
    db: AsyncSession, *, school_id: UUID, actor: User, ip_address: str | None
) -> list[tuple[Pupil, ParentLink, str]]:
    """Letters for every pupil without a parent's email address who has not been asked and has no consent."""
    pupils = list(await db.scalars(queries.waiting(school_id, queries.TO_PRINT)))
    return [await print_letter(db, pupil=pupil, actor=actor, ip_address=ip_address) for pupil in pupils]


async def revoke_link(db: AsyncSession, *, pupil: Pupil, actor: User, ip_address: str | None) -> None:
    await locked(db, Pupil, pupil.id)
    if not await keys.revoke_live(db, ParentLink, pupil.id):
        raise FamiliesError("This pupil has no link to revoke")
    await record(
        db,
        actor=actor,
        action="parent_link_revoked",
        record_type="pupil",
        record_id=pupil.id,
        ip_address=ip_address,
    )


# --- The parent's side ---------------------------------------------------------------------------


async def find_link(db: AsyncSession, secret: str, *, ip_address: str | None) -> ParentLink:
    """The link a parent opened, or KeyUnusable saying why not; one that gave consent still opens
    after it expires, so the parent can withdraw."""
    link = await keys.find_key(
        db, ParentLink, secret, ip_address=ip_address, label=schools.PARENT, usable_after=True
    )
    if link.answer != GIVEN and link.expires_at <= now():
        raise KeyUnusable("expired")
    return link


async def audit(
    db: AsyncSession, link: ParentLink, action: str, ip_address: str | None, **detail: object
) -> None:
    await record(
        db,
        actor=None,
        actor_label=schools.PARENT,
        action=action,
        record_type="pupil",
        record_id=link.pupil_id,
        ip_address=ip_address,
        link_id=str(link.id),
        **detail,
    )


async def confirm_birth_date(
    db: AsyncSession, *, link: ParentLink, born: date, ip_address: str | None
) -> bool:
    """Whether `born` is the child's date of birth; wrong answers are counted and lock the link."""
    if not await keys.birth_date_matches(db, link, born, ip_address=ip_address, label=schools.PARENT):
        return False
    link.opened_at = link.opened_at or now()
    await audit(db, link, "parent_link_opened", ip_address)
    return True


@dataclass
class ParentAnswer:
    consents: bool
    given_by: str
    relationship: str
    shared_medical: str | None = None
    shared_access: str | None = None
    shared_dietary: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_relationship: str | None = None
    emergency_contact_phone: str | None = None


async def answer(db: AsyncSession, *, link: ParentLink, data: ParentAnswer, ip_address: str | None) -> None:
    """The parent's answer; a link answers once, so of two answers sent at once the second is refused."""
    link = await locked(db, ParentLink, link.id) or link
    if link.answer is not None:
        raise FamiliesError(
            "You have already answered through this link. Ask the school if something has changed."
        )
    pupil = await db.get_one(Pupil, link.pupil_id)
    if data.consents:
        await _refuse_if_consented(db, pupil)
        await schools.record_consent(
            db,
            pupil=pupil,
            data=schools.ConsentData(
                given_by=data.given_by,
                relationship=data.relationship,
                given_on=today(),
                text_version=VERSION,
                source=CONSENT_FROM_PARENT,
                shared_medical=data.shared_medical,
                shared_access=data.shared_access,
                shared_dietary=data.shared_dietary,
            ),
            actor=None,
            ip_address=ip_address,
        )
        pupil.emergency_contact_name = data.emergency_contact_name
        pupil.emergency_contact_relationship = data.emergency_contact_relationship
        pupil.emergency_contact_phone = data.emergency_contact_phone
    link.answer = GIVEN if data.consents else REFUSED
    link.answered_at = now()
    await audit(db, link, "parent_answered", ip_address, answer=link.answer, text_version=VERSION)
    await _tell_school(db, pupil, "gave consent" if data.consents else "refused consent")


async def withdraw(db: AsyncSession, *, link: ParentLink, ip_address: str | None) -> None:
    # Whoever holds the pupil's live link and knows their date of birth is the parent: consent given
    # on paper, or through an earlier link, is withdrawn here too.
    pupil = await db.get_one(Pupil, link.pupil_id)
    await schools.withdraw_consent(db, pupil=pupil, withdrawn_on=today(), actor=None, ip_address=ip_address)
    await _tell_school(db, pupil, "withdrew consent")


async def _tell_school(db: AsyncSession, pupil: Pupil, what: str) -> None:
    """Each of the school's staff hears of a parent's answer, with a link to the pupil's record."""
    for address in await addresses_of(db, User.school_id == pupil.school_id, User.role == Role.SCHOOL_STAFF):
        await queue_email(
            db,
            to=address,
            subject=f"A parent {what} online (pupil {pupil.reference})",
            body=(
                f"The parent or carer of pupil {pupil.reference} {what} for the work-placement "
                "programme through their link.\n\n"
                f"See the pupil's record: {public_url(f'/pupils/{pupil.id}')}"
            ),
        )
