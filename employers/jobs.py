"""Daily: warn employers 30 days before their employers' liability insurance expires, and tell
coordinators how many organisations signed up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select

from employers.compliance import WARN_DAYS, insurance_warning
from employers.models import Employer, EmployerCompliance, EmployerStatus
from employers.services import coordinator_addresses, employer_addresses, employer_link
from placements.audit.models import AuditEntry
from placements.audit.services import record
from placements.clock import now, today
from placements.jobs.registry import JobContext
from placements.jobs.schedule import daily
from placements.notifications.services import public_url, queue_email


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


@daily("sign_up_digest", hour=7)
async def sign_up_digest(ctx: JobContext) -> None:
    """One email a day to each coordinator when organisations signed up since the day before, instead
    of one per sign-up: signing up can't be used to flood the programme team. It names no one (the
    names are the sign-ups' own text) and runs safely twice: the audit entry marks the day as told."""
    day = today().isoformat()
    async with ctx.sessionmaker() as db:
        if await db.scalar(
            select(AuditEntry.id).where(
                AuditEntry.action == "sign_up_digest_sent", AuditEntry.record_id == day
            )
        ):
            return
        since = now() - timedelta(days=1)
        count = (
            await db.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "employer_signed_up", AuditEntry.at > since)
            )
            or 0
        )
        if not count:
            return
        waiting = public_url("/employers?status=pending")
        for address in await coordinator_addresses(db):
            await queue_email(
                db,
                to=address,
                subject="Organisations waiting for review on Placements",
                body=f"Hello,\n\nOrganisations that signed up to Placements in the last day: {count}. "
                f"They wait for review:\n\n{waiting}\n",
            )
        await record(
            db, actor=None, action="sign_up_digest_sent", record_type="day", record_id=day, count=count
        )
        await db.commit()
