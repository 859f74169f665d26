"""The parent's pages: open the link, confirm the child's date of birth, then give, refuse or
withdraw consent. Phone-first, nobody signed in; nothing about the child shows before the date
of birth is confirmed, and every view and answer is audited."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from families import keys, letters, reviews, services
from families.consent_text import PARAGRAPHS, VERSION
from families.detours import DETOURS, Detour
from families.keys import KeyUnusable
from families.models import ParentLink
from families.outcomes import outcome_context, review_form
from families.services import ParentAnswer
from placements.accounts.guards import PUBLIC
from placements.accounts.limits import TooMany
from placements.db import DbSession
from placements.refusals import Refusal
from placements.web.acting import Acting
from placements.web.forms import FormErrors, form_values, render_form
from programme.queries import current_round
from schools.models import Pupil, School
from schools.queries import current_consent
from schools.services import PARENT
from schools.validation import PHONE, RELATIONSHIPS

CONFIRMED = "parent_links"  # the session's list of links whose child's date of birth was confirmed
REMEMBERED = 5
SHARED = ("shared_medical", "shared_access", "shared_dietary")
# What each unusable link tells the parent; the status says the same to a program.
UNUSABLE = {
    "unknown": ("We cannot find this link", 404),
    "replaced": ("This link has been replaced", 410),
    "locked": ("This link is locked", 410),
    "expired": ("This link has expired", 410),
}


def _unusable(reason: str) -> Template:
    title, status = UNUSABLE[reason]
    return Template(
        template_name="families/link_unusable.html",
        context={"title": title, "reason": reason},
        status_code=status,
    )


def _confirmed(request: Request[Any, Any, Any], link: ParentLink) -> bool:
    return str(link.id) in request.session.get(CONFIRMED, [])


class ParentPages(Controller):
    path = "/parents"
    include_in_schema = False
    opt = PUBLIC
    exception_handlers = DETOURS  # type: ignore[assignment]

    @get("/")
    async def code_form(self) -> Template:
        return render_form("families/code.html", values={}, errors=FormErrors())

    @post("/")
    async def enter_code(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        values = await form_values(request)
        code = keys.normalise_code(values.get("code", ""))
        if not keys.is_code(code):
            errors = FormErrors()
            errors.add("code", "Enter the 10-character code from your letter, like ABCD-EFGH-JK")
            return render_form("families/code.html", values=values, errors=errors)
        return Redirect(path=f"/parents/{code}", status_code=303)

    async def _link(self, acting: Acting, db: AsyncSession, secret: str) -> ParentLink:
        """The link, or a Detour to the page saying why it can't be used (a guess counts: committed)."""
        try:
            return await services.find_link(db, secret, ip_address=acting.ip_address)
        except KeyUnusable as exc:
            await db.commit()
            raise Detour(_unusable(exc.reason)) from exc
        except TooMany as exc:
            raise Detour(
                Template(
                    template_name="families/link_unusable.html",
                    context={"title": "Too many attempts", "reason": "too_many", "detail": exc.detail},
                    status_code=429,
                    headers=exc.headers,
                )
            ) from exc

    @get("/{secret:str}")
    async def birth_date_form(
        self, acting: Acting, request: Request[Any, Any, Any], secret: FromPath[str], db_session: DbSession
    ) -> Template | Redirect:
        link = await self._link(acting, db_session, secret)
        if _confirmed(request, link):
            return Redirect(path=f"/parents/{secret}/consent", status_code=303)
        return render_form("families/birth_date.html", values={}, errors=FormErrors(), secret=secret)

    @post("/{secret:str}")
    async def confirm_birth_date(
        self, acting: Acting, request: Request[Any, Any, Any], secret: FromPath[str], db_session: DbSession
    ) -> Template | Redirect:
        link = await self._link(acting, db_session, secret)
        values = await form_values(request)
        errors = FormErrors()
        born = errors.date(values, "born", missing="Enter your child's date of birth")
        if born is None:
            return render_form("families/birth_date.html", values=values, errors=errors, secret=secret)
        if not await services.confirm_birth_date(
            db_session, link=link, born=born, ip_address=acting.ip_address
        ):
            await db_session.commit()  # the wrong answer counts although the page refuses it
            if link.locked_at is not None:
                return _unusable("locked")
            left = keys.tries_left(link)
            errors.add(
                "born", f"This is not the date of birth the school has. You can try {left} more times."
            )
            return render_form("families/birth_date.html", values=values, errors=errors, secret=secret)
        remembered = [str(link.id), *request.session.get(CONFIRMED, [])]
        request.set_session({**request.session, CONFIRMED: remembered[:REMEMBERED]})
        return Redirect(path=f"/parents/{secret}/consent", status_code=303)

    async def _page(
        self, acting: Acting, request: Request[Any, Any, Any], db: AsyncSession, secret: str
    ) -> tuple[ParentLink, Pupil, dict[str, Any]]:
        """The link once its child's date of birth is confirmed in this browser, with what every
        page about the child shows; otherwise a Detour to confirm it first."""
        link = await self._link(acting, db, secret)
        if not _confirmed(request, link):
            raise Detour(Redirect(path=f"/parents/{secret}", status_code=303))
        if request.method == "GET":  # every page a parent sees is audited; answers audit themselves
            await services.audit(db, link, "parent_page_viewed", acting.ip_address, path=request.url.path)
        pupil = await db.get_one(Pupil, link.pupil_id)
        round_ = await current_round(db)
        context = {
            "secret": secret,
            "link": link,
            "pupil": pupil,
            "school": await db.get_one(School, pupil.school_id),
            "round": round_,
            **await outcome_context(db, round_, pupil, home=f"/parents/{secret}"),
            "consent": await current_consent(db, pupil=pupil),
            "paragraphs": PARAGRAPHS,
            "version": VERSION,
            "relationships": [(name, name) for name in RELATIONSHIPS],
        }
        return link, pupil, context

    @get("/{secret:str}/consent")
    async def consent_page(
        self, acting: Acting, request: Request[Any, Any, Any], secret: FromPath[str], db_session: DbSession
    ) -> Template | Redirect:
        _, _, context = await self._page(acting, request, db_session, secret)
        return render_form("families/consent.html", values={}, errors=FormErrors(), **context)

    @post("/{secret:str}/consent")
    async def give_or_refuse(
        self, acting: Acting, request: Request[Any, Any, Any], secret: FromPath[str], db_session: DbSession
    ) -> Template | Redirect:
        link, _, context = await self._page(acting, request, db_session, secret)
        values = await form_values(request)
        errors = FormErrors()
        data = _answer(values, errors)
        if data is not None:
            try:
                await services.answer(db_session, link=link, data=data, ip_address=acting.ip_address)
            except Refusal as exc:
                errors.add(exc.field or "decision", str(exc))
        if errors:
            return render_form("families/consent.html", values=values, errors=errors, **context)
        return Redirect(path=f"/parents/{secret}/consent", status_code=303)

    @get("/{secret:str}/withdraw")
    async def withdraw_form(
        self, acting: Acting, request: Request[Any, Any, Any], secret: FromPath[str], db_session: DbSession
    ) -> Template | Redirect:
        _, _, context = await self._page(acting, request, db_session, secret)
        return render_form("families/withdraw.html", values={}, errors=FormErrors(), **context)

    @post("/{secret:str}/withdraw")
    async def withdraw(
        self, acting: Acting, request: Request[Any, Any, Any], secret: FromPath[str], db_session: DbSession
    ) -> Template | Redirect:
        link, _, context = await self._page(acting, request, db_session, secret)
        try:
            await services.withdraw(db_session, link=link, ip_address=acting.ip_address)
        except Refusal as exc:
            errors = FormErrors()
            errors.add("withdraw", str(exc))
            return render_form("families/withdraw.html", values={}, errors=errors, **context)
        return Redirect(path=f"/parents/{secret}/consent", status_code=303)

    @get("/{secret:str}/review")
    async def review_form(
        self, acting: Acting, request: Request[Any, Any, Any], secret: FromPath[str], db_session: DbSession
    ) -> Template | Redirect:
        _, pupil, _ = await self._page(acting, request, db_session, secret)
        return review_form(
            pupil, {}, FormErrors(), action=f"/parents/{secret}/review", back=f"/parents/{secret}/consent"
        )

    @post("/{secret:str}/review")
    async def ask_for_review(
        self, acting: Acting, request: Request[Any, Any, Any], secret: FromPath[str], db_session: DbSession
    ) -> Template | Redirect:
        _, pupil, context = await self._page(acting, request, db_session, secret)
        values = await form_values(request)
        try:
            await reviews.request_review(
                db_session,
                round_=context["round"],
                pupil=pupil,
                reason=values.get("reason", ""),
                requested_by="parent",
                label=PARENT,
                ip_address=acting.ip_address,
            )
        except Refusal as exc:
            errors = FormErrors()
            errors.add(exc.field or "reason", str(exc))
            return review_form(
                pupil, values, errors, action=f"/parents/{secret}/review", back=f"/parents/{secret}/consent"
            )
        return Redirect(path=f"/parents/{secret}/consent", status_code=303)

    @get("/{secret:str}/letter")
    async def letter(
        self, acting: Acting, request: Request[Any, Any, Any], secret: FromPath[str], db_session: DbSession
    ) -> Template:
        _, _, context = await self._page(acting, request, db_session, secret)
        return letters.letter_page(context, back=f"/parents/{secret}/consent")

    @get("/{secret:str}/letter.pdf")
    async def letter_pdf(
        self, acting: Acting, request: Request[Any, Any, Any], secret: FromPath[str], db_session: DbSession
    ) -> Response[Any]:
        _, _, context = await self._page(acting, request, db_session, secret)
        return await letters.letter_pdf(request, context)

    @get("/{secret:str}/certificate.pdf")
    async def certificate(
        self, acting: Acting, request: Request[Any, Any, Any], secret: FromPath[str], db_session: DbSession
    ) -> Response[Any]:
        _, _, context = await self._page(acting, request, db_session, secret)
        return await letters.certificate_pdf(request, context)


