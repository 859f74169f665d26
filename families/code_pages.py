"""The school's pupils' sign-in codes: codes for a class list, a new code or none for one pupil, and
locking a pupil's choices once the advisor has checked them (/choices shows and changes them)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy import func, select

from families import pupil_services, queries
from matching.choices.services import closed_reason
from placements.accounts.guards import STAFF
from placements.accounts.models import User
from placements.db import DbSession
from placements.notifications.services import public_url
from placements.refusals import Refusal
from placements.web.acting import Acting
from placements.web.paging import Page, page_from_request
from programme.queries import current_round
from schools.queries import get_pupil


def _back() -> Redirect:
    return Redirect(path="/pupil-codes", status_code=303)


def _class_list(codes: list[tuple[Any, str]]) -> Template:
    return Template(
        template_name="families/class_list.html",
        context={"codes": codes, "address": public_url("/pupil/sign-in")},
    )


class PupilCodePages(Controller):
    path = "/pupil-codes"
    include_in_schema = False
    opt = STAFF

    @get("/")
    async def overview(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        round_ = await current_round(db_session)
        paging = page_from_request(request)
        rows, total = await queries.code_rows(
            db_session,
            school_id=request.user.school_id,
            round_id=round_.id if round_ else None,
            limit=paging.limit,
            offset=paging.offset,
        )
        return Template(
            template_name="families/codes.html",
            context={
                "rows": rows,
                "page": Page.of(paging, total, request),
                "round": round_,
                "closed": closed_reason(round_),
                "without_code": await self._count_without_code(db_session, request.user),
            },
        )

    @staticmethod
    async def _count_without_code(db: Any, user: User) -> int:
        waiting = pupil_services.without_code(user.school_id).subquery()
        return await db.scalar(select(func.count()).select_from(waiting)) or 0

    @get(["/issue", "/lock-all"])
    async def confirm(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        action = request.url.path.rsplit("/", 1)[-1]
        return Template(
            template_name="families/codes_confirm.html",
            context={
                "action": action,
                "without_code": await self._count_without_code(db_session, request.user),
            },
        )

    @post("/issue")
    async def issue_all(
        self, acting: Acting, request: Request[User, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        try:
            codes = await pupil_services.issue_codes(
                db_session,
                school_id=acting.user.school_id,
                round_=await current_round(db_session),
                actor=acting.user,
                ip_address=acting.ip_address,
            )
        except Refusal as exc:
            return self._refused(request, exc)
        return _class_list(codes)

    @post("/lock-all")
    async def lock_all(
        self, acting: Acting, request: Request[User, Any, Any], db_session: DbSession
    ) -> Redirect:
        try:
            locked = await pupil_services.lock_all(
                db_session,
                school_id=acting.user.school_id,
                round_=await current_round(db_session),
                actor=acting.user,
                ip_address=acting.ip_address,
            )
        except Refusal as exc:
            return self._refused(request, exc)
        flash(request, f"Choices locked for {locked} pupils", category="success")
        return _back()

    @post("/{pupil_id:uuid}/{action:str}")
    async def one(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        pupil_id: FromPath[UUID],
        action: FromPath[str],
        db_session: DbSession,
    ) -> Template | Redirect:
        if action not in ("new", "revoke", "lock", "unlock"):
            raise NotFoundException("No such action")
        pupil = await get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        round_ = await current_round(db_session)
        who = {"pupil": pupil, "actor": acting.user, "ip_address": acting.ip_address}
        try:
            if action == "new":
                return _class_list(
                    [(pupil, await pupil_services.issue_code(db_session, round_=round_, **who))]
                )
            if action == "revoke":
                await pupil_services.revoke_code(db_session, **who)
                flash(request, f"{pupil.first_name}'s code no longer works", category="success")
            else:
                await pupil_services.set_lock(db_session, round_=round_, lock=action == "lock", **who)
                flash(request, f"{pupil.first_name}'s choices are {action}ed", category="success")
        except Refusal as exc:
            return self._refused(request, exc)
        return _back()

    @staticmethod
    def _refused(request: Request[User, Any, Any], exc: Refusal) -> Redirect:
        # A redirect commits the request's transaction: each of these services refuses before it writes.
        flash(request, str(exc), category="error")
        return _back()
