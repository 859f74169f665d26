"""Parents' links and pupils' sign-in codes for a few of the demo school's pupils, printed by
`placements demo` so that a newcomer can open one as the parent, or sign in as the pupil, would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from families.models import EMAILED
from families.pupil_services import issue_code, without_code
from families.queries import waiting
from families.services import issue_link
from placements.accounts.models import User
from placements.notifications.services import public_url
from programme.queries import current_round

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

DEMO_ADVISOR = "advisor@preston-riverside-academy.demo.placements.test"


@dataclass(frozen=True)
class DemoKey:
    """Who, their date of birth (asked before anything is shown), and the link or code."""

    pupil: str
    date_of_birth: date
    key: str


async def _advisor(db: AsyncSession) -> User | None:
    advisor = await db.scalar(select(User).where(User.email == DEMO_ADVISOR))
    return advisor if advisor is not None and advisor.school_id is not None else None


async def parent_links(db: AsyncSession, *, count: int = 3) -> list[DemoKey]:
    """Links for up to `count` pupils of the demo school whose parents have not consented yet."""
    advisor = await _advisor(db)
    if advisor is None:
        return []
    links = []
    for pupil in list(await db.scalars(waiting(advisor.school_id, ()).limit(count))):
        _, secret = await issue_link(db, pupil=pupil, kind=EMAILED, actor=advisor, ip_address=None)
        name = f"{pupil.first_name} {pupil.last_name}"
        links.append(DemoKey(name, pupil.date_of_birth, public_url(f"/parents/{secret}")))
    return links


async def pupil_codes(db: AsyncSession, *, count: int = 3) -> list[DemoKey]:
    """Sign-in codes for up to `count` consenting pupils of the demo school, for /pupil/sign-in."""
    advisor = await _advisor(db)
    if advisor is None:
        return []
    round_ = await current_round(db)
    codes = []
    for pupil in list(await db.scalars(without_code(advisor.school_id).limit(count))):
        code = await issue_code(db, pupil=pupil, round_=round_, actor=advisor, ip_address=None)
        codes.append(DemoKey(f"{pupil.first_name} {pupil.last_name}", pupil.date_of_birth, code))
    return codes