def _answer(values: dict[str, str], errors: FormErrors) -> ParentAnswer | None:
    """The parent's answer from the form, or None with every problem in `errors`."""
    decision = values.get("decision")
    if decision not in ("give", "refuse"):
        errors.add("decision", "Select whether you give consent")
    errors.require(values, "given_by", "Enter your full name")
    errors.at_most(values, "given_by", 200, "Your name")
    if values.get("relationship") not in RELATIONSHIPS:
        errors.add("relationship", "Select your relationship to the child")
    consents = decision == "give"
    if consents:
        errors.require(values, "emergency_contact_name", "Enter the name of an emergency contact")
        errors.at_most(values, "emergency_contact_name", 200, "The emergency contact's name")
        errors.at_most(values, "emergency_contact_relationship", 60, "The relationship")
        phone = errors.require(
            values, "emergency_contact_phone", "Enter the emergency contact's phone number"
        )
        if phone and not PHONE.match(phone):
            errors.add(
                "emergency_contact_phone", "Enter a phone number, like 01772 123456 or +44 7700 900123"
            )
        for field in SHARED:
            errors.at_most(values, field, 2000, "This")
    if errors:
        return None

    def optional(field: str) -> str | None:
        return (values.get(field) or None) if consents else None

    return ParentAnswer(
        consents=consents,
        given_by=values["given_by"],
        relationship=values["relationship"],
        shared_medical=optional("shared_medical"),
        shared_access=optional("shared_access"),
        shared_dietary=optional("shared_dietary"),
        emergency_contact_name=optional("emergency_contact_name"),
        emergency_contact_relationship=optional("emergency_contact_relationship"),
        emergency_contact_phone=optional("emergency_contact_phone"),
    )
