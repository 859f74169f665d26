"""Pupils choosing for themselves: sign-in codes the school issues while preferences are open,
signing in with a code and date of birth, a pupil's own choices, and the advisor's lock on them.
Nothing here commits."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Select, delete, exists, select

from employers.models import Placement
from families import keys
from families.keys import FamiliesError
from families.models import ChoiceLock, PupilCode
from matching.choices.services import closed_reason, current_choices, save_choices
from matching.models import Preference
from placements.audit.services import record
from placements.clock import now
from placements.db import locked
from placements.notifications.services import public_url, queue_email
from schools.models import PUPILS_BY_NAME, Pupil
from schools.queries import has_current_consent

if TYPE_CHECKING:
    from datetime import date, datetime
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

    from placements.accounts.models import User
    from programme.models import Round

PUPIL = "pupil (sign-in code)"
# A programme year: a pupil signs in to choose, and again after publication to read their outcome.
CODE_LIFETIME = timedelta(days=180)


def _refuse_unless_open(round_: Round | None) -> Round:
    reason = closed_reason(round_)
    if reason or round_ is None:
        raise FamiliesError(reason or "There is no matching round")
    return round_


async def issue_code(
    db: AsyncSession, *, pupil: Pupil, round_: Round | None, actor: User, ip_address: str | None
) -> str:
    """A new sign-in code for the pupil (the earlier one stops working), printed form, shown once."""
    if round_ is None:
        raise FamiliesError("There is no matching round")
    await locked(db, Pupil, pupil.id)
    if not await db.scalar(select(has_current_consent()).where(Pupil.id == pupil.id)):
        raise FamiliesError("A pupil can sign in once a parent has given consent")
    code = keys.new_code()
    await keys.replace_key(db, PupilCode, pupil=pupil, secret=code, lifetime=CODE_LIFETIME, actor=actor)
    await record(
        db,
        actor=actor,
        action="pupil_code_issued",
        record_type="pupil",
        record_id=pupil.id,
        ip_address=ip_address,
    )
    return keys.printed_code(code)


async def issue_codes(
    db: AsyncSession, *, school_id: UUID, round_: Round | None, actor: User, ip_address: str | None
) -> list[tuple[Pupil, str]]:
    """Codes for every consenting pupil of the school who has none yet, for the class list."""
    pupils = list(await db.scalars(without_code(school_id)))
    return [
        (pupil, await issue_code(db, pupil=pupil, round_=round_, actor=actor, ip_address=ip_address))
        for pupil in pupils
    ]


def without_code(school_id: UUID) -> Select[tuple[Pupil]]:
    """The school's consenting pupils who have no sign-in code, in name order."""
    live = exists().where(PupilCode.pupil_id == Pupil.id, PupilCode.revoked_at.is_(None))
    return (
        select(Pupil)
        .where(Pupil.school_id == school_id, has_current_consent(), ~live)
        .order_by(*PUPILS_BY_NAME)
    )


async def lock_all(
    db: AsyncSession, *, school_id: UUID, round_: Round | None, actor: User, ip_address: str | None
) -> int:
    """Lock the choices of every pupil of the school who has made some; how many were locked."""
    round_ = _refuse_unless_open(round_)
    pupils = list(
        await db.scalars(
            select(Pupil).where(
                Pupil.school_id == school_id,
                exists().where(Preference.round_id == round_.id, Preference.pupil_id == Pupil.id),
                ~exists().where(ChoiceLock.round_id == round_.id, ChoiceLock.pupil_id == Pupil.id),
            )
        )
    )
    for pupil in pupils:
        await set_lock(db, round_=round_, pupil=pupil, lock=True, actor=actor, ip_address=ip_address)
    return len(pupils)


async def revoke_code(db: AsyncSession, *, pupil: Pupil, actor: User, ip_address: str | None) -> None:
    await locked(db, Pupil, pupil.id)
    if not await keys.revoke_live(db, PupilCode, pupil.id):
        raise FamiliesError("This pupil has no sign-in code to stop")
    await record(
        db,
        actor=actor,
        action="pupil_code_revoked",
        record_type="pupil",
        record_id=pupil.id,
        ip_address=ip_address,
    )


async def sign_in(db: AsyncSession, *, code: str, born: date, ip_address: str | None) -> PupilCode:
    """The pupil's code when the code and date of birth are right; FamiliesError (or KeyUnusable for
    a code that has ended) otherwise. A wrong attempt is audited: the caller commits it."""
    key = await keys.find_key(db, PupilCode, keys.normalise_code(code), ip_address=ip_address, label=PUPIL)
    if not await keys.birth_date_matches(db, key, born, ip_address=ip_address, label=PUPIL):
        if key.locked_at is not None:
            raise keys.KeyUnusable("locked")
        raise FamiliesError(
            f"The code or the date of birth is not right. You can try {keys.tries_left(key)} more times.",
            field="born",
        )
    key.last_signed_in_at = now()
    await record(
        db,
        actor=None,
        actor_label=PUPIL,
        action="pupil_signed_in",
        record_type="pupil",
        record_id=key.pupil_id,
        ip_address=ip_address,
    )
    return key


