"""Pages for signing in and out, resetting a password, accepting an invitation, managing accounts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts import queries
from placements.accounts.guards import BEFORE_SET_UP, COORDINATOR, PUBLIC, access
from placements.accounts.limits import TooMany
from placements.accounts.management import (
    account_for,
    deactivate_user,
    may_manage,
    reactivate_user,
    set_admin,
)
from placements.accounts.models import Role, TokenPurpose, User, organisation_model
from placements.accounts.passwords import MIN_LENGTH
from placements.accounts.services import (
    AccountError,
    Invitation,
    LinkExpired,
    authenticate,
    find_valid_token,
    invite_user,
    request_password_reset,
    set_password_with_token,
)
from placements.accounts.signing_in import await_second_step, finish_sign_in, safe_next, sign_in_page
from placements.db import DbSession
from placements.web.acting import Acting
from placements.web.forms import FormErrors, form_values, render_form
from placements.web.paging import Page, page_from_request


def refused_for_now(template: str, values: dict[str, str], exc: TooMany) -> Template:
    """The email form again, with why it must wait (429 and Retry-After, as the API answers)."""
    errors = FormErrors()
    errors.add("email", str(exc.detail))
    return Template(
        template_name=template,
        context={"values": values, "errors": errors},
        status_code=exc.status_code,
        headers=exc.headers,
    )


class SignInController(Controller):
    include_in_schema = False
    opt = PUBLIC

    @get("/sign-in", name="sign_in")
    async def show(
        self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None
    ) -> Template | Redirect:
        if request.scope.get("user"):
            return Redirect(path="/")
        return sign_in_page(request, {"next": safe_next(next)}, FormErrors())

    @post("/sign-in")
    async def submit(
        self, acting: Acting, request: Request[Any, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        values = await form_values(request)
        errors = FormErrors()
        errors.email(values)
        errors.require(values, "password", "Enter your password")
        if errors:
            return sign_in_page(request, values, errors)
        try:
            user = await authenticate(
                db_session,
                email=values["email"],
                password=values["password"],
                ip_address=acting.ip_address,
            )
        except TooMany as exc:
            await db_session.commit()  # the throttled attempt stays in the audit log
            errors.add("email", str(exc.detail))
            return sign_in_page(
                request, {"email": values["email"]}, errors, status_code=exc.status_code, headers=exc.headers
            )
        if user is None:
            await db_session.commit()
            errors.add("email", "Enter a correct email address and password")
            return sign_in_page(request, values, errors)
        next_path = safe_next(values.get("next"))
        if user.uses_two_step:
            return await_second_step(request, user, next_path)
        return await finish_sign_in(request, db_session, user, acting.ip_address, next_path)


class SignOutController(Controller):
    include_in_schema = False
    opt = {**access(), BEFORE_SET_UP: True}

    @post("/sign-out")
    async def sign_out(
        self, acting: Acting, request: Request[Any, Any, Any], db_session: DbSession
    ) -> Redirect:
        await acting.audit(db_session, "signed_out", record_type="user", record_id=acting.user.id)
        request.clear_session()
        return Redirect(path="/sign-in", status_code=303)


class PasswordController(Controller):
    """Password reset and invitation links: both end with the person choosing a password."""

    include_in_schema = False
    opt = PUBLIC

    @get("/password-reset")
    async def ask(self) -> Template:
        return render_form("placements/password_reset_request.html", values={}, errors=FormErrors())

    @post("/password-reset")
    async def send(self, acting: Acting, request: Request[Any, Any, Any], db_session: DbSession) -> Template:
        values = await form_values(request)
        errors = FormErrors()
        errors.email(values)
        if errors:
            return render_form("placements/password_reset_request.html", values=values, errors=errors)
        try:
            await request_password_reset(db_session, email=values["email"], ip_address=acting.ip_address)
        except TooMany as exc:
            return refused_for_now("placements/password_reset_request.html", values, exc)
        # The same answer whether or not the address has an account.
        return Template(
            template_name="placements/password_reset_sent.html", context={"email": values["email"]}
        )

    @get("/password-reset/{token:str}")
    async def reset_form(self, token: FromPath[str], db_session: DbSession) -> Template:
        return await self._choose_form(db_session, token, TokenPurpose.PASSWORD_RESET)

    @post("/password-reset/{token:str}")
    async def reset(
        self, acting: Acting, request: Request[Any, Any, Any], token: FromPath[str], db_session: DbSession
    ) -> Template | Redirect:
        return await self._choose(acting, request, db_session, token, TokenPurpose.PASSWORD_RESET)

    @get("/invitation/{token:str}")
    async def invitation_form(self, token: FromPath[str], db_session: DbSession) -> Template:
        return await self._choose_form(db_session, token, TokenPurpose.INVITATION)

    @post("/invitation/{token:str}")
    async def accept(
        self, acting: Acting, request: Request[Any, Any, Any], token: FromPath[str], db_session: DbSession
    ) -> Template | Redirect:
        return await self._choose(acting, request, db_session, token, TokenPurpose.INVITATION)

    @staticmethod
    async def _choose_form(db: AsyncSession, token: FromPath[str], purpose: TokenPurpose) -> Template:
        found = await find_valid_token(db, token, purpose)
        if found is None:
            return Template(template_name="placements/link_expired.html", status_code=404)
        return render_form(
            "placements/choose_password.html",
            values={},
            errors=FormErrors(),
            purpose=purpose.value,
            min_length=MIN_LENGTH,
        )

    @staticmethod
    async def _choose(
        acting: Acting,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        token: FromPath[str],
        purpose: TokenPurpose,
    ) -> Template | Redirect:
        values = await form_values(request)
        try:
            await set_password_with_token(
                db,
                token=token,
                purpose=purpose,
                password=values.get("password", ""),
                confirmation=values.get("confirm_password", ""),
                ip_address=acting.ip_address,
            )
        except LinkExpired:
            return Template(template_name="placements/link_expired.html", status_code=404)
        except AccountError as exc:
            errors = FormErrors()
            errors.add("password", str(exc))
            # Passwords are never sent back into the page.
            return render_form(
                "placements/choose_password.html",
                values={},
                errors=errors,
                purpose=purpose.value,
                min_length=MIN_LENGTH,
            )
        flash(request, "Your password is set. Sign in with it now.", category="success")
        return Redirect(path="/sign-in", status_code=303)


class UsersController(Controller):
    """Coordinators see every account and invite school staff, employer users and colleagues."""

    path = "/users"
    include_in_schema = False
    opt = COORDINATOR

    @get("/")
    async def list_users(self, request: Request[Any, Any, Any], db_session: DbSession) -> Template:
        paging = page_from_request(request)
        users, total = await queries.list_users(
            db_session, order=(User.role, User.email), limit=paging.limit, offset=paging.offset
        )
        return Template(
            template_name="placements/users.html",
            context={"users": users, "page": Page.of(paging, total, request)},
        )

    @get("/invite")
    async def invite_form(self, db_session: DbSession) -> Template:
        return await self._render_invite(db_session, {}, FormErrors())

    @post("/invite")
    async def invite(
        self, acting: Acting, request: Request[Any, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        values = await form_values(request)
        errors = FormErrors()
        errors.require(values, "name", "Enter the person's name")
        errors.at_most(values, "name", 200, "The name")
        errors.email(values)
        role = values.get("role", "")
        if role not in Role.__members__.values():
            errors.add("role", "Select what the person does")
        tenant = None
        if role == Role.SCHOOL_STAFF:
            tenant = await _find(db_session, Role.SCHOOL_STAFF, values.get("school_id"))
            if tenant is None:
                errors.add("school_id", "Select the person's school")
        elif role == Role.EMPLOYER_USER:
            tenant = await _find(db_session, Role.EMPLOYER_USER, values.get("employer_id"))
            if tenant is None:
                errors.add("employer_id", "Select the person's employer")
        if not errors:
            invitation = Invitation(
                email=values["email"],
                name=values["name"],
                role=Role(role),
                school_id=tenant.id if role == Role.SCHOOL_STAFF and tenant else None,
                employer_id=tenant.id if role == Role.EMPLOYER_USER and tenant else None,
            )
            try:
                await invite_user(
                    db_session, invitation=invitation, actor=acting.user, ip_address=acting.ip_address
                )
            except AccountError as exc:
                errors.add(exc.field or "email", str(exc))
            except TooMany as exc:
                errors.add("email", str(exc.detail))
        if errors:
            return await self._render_invite(db_session, values, errors)
        flash(request, f"Invitation sent to {values['email']}", category="success")
        return Redirect(path="/users", status_code=303)

    @staticmethod
    async def _render_invite(db: AsyncSession, values: dict[str, str], errors: FormErrors) -> Template:
        schools = await queries.organisation_choices(db, Role.SCHOOL_STAFF)
        employers = await queries.organisation_choices(db, Role.EMPLOYER_USER)
        return render_form(
            "placements/invite.html",
            values=values,
            errors=errors,
            roles=list(Role),
            schools=schools,
            employers=employers,
        )


async def _find(db: AsyncSession, role: Role, raw_id: str | None) -> Any:
    try:
        return await db.get(organisation_model(role), UUID(raw_id or ""))
    except ValueError:
        return None


class AccountController(Controller):
    """One account, for whoever manages it: coordinators any, an organisation's admins their colleagues."""

    path = "/users/{user_id:uuid}"
    include_in_schema = False
    opt = access()

    @get("/", name="account")
    async def show(
        self, request: Request[User, Any, Any], user_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        user = await account_for(db_session, actor=request.user, user_id=user_id)
        return render_form(
            "placements/account.html",
            values={},
            errors=FormErrors(),
            person=user,
            manageable=may_manage(request.user, user),
        )

    @post("/deactivate")
    async def deactivate(
        self, acting: Acting, request: Request[User, Any, Any], user_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        return await self._change(acting, request, db_session, user_id, "deactivate")

    @post("/reactivate")
    async def reactivate(
        self, acting: Acting, request: Request[User, Any, Any], user_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        return await self._change(acting, request, db_session, user_id, "reactivate")

    @post("/admin")
    async def admin(
        self, acting: Acting, request: Request[User, Any, Any], user_id: FromPath[UUID], db_session: DbSession
    ) -> Template | Redirect:
        return await self._change(acting, request, db_session, user_id, "admin")

    @staticmethod
    async def _change(
        acting: Acting, request: Request[User, Any, Any], db: AsyncSession, user_id: UUID, change: str
    ) -> Template | Redirect:
        user = await account_for(db, actor=acting.user, user_id=user_id)
        values = await form_values(request)
        ip = acting.ip_address
        try:
            if change == "deactivate":
                await deactivate_user(db, user=user, actor=acting.user, ip_address=ip)
                message = f"{user.name}'s account is deactivated: they are signed out and can't sign in"
            elif change == "reactivate":
                await reactivate_user(db, user=user, actor=acting.user, ip_address=ip)
                message = f"{user.name}'s account is active again: they can sign in with their password"
            else:
                await set_admin(
                    db, user=user, is_admin=values.get("is_admin") == "yes", actor=acting.user, ip_address=ip
                )
                can = "can" if user.is_admin else "can no longer"
                message = f"{user.name} {can} manage colleagues' accounts"
        except AccountError as exc:
            errors = FormErrors()
            errors.add("account", str(exc))
            return render_form(
                "placements/account.html",
                values=values,
                errors=errors,
                person=user,
                manageable=may_manage(acting.user, user),
            )
        flash(request, message, category="success")
        return Redirect(path=f"/users/{user.id}", status_code=303)
