"""The compliance record: the pure eligibility rule, its SQL twin, the page, the API, the banner
and the daily insurance reminder (with a frozen clock)."""

from __future__ import annotations

from datetime import date

import time_machine
from sqlalchemy import select

from employers.compliance import eligible_clause, insurance_warning, matching_problems
from employers.models import Employer, EmployerCompliance, EmployerStatus
from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.jobs.schedule import start_daily_job
from placements.notifications.models import OutboxMessage
from tests.support import make_compliance, make_employer, make_user, run_queued_jobs

TODAY = date(2027, 3, 1)


def _record(**fields):
    values = {
        "insurer": "Lancashire Mutual",
        "policy_number": "P1",
        "insurance_expires_on": date(2027, 12, 31),
        "risk_assessment_on": date(2027, 1, 5),
        "safeguarding_lead_name": "Sam",
        "supervisor_checks_done": True,
    }
    return EmployerCompliance(**{**values, **fields})


def test_a_complete_current_record_of_an_approved_employer_is_eligible():
    employer = Employer(name="E", postcode="PR1 2HE", status=EmployerStatus.APPROVED)
    assert matching_problems(employer, _record(), TODAY) == []


def test_each_gap_is_named():
    approved = Employer(name="E", postcode="PR1 2HE", status=EmployerStatus.APPROVED)
    assert matching_problems(approved, None, TODAY) == [
        "Add the compliance record: insurance, risk assessment, safeguarding lead and supervisor checks"
    ]
    lapsed = matching_problems(approved, _record(insurance_expires_on=date(2027, 2, 28)), TODAY)
    assert lapsed == ["Employers' liability insurance expired on 28 February 2027"]
    # The expiry day itself is still covered.
    assert matching_problems(approved, _record(insurance_expires_on=TODAY), TODAY) == []
    gaps = matching_problems(
        approved,
        _record(
            insurer=None,
            policy_number="",
            risk_assessment_on=None,
            safeguarding_lead_name=None,
            supervisor_checks_done=False,
        ),
        TODAY,
    )
    assert gaps == [
        "Employers' liability insurance: the insurer is missing",
        "Employers' liability insurance: the policy number is missing",
        "The date of the health and safety risk assessment is missing",
        "The safeguarding lead is missing",
        "Supervisors of under-16s have not had the checks your policy requires",
    ]
    for status, message in [
        (EmployerStatus.PENDING, "A coordinator has not approved the organisation yet"),
        (EmployerStatus.REJECTED, "A coordinator rejected the organisation"),
        (EmployerStatus.SUSPENDED, "A coordinator suspended the organisation"),
    ]:
        employer = Employer(name="E", postcode="PR1 2HE", status=status)
        assert matching_problems(employer, _record(), TODAY) == [message]


def test_the_warning_starts_30_days_before_expiry_and_stops_when_it_lapses():
    assert insurance_warning(_record(insurance_expires_on=date(2027, 4, 1)), TODAY) is None  # 31 days
    assert "in 30 days, on 31 March 2027" in insurance_warning(
        _record(insurance_expires_on=date(2027, 3, 31)), TODAY
    )
    assert "today" in insurance_warning(_record(insurance_expires_on=TODAY), TODAY)
    assert insurance_warning(_record(insurance_expires_on=date(2027, 2, 28)), TODAY) is None
    assert insurance_warning(None, TODAY) is None


async def test_the_sql_rule_agrees_with_the_pure_function(db):
    cases = [
        ({}, {}),
        ({"status": EmployerStatus.PENDING}, {}),
        ({"status": EmployerStatus.SUSPENDED}, {}),
        ({}, {"insurance_expires_on": date(2027, 2, 28)}),
        ({}, {"insurance_expires_on": TODAY}),
        ({}, {"insurer": None}),
        ({}, {"policy_number": ""}),
        ({}, {"risk_assessment_on": None}),
        ({}, {"risk_assessment_on": date(2027, 6, 1)}),
        ({}, {"safeguarding_lead_name": None}),
        ({}, {"supervisor_checks_done": None}),
        ({}, {"supervisor_checks_done": False}),
        ({}, None),
    ]
    expected = {}
    for employer_fields, record_fields in cases:
        employer = await make_employer(db, **employer_fields)
        compliance = None
        if record_fields is not None:
            compliance = _record(employer_id=employer.id, **record_fields)
            db.add(compliance)
        await db.flush()
        expected[employer.id] = not matching_problems(employer, compliance, TODAY)
    eligible = set(
        await db.scalars(
            select(Employer.id)
            .outerjoin(EmployerCompliance, EmployerCompliance.employer_id == Employer.id)
            .where(eligible_clause(TODAY))
        )
    )
    assert eligible == {employer_id for employer_id, ok in expected.items() if ok}
    assert sum(expected.values()) == 2


