"""The home page of each role: what each domain adds for the signed-in person."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.response import Template

from placements.accounts.guards import access
from placements.accounts.models import User
from placements.db import DbSession
from placements.domains import home_context


class HomeController(Controller):
    include_in_schema = False

    @get("/", opt=access(), name="home")
    async def home(self, request: Request[User, Any, Any], db_session: DbSession, state: State) -> Template:
        context = await home_context(state["placements.domains"], db_session, request.user)
        return Template(template_name="placements/home.html", context=context)