async def signed_in_pupil(db: AsyncSession, code_id: str | None) -> Pupil | None:
    """The pupil whose code this session signed in with, while that code still works."""
    if not code_id:
        return None
    key = await db.scalar(
        select(PupilCode).where(
            PupilCode.id == code_id,
            PupilCode.revoked_at.is_(None),
            PupilCode.locked_at.is_(None),
            PupilCode.expires_at > now(),
        )
    )
    return None if key is None else await db.get(Pupil, key.pupil_id)


async def locked_at(db: AsyncSession, *, round_: Round, pupil: Pupil) -> datetime | None:
    """When the pupil's advisor locked their choices for the round, if they have."""
    return await db.scalar(
        select(ChoiceLock.locked_at).where(ChoiceLock.round_id == round_.id, ChoiceLock.pupil_id == pupil.id)
    )


async def is_locked(db: AsyncSession, *, round_: Round, pupil: Pupil) -> bool:
    return await locked_at(db, round_=round_, pupil=pupil) is not None


async def save_own_choices(
    db: AsyncSession,
    *,
    round_: Round,
    pupil: Pupil,
    placement_ids: list[UUID],
    open_to_other: bool,
    ip_address: str | None,
) -> None:
    """The pupil's own choices, unless their advisor has locked them."""
    await locked(db, Pupil, pupil.id)  # two tabs at once: one list wins whole
    if await is_locked(db, round_=round_, pupil=pupil):
        raise FamiliesError(
            "Your advisor has checked and locked your choices. Ask them if you want a change."
        )
    await save_choices(
        db,
        round_=round_,
        pupil=pupil,
        placement_ids=placement_ids,
        open_to_other=open_to_other,
        actor=None,
        ip_address=ip_address,
        actor_label=PUPIL,
    )


async def set_lock(
    db: AsyncSession, *, round_: Round | None, pupil: Pupil, lock: bool, actor: User, ip_address: str | None
) -> None:
    """Lock (the pupil can no longer change their choices) or unlock a pupil's choices for the round."""
    round_ = _refuse_unless_open(round_)
    await locked(db, Pupil, pupil.id)
    held = await is_locked(db, round_=round_, pupil=pupil)
    if lock and not held:
        db.add(ChoiceLock(round_id=round_.id, pupil_id=pupil.id, locked_at=now(), locked_by_id=actor.id))
        await _tell_family_of_lock(db, round_=round_, pupil=pupil)
    elif not lock and held:
        await db.execute(
            delete(ChoiceLock).where(ChoiceLock.round_id == round_.id, ChoiceLock.pupil_id == pupil.id)
        )
    else:
        return
    await record(
        db,
        actor=actor,
        action="choices_locked" if lock else "choices_unlocked",
        record_type="pupil",
        record_id=pupil.id,
        ip_address=ip_address,
        round_id=str(round_.id),
    )


async def _tell_family_of_lock(db: AsyncSession, *, round_: Round, pupil: Pupil) -> None:
    """The pupil reads the lock on their page; their parent, where the school holds an address, is
    told by email which choices went forward, in order, while there is time to ask for a change."""
    if pupil.parent_email is None:
        return
    chosen, open_to_other = await current_choices(db, round_=round_, pupil=pupil)
    titles = dict(
        (await db.execute(select(Placement.id, Placement.title).where(Placement.id.in_(chosen)))).all()
    )
    listed = "\n".join(f"{n}. {titles[pid]}" for n, pid in enumerate(chosen, 1) if pid in titles)
    other = "open" if open_to_other else "not open"
    closes = (
        f" before choices close on {round_.preferences_close_on:%-d %B %Y}"
        if round_.preferences_close_on
        else ""
    )
    await queue_email(
        db,
        to=pupil.parent_email,
        subject=f"{round_.name}: {pupil.first_name}'s placement choices are locked",
        body=(
            f"Dear parent or carer,\n\n{pupil.first_name}'s school has checked and locked "
            f"{pupil.first_name}'s placement choices for {round_.name}. In order:\n{listed or 'None yet'}\n\n"
            f"{pupil.first_name} is {other} to another placement if these are full.\n\n"
            f"If something is wrong, ask the school{closes}. {pupil.first_name} can see the choices "
            f"at {public_url('/pupil')}."
        ),
    )
