"""A round's Algorithmic Transparency Recording Standard record, with the facts a data protection
impact assessment needs, written from the round's stored runs and its report: what the allocation
uses, the rules it followed, how it treated pupils with priority, and how people reviewed it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from matching.models import MatchRun
from matching.policy import PRESETS, RunPolicy
from matching.reports.services import Scope, round_report

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from placements.settings import Settings
    from programme.models import Round

USED = (
    "each pupil's school, year group, ranked choices and whether they are open to other placements",
    "the location of the pupil's home postcode (or of their school, without one) and any travel limit",
    "whether the pupil has pupil premium, is looked after or has special educational needs: one "
    "'priority' flag, without saying which",
    "each placement's places, weeks, year groups, location and whether it is remote",
)
NOT_USED = (
    "names, dates of birth, postcodes and contact details (the solver receives random ids only)",
    "sex, ethnicity, religion, health or any other special category data",
)


def _percent(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "none"


async def transparency_record(db: AsyncSession, round_: Round, settings: Settings) -> str:
    """The record as Markdown."""
    report = await round_report(db, round_, Scope())
    runs = list(
        await db.scalars(select(MatchRun).where(MatchRun.round_id == round_.id).order_by(MatchRun.number))
    )
    published = [run for run in runs if run.published_at is not None]
    h = report.headline
    lines = [
        f"# Algorithmic transparency record: allocating work placements, {round_.name}",
        "",
        "## Tier 1: summary",
        "",
        f"- **Organisation:** {settings.organisation}",
        f"- **Contact:** {settings.contact_email}",
        f"- **Website:** {settings.base_url}/privacy",
        "- **What it does:** places pupils who applied in work placements offered by local digital "
        "businesses, one placement each at most, within each placement's places, giving as many "
        "pupils as possible one of their top choices.",
        f"- **Why:** {h.taking_part} pupils each ranked up to {round_.max_choices} placements; a fair, "
        "repeatable allocation across every school at once is not possible by hand.",
        "",
        "## Tier 2: detail",
        "",
        "### Owner and responsibility",
        "",
        f"{settings.organisation}'s programme coordinators run the round, choose its rules, check "
        "the results and publish them. Schools and employers then confirm each placement.",
        "",
        "### Decision-making process and human oversight",
        "",
        "A coordinator starts each run with stated rules and a seed, compares runs, may fix or "
        "forbid a pupil's placement by hand with a reason, and publishes one run, all of it or "
        "nothing. Every pupil and parent can read what the pupil got and why, in a letter, and "
        "can ask for a person to review it; a coordinator decides each review with a reason the "
        "family is told.",
        "",
    ]
    for caption, rows in report.sections:
        lines += [f"{caption}:", "", *(f"- {label}: {count}" for label, count in rows), ""]
    lines += [
        "### Tool specification",
        "",
        "An optimal assignment (a minimum-cost flow, solved exactly as a linear programme with "
        "HiGHS, its optimum certified) or pupil-proposing deferred acceptance (stable mode). The "
        "same instance and seed always give the same result; each run stores its exact input and "
        "output files with their SHA-256 hashes, and `placements verify RUN` re-solves one.",
        "",
        "| Run | Kind | Status | Rules | Solver | Input SHA-256 | Result SHA-256 | Published |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run.number} | {run.kind.label} | {run.status.label} | "
            f"{RunPolicy.from_dict(run.policy).description} | {run.solver or ''} | "
            f"{run.instance_sha256 or ''} | {run.result_sha256 or ''} | "
            f"{run.published_at.date().isoformat() if run.published_at else 'no'} |"
        )
    if not runs:
        lines.append("| none yet | | | | | | | |")
    lines += ["", "Rank costs of each rule set (a pupil's 1st, 2nd, … choice):", ""]
    lines += [f"- {text}: {costs}" for text, costs in PRESETS.values()]
    lines += [
        "",
        "### Data",
        "",
        "Used:",
        "",
        *(f"- {item}" for item in USED),
        "",
        "Not used:",
        "",
        *(f"- {item}" for item in NOT_USED),
        "",
        f"Pupils' data is erased {round_.keep_pupil_data_months} months after the round closes; "
        "only counts that identify nobody are kept.",
        "",
        "### Outcomes and equity",
        "",
        f"{h.taking_part} pupils took part; {h.placed} were placed ({_percent(h.placed, h.taking_part)}), "
        f"{h.unplaced} were not{'' if h.published else ' (not yet published)'}.",
        "",
        "| Pupils | Taking part | Placed | Placed rate | Mean choice got |",
        "|---|---|---|---|---|",
        *(
            f"| {g.name} | {g.taking_part} | {g.placed} | {_percent(g.placed, g.taking_part)} | "
            f"{'' if g.mean_rank is None else f'{g.mean_rank:.2f}'} |"
            for g in report.groups
        ),
        "",
        "Choice each placed pupil got:",
        "",
        *(f"- {label}: {count}" for label, count in report.ranks),
        "",
        "Pupils without a place, and why:",
        "",
        *(f"- {label}: {count}" for label, count in report.unplaced_reasons),
        "",
        "## Facts for the data protection impact assessment",
        "",
        "- **Purpose and lawful basis:** allocating work placements, a public task of the council; "
        "each pupil takes part with a parent's recorded consent.",
        "- **Data:** as under Data above; the solver is given no names or contact details.",
        "- **Automated decision:** yes, with human oversight and review as above (UK GDPR Article 22 "
        "safeguards: information in each outcome letter, a route to a person, a decision with reasons).",
        "- **Published run's rules:** "
        + (
            "; ".join(RunPolicy.from_dict(run.policy).description for run in published)
            or "none published yet"
        ),
        "- **Equity:** the table above compares pupils with priority with the others.",
        f"- **Retention:** {round_.keep_pupil_data_months} months after the round closes.",
        "",
    ]
    return "\n".join(lines)
