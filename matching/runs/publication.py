"""Publishing a run: every outcome it decides is written in one transaction, or none is.

The first publication of a round decides every pupil in it; a reallocation publishes only what
changed (a pupil newly offered a place), keeping every offer that still holds its place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from employers.models import Employer, EmployerCompliance, Placement
from employers.queries import visible_to_schools
from matching.errors import MatchingError
from matching.models import MatchRun, Outcome, RunKind, RunStatus
from matching.rounds.services import enter_stage, locked_round
from matching.runs.services import PupilResult, pupil_results
from placements.accounts.models import User
from placements.audit.services import record
from placements.clock import now, today
from placements.notifications.services import addresses_of, public_url, queue_email
from programme.models import Round, Stage
from schools.models import Pupil
from schools.queries import has_current_consent

PUBLISH_STAGE = {RunKind.MAIN: Stage.MATCHED, RunKind.REALLOCATION: Stage.REALLOCATION}


async def _changes(
    db: AsyncSession, run: MatchRun, results: dict[UUID, PupilResult]
) -> dict[UUID, PupilResult]:
    """The pupils whose outcome this run would change (every pupil for a first publication)."""
    if run.kind is RunKind.MAIN:
        return results
    current = {
        o.pupil_id: o
        for o in await db.scalars(
            select(Outcome).where(Outcome.round_id == run.round_id, Outcome.current.is_(True))
        )
    }
    changes = {}
    for pupil_id, result in results.items():
        before = current.get(pupil_id)
        if result.placement_id is None:
            if before is None:
                changes[pupil_id] = result
        elif before is None or not before.holds_place or before.placement_id != result.placement_id:
            changes[pupil_id] = result
    return changes


async def _check_still_true(db: AsyncSession, changes: dict[UUID, PupilResult]) -> None:
    """Refuse when pupils or placements changed since the run in a way that makes it wrong to publish."""
    pupil_ids = list(changes)
    consenting = set(await db.scalars(select(Pupil.id).where(Pupil.id.in_(pupil_ids), has_current_consent())))
    gone = len(pupil_ids) - len(consenting)
    if gone:
        raise MatchingError(
            f"{gone} pupil{'s' if gone > 1 else ''} of this run no longer "
            f"{'have' if gone > 1 else 'has'} a parent's consent or a record: start a new run"
        )
    placement_ids = {r.placement_id for r in changes.values() if r.placement_id is not None}
    open_ids = set(
        await db.scalars(
            select(Placement.id)
            .join(Employer, Employer.id == Placement.employer_id)
            .outerjoin(EmployerCompliance, EmployerCompliance.employer_id == Employer.id)
            .where(Placement.id.in_(placement_ids), *visible_to_schools(today()))
        )
    )
    closed = len(placement_ids - open_ids)
    if closed:
        raise MatchingError(
            f"{closed} placement{'s' if closed > 1 else ''} of this run can no longer take pupils "
            "(withdrawn, or the employer is not approved or insured): start a new run"
        )


async def outcomes_to_publish(db: AsyncSession, run: MatchRun) -> dict[UUID, PupilResult]:
    """The pupils whose outcome publishing `run` now would set, for its confirmation page."""
    return await _changes(db, run, await pupil_results(db, run))


async def changes_nothing(db: AsyncSession, run: MatchRun) -> bool:
    """Whether `run` is a finished reallocation run that would change no published outcome (so there is
    nothing to publish): every pupil it places already holds that offer."""
    return (
        run.kind is RunKind.REALLOCATION
        and run.status is RunStatus.DONE
        and run.published_at is None
        and not await outcomes_to_publish(db, run)
    )


# What other parts of the service do once outcomes are published, in the same transaction: each
# hook gets the round and the pupils whose outcome changed (the families domain tells parents).
PublicationHook = Callable[[AsyncSession, Round, list[UUID]], Awaitable[None]]
PUBLICATION_HOOKS: list[PublicationHook] = []


def on_publication(hook: PublicationHook) -> PublicationHook:
    PUBLICATION_HOOKS.append(hook)
    return hook


async def publish_run(db: AsyncSession, *, run: MatchRun, actor: User, ip_address: str | None) -> int:
    """Publish `run`; returns how many pupils' outcomes it set."""
    round_ = await locked_round(db, run.round_id)
    if run.status is not RunStatus.DONE:
        raise MatchingError("Only a finished run can be published")
    if run.published_at is not None:
        raise MatchingError("This run is already published")
    if round_.stage is not PUBLISH_STAGE[run.kind]:
        needed = PUBLISH_STAGE[run.kind].label.lower()
        raise MatchingError(
            f"A {run.kind.label.lower()} run can be published only while the round is {needed}"
        )
    changes = await outcomes_to_publish(db, run)
    if not changes:
        raise MatchingError("This run changes nothing that is published")
    await _check_still_true(db, changes)
    earlier = {
        o.pupil_id: o
        for o in await db.scalars(
            select(Outcome).where(
                Outcome.round_id == round_.id, Outcome.current.is_(True), Outcome.pupil_id.in_(list(changes))
            )
        )
    }
    respond_by = today() + timedelta(days=round_.respond_within_days)
    for pupil_id, result in changes.items():
        if pupil_id in earlier:
            earlier[pupil_id].current = False
        db.add(
            Outcome(
                round_id=round_.id,
                run_id=run.id,
                pupil_id=pupil_id,
                placement_id=result.placement_id,
                rank=result.rank,
                explanation=result.explanation,
                respond_by=respond_by if result.placement_id else None,
            )
        )
    run.published_at = now()
    if run.kind is RunKind.MAIN:
        enter_stage(round_, Stage.PUBLISHED)
    await db.flush()
    await _tell_schools_and_employers(db, changes, round_.name)
    for hook in PUBLICATION_HOOKS:
        await hook(db, round_, list(changes))
    placed = sum(1 for r in changes.values() if r.placement_id)
    await record(
        db,
        actor=actor,
        action="run_published",
        record_type="round",
        record_id=round_.id,
        ip_address=ip_address,
        run=run.number,
        kind=run.kind.value,
        outcomes=len(changes),
        placed=placed,
        result_sha256=run.result_sha256,
    )
    return len(changes)


