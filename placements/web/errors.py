"""Error responses: friendly pages for people, JSON for the API."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from advanced_alchemy.exceptions import AdvancedAlchemyError, DuplicateKeyError, NotFoundError
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template
from msgspec import Struct
from sqlalchemy.exc import DBAPIError

from placements.outages import ServiceUnavailable, is_outage
from placements.refusals import Refusal
from placements.web.csv_files import MAX_BYTES as MAX_FILE_BYTES

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
UNAVAILABLE = (
    "The service cannot reach its database or job queue just now. Nothing was changed. "
    "Try again in a few minutes."
)

MB = 1024 * 1024
# The largest request body the service reads: room for any file it accepts, with the form around it.
MAX_BODY_BYTES = 10 * MB
TOO_LARGE = (
    f"What you sent is larger than {MAX_BODY_BYTES // MB} MB, the most the service accepts, so nothing "
    f"was saved. A CSV file to upload must be smaller than {MAX_FILE_BYTES // MB} MB"
)


class ConflictException(ClientException):
    status_code = 409


class GoFirst(PermissionDeniedException):
    """Refused until the person has done something on another page first: a page request is sent
    there, the API answers 403 saying what to do."""

    def __init__(self, detail: str, location: str) -> None:
        super().__init__(detail=detail)
        self.location = location


class FieldsRefused(ClientException):
    """Named in `raises` for the OpenAPI document: a Refusal naming fields answers 422 (see below)."""

    status_code = 422


# What any API operation may answer besides its own result: declared so the OpenAPI document is complete.
API_ERRORS: list[type[HTTPException]] = [NotAuthorizedException, PermissionDeniedException]
API_LOOKUP_ERRORS: list[type[HTTPException]] = [*API_ERRORS, NotFoundException]
WRITE_ERRORS: list[type[HTTPException]] = [
    *API_LOOKUP_ERRORS,
    ValidationException,
    ConflictException,
    FieldsRefused,
]

TITLES = {
    400: "There is a problem with the request",
    401: "Sign in to continue",
    403: "You cannot use this page",
    404: "Page not found",
    405: "Page not found",
    409: "This clashes with something already saved",
    422: "Check what was sent",
    413: "The file is too large",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
}


def wants_json(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/schema", "/health")) or "text/html" not in request.headers.get(
        "accept", ""
    )


# How long a person or a client is asked to wait after an outage before trying again.
RETRY_AFTER = "30"


def _status_and_detail(exc: Exception) -> tuple[int, str, dict[str, str]]:
    if is_outage(exc):
        detail = str(exc) if isinstance(exc, ServiceUnavailable) else UNAVAILABLE
        return 503, detail, {"retry-after": RETRY_AFTER}
    if isinstance(exc, HTTPException):
        # Litestar's own refusal of a body over the limit names no size.
        detail = TOO_LARGE if isinstance(exc, RequestEntityTooLarge) else exc.detail
        return exc.status_code, detail, dict(exc.headers or {})
    if isinstance(exc, Refusal):
        return (422 if exc.problems else 409), str(exc), {}
    if _is_nested_too_deeply(exc):
        return 400, "The request body is nested too deeply to read. Send at most a few levels of [ and {", {}
    if isinstance(exc, NotFoundError):
        return 404, "Not found", {}
    if isinstance(exc, DuplicateKeyError):
        return 409, "A record with these details already exists", {}
    if _is_nul_character(exc):
        return 400, "Text must not contain NUL characters", {}
    return 500, "Internal server error", {}


def _is_nested_too_deeply(exc: Exception) -> bool:
    """msgspec gives up on a JSON body nested deeper than the interpreter's recursion limit; Litestar
    turns only its other decoding errors ("JSON is malformed") into a 400."""
    return isinstance(exc, RecursionError) and "while deserializing" in str(exc)


def _is_nul_character(exc: BaseException) -> bool:
    """PostgreSQL refuses text with a NUL character; no field of this service may hold one."""
    while exc is not None:
        if isinstance(exc, DBAPIError) and "0x00" in str(exc.orig):
            return True
        exc = exc.__cause__  # type: ignore[assignment]
    return False


class InvalidParam(Struct):
    name: str
    reason: str


class Problem(Struct, omit_defaults=True):
    """RFC 9457 problem details, as a refusal is answered (invalid_params only when fields are at fault)."""

    status: int
    title: str
    detail: str
    invalid_params: list[InvalidParam] = []


PROBLEM_RESPONSES = {
    409: ResponseSpec(
        data_container=Problem,
        media_type=PROBLEM_MEDIA_TYPE,
        description="Refused: the state of things does not allow it (detail says why)",
        generate_examples=False,
    ),
    422: ResponseSpec(
        data_container=Problem,
        media_type=PROBLEM_MEDIA_TYPE,
        description="Refused: invalid_params names each field at fault and why",
        generate_examples=False,
    ),
}


def document_refusals(route_handlers: Iterable[Any]) -> None:
    """Every API operation that may refuse (it names a 409 or 422 in `raises`) documents the problem
    details it answers, so the OpenAPI document says what a refusal looks like."""
    for owner in route_handlers:
        handlers = vars(owner).values() if isinstance(owner, type) else [owner]
        for handler in handlers:
            if isinstance(handler, HTTPRouteHandler) and {ConflictException, FieldsRefused} & set(
                handler.raises or ()
            ):
                handler.responses = {**PROBLEM_RESPONSES, **(handler.responses or {})}


def refusal_response(request: Request[Any, Any, Any], exc: Refusal) -> Response[Any]:
    """A service's refusal as RFC 9457 problem details: 422 naming each field at fault, or 409."""
    status = 422 if exc.problems else 409
    fields = [{"name": name, "reason": reason} for name, reason in exc.problems.items()]
    return ProblemDetailsException(
        detail=str(exc),
        status_code=status,
        title=TITLES[status],
        extra={"invalid_params": fields} if fields else None,
    ).to_response(request)


def handle_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, Refusal) and wants_json(request):
        return refusal_response(request, exc)
    status, detail, headers = _status_and_detail(exc)
    if status == 503:
        log.warning("unavailable on %s %s: %r", request.method, request.url.path, exc)
    elif status >= 500:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        detail = TITLES[500]
    if wants_json(request):
        body: dict[str, Any] = {"status_code": status, "detail": detail}
        extra = getattr(exc, "extra", None)
        if status == 400 and extra:
            body["extra"] = extra
        return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)
    if isinstance(exc, GoFirst):
        return Redirect(path=exc.location, status_code=303)
    if isinstance(exc, NotAuthorizedException):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(path=f"/sign-in?next={quote(target)}", status_code=303)
    return Template(
        template_name="placements/error.html",
        context={
            "status": status,
            "title": TITLES.get(status, TITLES[400] if status < 500 else TITLES[500]),
            "detail": detail,
        },
        status_code=status,
        headers=headers,
    )


exception_handlers: dict[Any, Any] = {
    HTTPException: handle_error,
    AdvancedAlchemyError: handle_error,
    Exception: handle_error,
}
