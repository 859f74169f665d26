"""Pages for two-step sign-in: the second step of signing in (see placements.accounts.signing_in),
setting it up and managing it (/two-step), and a coordinator resetting someone's
(/users/<id>/two-step/reset)."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts import two_step
from placements.accounts.guards import BEFORE_SET_UP, COORDINATOR, PUBLIC, access
from placements.accounts.limits import TooMany
from placements.accounts.management import account_for
from placements.accounts.models import User
from placements.accounts.signing_in import HALF_SIGNED_IN, MFA_BY_PROVIDER, SETTINGS, finish_sign_in
from placements.db import DbSession
from placements.refusals import Refusal
from placements.web.acting import Acting
from placements.web.errors import GoFirst
from placements.web.forms import FormErrors, form_values, render_form

OFFERED_SECRET = "two_step_offered"  # noqa: S105 - a key in the session, not a secret
SET_UP = "/two-step/set-up"


def _required(request: Request[Any, Any, Any], user: User) -> bool:
    return two_step.required_for(user, request.app.state[SETTINGS])


def two_step_in_place(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """A guard on every route: someone whose role must use two-step sign-in (TWO_STEP_REQUIRED_FOR)
    and has not set it up yet can do that and sign out, nothing else, unless the identity provider
    they signed in with used MFA."""
    user = connection.scope.get("user")
    session = connection.scope.get("session")
    if (
        isinstance(user, User)
        and not handler.opt.get(BEFORE_SET_UP)
        and not user.uses_two_step
        and two_step.required_for(user, connection.app.state[SETTINGS])
        and not (isinstance(session, dict) and session.get(MFA_BY_PROVIDER))
    ):
        raise GoFirst("Set up two-step sign-in for your account before using Placements", SET_UP)


async def _half_signed_in(request: Request[Any, Any, Any], db: AsyncSession) -> tuple[User, str] | None:
    pending = request.session.get(HALF_SIGNED_IN) if isinstance(request.session, dict) else None
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        return None
    try:
        user = await db.get(User, UUID(str(pending.get("user_id"))))
    except ValueError:
        return None
    # Active is enough: an invited person who signs in only through an identity provider has no password.
    if (
        user is None
        or not user.is_active
        or not user.uses_two_step
        or user.session_epoch != pending.get("epoch")
    ):
        return None
    return user, str(pending.get("next") or "/")


def _again(request: Request[Any, Any, Any], message: str) -> Redirect:
    request.set_session({})  # the half-way state ends
    flash(request, message, category="error")
    return Redirect(path="/sign-in", status_code=303)


class SecondStepController(Controller):
    include_in_schema = False
    opt = PUBLIC

    @get("/sign-in/code", name="sign_in_code")
    async def ask(self, request: Request[Any, Any, Any], db_session: DbSession) -> Template | Redirect:
        if await _half_signed_in(request, db_session) is None:
            return Redirect(path="/sign-in")
        return render_form("placements/sign_in_code.html", values={}, errors=FormErrors())

    @post("/sign-in/code")
    async def check(
        self, acting: Acting, request: Request[Any, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        found = await _half_signed_in(request, db_session)
        if found is None:
            return _again(request, "Signing in took too long. Sign in again.")
        user, next_path = found
        values = await form_values(request)
        errors = FormErrors()
        try:
            accepted = await two_step.check_code(
                db_session, user=user, code=values.get("code", ""), ip_address=acting.ip_address
            )
        except TooMany as exc:
            await db_session.commit()
            return _again(request, str(exc.detail))
        if not accepted:
            await db_session.commit()  # the wrong code counts towards the limit
            errors.add("code", two_step.WRONG_CODE)
            return render_form("placements/sign_in_code.html", values={}, errors=errors)
        return await finish_sign_in(request, db_session, user, acting.ip_address, next_path, second_step=True)


class TwoStepController(Controller):
    """A person's own two-step sign-in: set it up, replace the recovery codes, turn it off."""

    path = "/two-step"
    include_in_schema = False
    opt = {**access(), BEFORE_SET_UP: True}

    @staticmethod
    async def _overview_context(request: Request[User, Any, Any], db: AsyncSession) -> dict[str, Any]:
        user = request.user
        return {
            "person": user,
            "codes_left": await two_step.recovery_codes_left(db, user) if user.uses_two_step else 0,
            "required": _required(request, user),
        }

    @get("/")
    async def overview(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        context = await self._overview_context(request, db_session)
        return render_form("placements/two_step.html", values={}, errors=FormErrors(), **context)

    @get("/set-up")
    async def offer(self, request: Request[User, Any, Any]) -> Template | Redirect:
        return self._offer(request, FormErrors())

    @staticmethod
    def _offer(request: Request[User, Any, Any], errors: FormErrors) -> Template | Redirect:
        if request.user.uses_two_step:
            return Redirect(path="/two-step")
        secret = request.session.get(OFFERED_SECRET) or two_step.new_secret()
        request.session[OFFERED_SECRET] = secret
        link = two_step.setup_link(secret, request.user)
        return render_form(
            "placements/two_step_set_up.html",
            values={},
            errors=errors,
            qr_code=two_step.qr_code(link),
            key=two_step.grouped(secret),
            required=_required(request, request.user),
        )

    @post("/set-up")
    async def turn_on(
        self, acting: Acting, request: Request[User, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        secret = request.session.get(OFFERED_SECRET)
        if not secret:
            return Redirect(path=SET_UP, status_code=303)
        values = await form_values(request)
        try:
            codes = await two_step.turn_on(
                db_session,
                user=acting.user,
                secret=secret,
                code=values.get("code", ""),
                ip_address=acting.ip_address,
            )
        except Refusal as exc:
            return self._offer(request, FormErrors(exc.problems or {"code": str(exc)}))
        request.session.pop(OFFERED_SECRET, None)
        return Template(template_name="placements/recovery_codes.html", context={"codes": codes, "new": True})

    @post("/recovery-codes")
    async def replace_codes(
        self, acting: Acting, request: Request[User, Any, Any], db_session: DbSession
    ) -> Template:
        values = await form_values(request)
        try:
            codes = await two_step.new_recovery_codes(
                db_session, user=acting.user, code=values.get("code", ""), ip_address=acting.ip_address
            )
        except (Refusal, TooMany) as exc:
            context = await self._overview_context(request, db_session)
            return await _refused(db_session, "placements/two_step.html", exc, **context)
        return Template(
            template_name="placements/recovery_codes.html", context={"codes": codes, "new": False}
        )

    @get("/turn-off")
    async def confirm_turn_off(self, request: Request[User, Any, Any]) -> Template | Redirect:
        if not request.user.uses_two_step or _required(request, request.user):
            return Redirect(path="/two-step")
        return render_form("placements/two_step_turn_off.html", values={}, errors=FormErrors())

    @post("/turn-off")
    async def turn_off(
        self, acting: Acting, request: Request[User, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        values = await form_values(request)
        try:
            await two_step.turn_off(
                db_session,
                user=acting.user,
                code=values.get("code", ""),
                settings=request.app.state[SETTINGS],
                ip_address=acting.ip_address,
            )
        except (Refusal, TooMany) as exc:
            return await _refused(db_session, "placements/two_step_turn_off.html", exc)
        flash(request, "Two-step sign-in is off: you sign in with your password alone", category="success")
        return Redirect(path="/two-step", status_code=303)


async def _refused(db: AsyncSession, template: str, exc: Refusal | TooMany, **context: Any) -> Template:
    """The form again with why the code was refused; a wrong code is kept, as it counts towards the limit."""
    await db.commit()
    errors = FormErrors()
    errors.add("code", str(exc.detail) if isinstance(exc, TooMany) else str(exc))
    too_many = isinstance(exc, TooMany)
    return Template(
        template_name=template,
        context={"values": {}, "errors": errors, **context},
        status_code=exc.status_code if too_many else 400,
        headers=exc.headers if too_many else None,
    )


class TwoStepResetController(Controller):
    """A coordinator turns off the two-step sign-in of someone who lost their app and codes."""

    path = "/users/{user_id:uuid}/two-step/reset"
    include_in_schema = False
    opt = COORDINATOR

    @get("/")
    async def confirm(
        self, request: Request[User, Any, Any], user_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        person = await account_for(db_session, actor=request.user, user_id=user_id)
        return render_form(
            "placements/two_step_reset.html",
            values={},
            errors=FormErrors(),
            person=person,
            required=_required(request, person),
        )

    @post("/")
    async def reset(
        self, acting: Acting, request: Request[User, Any, Any], user_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        person = await account_for(db_session, actor=acting.user, user_id=user_id)
        try:
            await two_step.reset(db_session, user=person, actor=acting.user, ip_address=acting.ip_address)
        except Refusal as exc:
            return render_form(
                "placements/two_step_reset.html",
                values={},
                errors=FormErrors({"account": str(exc)}),
                person=person,
                required=_required(request, person),
            )
        flash(
            request,
            f"{person.name}'s two-step sign-in is reset: they are signed out and have been emailed",
            category="success",
        )
        return Redirect(path=f"/users/{person.id}", status_code=303)
