"""The school's consent requests: where each pupil's consent stands, links emailed in bulk,
reminders, letters with codes for families without email, and one pupil's link."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from families import queries, services
from families.queries import ConsentStatus
from placements.accounts.guards import STAFF
from placements.accounts.models import User
from placements.db import DbSession
from placements.notifications.services import public_url
from placements.refusals import Refusal
from placements.web.acting import Acting
from placements.web.paging import Page, page_from_request
from schools.queries import get_pupil

# The bulk actions: (who they reach, what the confirmation page says, what the flash says).
BULK = {
    "send": (queries.TO_EMAIL, "Email consent links", "Consent links emailed to {n} parents"),
    "remind": (queries.TO_REMIND, "Send reminders", "Reminders emailed to {n} parents"),
}


def _status(raw: str | None) -> ConsentStatus | None:
    try:
        return ConsentStatus(raw or "")
    except ValueError:
        return None


def _letters(letters: list[Any]) -> Template:
    return Template(
        template_name="families/letters.html",
        context={"letters": letters, "address": public_url("/parents")},
    )


class ConsentRequestPages(Controller):
    path = "/consent-requests"
    include_in_schema = False
    opt = STAFF

    @get("/")
    async def overview(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        school_id = request.user.school_id
        paging = page_from_request(request)
        status = _status(request.query_params.get("status"))
        rows, total = await queries.consent_rows(
            db_session, school_id=school_id, status=status, limit=paging.limit, offset=paging.offset
        )
        return Template(
            template_name="families/requests.html",
            context={
                "rows": rows,
                "page": Page.of(paging, total, request),
                "status": status,
                "statuses": list(ConsentStatus),
                "overview": await queries.consent_overview(db_session, school_id=school_id),
            },
        )

    @get(["/send", "/remind", "/letters"])
    async def confirm_bulk(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        action = request.url.path.rsplit("/", 1)[-1]
        reached, title, _ = BULK.get(action) or (queries.TO_PRINT, "Print letters", "")
        count = await queries.count_waiting(db_session, school_id=request.user.school_id, reached=reached)
        return Template(
            template_name="families/confirm_bulk.html",
            context={"action": action, "title": title, "count": count},
        )

    @post("/letters")
    async def print_letters(self, acting: Acting, db_session: DbSession) -> Template:
        letters = await services.print_letters(
            db_session, school_id=acting.user.school_id, actor=acting.user, ip_address=acting.ip_address
        )
        return _letters(letters)

    @post(["/send", "/remind"])
    async def bulk(self, acting: Acting, request: Request[User, Any, Any], db_session: DbSession) -> Redirect:
        action = request.url.path.rsplit("/", 1)[-1]
        sending = services.email_links if action == "send" else services.send_reminders
        sent = await sending(
            db_session, school_id=acting.user.school_id, actor=acting.user, ip_address=acting.ip_address
        )
        flash(request, BULK[action][2].format(n=sent), category="success")
        return Redirect(path="/consent-requests", status_code=303)

    @get("/{pupil_id:uuid}")
    async def pupil_link(
        self, request: Request[User, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        pupil = await get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        return Template(
            template_name="families/pupil_link.html",
            context={"row": await queries.consent_row(db_session, pupil=pupil), "errors": {}},
        )

    @post("/{pupil_id:uuid}/email")
    async def email_link(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        pupil_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        pupil = await get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        try:
            await services.email_link(
                db_session, pupil=pupil, actor=acting.user, ip_address=acting.ip_address
            )
        except Refusal as exc:
            return await self._refused(db_session, pupil, exc)
        flash(request, f"Consent link emailed to {pupil.parent_email}", category="success")
        return Redirect(path=f"/consent-requests/{pupil.id}", status_code=303)

    @post("/{pupil_id:uuid}/letter")
    async def letter(self, acting: Acting, pupil_id: FromPath[UUID], db_session: DbSession) -> Template:
        pupil = await get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        letter = await services.print_letter(
            db_session, pupil=pupil, actor=acting.user, ip_address=acting.ip_address
        )
        return _letters([letter])

    @post("/{pupil_id:uuid}/revoke")
    async def revoke(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        pupil_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        pupil = await get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        try:
            await services.revoke_link(
                db_session, pupil=pupil, actor=acting.user, ip_address=acting.ip_address
            )
        except Refusal as exc:
            return await self._refused(db_session, pupil, exc)
        flash(request, "The link no longer works", category="success")
        return Redirect(path=f"/consent-requests/{pupil.id}", status_code=303)

    @staticmethod
    async def _refused(db: Any, pupil: Any, exc: Refusal) -> Template:
        return Template(
            template_name="families/pupil_link.html",
            context={
                "row": await queries.consent_row(db, pupil=pupil),
                "errors": {exc.field or "link": str(exc)},
            },
            status_code=400,
        )
