"""How placements are named to people where many are listed together (employers post several placements
under one title, so a title alone does not say which one is meant), and in the solver's explanations,
which name placements by id."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from employers.models import Employer, Placement
from matching.choices.services import placement_code
from matching.runs.services import PupilResult
from placements.web.templating import week_commencing

UUID_TEXT = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
GONE = "a placement no longer listed"


def placement_label(placement: Placement, employer_name: str) -> str:
    """ "Employer — Title, w/c 21 June 2027, Preston": who, what, when and where."""
    parts = [f"{employer_name} — {placement.title}"]
    if placement.weeks:
        parts.append(" and ".join(week_commencing(week) for week in sorted(placement.weeks)))
    if placement.town:
        parts.append(placement.town)
    return ", ".join(parts)


async def placement_labels(db: AsyncSession, where: ColumnElement[bool]) -> dict[UUID, str]:
    """The placements `where` selects, each with a label of its own, in the order of their labels.

    Two placements alike in all four get their code (the one schools type) added to tell them apart."""
    rows = (
        await db.execute(
            select(Placement, Employer.name).join(Employer, Employer.id == Placement.employer_id).where(where)
        )
    ).all()
    labels = {placement.id: placement_label(placement, employer) for placement, employer in rows}
    seen = Counter(labels.values())
    unique = {
        pid: label if seen[label] == 1 else f"{label} (code {placement_code(pid)})"
        for pid, label in labels.items()
    }
    return dict(sorted(unique.items(), key=lambda item: (item[1], str(item[0]))))


async def labels_of(db: AsyncSession, ids: Iterable[UUID]) -> dict[UUID, str]:
    wanted = set(ids)
    return await placement_labels(db, Placement.id.in_(wanted)) if wanted else {}


async def readable(db: AsyncSession, explanations: Iterable[str]) -> dict[str, str]:
    """Each explanation with the placements it names by id named by their labels instead."""
    texts = set(explanations)
    names = await labels_of(db, {UUID(found) for text in texts for found in UUID_TEXT.findall(text)})
    return {text: UUID_TEXT.sub(lambda found: names.get(UUID(found.group()), GONE), text) for text in texts}


@dataclass(frozen=True)
class ResultNames:
    """What a page of run results shows for its ids: placements' labels and readable explanations."""

    placements: dict[UUID, str]
    explanations: dict[str, str]


async def result_names(db: AsyncSession, results: Iterable[PupilResult | None]) -> ResultNames:
    shown = [result for result in results if result is not None]
    return ResultNames(
        await labels_of(db, {result.placement_id for result in shown if result.placement_id}),
        await readable(db, (result.explanation for result in shown)),
    )
