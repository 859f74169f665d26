"""/metrics for Prometheus, behind an access rule of its own: the bearer token in METRICS_TOKEN,
which only the scraper holds, never a person's session. Without that setting there is no
/metrics at all, and no request is counted."""

from __future__ import annotations

import hmac
import os
from typing import TYPE_CHECKING, Any

from litestar import Controller, Response, get
from litestar.exceptions import NotAuthorizedException
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from placements.accounts.guards import PUBLIC
from placements.db import DbSession
from placements.metrics import SCRAPE_READERS

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers import BaseRouteHandler

# Requests by method, route (its path pattern, never a pupil's id) and status, and their latencies.
REQUESTS = PrometheusConfig(
    app_name="placements", prefix="placements", group_path=True, exclude=["^/static/", "^/metrics$"]
)


async def scraper_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    token = connection.app.state["placements.settings"].metrics_token
    sent = connection.headers.get("authorization", "")
    if not token or not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        raise NotAuthorizedException("Send the metrics token as `Authorization: Bearer …`")


class MetricsController(Controller):
    path = "/metrics"
    include_in_schema = False
    opt = PUBLIC  # not a person's page: the token is its access rule
    guards = [scraper_only]

    @get("/")
    async def metrics(self, db_session: DbSession) -> Response[bytes]:
        for reader in SCRAPE_READERS:
            await reader(db_session)
        registry = REGISTRY
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