async def _tell_schools_and_employers(
    db: AsyncSession, changes: dict[UUID, PupilResult], round_name: str
) -> None:
    """One email per school and per employer with counts and a link: no pupil's details leave the service."""
    school_of = dict(
        (await db.execute(select(Pupil.id, Pupil.school_id).where(Pupil.id.in_(list(changes))))).all()
    )
    schools = Counter(school_of[p] for p in changes)
    for school_id, count in sorted(schools.items(), key=lambda item: str(item[0])):
        for address in await addresses_of(db, User.school_id == school_id):
            await queue_email(
                db,
                to=address,
                subject=f"{round_name}: matching results for your pupils",
                body=(
                    f"Hello,\n\nResults are published for {count} of your school's pupils. See each pupil's "
                    "outcome, and accept or decline offers on their behalf, at:\n\n"
                    f"{public_url('/outcomes')}\n"
                ),
            )
    employer_of = dict(
        (
            await db.execute(
                select(Placement.id, Placement.employer_id).where(
                    Placement.id.in_([r.placement_id for r in changes.values() if r.placement_id])
                )
            )
        ).all()
    )
    employers = Counter(employer_of[r.placement_id] for r in changes.values() if r.placement_id)
    for employer_id, count in sorted(employers.items(), key=lambda item: str(item[0])):
        for address in await addresses_of(db, User.employer_id == employer_id):
            await queue_email(
                db,
                to=address,
                subject=f"{round_name}: {count} pupil{'s' if count > 1 else ''} matched to your placements",
                body="Hello,\n\nPlease confirm or decline each match in time at:\n\n"
                f"{public_url('/matches')}\n",
            )
