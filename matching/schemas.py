"""The JSON shapes of the matching round's API, and the conversions from the services' records.

Constraints here are the ones the server enforces, so the schema says what it accepts; checks that
need the database or the round (ISO weeks that exist, a policy the mode cannot apply) answer 409.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from litestar.openapi.spec import OpenAPIType, Schema
from msgspec import UNSET, Meta, Struct, UnsetType, structs

from employers.inputs import WEEK_PATTERN
from matching import compare, follow_up, rounds
from matching.errors import MatchingError
from matching.models import AdjustmentKind, MatchRun, Reply, Round, RunKind, RunStatus, Stage
from matching.policy import PRESETS, RunPolicy
from matching.preferences import Choice
from matching.queries import AdjustmentRow, ChoiceStatus, OutcomeRow, employer_details
from matching.retention import MAX_MONTHS, MIN_MONTHS, erase_after
from matching.rounds import NEXT, RoundData
from placements.clock import today
from placements.jobs.models import JobRecord

# At least one letter or digit, in a range Python and JSON Schema read alike (as in employers.schemas).
HAS_A_LETTER = r"[0-9A-Za-z\u00c0-\u1fff\u3040-\ufefe]"
# The presets give rank costs for this many choices, so no round may allow more.
MOST_CHOICES = min(len(costs) for _, costs in PRESETS.values())
MAX_REASON = 2000

Week = Annotated[str, Meta(pattern=WEEK_PATTERN)]
# Litestar leaves a list's item constraints out of the schema, so the weeks' pattern is stated for it.
Weeks = Annotated[
    list[Week],
    Meta(
        max_length=60,
        extra_json_schema={
            "description": "ISO weeks, like 2027-W25",
            "extra": {"items": Schema(type=OpenAPIType.STRING, pattern=WEEK_PATTERN)},
        },
    ),
]
RoundName = Annotated[str, Meta(min_length=1, max_length=100, pattern=HAS_A_LETTER)]
ProgrammeYear = Annotated[int, Meta(ge=2020, le=2100)]
Target = Annotated[int, Meta(ge=1, le=100_000)]
MaxChoices = Annotated[int, Meta(ge=1, le=MOST_CHOICES)]
RespondWithinDays = Annotated[int, Meta(ge=1, le=90)]
KeepPupilDataMonths = Annotated[
    int,
    Meta(
        ge=MIN_MONTHS,
        le=MAX_MONTHS,
        description=f"Whole months, from {MIN_MONTHS} to {MAX_MONTHS}, that the round's pupil data is kept "
        "once it closes; then it is erased and only the round's anonymous figures are kept",
    ),
]
Mode = Literal["optimal", "stable"]
Preset = Literal["fewest_poor", "most_first", "linear"]


def _week_problem(weeks: list[str]) -> str | None:
    wrong = [week for week in weeks if not rounds.is_iso_week(week)]
    return f"{wrong[0]} is not a week of its year" if wrong else None


# --- Rounds ---


class RoundIn(Struct, kw_only=True):
    name: RoundName
    programme_year: ProgrammeYear
    weeks: Weeks
    target: Target = 500
    max_choices: MaxChoices = 5
    respond_within_days: RespondWithinDays = 14
    keep_pupil_data_months: KeepPupilDataMonths = 12
    preferences_open_on: date | None = None
    preferences_close_on: date | None = None
    publish_on: date | None = None

    def data(self) -> RoundData:
        return RoundData(**{**structs.asdict(self), "weeks": sorted(set(self.weeks))})

    def week_problem(self) -> str | None:
        return _week_problem(self.weeks)


class RoundChangesIn(Struct, kw_only=True):
    """Only the fields given change; a date given as null is cleared."""

    name: RoundName | UnsetType = UNSET
    programme_year: ProgrammeYear | UnsetType = UNSET
    weeks: Weeks | UnsetType = UNSET
    target: Target | UnsetType = UNSET
    max_choices: MaxChoices | UnsetType = UNSET
    respond_within_days: RespondWithinDays | UnsetType = UNSET
    keep_pupil_data_months: KeepPupilDataMonths | UnsetType = UNSET
    preferences_open_on: date | UnsetType | None = UNSET
    preferences_close_on: date | UnsetType | None = UNSET
    publish_on: date | UnsetType | None = UNSET

    def applied_to(self, round_: Round) -> RoundIn:
        current = {name: getattr(round_, name) for name in RoundIn.__struct_fields__}
        given = {name: value for name, value in structs.asdict(self).items() if value is not UNSET}
        return RoundIn(**{**current, **given})


class AdvanceIn(Struct):
    to: Stage


class RoundOut(Struct):
    id: UUID
    name: str
    programme_year: int
    stage: Stage
    next_stage: Stage | None
    stage_dates: dict[str, str]
    weeks: list[str]
    target: int
    max_choices: int
    respond_within_days: int
    keep_pupil_data_months: int
    pupil_data_kept_until: Annotated[
        date | None, Meta(description="The day the pupil data is erased; null until the round closes")
    ]
    pupil_data_erased_on: date | None
    preferences_open_on: date | None
    preferences_close_on: date | None
    publish_on: date | None

    @classmethod
    def of(cls, round_: Round) -> RoundOut:
        return cls(
            id=round_.id,
            name=round_.name,
            programme_year=round_.programme_year,
            stage=round_.stage,
            next_stage=NEXT.get(round_.stage),
            stage_dates=dict(round_.stage_dates or {}),
            weeks=list(round_.weeks or []),
            target=round_.target,
            max_choices=round_.max_choices,
            respond_within_days=round_.respond_within_days,
            keep_pupil_data_months=round_.keep_pupil_data_months,
            pupil_data_kept_until=erase_after(round_),
            pupil_data_erased_on=round_.pupil_data_erased_on,
            preferences_open_on=round_.preferences_open_on,
            preferences_close_on=round_.preferences_close_on,
            publish_on=round_.publish_on,
        )


# --- Choices ---


class ChoiceStatusOut(Struct):
    pupil_id: UUID
    reference: str
    first_name: str
    last_name: str
    year_group: int
    choices: int
    entered: bool
    open_to_other: bool

    @classmethod
    def of(cls, status: ChoiceStatus) -> ChoiceStatusOut:
        pupil = status.pupil
        return cls(
            pupil_id=pupil.id,
            reference=pupil.reference,
            first_name=pupil.first_name,
            last_name=pupil.last_name,
            year_group=pupil.year_group,
            choices=status.choices,
            entered=status.entered,
            open_to_other=status.open_to_other,
        )


class PupilChoicesOut(Struct):
    round_id: UUID
    pupil_id: UUID
    placements: list[UUID]
    # Null while nothing is entered for the pupil: they take no part in the round's runs.
    open_to_other: bool | None
    closed_reason: str | None


class ChoicesIn(Struct, kw_only=True):
    placements: Annotated[
        list[UUID], Meta(max_length=MOST_CHOICES, description="Placement ids, first choice first")
    ]
    open_to_other: bool = False


class ChoiceOptionOut(Struct):
    id: UUID
    code: str
    title: str
    employer: str
    distance_km: float | None
    weeks: list[str]
    year_groups: list[int]
    capacity: int
    demand: int

    @classmethod
    def of(cls, choice: Choice) -> ChoiceOptionOut:
        placement = choice.placement
        return cls(
            id=placement.id,
            code=choice.code,
            title=placement.title,
            employer=choice.employer_name,
            distance_km=round(choice.distance_km, 1) if choice.distance_km is not None else None,
            weeks=list(placement.weeks or []),
            year_groups=list(placement.year_groups or []),
            capacity=placement.capacity,
            demand=choice.demand,
        )


class UploadProblemOut(Struct):
    row: int
    column: str
    message: str


class ChoiceUploadOut(Struct):
    rows: int
    saved: bool
    problems: list[UploadProblemOut]


# --- Runs ---


class RunPolicyIn(Struct, kw_only=True):
    mode: Mode = "optimal"
    preset: Preset = "fewest_poor"
    priority_weight: Annotated[int, Meta(ge=0, le=10)] = 1
    max_per_school: Annotated[int, Meta(ge=1, le=100)] | None = None
    max_travel_km: Annotated[float, Meta(ge=0.1, le=500)] | None = None
    seed: Annotated[int, Meta(ge=0, le=2**31 - 1)] = 0

    def policy(self) -> RunPolicy:
        try:
            return RunPolicy(**structs.asdict(self))
        except ValueError as exc:
            # Mode and preset are checked by the schema, so this is a limit the mode cannot apply.
            raise MatchingError(str(exc), field="max_per_school") from exc


class RunPolicyOut(Struct):
    mode: str
    preset: str
    priority_weight: int
    max_per_school: int | None
    max_travel_km: float | None
    seed: int
    description: str

    @classmethod
    def of(cls, stored: dict[str, object]) -> RunPolicyOut:
        policy = RunPolicy.from_dict(stored)
        return cls(**policy.as_dict(), description=policy.description)


class GroupRateOut(Struct):
    pupils: int
    assigned: int
    rate: float | None


class RunFiguresOut(Struct):
    """The run's headline figures; null until the run is done."""

    pupils: int | None
    assigned: int | None
    unassigned: int | None
    rank_counts: dict[str, int]
    priority_rate: float | None
    other_rate: float | None
    per_school: dict[str, GroupRateOut]
    blocking_pairs: int | None
    mean_travel_km: float | None
    objective: float | None

    @classmethod
    def of(cls, run: MatchRun) -> RunFiguresOut:
        figures = compare.figures(run)
        figures.pop("policy")
        per_school = {school: GroupRateOut(**group) for school, group in figures.pop("per_school").items()}
        return cls(**figures, per_school=per_school)


