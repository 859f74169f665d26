"""The school's consent requests in the JSON API: where each pupil's consent stands, links emailed
(one or in bulk), letters' codes and revoking a link."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from msgspec import Struct

from families import queries, services
from families.queries import ConsentRow, ConsentStatus
from placements.accounts.guards import STAFF
from placements.accounts.models import User
from placements.db import DbSession
from placements.web.acting import Acting
from placements.web.errors import API_ERRORS, API_LOOKUP_ERRORS, WRITE_ERRORS
from placements.web.paging import Limit, Offset
from schools.queries import get_pupil


class ConsentRequestOut(Struct):
    pupil_id: UUID
    reference: str
    first_name: str
    last_name: str
    status: ConsentStatus
    has_parent_email: bool
    # The pupil's live link: "email" or "letter", when it was made, until when it works; null for none.
    link_kind: str | None
    link_created_at: datetime | None
    link_expires_at: datetime | None


class LinkIssuedOut(Struct):
    pupil_id: UUID
    kind: str
    expires_at: datetime
    # A letter's code, shown this once (only its hash is kept); null for an emailed link.
    code: str | None = None


class SentOut(Struct):
    sent: int


def _row_out(row: ConsentRow) -> ConsentRequestOut:
    return ConsentRequestOut(
        pupil_id=row.pupil.id,
        reference=row.pupil.reference,
        first_name=row.pupil.first_name,
        last_name=row.pupil.last_name,
        status=row.status,
        has_parent_email=row.pupil.parent_email is not None,
        link_kind=row.link.kind if row.link else None,
        link_created_at=row.link.created_at if row.link else None,
        link_expires_at=row.link.expires_at if row.link else None,
    )


class ConsentRequestsApi(Controller):
    path = "/api/consent-requests"
    tags = ["Parents' consent"]
    opt = STAFF

    @get(
        "/",
        operation_id="listConsentRequests",
        summary="Where each of your school's pupils' consent stands",
        raises=API_ERRORS,
    )
    async def list_requests(
        self,
        request: Request[User, Any, Any],
        db_session: DbSession,
        status: FromQuery[ConsentStatus | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> OffsetPagination[ConsentRequestOut]:
        rows, total = await queries.consent_rows(
            db_session, school_id=request.user.school_id, status=status, limit=limit, offset=offset
        )
        return OffsetPagination(items=[_row_out(r) for r in rows], limit=limit, offset=offset, total=total)

    @get(
        "/{pupil_id:uuid}",
        operation_id="getConsentRequest",
        summary="One pupil's consent and link",
        raises=API_LOOKUP_ERRORS,
    )
    async def one(
        self, request: Request[User, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> ConsentRequestOut:
        pupil = await get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        return _row_out(await queries.consent_row(db_session, pupil=pupil))

    @post(
        "/{pupil_id:uuid}/link",
        operation_id="issueParentLink",
        summary="A new link for the pupil's parent, emailed or as a letter's code (returned once)",
        description="The pupil's earlier link stops working.",
        raises=WRITE_ERRORS,
    )
    async def issue(
        self,
        acting: Acting,
        pupil_id: FromPath[UUID],
        db_session: DbSession,
        kind: FromQuery[Literal["email", "letter"]] = "email",
    ) -> LinkIssuedOut:
        pupil = await get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        if kind == "email":
            link = await services.email_link(
                db_session, pupil=pupil, actor=acting.user, ip_address=acting.ip_address
            )
            return LinkIssuedOut(pupil_id=pupil.id, kind=link.kind, expires_at=link.expires_at)
        _, link, code = await services.print_letter(
            db_session, pupil=pupil, actor=acting.user, ip_address=acting.ip_address
        )
        return LinkIssuedOut(pupil_id=pupil.id, kind=link.kind, expires_at=link.expires_at, code=code)

    @post(
        "/{pupil_id:uuid}/revoke",
        operation_id="revokeParentLink",
        summary="Stop the pupil's parent's link working",
        raises=WRITE_ERRORS,
        status_code=204,
    )
    async def revoke(self, acting: Acting, pupil_id: FromPath[UUID], db_session: DbSession) -> None:
        pupil = await get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        await services.revoke_link(db_session, pupil=pupil, actor=acting.user, ip_address=acting.ip_address)

    @post(
        "/send",
        operation_id="emailParentLinks",
        summary="Email a link to every parent with an email address not yet asked",
        description="With reminders=true: a new link to every parent who has not answered yet.",
        raises=WRITE_ERRORS,
    )
    async def send(
        self, acting: Acting, db_session: DbSession, reminders: FromQuery[bool] = False
    ) -> SentOut:
        sending = services.send_reminders if reminders else services.email_links
        return SentOut(
            sent=await sending(
                db_session, school_id=acting.user.school_id, actor=acting.user, ip_address=acting.ip_address
            )
        )
