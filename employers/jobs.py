"""Daily: warn employers 30 days before their employers' liability insurance expires."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select

from employers.compliance import WARN_DAYS, insurance_warning
from employers.models import Employer, EmployerCompliance, EmployerStatus
from employers.services import employer_addresses, employer_link
from placements.audit.services import record
from placements.clock import today
from placements.jobs.registry import JobContext
from placements.jobs.schedule import daily
from placements.notifications.services import queue_email


@daily("insurance_expiry_reminders", hour=6)
async def insurance_expiry_reminders(ctx: JobContext) -> None:
    """One email per organisation and expiry date: safe to run twice, and after a missed day."""
    day = today()
    async with ctx.sessionmaker() as db:
        rows = await db.execute(
            select(EmployerCompliance, Employer)
            .join(Employer, Employer.id == EmployerCompliance.employer_id)
            .where(
                Employer.status.in_([EmployerStatus.APPROVED, EmployerStatus.PENDING]),
                EmployerCompliance.insurance_expires_on.between(day, day + timedelta(days=WARN_DAYS)),
                or_(
                    EmployerCompliance.insurance_reminder_for.is_(None),
                    EmployerCompliance.insurance_reminder_for != EmployerCompliance.insurance_expires_on,
                ),
            )
            .order_by(Employer.name)
        )
        for compliance, employer in rows.all():
            warning = insurance_warning(compliance, day)
            if warning is None:
                continue
            for address in await employer_addresses(db, employer.id):
                await queue_email(
                    db,
                    to=address,
                    subject=f"{employer.name}: employers' liability insurance expires soon",
                    body=f"Hello,\n\n{warning}\n\n{employer_link(employer)}/compliance\n",
                )
            compliance.insurance_reminder_for = compliance.insurance_expires_on
            await record(
                db,
                actor=None,
                action="insurance_reminder_sent",
                record_type="employer",
                record_id=employer.id,
                expires_on=compliance.insurance_expires_on.isoformat()
                if compliance.insurance_expires_on
                else None,
            )
        await db.commit()