class RunOut(Struct):
    id: UUID
    round_id: UUID
    number: int
    kind: RunKind
    status: RunStatus
    progress: int
    progress_message: str | None
    error: str | None
    policy: RunPolicyOut
    seed: int
    instance_sha256: str | None
    result_sha256: str | None
    solver: str | None
    figures: RunFiguresOut
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    published_at: datetime | None

    @classmethod
    def of(cls, run: MatchRun, job: JobRecord | None) -> RunOut:
        finished = run.status not in (RunStatus.QUEUED, RunStatus.RUNNING)
        return cls(
            id=run.id,
            round_id=run.round_id,
            number=run.number,
            kind=run.kind,
            status=run.status,
            progress=100 if finished else (job.progress if job else 0),
            progress_message=None if finished or job is None else job.message,
            error=run.error,
            policy=RunPolicyOut.of(run.policy),
            seed=run.seed,
            instance_sha256=run.instance_sha256,
            result_sha256=run.result_sha256,
            solver=run.solver,
            figures=RunFiguresOut.of(run),
            created_at=run.created_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            published_at=run.published_at,
        )


class PublicationOut(Struct):
    run: RunOut
    outcomes: Annotated[int, Meta(description="How many pupils' outcomes the publication set")]


class PupilResultOut(Struct):
    placement_id: UUID | None
    rank: int | None
    explanation: str


