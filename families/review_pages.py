"""The coordinator's queue of review requests: read the request beside the outcome and its reason,
then decide with a reason the family reads."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from families import reviews
from families.models import ReviewRequest
from families.outcomes import review_form, why
from matching.models import Outcome
from placements.accounts.guards import COORDINATOR, STAFF
from placements.db import DbSession
from placements.refusals import Refusal
from placements.web.acting import Acting
from placements.web.counting import page_of
from placements.web.forms import FormErrors, form_values, render_form
from placements.web.paging import Page, page_from_request
from programme.models import Round
from programme.queries import current_round
from schools.models import Pupil, School
from schools.queries import get_pupil


async def _review(db: AsyncSession, review_id: UUID) -> dict[str, Any]:
    review = await db.get(ReviewRequest, review_id)
    if review is None:
        raise NotFoundException("No review request with this id")
    pupil = await db.get_one(Pupil, review.pupil_id)
    outcome = await db.get(Outcome, review.outcome_id) if review.outcome_id else None
    return {
        "review": review,
        "pupil": pupil,
        "school": await db.get_one(School, pupil.school_id),
        "round": await db.get_one(Round, review.round_id),
        "outcome": outcome,
        "why": why(outcome) if outcome else None,
        "decisions": list(reviews.DECISIONS.items()),
    }


class ReviewPages(Controller):
    path = "/reviews"
    include_in_schema = False
    opt = COORDINATOR

    @get("/")
    async def queue(self, request: Request[Any, Any, Any], db_session: DbSession) -> Template:
        paging = page_from_request(request)
        decided = request.query_params.get("show") == "decided"
        query = (
            select(ReviewRequest, Pupil, School.name)
            .join(Pupil, Pupil.id == ReviewRequest.pupil_id)
            .join(School, School.id == Pupil.school_id)
            .where(ReviewRequest.decision.is_not(None) if decided else ReviewRequest.decision.is_(None))
        )
        order = [ReviewRequest.requested_at, ReviewRequest.id]
        rows, total = await page_of(
            db_session, query, order_by=order, limit=paging.limit, offset=paging.offset
        )
        return Template(
            template_name="families/reviews.html",
            context={"rows": rows, "page": Page.of(paging, total, request), "decided": decided},
        )

    @get("/{review_id:uuid}")
    async def show(self, acting: Acting, review_id: FromPath[UUID], db_session: DbSession) -> Template:
        context = await _review(db_session, review_id)
        await acting.audit(db_session, "review_viewed", record_type="pupil", record_id=context["pupil"].id)
        return render_form("families/review.html", values={}, errors=FormErrors(), **context)

    @post("/{review_id:uuid}")
    async def decide(
        self,
        acting: Acting,
        request: Request[Any, Any, Any],
        review_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        context = await _review(db_session, review_id)
        values = await form_values(request)
        try:
            await reviews.decide(
                db_session,
                review=context["review"],
                decision=values.get("decision", ""),
                reason=values.get("decision_reason", ""),
                actor=acting.user,
                ip_address=acting.ip_address,
            )
        except Refusal as exc:
            errors = FormErrors()
            errors.add(exc.field or "decision", str(exc))
            return render_form("families/review.html", values=values, errors=errors, **context)
        flash(request, "Decision recorded: the family and the school are told", category="success")
        return Redirect(path="/reviews", status_code=303)


class SchoolReviewPages(Controller):
    """School staff ask for a review on a family's behalf (a parent without the link, say)."""

    path = "/review-requests"
    include_in_schema = False
    opt = STAFF

    @get("/{pupil_id:uuid}")
    async def form(
        self, request: Request[Any, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        pupil = await get_pupil(db_session, user=request.user, pupil_id=pupil_id)
        return review_form(pupil, {}, FormErrors(), action=f"/review-requests/{pupil.id}", back="/outcomes")

    @post("/{pupil_id:uuid}")
    async def ask(
        self, acting: Acting, request: Request[Any, Any, Any], pupil_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        pupil = await get_pupil(db_session, user=acting.user, pupil_id=pupil_id)
        values = await form_values(request)
        try:
            await reviews.request_review(
                db_session,
                round_=await current_round(db_session),
                pupil=pupil,
                reason=values.get("reason", ""),
                requested_by="school",
                label=acting.user.email,
                actor=acting.user,
                ip_address=acting.ip_address,
            )
        except Refusal as exc:
            errors = FormErrors()
            errors.add(exc.field or "reason", str(exc))
            return review_form(pupil, values, errors, action=f"/review-requests/{pupil.id}", back="/outcomes")
        flash(request, "Review asked for: a programme coordinator will decide it", category="success")
        return Redirect(path="/outcomes", status_code=303)
