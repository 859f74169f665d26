"""What the service says of itself to everyone, signed in or not, from every page's footer: the
privacy notice (who sees what, how long it is kept, people's rights, and asking for a person to
review an outcome) and the accessibility statement."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.response import Template

from placements.accounts.guards import PUBLIC
from placements.db import DbSession
from placements.settings import get_settings
from programme.models import KEEP_PUPIL_DATA_MONTHS
from programme.queries import current_round


def _context(**more: Any) -> dict[str, Any]:
    settings = get_settings()
    return {"organisation": settings.organisation, "contact": settings.contact_email, **more}


class StatementPages(Controller):
    include_in_schema = False
    opt = PUBLIC

    @get("/privacy")
    async def privacy(self, db_session: DbSession) -> Template:
        round_ = await current_round(db_session)
        keep = round_.keep_pupil_data_months if round_ else KEEP_PUPIL_DATA_MONTHS
        return Template(template_name="programme/privacy.html", context=_context(keep_months=keep))

    @get("/accessibility")
    async def accessibility(self) -> Template:
        return Template(template_name="programme/accessibility.html", context=_context())