class RunPupilOut(Struct):
    pupil_id: UUID
    name: str
    school: str
    placement_id: UUID | None
    rank: int | None
    explanation: str

    @classmethod
    def of(cls, line: compare.PupilLine) -> RunPupilOut:
        [result] = line.results
        assert result is not None
        return cls(
            pupil_id=line.pupil_id,
            name=line.name,
            school=line.school,
            placement_id=result.placement_id,
            rank=result.rank,
            explanation=result.explanation,
        )


class ComparedPupilOut(Struct):
    pupil_id: UUID
    name: str
    school: str
    # One per compared run, in the order asked; null where the pupil was not in that run.
    results: list[PupilResultOut | None]

    @classmethod
    def of(cls, line: compare.PupilLine) -> ComparedPupilOut:
        return cls(
            pupil_id=line.pupil_id,
            name=line.name,
            school=line.school,
            results=[
                PupilResultOut(r.placement_id, r.rank, r.explanation) if r is not None else None
                for r in line.results
            ],
        )


class ComparedRunOut(Struct):
    run_id: UUID
    number: int
    status: RunStatus
    policy: str
    figures: RunFiguresOut


class ComparisonOut(Struct):
    runs: list[ComparedRunOut]
    differing_pupils: list[ComparedPupilOut]
    total_differing: int
    limit: int
    offset: int


# --- Pins and forbids ---


class AdjustmentIn(Struct, kw_only=True):
    pupil: UUID
    placement: UUID
    kind: AdjustmentKind
    reason: Annotated[str, Meta(min_length=1, max_length=500, pattern=HAS_A_LETTER)]


class AdjustmentOut(Struct):
    id: UUID
    pupil_id: UUID
    pupil_name: str
    school_name: str
    placement_id: UUID
    placement_title: str
    employer_name: str
    kind: AdjustmentKind
    reason: str
    created_at: datetime

    @classmethod
    def of(cls, row: AdjustmentRow) -> AdjustmentOut:
        adjustment = row.adjustment
        return cls(
            id=adjustment.id,
            pupil_id=adjustment.pupil_id,
            pupil_name=row.pupil_name,
            school_name=row.school_name,
            placement_id=adjustment.placement_id,
            placement_title=row.placement_title,
            employer_name=row.employer_name,
            kind=adjustment.kind,
            reason=adjustment.reason,
            created_at=adjustment.created_at,
        )


# --- Outcomes and offers ---


class AnswerIn(Struct, kw_only=True):
    accept: bool
    reason: Annotated[str, Meta(max_length=MAX_REASON, description="Needed to decline")] | None = None


class WithdrawalIn(Struct):
    reason: Annotated[str, Meta(min_length=1, max_length=MAX_REASON, pattern=HAS_A_LETTER)]


