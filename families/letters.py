"""The outcome letter (a page and a PDF to keep or print) and the certificate of completion (a PDF),
for the pupil, their parent and their school: each reads the same words about the one child."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from families.outcomes import outcome_context
from placements.accounts.guards import STAFF_OR_COORDINATOR
from placements.db import DbSession
from placements.web.acting import Acting
from placements.web.documents import pdf_document
from programme.models import Round
from programme.queries import current_round
from schools.models import School
from schools.queries import get_pupil

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from schools.models import Pupil


def _published(context: dict[str, Any]) -> dict[str, Any]:
    if context.get("result") is None:
        raise NotFoundException("There is no published outcome to write a letter about yet")
    return context


async def school_context(db: AsyncSession, pupil: Pupil, round_id: UUID | None) -> dict[str, Any]:
    """What the letter and certificate need when the school prints them for a family: of the round
    asked for (an earlier year's, from its outcome page), else the current one."""
    round_ = await db.get(Round, round_id) if round_id else await current_round(db)
    return {
        "pupil": pupil,
        "school": await db.get_one(School, pupil.school_id),
        "round": round_,
        **await outcome_context(db, round_, pupil, home=""),
    }


def letter_page(context: dict[str, Any], *, back: str) -> Template:
    context = _published(context)
    return Template(
        template_name="families/letter.html",
        context={**context, "pdf_href": f"{context['home']}/letter.pdf", "back_href": back},
    )


async def letter_pdf(request: Request[Any, Any, Any], context: dict[str, Any]) -> Response[Any]:
    context = _published(context)
    filename = f"placement-outcome-{context['round'].programme_year}.pdf"
    return await pdf_document(request, "families/letter_document.html", context, filename)


async def certificate_pdf(request: Request[Any, Any, Any], context: dict[str, Any]) -> Response[Any]:
    if not _published(context)["result"].completed:
        raise NotFoundException("The school has not recorded this placement as completed")
    filename = f"placement-certificate-{context['round'].programme_year}.pdf"
    return await pdf_document(request, "families/certificate.html", context, filename)


class LetterPages(Controller):
    """A school prints the letter (and later the certificate) for a family without email; a
    coordinator can for any pupil. Each print is audited."""

    path = "/letters"
    include_in_schema = False
    opt = STAFF_OR_COORDINATOR

    async def _context(
        self, acting: Acting, db: AsyncSession, pupil_id: UUID, round_id: UUID | None, what: str
    ) -> dict[str, Any]:
        pupil = await get_pupil(db, user=acting.user, pupil_id=pupil_id)
        await acting.audit(
            db, "family_document_printed", record_type="pupil", record_id=pupil.id, document=what
        )
        return await school_context(db, pupil, round_id)

    @get("/{pupil_id:uuid}/outcome.pdf")
    async def letter(
        self,
        acting: Acting,
        request: Request[Any, Any, Any],
        pupil_id: FromPath[UUID],
        db_session: DbSession,
        round_id: Annotated[UUID | None, QueryParameter(name="round")] = None,
    ) -> Response[Any]:
        context = await self._context(acting, db_session, pupil_id, round_id, "outcome letter")
        return await letter_pdf(request, context)

    @get("/{pupil_id:uuid}/certificate.pdf")
    async def certificate(
        self,
        acting: Acting,
        request: Request[Any, Any, Any],
        pupil_id: FromPath[UUID],
        db_session: DbSession,
        round_id: Annotated[UUID | None, QueryParameter(name="round")] = None,
    ) -> Response[Any]:
        context = await self._context(acting, db_session, pupil_id, round_id, "certificate")
        return await certificate_pdf(request, context)
