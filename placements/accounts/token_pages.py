"""/api-tokens: a person's own API tokens: create one (shown once), see when each was last used,
and revoke one after confirming."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from placements.accounts import api_tokens
from placements.accounts.guards import access
from placements.accounts.models import TokenScope, User
from placements.db import DbSession
from placements.refusals import Refusal
from placements.web.acting import Acting
from placements.web.forms import FormErrors, form_values, render_form

SCOPES = [(scope.value, scope.label) for scope in TokenScope]
DAYS = [(str(days), f"{days} days") for days in api_tokens.LIFETIMES]


class TokenPages(Controller):
    path = "/api-tokens"
    include_in_schema = False
    opt = access()

    async def _list(
        self, request: Request[User, Any, Any], db: Any, values: dict[str, str], errors: FormErrors
    ) -> Template:
        return render_form(
            "placements/api_tokens.html",
            values=values,
            errors=errors,
            tokens=await api_tokens.tokens_of(db, request.user),
            scopes=SCOPES,
            lifetimes=DAYS,
        )

    @get("/")
    async def index(self, request: Request[User, Any, Any], db_session: DbSession) -> Template:
        return await self._list(request, db_session, {"scope": "read", "days": "90"}, FormErrors())

    @post("/")
    async def create(
        self, acting: Acting, request: Request[User, Any, Any], db_session: DbSession
    ) -> Template:
        values = await form_values(request)
        try:
            token, secret = await api_tokens.create_token(
                db_session,
                user=acting.user,
                name=values.get("name", ""),
                scope=values.get("scope", ""),
                days=values.get("days", ""),
                ip_address=acting.ip_address,
            )
        except Refusal as exc:
            return await self._list(request, db_session, values, FormErrors(exc.problems))
        return Template(
            template_name="placements/api_token_created.html", context={"token": token, "secret": secret}
        )

    @get("/{token_id:uuid}/revoke")
    async def confirm_revoke(
        self, request: Request[User, Any, Any], token_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        token = await api_tokens.own_token(db_session, user=request.user, token_id=token_id)
        return Template(template_name="placements/api_token_revoke.html", context={"token": token})

    @post("/{token_id:uuid}/revoke")
    async def revoke(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        token_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Redirect:
        token = await api_tokens.revoke_token(
            db_session, user=acting.user, token_id=token_id, ip_address=acting.ip_address
        )
        flash(request, f"The token “{token.name}” no longer works", category="success")
        return Redirect(path="/api-tokens", status_code=303)
