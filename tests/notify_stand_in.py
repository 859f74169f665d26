"""A stand-in for GOV.UK Notify: a real HTTP server on 127.0.0.1 that speaks Notify's v2 API.

It checks what Notify checks, as Notify's API documentation describes it: the bearer token is a
JWT signed with HS256 by the API key's secret, whose `iss` is the service id and whose `iat` is
within 30 seconds of now (else 403 AuthError); the template exists and is of the right kind, its
placeholders are all filled, and the address or number is valid (else 400 BadRequestError or
ValidationError). It answers in Notify's shapes, keeps what it was sent, and lets a test decide
each message's status and make the next answers fail.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

TOKEN_BOUND = 30
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
UK_MOBILE = re.compile(r"^(\+44|0)7\d{9}$")
PLACEHOLDERS = {"email": ("subject", "body"), "sms": ("body",)}
NOTIFICATION = re.compile(r"^/v2/notifications/([0-9a-f-]{36})$")


@dataclass
class Sent:
    id: str
    kind: str
    request: dict[str, Any]
    status: str = "created"


@dataclass
class NotifyStandIn:
    service_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    secret: str = field(default_factory=lambda: str(uuid.uuid4()))
    email_template_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    sms_template_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    base_url: str = ""
    sent: list[Sent] = field(default_factory=list)
    # Status codes to answer the next requests with, whatever they are.
    failing: list[int] = field(default_factory=list)
    # Requests that reached it, authorised or not.
    requests: int = 0

    @property
    def api_key(self) -> str:
        return f"placements_test-{self.service_id}-{self.secret}"

    def fail_next(self, *status_codes: int) -> None:
        self.failing.extend(status_codes)

    def set_status(self, notification_id: str, status: str) -> None:
        next(sent for sent in self.sent if sent.id == notification_id).status = status

    def _refusal(self, authorization: str | None) -> str | None:
        """Why Notify would refuse this authorisation header; None if it would accept it."""
        if not authorization or not authorization.startswith("Bearer "):
            return "Unauthorized: authentication token must be provided"
        token = authorization.removeprefix("Bearer ")
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.InvalidTokenError:
            return "Invalid token: signature, api token not found"
        if issuer is None:
            return "Invalid token: iss field not provided"
        if issuer != self.service_id:
            return "Invalid token: service not found"
        try:
            claims = jwt.decode(
                token,
                key=self.secret,
                algorithms=["HS256"],
                options={"verify_iat": False, "require": ["iat"]},
            )
        except jwt.MissingRequiredClaimError:
            return "Invalid token: iat field not provided"
        except jwt.InvalidTokenError:
            return "Invalid token: signature, api token not found"
        if abs(time.time() - int(claims["iat"])) > TOKEN_BOUND:
            return "Error: Your system clock must be accurate to within 30 seconds"
        return None

    def _create(self, kind: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        template_id = self.email_template_id if kind == "email" else self.sms_template_id
        if body.get("template_id") != template_id:
            return _error(400, "BadRequestError", "Template not found")
        personalisation = body.get("personalisation") or {}
        if missing := [name for name in PLACEHOLDERS[kind] if name not in personalisation]:
            return _error(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
        if kind == "email" and not EMAIL.match(body.get("email_address", "")):
            return _error(400, "ValidationError", "email_address Not a valid email address")
        if kind == "sms" and not UK_MOBILE.match(body.get("phone_number", "")):
            return _error(400, "ValidationError", "phone_number Not a UK mobile number")
        sent = Sent(id=str(uuid.uuid4()), kind=kind, request=body)
        self.sent.append(sent)
        content = (
            {
                "subject": personalisation["subject"],
                "body": personalisation["body"],
                "from_email": "x@notify.test",
            }
            if kind == "email"
            else {"body": personalisation["body"], "from_number": "Placements"}
        )
        return 201, {
            "id": sent.id,
            "reference": body.get("reference"),
            "content": content,
            "uri": f"{self.base_url}/v2/notifications/{sent.id}",
            "template": {
                "id": template_id,
                "version": 1,
                "uri": f"{self.base_url}/v2/template/{template_id}",
            },
            "scheduled_for": None,
        }

    def _read(self, notification_id: str) -> tuple[int, dict[str, Any]]:
        sent = next((sent for sent in self.sent if sent.id == notification_id), None)
        if sent is None:
            return _error(404, "NoResultFound", "No result found")
        final = sent.status not in {"created", "sending", "pending"}
        return 200, {
            "id": sent.id,
            "reference": sent.request.get("reference"),
            "email_address": sent.request.get("email_address"),
            "phone_number": sent.request.get("phone_number"),
            "type": sent.kind,
            "status": sent.status,
            "template": {"id": sent.request["template_id"], "version": 1, "uri": ""},
            "created_at": "2027-03-01T07:00:00.000000Z",
            "sent_at": "2027-03-01T07:00:01.000000Z",
            "completed_at": "2027-03-01T07:05:00.000000Z" if final else None,
        }

    def answer(
        self, method: str, path: str, authorization: str | None, body: bytes
    ) -> tuple[int, dict[str, Any]]:
        self.requests += 1
        if refusal := self._refusal(authorization):
            return _error(403, "AuthError", refusal)
        if self.failing:
            status = self.failing.pop(0)
            if status == 429:
                return _error(
                    status,
                    "RateLimitError",
                    "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
                )
            return _error(status, "Exception", "Internal server error")
        if method == "POST" and path in ("/v2/notifications/email", "/v2/notifications/sms"):
            return self._create(path.rsplit("/", 1)[1], json.loads(body or b"{}"))
        if method == "GET" and (found := NOTIFICATION.match(path)):
            return self._read(found.group(1))
        return _error(404, "NoResultFound", "No result found")


def _error(status: int, error: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"status_code": status, "errors": [{"error": error, "message": message}]}


@contextmanager
def notify_stand_in() -> Iterator[NotifyStandIn]:
    """The stand-in, serving on a free port of 127.0.0.1 until the block ends."""
    stand_in = NotifyStandIn()

    class Handler(BaseHTTPRequestHandler):
        def _respond(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, answer = stand_in.answer(
                self.command, self.path, self.headers.get("Authorization"), self.rfile.read(length)
            )
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _respond

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: a test reads what was sent from the stand-in, not from its log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stand_in.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
