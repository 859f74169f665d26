"""Whether an employer may be matched with pupils: pure functions, no database, no clock.

`matching_problems` is the one rule. The matching round calls it, the employer's page shows its
answer as a banner, and the coordinators' review queue lists it as "what is missing".
`eligible_clause` says the same in SQL, for lists that must filter before paging.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, true

from employers.models import Employer, EmployerCompliance, EmployerStatus

WARN_DAYS = 30


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def compliance_problems(compliance: EmployerCompliance | None, today: date) -> list[str]:
    """What is missing from, or wrong with, a compliance record; empty when it is complete and current."""
    if compliance is None:
        return [
            "Add the compliance record: insurance, risk assessment, safeguarding lead and supervisor checks"
        ]
    problems = []
    if not compliance.insurer:
        problems.append("Employers' liability insurance: the insurer is missing")
    if not compliance.policy_number:
        problems.append("Employers' liability insurance: the policy number is missing")
    if compliance.insurance_expires_on is None:
        problems.append("Employers' liability insurance: the expiry date is missing")
    elif compliance.insurance_expires_on < today:
        problems.append(
            f"Employers' liability insurance expired on {long_date(compliance.insurance_expires_on)}"
        )
    if compliance.risk_assessment_on is None:
        problems.append("The date of the health and safety risk assessment is missing")
    elif compliance.risk_assessment_on > today:
        problems.append("The health and safety risk assessment date is in the future")
    if not compliance.safeguarding_lead_name:
        problems.append("The safeguarding lead is missing")
    if compliance.supervisor_checks_done is None:
        problems.append("Say whether supervisors of under-16s have had the checks your policy requires")
    elif not compliance.supervisor_checks_done:
        problems.append("Supervisors of under-16s have not had the checks your policy requires")
    return problems


def matching_problems(employer: Employer, compliance: EmployerCompliance | None, today: date) -> list[str]:
    """Why the employer cannot be matched with pupils today; an empty list means it is eligible."""
    problems = []
    if employer.status is EmployerStatus.PENDING:
        problems.append("A coordinator has not approved the organisation yet")
    elif employer.status is EmployerStatus.REJECTED:
        problems.append("A coordinator rejected the organisation")
    elif employer.status is EmployerStatus.SUSPENDED:
        problems.append("A coordinator suspended the organisation")
    return problems + compliance_problems(compliance, today)


def insurance_warning(compliance: EmployerCompliance | None, today: date) -> str | None:
    """A warning when the insurance expires within WARN_DAYS days (not once it has lapsed)."""
    if compliance is None or compliance.insurance_expires_on is None:
        return None
    expires = compliance.insurance_expires_on
    if today <= expires <= today + timedelta(days=WARN_DAYS):
        days = (expires - today).days
        when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
        return (
            f"Your employers' liability insurance expires {when}, on {long_date(expires)}. "
            "Update the compliance record with the renewed policy, or your placements stop being matched."
        )
    return None


@lru_cache(maxsize=4)  # built once a day, not for every list of placements a school opens
def eligible_clause(today: date) -> Any:
    """SQL for `matching_problems(...) == []`, on Employer joined to EmployerCompliance."""
    c = EmployerCompliance
    return and_(
        Employer.status == EmployerStatus.APPROVED,
        c.id.is_not(None),
        c.insurer.is_not(None),
        c.insurer != "",
        c.policy_number.is_not(None),
        c.policy_number != "",
        c.insurance_expires_on >= today,
        c.risk_assessment_on <= today,
        c.safeguarding_lead_name.is_not(None),
        c.safeguarding_lead_name != "",
        c.supervisor_checks_done == true(),
    )
