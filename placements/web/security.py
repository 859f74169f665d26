"""Security headers on every response, whatever produced it, and the one rule on caching."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)

HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
STATIC = "/static/"


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook: it sees every response, including 404s for unknown paths."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in HEADERS.items():
            headers[name] = value
        # Only the static assets may be kept: Back after signing out must not show a pupil's data.
        if not scope["path"].startswith(STATIC):
            headers["cache-control"] = "no-store"
        if scope.get("scheme") == "https":
            headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
