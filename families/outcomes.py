"""A pupil's published outcome as the pupil and their parent read it: what they got, and why, in
words a 14-year-old understands, with nothing about any other pupil."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litestar.response import Template
from sqlalchemy import select

from employers.models import JOINING, Employer, Placement
from families.reviews import latest_request
from matching.models import FollowUp, MatchRun, Outcome
from matching.offers.follow_up import refusal
from matching.policy import RunPolicy
from placements.notifications.services import public_url
from placements.web.forms import FormErrors, render_form
from programme.models import Stage

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from programme.models import Round
    from schools.models import Pupil

PUBLISHED = (Stage.PUBLISHED, Stage.REALLOCATION, Stage.CLOSED)
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
HOW_IT_WORKS = (
    "Every pupil's choices were put together, with every placement's number of places. A computer "
    "program then found the way of placing pupils that gives as many pupils as possible one of their "
    "top choices, following the published rules of the round. It treats every pupil by the same "
    "rules; pupils who need extra support, like those with pupil premium, count for a little more."
)


@dataclass(frozen=True)
class FamilyOutcome:
    outcome: Outcome
    placement: Placement | None
    employer_name: str | None
    why: str
    follow_up: FollowUp | None = None

    @property
    def started(self) -> bool:
        """The placement is agreed and has begun: the pupil can reflect on it."""
        return refusal(self.outcome, self.placement) is None

    @property
    def completed(self) -> bool:
        """The school has recorded that the pupil completed the placement: a certificate is due."""
        return self.placement is not None and self.follow_up is not None and bool(self.follow_up.completed)

    @property
    def joining(self) -> list[tuple[str, str]]:
        """The employer's joining instructions, (what, text), once both sides have agreed."""
        if self.placement is None or self.outcome.status != "Agreed":
            return []
        given = self.placement.joining or {}
        supervisor = (
            [("Supervisor", self.placement.supervisor_name)] if self.placement.supervisor_name else []
        )
        return supervisor + [(label, given[key]) for key, _, label in JOINING if given.get(key)]


def why(outcome: Outcome) -> str:
    """The solver's explanation of one pupil's result, said plainly."""
    text = outcome.explanation or ""
    if text.startswith("fixed by the coordinator"):
        return "A programme coordinator placed you here by hand."
    if outcome.placement_id is not None and outcome.rank:
        if outcome.rank == 1:
            return "You got your first choice."
        place = ORDINALS[outcome.rank - 1] if outcome.rank <= len(ORDINALS) else f"number {outcome.rank}"
        return (
            f"You got your {place} choice. The choices above it had no room for you: more pupils "
            "wanted them than they had places, and the rules give as many pupils as possible one "
            "of their top choices."
        )
    if outcome.placement_id is not None:
        return (
            "None of your choices had room for you, so you were given another placement that suits "
            "you, because you said you were open to other placements."
        )
    if "no choices listed" in text:
        return "You were not placed because no choices were made for you before the deadline."
    if "every eligible choice was full" in text:
        return "You were not placed because every placement you could go to was already full."
    return (
        "You were not placed because none of your choices could take you (for example the year "
        "group, the weeks or the distance from home did not fit)."
    )


async def outcome_of(db: AsyncSession, *, round_: Round | None, pupil: Pupil) -> FamilyOutcome | None:
    """The pupil's current outcome once the round's results are published, else None."""
    if round_ is None or round_.stage not in PUBLISHED:
        return None
    outcome = await db.scalar(
        select(Outcome).where(
            Outcome.round_id == round_.id, Outcome.pupil_id == pupil.id, Outcome.current.is_(True)
        )
    )
    if outcome is None:
        return None
    placement = await db.get(Placement, outcome.placement_id) if outcome.placement_id else None
    employer = await db.get(Employer, placement.employer_id) if placement else None
    follow_up = await db.scalar(select(FollowUp).where(FollowUp.outcome_id == outcome.id))
    return FamilyOutcome(outcome, placement, employer.name if employer else None, why(outcome), follow_up)


async def outcome_context(
    db: AsyncSession, round_: Round | None, pupil: Pupil, *, home: str
) -> dict[str, Any]:
    """What a family's page and letter show of the outcome (nothing before results are published);
    `home` is the family's own page, under which its review form, letter and certificate are."""
    result = await outcome_of(db, round_=round_, pupil=pupil)
    if result is None or round_ is None:
        return {"result": None}
    policy = await db.scalar(select(MatchRun.policy).where(MatchRun.id == result.outcome.run_id))
    return {
        "result": result,
        "review": await latest_request(db, round_id=round_.id, pupil_id=pupil.id),
        "home": home,
        "how_it_works": HOW_IT_WORKS,
        "rules": RunPolicy.from_dict(policy or {}).description,
        "sign_in_url": public_url("/pupil/sign-in"),
    }


def review_form(
    pupil: Pupil, values: dict[str, str], errors: FormErrors, *, action: str, back: str
) -> Template:
    """The form a parent, pupil or school asks for a review with: it posts to `action`."""
    return render_form(
        "families/review_form.html",
        values=values,
        errors=errors,
        pupil=pupil,
        action=action,
        back=back,
    )
