"""What a domain hands to the app, so that the core never imports a domain.

Each domain package has a `domain.py` whose `DOMAIN` names its routes and what it adds to the
home page. Importing that module also imports the domain's models, jobs, daily jobs and audit
names, which register themselves with the core. `placements.app` is the one place that imports
the domains and assembles them (as litestar-fullstack's application core does). A domain's
command-line commands are entry points instead (see placements.cli), so that a command loads only
what it uses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from placements.web.counting import fill_counts

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler
    from sqlalchemy.ext.asyncio import AsyncSession

    from placements.accounts.models import User

# What a domain shows on the signed-in person's home page: template values by name. A value that
# is a dict is merged with other domains' values of that name (the coordinator's counts). A count
# given as `counted(…)` (placements.web.counting) is asked for with every other domain's in one query.
HomeContext = Callable[["AsyncSession", "User"], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Domain:
    name: str
    route_handlers: Sequence[ControllerRouterHandler] = ()
    home: HomeContext | None = None


async def home_context(domains: Sequence[Domain], db: AsyncSession, user: User) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for domain in domains:
        if domain.home is None:
            continue
        for name, value in (await domain.home(db, user)).items():
            if isinstance(value, dict):
                context.setdefault(name, {}).update(value)
            else:
                context[name] = value
    return await fill_counts(db, context)