async def test_an_employer_user_fills_in_the_compliance_record_on_the_page(client, db):
    user = await make_user(db, Role.EMPLOYER_USER)
    await client.sign_in(user)
    path = f"/employers/{user.employer_id}/compliance"
    assert (await client.page(path)).status_code == 200

    bad = await client.submit(
        path,
        {
            "insurer": "Lancashire Mutual",
            "insurance_expires_on-day": "31",
            "insurance_expires_on-month": "2",
            "insurance_expires_on-year": "2027",
            "safeguarding_lead_email": "nope",
        },
    )
    assert bad.status_code == 400
    assert "Enter a real date, like 27 3 2027" in bad.text
    assert "Enter an email address in the correct format" in bad.text
    assert 'value="Lancashire Mutual"' in bad.text
    await db.commit()
    assert await db.scalar(select(EmployerCompliance)) is None

    with time_machine.travel(date(2027, 3, 1), tick=False):
        await client.sign_in(user)  # sessions expire: sign in again at the travelled-to date
        partial = await client.submit(path, {"insurer": "Lancashire Mutual"})
        assert partial.status_code == 303
        page = await client.page(f"/employers/{user.employer_id}")
        assert "The safeguarding lead is missing" in page.text

        done = await client.submit(
            path,
            {
                "insurer": "Lancashire Mutual",
                "policy_number": "ELI-1",
                "insurance_expires_on-day": "20",
                "insurance_expires_on-month": "3",
                "insurance_expires_on-year": "2027",
                "risk_assessment_on-day": "5",
                "risk_assessment_on-month": "1",
                "risk_assessment_on-year": "2027",
                "safeguarding_lead_name": "Sam Safe",
                "supervisor_checks_done": "yes",
            },
        )
        assert done.status_code == 303
        page = await client.page(f"/employers/{user.employer_id}")
        # Approved (by the factory) and complete: eligible, but warned about the insurance.
        assert "is not eligible for matching" not in page.text
        assert "Your employers&#39; liability insurance expires in 19 days, on 20 March 2027" in page.text

    with time_machine.travel(date(2027, 3, 21), tick=False):
        await client.sign_in(user)
        page = await client.page(f"/employers/{user.employer_id}")
        assert "Employers&#39; liability insurance expired on 20 March 2027" in page.text
        assert "is not eligible for matching" in page.text
    await db.commit()
    assert await db.scalar(select(AuditEntry).where(AuditEntry.action == "compliance_record_saved"))


async def test_the_compliance_api(client, db):
    user = await make_user(db, Role.EMPLOYER_USER)
    await client.sign_in(user)
    path = f"/api/employers/{user.employer_id}/compliance"
    empty = await client.api("GET", path)
    assert empty.status_code == 200 and empty.json()["eligible_for_matching"] is False
    with time_machine.travel(date(2027, 3, 1), tick=False):
        await client.sign_in(user)
        saved = await client.api(
            "PUT",
            path,
            json={
                "insurer": "Lancashire Mutual",
                "policy_number": "ELI-1",
                "insurance_expires_on": "2027-03-10",
                "risk_assessment_on": "2027-01-05",
                "safeguarding_lead_name": "Sam Safe",
                "supervisor_checks_done": True,
            },
        )
        assert saved.status_code == 200, saved.text
        body = saved.json()
        assert body["problems"] == [] and body["eligible_for_matching"] is True
        assert "in 9 days" in body["insurance_warning"]
        employer = await client.api("GET", f"/api/employers/{user.employer_id}")
        assert employer.json()["eligible_for_matching"] is True


async def test_the_daily_job_warns_30_days_ahead_once_per_expiry_date(client, db):
    soon = await make_employer(db, name="Soon Ltd")
    await make_compliance(db, soon.id, insurance_expires_on=date(2027, 3, 25))
    later = await make_employer(db, name="Later Ltd")
    await make_compliance(db, later.id, insurance_expires_on=date(2027, 6, 1))
    lapsed = await make_employer(db, name="Lapsed Ltd")
    await make_compliance(db, lapsed.id, insurance_expires_on=date(2027, 2, 1))
    members = {
        e.name: await make_user(db, Role.EMPLOYER_USER, employer_id=e.id) for e in (soon, later, lapsed)
    }

    async def run_today() -> None:
        await start_daily_job(db, "insurance_expiry_reminders")
        await db.commit()
        await run_queued_jobs()

    with time_machine.travel(date(2027, 3, 1), tick=False):
        await run_today()
        await run_today()  # a second run the same day changes nothing
    with time_machine.travel(date(2027, 3, 2), tick=False):
        await run_today()  # nor does the next day's, for the same expiry date

    await db.commit()
    emails = list(await db.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("%insurance%"))))
    assert [e.to_address for e in emails] == [members["Soon Ltd"].email]
    assert "expires in 24 days, on 25 March 2027" in emails[0].body
    assert f"/employers/{soon.id}/compliance" in emails[0].body
