"""Demo data around real Lancashire towns, so every page has something real to show.

Everything is made up (names, schools, businesses) and derived from a fixed seed, so two demo
databases are the same. Phone numbers are in Ofcom's range kept for drama.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from demo.history import last_year_round
from employers.models import (
    Employer,
    EmployerCompliance,
    EmployerStatus,
    Placement,
    PlacementStatus,
    WorkMode,
)
from matching.models import ChoiceEntry, Preference
from placements.accounts.models import Role, User
from placements.accounts.passwords import hash_password
from placements.audit.services import record
from placements.clock import today
from placements.geo import haversine_km
from placements.settings import Settings
from programme.models import Round, Stage
from schools.models import Consent, Pupil, School

DEMO_PASSWORD = "placements-demo"  # noqa: S105 - demo accounts only, refused in production
COORDINATOR_EMAIL = "coordinator@demo.placements.test"


@dataclass(frozen=True)
class Town:
    name: str
    postcode: str
    lat: float
    lon: float


TOWNS = [
    Town("Preston", "PR1 2HE", 53.7632, -2.7031),
    Town("Blackburn", "BB1 7DH", 53.7486, -2.4875),
    Town("Burnley", "BB11 1JA", 53.7893, -2.2405),
    Town("Lancaster", "LA1 1PJ", 54.0466, -2.8007),
    Town("Chorley", "PR7 1DP", 53.6530, -2.6322),
    Town("Accrington", "BB5 1EU", 53.7534, -2.3638),
    Town("Morecambe", "LA4 4AQ", 54.0690, -2.8640),
    Town("Lytham St Annes", "FY8 1LW", 53.7506, -3.0307),
    Town("Skelmersdale", "WN8 6LH", 53.5500, -2.7760),
    Town("Ormskirk", "L39 2AT", 53.5665, -2.8869),
    Town("Leyland", "PR25 2LU", 53.6970, -2.6870),
    Town("Clitheroe", "BB7 2BX", 53.8711, -2.3916),
    Town("Nelson", "BB9 7SR", 53.8346, -2.2180),
    Town("Fleetwood", "FY7 6AT", 53.9167, -3.0357),
]

SCHOOL_NAMES = [
    "Riverside Academy",
    "St Wilfrid's High School",
    "Castle View School",
    "Moorland Community College",
    "Hillside High School",
    "Valley Academy",
    "Priory Park School",
    "Bay Community High School",
    "Old Mill Academy",
    "Beacon Hill School",
    "Canal Side College",
    "Pendle View High School",
]
EMPLOYER_WORDS = [
    ("Ribble", "Data"),
    ("Pendle", "Digital"),
    ("Bowland", "Software"),
    ("Lune", "Cyber"),
    ("Fylde", "Studio"),
    ("Red Rose", "Tech"),
    ("Mill", "Labs"),
    ("Calder", "Systems"),
    ("Hodder", "Design"),
    ("Wyre", "Cloud"),
]
EMPLOYER_SUFFIXES = ["Ltd", "Limited", "& Co", "Collective"]
PATHWAYS = ["software", "data", "cyber", "design", "digital marketing", "IT support"]
TITLES = {
    "software": ["Junior web developer", "App testing assistant", "Python programming taster"],
    "data": ["Data analysis assistant", "Spreadsheet and dashboard helper", "Data quality checker"],
    "cyber": ["Cyber security explorer", "Network security assistant", "Security awareness helper"],
    "design": ["UX design assistant", "Graphic design taster", "Accessibility tester"],
    "digital marketing": ["Social media assistant", "Content creator", "Search marketing helper"],
    "IT support": ["IT helpdesk assistant", "Device set-up technician", "Office IT support"],
}
FIRST_NAMES = [
    "Aisha",
    "Ben",
    "Chloe",
    "Daniel",
    "Ella",
    "Finley",
    "Grace",
    "Harry",
    "Isla",
    "Jack",
    "Kiera",
    "Leo",
    "Maya",
    "Noah",
    "Olivia",
    "Priya",
    "Quinn",
    "Ruby",
    "Sam",
    "Tyler",
    "Usman",
    "Victoria",
    "Will",
    "Yasmin",
    "Zain",
    "Amelia",
    "Callum",
    "Freya",
    "Hamza",
    "Lily",
    "Mohammed",
    "Niamh",
    "Oscar",
    "Poppy",
    "Riley",
]
LAST_NAMES = [
    "Ahmed",
    "Barker",
    "Clarke",
    "Dawson",
    "Evans",
    "Fletcher",
    "Green",
    "Hussain",
    "Iqbal",
    "Jones",
    "Kelly",
    "Lord",
    "Mistry",
    "Nolan",
    "Owen",
    "Patel",
    "Riley",
    "Shaw",
    "Taylor",
    "Walsh",
    "Whittaker",
    "Young",
    "Ashworth",
    "Bibi",
    "Cunliffe",
    "Duckworth",
    "Hargreaves",
    "Pilling",
    "Sutcliffe",
    "Holden",
]
RELATIONSHIPS = ["Mother", "Father", "Grandparent", "Carer", "Aunt", "Uncle"]


class DemoRefused(RuntimeError):
    pass


def _jitter(rng: random.Random, value: float, spread: float = 0.03) -> float:
    return round(value + rng.uniform(-spread, spread), 5)


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower().replace(" ", "-") if ch.isalnum() or ch == "-").strip("-")


def round_weeks(year: int) -> list[str]:
    return [f"{year}-W{week:02d}" for week in (25, 26, 27, 28)]


def _add_choices(
    db: AsyncSession, rng: random.Random, demo_round: Round, pupils: list[Pupil], placements: list[Placement]
) -> None:
    """Choices for most consenting pupils: mostly nearby placements, some popular ones, about a third
    open to other placements; the rest show as "no choices yet" to their school."""
    for pupil in pupils:
        if rng.random() < 0.08:
            continue
        fitting = [p for p in placements if pupil.year_group in p.year_groups]
        # Nearby first, with noise so that not every pupil of a school wants the same placement.
        fitting.sort(key=lambda p: haversine_km(pupil.lat, pupil.lon, p.lat, p.lon) * rng.uniform(0.5, 1.5))
        chosen = rng.sample(fitting[:12], k=min(len(fitting), rng.randint(2, demo_round.max_choices)))
        db.add(ChoiceEntry(round_id=demo_round.id, pupil_id=pupil.id, open_to_other=rng.random() < 0.35))
        db.add_all(
            Preference(round_id=demo_round.id, pupil_id=pupil.id, placement_id=p.id, rank=rank)
            for rank, p in enumerate(chosen, start=1)
        )


async def load_demo(
    db: AsyncSession, settings: Settings, *, pupil_count: int = 500, placement_count: int = 200
) -> list[tuple[str, str]]:
    """Fill an empty database; returns (email, role) of the demo accounts. Benchmarks ask for more pupils."""
    if settings.production:
        raise DemoRefused("demo data is refused in production mode")
    rng = random.Random(2027)
    password = hash_password(DEMO_PASSWORD)
    year = today().year + 1
    accounts: list[tuple[str, str]] = []

    coordinator = User(
        email=COORDINATOR_EMAIL, name="Dana Coordinator", role=Role.COORDINATOR, password_hash=password
    )
    db.add(coordinator)
    accounts.append((coordinator.email, "coordinator"))

    weeks = round_weeks(year)
    demo_round = Round(
        name=f"Summer placements {year}",
        programme_year=year,
        stage=Stage.PREFERENCES_OPEN,
        weeks=weeks,
        target=500,
        max_choices=5,
        preferences_open_on=today() - timedelta(days=7),
        preferences_close_on=today() + timedelta(days=28),
        publish_on=today() + timedelta(days=42),
        stage_dates={
            Stage.DRAFT.value: (today() - timedelta(days=60)).isoformat(),
            Stage.OPEN_FOR_PLACEMENTS.value: (today() - timedelta(days=45)).isoformat(),
            Stage.PREFERENCES_OPEN.value: (today() - timedelta(days=7)).isoformat(),
        },
    )
    db.add(demo_round)

    schools = []
    for number, name in enumerate(SCHOOL_NAMES):
        town = TOWNS[number % len(TOWNS)]
        school = School(
            urn=str(900100 + number),
            name=f"{town.name} {name}",
            postcode=town.postcode,
            town=town.name,
            lat=_jitter(rng, town.lat),
            lon=_jitter(rng, town.lon),
        )
        schools.append(school)
        db.add(school)
    await db.flush()
    for number, school in enumerate(schools):
        # The last school has no digital advisor yet, so the coordinator's school list shows one missing.
        advisor = number != len(schools) - 1
        staff = User(
            email=f"advisor@{_slug(school.name)}.demo.placements.test",
            name=f"{school.town} Advisor" if advisor else f"{school.town} Office",
            role=Role.SCHOOL_STAFF,
            school_id=school.id,
            password_hash=password,
            is_admin=True,
            is_digital_advisor=advisor,
            phone=f"01632 960{number:03d}" if advisor else None,
        )
        db.add(staff)
        accounts.append((staff.email, f"school staff, {school.name}"))

    employers = []
    for number in range(40):
        town = TOWNS[(number * 3) % len(TOWNS)]
        first, second = EMPLOYER_WORDS[number % len(EMPLOYER_WORDS)]
        name = f"{first} {second} {EMPLOYER_SUFFIXES[number // len(EMPLOYER_WORDS)]}"
        employer = Employer(
            name=name,
            postcode=town.postcode,
            town=town.name,
            address=f"{10 + number} Market Street, {town.name}",
            lat=_jitter(rng, town.lat, 0.01),
            lon=_jitter(rng, town.lon, 0.01),
            sector=rng.choice(PATHWAYS),
            size=rng.choice(["1-9", "10-49", "50-249"]),
            status=EmployerStatus.PENDING if number >= 37 else EmployerStatus.APPROVED,
        )
        employer.pathways = sorted({PATHWAYS[number % len(PATHWAYS)], PATHWAYS[(number + 1) % len(PATHWAYS)]})
        employers.append(employer)
        db.add(employer)
    await db.flush()
    db.add(last_year_round(year - 1, schools, employers))
    # Complete compliance records, except that the second employer's insurance expires within
    # 30 days (a warning) and the third's has lapsed (not eligible for matching).
    for number, employer in enumerate(employers):
        expires = today() + timedelta(days=200 + number * 5)
        if number == 1:
            expires = today() + timedelta(days=20)
        elif number == 2:
            expires = today() - timedelta(days=10)
        db.add(
            EmployerCompliance(
                employer_id=employer.id,
                insurer=["Lancashire Mutual", "Red Rose Insurance", "Northern Assurance"][number % 3],
                policy_number=f"ELI-{40000 + number * 37}",
                insurance_expires_on=expires,
                risk_assessment_on=today() - timedelta(days=30 + number * 3),
                safeguarding_lead_name=f"{FIRST_NAMES[number % 35]} {LAST_NAMES[number % 30]}",
                safeguarding_lead_email=f"safeguarding@{_slug(employer.name)}.demo.placements.test",
                supervisor_checks_done=True,
            )
        )
    for employer in employers:
        user = User(
            email=f"team@{_slug(employer.name)}.demo.placements.test",
            name=f"{employer.name} team",
            role=Role.EMPLOYER_USER,
            employer_id=employer.id,
            password_hash=password,
            is_admin=True,
        )
        db.add(user)
        accounts.append((user.email, f"employer, {employer.name}"))

    await db.flush()
    placements = []
    for number in range(placement_count):
        employer = employers[number % len(employers)]
        pathway = PATHWAYS[number % len(PATHWAYS)]
        mode = [WorkMode.ON_SITE, WorkMode.ON_SITE, WorkMode.HYBRID, WorkMode.REMOTE][number % 4]
        placements.append(
            Placement(
                employer_id=employer.id,
                round_id=demo_round.id,
                title=rng.choice(TITLES[pathway]),
                description=f"Spend a week with the {employer.name} team and help with real {pathway} work.",
                pathway=pathway,
                skills="Teamwork, problem solving, communication",
                work_mode=mode,
                address=employer.address,
                postcode=employer.postcode,
                town=employer.town,
                lat=employer.lat,
                lon=employer.lon,
                weeks=rng.sample(weeks, k=rng.randint(1, 2)),
                capacity=rng.randint(1, 4),
                year_groups=rng.choice([[10], [12], [10, 12]]),
                min_age=14,
                supervisor_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                status=PlacementStatus.PUBLISHED
                if employer.status == EmployerStatus.APPROVED
                else PlacementStatus.DRAFT,
            )
        )
    db.add_all(placements)

    pupils = []
    for number in range(pupil_count):
        school = schools[number % len(schools)]
        year_group = rng.choice([10, 10, 12])
        age = 15 if year_group == 10 else 17
        born = date(year - age, 9, 1) + timedelta(days=rng.randint(0, 364))
        pupils.append(
            Pupil(
                school_id=school.id,
                reference=f"P{number + 1:04d}",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                date_of_birth=born,
                year_group=year_group,
                home_postcode=school.postcode,
                lat=_jitter(rng, school.lat or 0),
                lon=_jitter(rng, school.lon or 0),
                max_travel_km=rng.choice([10.0, 15.0, 20.0, 25.0]),
                pupil_premium=rng.random() < 0.25,
                looked_after=rng.random() < 0.03,
                send=rng.random() < 0.12,
                access_needs="Needs step-free access" if rng.random() < 0.05 else None,
                emergency_contact_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                emergency_contact_relationship=rng.choice(RELATIONSHIPS),
                emergency_contact_phone=f"07700 900{rng.randint(0, 999):03d}",
                # One family in seven gave the school no email address: they get a letter with a code.
                parent_email=f"parent.p{number + 1:04d}@families.demo.placements.test"
                if number % 7
                else None,
            )
        )
    db.add_all(pupils)
    await db.flush()
    # Parental consent for about nine pupils in ten; the rest show as missing consent.
    consenting = []
    for pupil in pupils:
        if rng.random() < 0.9:
            consenting.append(pupil)
            db.add(
                Consent(
                    pupil_id=pupil.id,
                    given_by=f"{rng.choice(FIRST_NAMES)} {pupil.last_name}",
                    relationship=rng.choice(RELATIONSHIPS[:3]),
                    given_on=today() - timedelta(days=rng.randint(7, 60)),
                    text_version="2026-1",
                )
            )
    # An employer whose insurance has lapsed cannot be chosen (see the compliance records above).
    choosable = [
        p for p in placements if p.status is PlacementStatus.PUBLISHED and p.employer_id != employers[2].id
    ]
    _add_choices(db, rng, demo_round, consenting, choosable)
    await record(db, actor=None, action="demo_data_loaded", actor_label="command line")
    await db.flush()
    return accounts
