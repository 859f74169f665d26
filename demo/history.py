"""Last year's round for the demo: closed, its pupil data already erased, only its anonymous figures
kept (as the retention job leaves a round), so the reports can compare one year with the next."""

from __future__ import annotations

import random
from datetime import timedelta

from employers.inputs import PATHWAYS
from employers.models import Employer
from matching.reports.services import (
    FAR,
    TRAVEL_BANDS,
    UNLISTED,
    Fill,
    FollowUpFigures,
    Group,
    Headline,
    RoundReport,
    SchoolFigures,
)
from placements.clock import today
from programme.models import Round, Stage
from schools.models import School


def last_year_round(year: int, schools: list[School], employers: list[Employer]) -> Round:
    """A closed round of `year` whose figures are a plausible programme a little short of its target."""
    rng = random.Random(year)
    school_rows = []
    for school in schools:
        registered = rng.randint(25, 45)
        consenting = registered - rng.randint(0, 4)
        entered = consenting - rng.randint(0, 3)
        placed = entered - rng.randint(0, 4)
        agreed = placed - rng.randint(0, 3)
        school_rows.append(SchoolFigures(school.name, registered, consenting, entered, placed, agreed, True))
    taking_part = sum(s.with_choices for s in school_rows)
    placed = sum(s.placed for s in school_rows)
    agreed = sum(s.agreed for s in school_rows)
    ranks = [round(placed * share) for share in (0.52, 0.21, 0.12, 0.06, 0.04)]
    ranks.append(placed - sum(ranks))
    unplaced = taking_part - placed
    full = unplaced // 2
    priority = Group("Priority pupils", taking_part // 3, placed // 3 - 2, 0, 0)
    priority.ranked, priority.rank_total = priority.placed, round(priority.placed * 1.8)
    others = Group("Other pupils", taking_part - priority.taking_part, placed - priority.placed, 0, 0)
    others.ranked, others.rank_total = others.placed, round(others.placed * 1.9)
    placements_per_employer = [Fill(e.name, rng.randint(8, 14)) for e in employers[:36]]
    left = placed
    for fill in placements_per_employer:
        fill.offered = min(fill.places, left)
        fill.agreed = max(0, fill.offered - rng.randint(0, 1))
        left -= fill.offered
    pathways = [Fill(label) for _, label in PATHWAYS]
    for number, fill in enumerate(placements_per_employer):
        total = pathways[number % len(pathways)]
        total.places, total.offered, total.agreed = (
            total.places + fill.places,
            total.offered + fill.offered,
            total.agreed + fill.agreed,
        )
    shares = (0.34, 0.3, 0.24, 0.1)
    travel = [(label, round(placed * share)) for (_, label), share in zip(TRAVEL_BANDS, shares, strict=True)]
    travel.append((FAR, placed - sum(n for _, n in travel)))
    report = RoundReport(
        round_name=f"Summer placements {year}",
        programme_year=year,
        headline=Headline(500, taking_part, placed, agreed, unplaced, True),
        ranks=[*[(f"Choice {r}", n) for r, n in enumerate(ranks[:5], start=1)], (UNLISTED, ranks[5])],
        unplaced_reasons=[
            ("Every eligible choice was full", full),
            ("No eligible choice: too far", unplaced - full - 6),
            ("Declined by the school", 6),
        ],
        employers=placements_per_employer,
        pathways=pathways,
        schools=school_rows,
        groups=[priority, others],
        travel=travel,
        mean_travel_km=9.4,
        follow_up=FollowUpFigures(
            agreed=agreed,
            completed=agreed - 9,
            not_completed=9,
            feedback=agreed - 40,
            would_host_again=agreed - 70,
            days_recorded=agreed * 5,
            days_attended=agreed * 5 - 61,
        ),
    )
    closed = today() - timedelta(days=120)
    return Round(
        name=report.round_name,
        programme_year=year,
        stage=Stage.CLOSED,
        weeks=[f"{year}-W{week:02d}" for week in (25, 26, 27, 28)],
        target=500,
        keep_pupil_data_months=3,
        # Closed four months ago, erased a month ago: each stage some weeks before the next.
        stage_dates={
            stage.value: (closed - timedelta(days=days)).isoformat()
            for stage, days in zip(Stage, (310, 300, 200, 160, 150, 143, 115, 0), strict=True)
        },
        pupil_data_erased_on=closed + timedelta(days=90),
        aggregates=report.snapshot(),
    )
