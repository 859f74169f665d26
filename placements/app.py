"""The application factory: the one place that imports the domains and assembles the service."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

import employers.domain
import families.domain
import matching.domain
import programme.domain
import schools.domain
from placements import models
from placements.accounts.api import AccountsApi
from placements.accounts.api_tokens import token_requests
from placements.accounts.auth import SESSION_STORE, csrf_bound_to_session, session_auth
from placements.accounts.guards import PUBLIC, SAFE_METHODS, access_guard
from placements.accounts.pages import (
    AccountController,
    PasswordController,
    SignInController,
    SignOutController,
    UsersController,
)
from placements.accounts.sso_pages import SsoController
from placements.accounts.token_pages import TokenPages
from placements.accounts.two_step_pages import (
    SecondStepController,
    TwoStepController,
    TwoStepResetController,
    two_step_in_place,
)
from placements.audit.pages import AuditApi, AuditPages
from placements.audit.trail import audit_trail_middleware
from placements.db import alchemy_config, check_database, create_engine
from placements.domains import Domain
from placements.jobs.api import JobsApi
from placements.jobs.queue import ArqQueue, InProcessQueue, Queue, install_queue
from placements.jobs.schedule import run_daily_loop
from placements.jobs.sweeper import sweep_forever
from placements.notifications.api import NotificationsApi
from placements.notifications.pages import SentEmailsPage, UndeliveredMessagesPage
from placements.settings import ROOT, Settings, get_settings
from placements.store import database_store
from placements.web.acting import acting_of
from placements.web.capacity import capacity_middleware
from placements.web.errors import MAX_BODY_BYTES, document_refusals, exception_handlers
from placements.web.health import HealthController
from placements.web.metrics import REQUESTS, MetricsController
from placements.web.pages import HomeController
from placements.web.request_ids import request_id_middleware
from placements.web.security import add_security_headers
from placements.web.templating import template_config
from placements.web.transactions import transaction_middleware

# In the order their parts appear on the home page.
DOMAINS: tuple[Domain, ...] = (
    programme.domain.DOMAIN,
    schools.domain.DOMAIN,
    employers.domain.DOMAIN,
    matching.domain.DOMAIN,
    families.domain.DOMAIN,
)

# Every mapped table, core and domains', for migrations and tests.
metadata = models.metadata

ROUTE_HANDLERS: list[Any] = [
    *(handler for domain in DOMAINS for handler in domain.route_handlers),
    SignInController,
    SecondStepController,
    SsoController,
    SignOutController,
    TwoStepController,
    TwoStepResetController,
    PasswordController,
    UsersController,
    AccountController,
    AccountsApi,
    AuditPages,
    AuditApi,
    JobsApi,
    SentEmailsPage,
    UndeliveredMessagesPage,
    NotificationsApi,
    HomeController,
    HealthController,
    TokenPages,
]


async def every_route_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The rules every route follows, as one guard that runs in the event loop: Litestar hands each
    synchronous guard to a thread, and copies the route handler for each guard, on every request."""
    access_guard(connection, handler)
    two_step_in_place(connection, handler)
    csrf_bound_to_session(connection, handler)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    settings.check()
    document_refusals(ROUTE_HANDLERS)
    # The app's lifespan disposes of its engine, so it may keep SQLite connections open.
    alchemy = alchemy_config(create_engine(settings, keep_sqlite_connections=True))

    @asynccontextmanager
    async def job_queue(app: Litestar) -> AsyncIterator[None]:
        await check_database(alchemy.get_engine(), settings)
        sessionmaker = alchemy.create_session_maker()
        active: Queue = (
            ArqQueue(settings.redis_url, settings.queue_name, timeout=settings.timeouts.health)
            if settings.redis_url
            else InProcessQueue(sessionmaker, settings.jobs)  # type: ignore[arg-type]
        )
        install_queue(active)
        app.state["placements.queue"] = active
        # Without workers, this process also starts the daily jobs and sweeps up stopped ones.
        background = (
            []
            if settings.redis_url
            else [
                asyncio.create_task(run_daily_loop(sessionmaker)),  # type: ignore[arg-type]
                asyncio.create_task(sweep_forever(sessionmaker, settings.jobs, active)),  # type: ignore[arg-type]
            ]
        )
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            await active.close()
            install_queue(None)

    metrics = bool(settings.metrics_token)
    return Litestar(
        route_handlers=[
            *ROUTE_HANDLERS,
            *([MetricsController] if metrics else []),
            create_static_files_router(
                path="/static",
                directories=[ROOT / "static"],
                opt=PUBLIC,
                include_in_schema=False,
                name="static",
            ),
        ],
        plugins=[SQLAlchemyPlugin(config=alchemy)],
        middleware=[
            request_id_middleware,
            capacity_middleware(settings.concurrent_requests),
            *([REQUESTS.middleware] if metrics else []),
            token_requests(settings.secret_key),
            session_auth(settings).middleware,
            transaction_middleware(alchemy.session_scope_key),
            audit_trail_middleware(alchemy),
        ],
        before_send=[add_security_headers],
        guards=[every_route_guard],
        dependencies={"acting": Provide(acting_of, sync_to_thread=False)},
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.secure_cookies,
            cookie_samesite="lax",
            safe_methods=set(SAFE_METHODS),
        ),
        stores={
            SESSION_STORE: database_store(alchemy, "sessions"),
        },
        template_config=template_config(),
        openapi_config=OpenAPIConfig(
            title="Placements",
            version="0.1.0",
            description="The JSON API of the council's work-placement service. "
            "Sign in through /sign-in and send the csrftoken cookie back in the x-csrftoken header on "
            "writes; or create a personal access token at /api-tokens and send it as "
            "`Authorization: Bearer plc_…` (no cookies, no CSRF token; a read-only token may only read).",
            path="/schema",
            openapi_router=Router(path="/schema", route_handlers=[], opt=PUBLIC, include_in_schema=False),
            # The document itself, at /schema too: no viewer that would load scripts from elsewhere.
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
            components=Components(
                security_schemes={
                    "session": SecurityScheme(
                        type="apiKey", name="placements_session", security_scheme_in="cookie"
                    ),
                    "token": SecurityScheme(
                        type="http", scheme="bearer", description="A personal access token from /api-tokens"
                    ),
                }
            ),
            security=[{"session": []}, {"token": []}],
        ),
        exception_handlers=exception_handlers,
        # The process's logging is set where it starts (placements.logs): Litestar's own would replace it.
        logging_config=None,
        request_max_body_size=MAX_BODY_BYTES,
        lifespan=[job_queue],
        state=State(
            {"placements.alchemy": alchemy, "placements.settings": settings, "placements.domains": DOMAINS}
        ),
        debug=False,
    )


def served_app() -> Litestar:
    """The app as `placements serve` runs it in each web process. What assembling it made lives as long
    as the process, so it is put out of the garbage collector's sight: otherwise every full collection
    walks those 300,000-odd objects while every request in the process waits (140-190 ms each time,
    about a tenth of the process's time under load)."""
    app = create_app()
    gc.collect()
    gc.freeze()
    return app