class OutcomeOut(Struct):
    """A pupil's outcome. Employer users get only what hosting needs: the pupil's first name, school and
    year group; access needs once the school has accepted, and the emergency contact only during the
    placement's weeks. Their pupil_id, last_name, rank and explanation are null."""

    id: UUID
    round_id: UUID
    run_id: UUID
    current: bool
    status: str
    pupil_id: UUID | None
    first_name: str
    last_name: str | None
    school_name: str
    year_group: int
    placement_id: UUID | None
    placement_title: str | None
    employer_name: str | None
    rank: int | None
    explanation: str | None
    school_reply: Reply
    employer_reply: Reply
    respond_by: date | None
    withdrawn_by: str | None
    withdrawn_on: date | None
    reason: str | None
    access_needs: str | None
    emergency_contact: str | None

    @classmethod
    def of(cls, row: OutcomeRow, *, for_employer: bool, with_details: bool = False) -> OutcomeOut:
        outcome, pupil, placement = row.outcome, row.pupil, row.placement
        details = for_employer and with_details
        access_needs, contact = employer_details(row, today()) if details else (None, None)
        return cls(
            id=outcome.id,
            round_id=outcome.round_id,
            run_id=outcome.run_id,
            current=outcome.current,
            status=outcome.status,
            pupil_id=None if for_employer else pupil.id,
            first_name=pupil.first_name,
            last_name=None if for_employer else pupil.last_name,
            school_name=row.school_name,
            year_group=pupil.year_group,
            placement_id=outcome.placement_id,
            placement_title=placement.title if placement else None,
            employer_name=row.employer_name,
            rank=None if for_employer else outcome.rank,
            explanation=None if for_employer else outcome.explanation,
            school_reply=outcome.school_reply,
            employer_reply=outcome.employer_reply,
            respond_by=outcome.respond_by,
            withdrawn_by=outcome.withdrawn_by,
            withdrawn_on=outcome.withdrawn_on,
            reason=outcome.reason,
            access_needs=access_needs,
            emergency_contact=contact,
        )


# --- After the match ---

# Enough for the longest placement a round allows (60 weeks of five days), and no more.
MOST_PLACEMENT_DAYS = 300


class AttendanceDay(Struct, kw_only=True):
    day: date
    attended: Annotated[bool | None, Meta(description="Null: nothing recorded (in a change: clear the day)")]


class AttendanceIn(Struct):
    days: Annotated[
        list[AttendanceDay],
        Meta(
            min_length=1,
            max_length=MOST_PLACEMENT_DAYS,
            description="Days of the placement up to today, each once; days left out are unchanged",
        ),
    ]


class FeedbackIn(Struct, kw_only=True):
    feedback: Annotated[str, Meta(min_length=1, max_length=follow_up.MAX_TEXT, pattern=HAS_A_LETTER)]
    would_host_again: bool


Reflection = Annotated[str, Meta(max_length=follow_up.MAX_TEXT, description="The pupil's own words")]


class CompletionIn(Struct, kw_only=True):
    completed: bool
    reflection: Reflection | None = None


class HistoryEventOut(Struct):
    on: date
    what: str
    placement: str | None
    earlier: Annotated[bool, Meta(description="The step is of an earlier offer to the pupil in the round")]

    @classmethod
    def of(cls, event: follow_up.Event) -> HistoryEventOut:
        return cls(on=event.on, what=event.what, placement=event.placement, earlier=event.earlier)


class FollowUpOut(Struct):
    """What was recorded after the match, and the placement's history. The reflection is the pupil's:
    employer users get null for it."""

    outcome_id: UUID
    status: str
    closed_reason: Annotated[
        str | None, Meta(description="Why nothing can be recorded today; null when it can")
    ]
    days: Annotated[list[AttendanceDay], Meta(description="Every day of the placement")]
    attendance_summary: str | None
    employer_feedback: str | None
    would_host_again: bool | None
    feedback_on: date | None
    completed: bool | None
    completed_on: date | None
    reflection: str | None
    history: list[HistoryEventOut]

    @classmethod
    def of(
        cls,
        row: OutcomeRow,
        recorded: follow_up.Recorded,
        events: list[follow_up.Event],
        *,
        for_employer: bool,
    ) -> FollowUpOut:
        given = recorded.follow_up
        return cls(
            outcome_id=row.outcome.id,
            status=row.outcome.status,
            closed_reason=follow_up.refusal(row.outcome, row.placement),
            days=[AttendanceDay(day=day, attended=recorded.attendance.get(day)) for day in recorded.days],
            attendance_summary=recorded.attendance_summary,
            employer_feedback=given.employer_feedback if given else None,
            would_host_again=given.would_host_again if given else None,
            feedback_on=given.feedback_on if given else None,
            completed=given.completed if given else None,
            completed_on=given.completed_on if given else None,
            reflection=None if for_employer or given is None else given.reflection,
            history=[HistoryEventOut.of(event) for event in events],
        )
