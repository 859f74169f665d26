"""What an employer sees of a matched pupil beyond the basics, and the audit entry when it does.

Written once for the pages and the API: the pupil's access needs, and what the parent agreed the
host may know, once the school has accepted; the emergency contact during the placement's weeks
(queries.employer_details); each viewing of any of them is recorded as "match_viewed".
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from matching.offers.queries import OutcomeRow, employer_details
from placements.clock import today
from placements.web.acting import Acting
from schools.queries import current_consent


@dataclass(frozen=True)
class EmployerDetails:
    access_needs: str | None = None
    emergency_contact: str | None = None
    shared_by_parent: str | None = None


NONE = EmployerDetails()


async def details_for_employer(db: AsyncSession, row: OutcomeRow, acting: Acting) -> EmployerDetails:
    access_needs, contact = employer_details(row, today())
    if access_needs is not None or contact is not None:
        await acting.audit(
            db,
            "match_viewed",
            record_type="outcome",
            record_id=row.outcome.id,
            emergency_contact=contact is not None,
        )
    if access_needs is None:
        return EmployerDetails(access_needs, contact)
    consent = await current_consent(db, pupil=row.pupil)
    shared = consent and "; ".join(
        f"{what}: {text}"
        for what, text in (
            ("Medical", consent.shared_medical),
            ("Access", consent.shared_access),
            ("Dietary", consent.shared_dietary),
        )
        if text
    )
    return EmployerDetails(access_needs, contact, shared or None)
