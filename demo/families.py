"""Parents' links for a few of the demo school's pupils, printed by `placements demo` so that a
newcomer can open one as the parent would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from families.models import EMAILED
from families.queries import waiting
from families.services import issue_link
from placements.accounts.models import User
from placements.notifications.services import public_url

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

DEMO_ADVISOR = "advisor@preston-riverside-academy.demo.placements.test"


@dataclass(frozen=True)
class DemoParentLink:
    pupil: str
    date_of_birth: date
    url: str


async def parent_links(db: AsyncSession, *, count: int = 3) -> list[DemoParentLink]:
    """Links for up to `count` pupils of the demo school whose parents have not consented yet."""
    advisor = await db.scalar(select(User).where(User.email == DEMO_ADVISOR))
    if advisor is None or advisor.school_id is None:
        return []
    links = []
    for pupil in list(await db.scalars(waiting(advisor.school_id, ()).limit(count))):
        _, secret = await issue_link(db, pupil=pupil, kind=EMAILED, actor=advisor, ip_address=None)
        links.append(
            DemoParentLink(
                f"{pupil.first_name} {pupil.last_name}", pupil.date_of_birth, public_url(f"/parents/{secret}")
            )
        )
    return links
