"""What tests share: a client that signs in and sends CSRF tokens, factories, and running jobs."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from itertools import count
from typing import Any

import httpx
from httpx import Response
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from employers.models import Employer, EmployerStatus
from placements.accounts.models import Role, User
from placements.accounts.passwords import hash_password
from placements.jobs.queue import get_queue
from placements.settings import get_settings
from schools.models import School

PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)
_serial = count(1)
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


@asynccontextmanager
async def serving_client(app: Any) -> AsyncIterator[Client]:
    """A client of `app`, running in the test's own event loop (so jobs it starts in-process can be
    awaited here), with the app's lifespan around it; queued jobs are run before it stops."""
    started, stopping = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        # Entered and left in one task, as the app's lifespan (an anyio task group) requires.
        async with app.lifespan():
            started.set()
            await stopping.wait()

    running = asyncio.create_task(lifespan())
    ready = asyncio.create_task(started.wait())
    await asyncio.wait({running, ready}, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        ready.cancel()
        running.result()  # the app refused to start: say why
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
            yield Client(http)
            await run_queued_jobs()
    finally:
        stopping.set()
        await running


@contextmanager
def statements_sent(app: Any) -> Iterator[list[str]]:
    """The SQL the app sends to its database while the block runs, statement by statement."""
    sent: list[str] = []
    engine = app.state["placements.alchemy"].get_engine().sync_engine

    def listener(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", listener)


class Client:
    """The app's test client, plus the steps a person's browser would take."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    def __getattr__(self, name: str) -> Any:
        return getattr(self.http, name)

    async def csrf_token(self) -> str:
        if "csrftoken" not in self.http.cookies:
            await self.http.get("/health")
        return self.http.cookies["csrftoken"]

    async def page(self, path: str, **kwargs: Any) -> Response:
        return await self.http.get(path, headers={"accept": "text/html"}, **kwargs)

    async def submit(self, path: str, data: dict[str, Any], **kwargs: Any) -> Response:
        """Post a form as the page would, with its CSRF token."""
        token = await self.csrf_token()
        return await self.http.post(
            path, data={"_csrf_token": token, **data}, headers={"accept": "text/html"}, **kwargs
        )

    async def api(self, method: str, path: str, **kwargs: Any) -> Response:
        headers = {"x-csrftoken": await self.csrf_token(), **kwargs.pop("headers", {})}
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def sign_in(self, user_or_email: User | str, password: str = PASSWORD) -> Response:
        email = user_or_email.email if isinstance(user_or_email, User) else user_or_email
        response = await self.submit("/sign-in", {"email": email, "password": password})
        assert response.status_code in (200, 303, 400, 429), response.text
        return response


async def make_school(db: AsyncSession, **fields: Any) -> School:
    n = next(_serial)
    school = School(
        **{
            "urn": str(100000 + n),
            "name": f"Test School {n}",
            "postcode": "PR1 2HE",
            "town": "Preston",
            "lat": 53.76,
            "lon": -2.70,
            **fields,
        }
    )
    db.add(school)
    await db.flush()
    return school


async def make_employer(db: AsyncSession, **fields: Any) -> Employer:
    n = next(_serial)
    employer = Employer(
        **{
            "name": f"Test Employer {n}",
            "postcode": "BB1 7DH",
            "town": "Blackburn",
            "lat": 53.75,
            "lon": -2.49,
            "status": EmployerStatus.APPROVED,
            **fields,
        }
    )
    db.add(employer)
    await db.flush()
    return employer


async def make_user(
    db: AsyncSession, role: Role = Role.COORDINATOR, *, password: bool = True, **fields: Any
) -> User:
    n = next(_serial)
    if role is Role.SCHOOL_STAFF and "school_id" not in fields:
        fields["school_id"] = (await make_school(db)).id
    if role is Role.EMPLOYER_USER and "employer_id" not in fields:
        fields["employer_id"] = (await make_employer(db)).id
    user = User(
        **{
            "email": f"person{n}@example.org",
            "name": f"Person {n}",
            "role": role,
            "password_hash": _PASSWORD_HASH if password else None,
            **fields,
        }
    )
    db.add(user)
    await db.commit()
    return user


async def run_queued_jobs() -> None:
    """Run every job queued so far: in this process, or by a burst arq worker when Redis is used."""
    queue = get_queue()
    await queue.drain()
    if get_settings().redis_url:
        from arq.connections import create_pool
        from arq.worker import Worker

        from placements.jobs.worker import worker_settings

        settings = worker_settings(burst=True)
        redis = await create_pool(settings["redis_settings"])
        try:
            # Only jobs that are due: a burst worker waits for every queued job, and a job queued
            # under a clock a test moved forward would otherwise keep it waiting for that time.
            while due := await redis.zcount(settings["queue_name"], 0, int(time.time() * 1000)):
                worker = Worker(**settings, max_burst_jobs=due)
                try:
                    await worker.main()
                finally:
                    await worker.close()
        finally:
            await redis.aclose()


async def make_pupil(db: AsyncSession, school_id: Any, **fields: Any) -> Any:
    """A valid year-10 pupil of the school (born to fit the current school year)."""
    from datetime import date

    from placements.clock import today
    from schools.models import Pupil
    from schools.validation import academic_year_start

    n = next(_serial)
    start = academic_year_start(today())
    pupil = Pupil(
        **{
            "school_id": school_id,
            "reference": f"R{n:05d}",
            "first_name": f"Pupil{n}",
            "last_name": f"Surname{n}",
            "date_of_birth": date(start - 15, 1, 15),
            "year_group": 10,
            "home_postcode": "PR1 2HE",
            "lat": 53.76,
            "lon": -2.70,
            **fields,
        }
    )
    db.add(pupil)
    await db.commit()
    return pupil


async def make_consent(db: AsyncSession, pupil_id: Any, **fields: Any) -> Any:
    from datetime import date

    from schools.models import Consent

    consent = Consent(
        **{
            "pupil_id": pupil_id,
            "given_by": "A Parent",
            "relationship": "Mother",
            "given_on": date(2026, 9, 1),
            "text_version": "2026-1",
            **fields,
        }
    )
    db.add(consent)
    await db.commit()
    return consent


async def make_round(db: AsyncSession, **fields: Any) -> Any:
    """A matching round (the current one unless closed), with four placement weeks."""
    from programme.models import Round, Stage

    n = next(_serial)
    year = fields.pop("programme_year", 2027 + n % 1000)
    placement_round = Round(
        **{
            "name": f"Summer placements {year}",
            "programme_year": year,
            "stage": Stage.OPEN_FOR_PLACEMENTS,
            "weeks": [f"{year}-W{week}" for week in (25, 26, 27, 28)],
            **fields,
        }
    )
    db.add(placement_round)
    await db.commit()
    return placement_round


async def make_compliance(db: AsyncSession, employer_id: Any, **fields: Any) -> Any:
    """A complete compliance record, insured until the end of 2099 unless told otherwise."""
    from datetime import date

    from employers.models import EmployerCompliance

    compliance = EmployerCompliance(
        **{
            "employer_id": employer_id,
            "insurer": "Lancashire Mutual",
            "policy_number": "ELI-12345",
            "insurance_expires_on": date(2099, 12, 31),
            "risk_assessment_on": date(2026, 1, 10),
            "safeguarding_lead_name": "Sam Safe",
            "safeguarding_lead_email": "safe@example.org",
            "supervisor_checks_done": True,
            **fields,
        }
    )
    db.add(compliance)
    await db.commit()
    return compliance


async def make_placement(db: AsyncSession, employer_id: Any, round_id: Any, **fields: Any) -> Any:
    """A published on-site software placement in Preston, weeks 25 and 26 of the round's year."""
    from employers.models import Placement, PlacementStatus, WorkMode
    from programme.models import Round

    n = next(_serial)
    placement_round = await db.get(Round, round_id)
    weeks = list(placement_round.weeks[:2]) if placement_round else []
    placement = Placement(
        **{
            "employer_id": employer_id,
            "round_id": round_id,
            "title": f"Placement {n}",
            "description": "Help the team build and test a website.",
            "pathway": "software",
            "skills": "Python",
            "work_mode": WorkMode.ON_SITE,
            "address": "1 Fishergate",
            "postcode": "PR1 2HE",
            "town": "Preston",
            "lat": 53.76,
            "lon": -2.70,
            "weeks": weeks,
            "capacity": 2,
            "year_groups": [10, 12],
            "min_age": 14,
            "supervisor_name": "Sue Pervisor",
            "status": PlacementStatus.PUBLISHED,
            **fields,
        }
    )
    db.add(placement)
    await db.commit()
    return placement


@asynccontextmanager
async def second_browser(app: Any, address: str = "127.0.0.2") -> AsyncIterator[Client]:
    """Another browser (with its own cookies, from another address) on the app the `client` runs."""
    transport = httpx.ASGITransport(app=app, client=(address, 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
        yield Client(http)


def born(pupil: Any) -> dict[str, str]:
    """The date-of-birth fields a parent or pupil confirms, filled in for `pupil`."""
    day = pupil.date_of_birth
    return {"born-day": str(day.day), "born-month": str(day.month), "born-year": str(day.year)}


async def emailed_link(db: AsyncSession, email: str, path: str) -> str:
    """The path of the last link to /`path`/… emailed to `email`."""
    from sqlalchemy import select

    from placements.notifications.models import OutboxMessage

    await db.commit()
    messages = list(
        await db.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == email).order_by(OutboxMessage.created_at)
        )
    )
    assert messages, f"no email to {email}"
    match = re.search(rf"http://testserver\.local(/{path}/[\w-]+)", messages[-1].body)
    assert match, messages[-1].body
    return match.group(1)


def assert_refused(response: Any, says: str = "", *, field: str | None = None) -> None:
    """The API refused as problem details (placements.refusals): 422 naming `field` when a field is
    at fault, 409 when none is; `says` is part of what the person is told."""
    assert response.status_code == (422 if field else 409), response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert says in body["detail"], body
    if field:
        assert field in {problem["name"] for problem in body["invalid_params"]}, body
